"""xlb2b in xlwings Lite: every cell function and button script, for the Lite editor's main.py tab.

xlb2b in xlwings Lite: paste this file into the "main.py" tab of the Lite
editor (and requirements.txt into its tab).

Every cell function of udfs.functions (=PSC_SEGMENT(...), =ABC_CLASS(...) and
the rest) and every button script of udfs.scripts is exposed here: Lite
registers what this module holds. The scripts are bound to the sheet buttons
of the "B2B" sheet that udfs.lite.build.build_lite_workbook writes: a shape
named xlb2b_<button> with a link to the cell it covers. "Build ADP for selected
client" and "Fill template for selected client" have no sheet button: clicking
a sheet button moves the selection, so run build_adp or fill_template_for_client
from the task pane after selecting the client's row.

Analyze, Analyze with two windows and Refresh take an async book
(``xw.BookAsync``): Lite sends them no cell values, and they read their input
sheets in blocks of rows (udfs.scripts.read_in_blocks), so a workbook of a
million order lines fits in Lite's reads and Excel on the web's 5 MB limit.
"""

import xlwings as xw
from xlwings import script

from udfs import scripts as _scripts
from udfs.functions import *  # noqa: F401,F403  (every cell function)


@script(button="[xlb2b_analyze]B2B!B4", show_taskpane=True, include=_scripts.READS["analyze"])
async def analyze_client_base(book: xw.BookAsync):
    """Analyze client base: metrics, segmentations, summary tables."""
    await _scripts.run_button("analyze", book)


@script(button="[xlb2b_dynamics]B2B!B20", show_taskpane=True, include=_scripts.READS["dynamics"])
async def analyze_two_windows(book: xw.BookAsync):
    """Analyze with two windows: the analysis and the two-window sheets."""
    await _scripts.run_button("dynamics", book)


@script(include=_scripts.READS["adp"])
async def build_adp(book: xw.Book):
    """Build ADP for selected client (select the client's row first)."""
    await _scripts.run_button("adp", book)


@script(button="[xlb2b_adp_a]B2B!B6", show_taskpane=True, include=_scripts.READS["adp_a"])
async def build_adps_a(book: xw.Book):
    """Build ADPs for A clients."""
    await _scripts.run_button("adp_a", book)


@script(button="[xlb2b_bcg]B2B!B8", show_taskpane=True, include=_scripts.READS["bcg"])
async def add_bcg_scoring(book: xw.Book):
    """Add BCG scoring."""
    await _scripts.run_button("bcg", book)


@script(button="[xlb2b_checklist]B2B!B10", show_taskpane=True, include=_scripts.READS["checklist"])
async def add_progress_checklist(book: xw.Book):
    """Add progress checklist."""
    await _scripts.run_button("checklist", book)


@script(button="[xlb2b_refresh]B2B!B12", show_taskpane=True, include=_scripts.READS["refresh"])
async def refresh(book: xw.BookAsync):
    """Refresh the analysis with the current settings."""
    await _scripts.run_button("refresh", book)


@script(button="[xlb2b_settings]B2B!B14", show_taskpane=True, include=_scripts.READS["settings"])
async def open_settings(book: xw.Book):
    """Open the Settings sheet."""
    await _scripts.run_button("settings", book)


@script(button="[xlb2b_help]B2B!B16", show_taskpane=True, include=_scripts.READS["help"])
async def show_help(book: xw.Book):
    """Help."""
    await _scripts.run_button("help", book)


@script
async def fill_template_for_client(book: xw.Book):
    """Fill template for selected client (select the client's row first)."""
    await _scripts.run_button("fill_template", book)


@script(button="[xlb2b_refresh_report]B2B!B18", show_taskpane=True)
async def refresh_report_tables(book: xw.Book):
    """Refresh the named report tables."""
    await _scripts.run_button("refresh_report", book)
