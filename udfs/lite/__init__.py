"""xlwings Lite: the main.py and requirements.txt for the Lite editor, and a sample workbook with buttons.

xlwings Lite: ``main.py`` and ``requirements.txt`` to paste into the Lite
editor, and :func:`udfs.lite.build.build_lite_workbook`, a sample workbook
with the sheet buttons those scripts are bound to."""
