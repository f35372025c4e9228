"""Fixtures shared by the test modules: ``soffice`` (LibreOffice Calc, see tests/lo.py)."""

from lo import soffice  # noqa: F401 (a fixture: pytest finds it here for every test module)
