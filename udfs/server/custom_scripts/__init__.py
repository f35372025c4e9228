"""xlb2b's button scripts for an xlwings Server app, one @script per button.

xlb2b's button scripts for an xlwings Server app (its ``custom_scripts``
package).

One ``@script`` per button of :data:`udfs.scripts.BUTTONS`, named like the
script of :mod:`udfs.scripts` it runs: the ribbon commands of
``udfs/server/manifest_ribbon.xml`` (through ``ribbon.js``) and the task pane
call them by that name.  Each sends Python only the sheets its script reads
(``include``, :data:`udfs.scripts.READS`); ``size_message`` is what the ribbon
runs instead when the transactions sheet is too large to send.
"""

import xlwings as xw
from xlwings import script

from udfs import scripts as _scripts

__all__ = list(_scripts.BUTTONS.values()) + ["size_message", "receive_rows", "run_received"]


@script(include=_scripts.READS["analyze"])
async def analyze_client_base(book: xw.Book):
    """Analyze client base: metrics, segmentations, summary tables."""
    await _scripts.run_button("analyze", book)


@script(include=_scripts.READS["dynamics"])
async def analyze_two_windows(book: xw.Book):
    """Analyze with two windows: the analysis and the two-window sheets."""
    await _scripts.run_button("dynamics", book)


@script(include=_scripts.READS["adp"])
async def build_adp(book: xw.Book):
    """Build ADP for the selected client."""
    await _scripts.run_button("adp", book)


@script(include=_scripts.READS["adp_a"])
async def build_adps_a(book: xw.Book):
    """Build ADPs for A clients."""
    await _scripts.run_button("adp_a", book)


@script(include=_scripts.READS["bcg"])
async def add_bcg_scoring(book: xw.Book):
    """Add BCG scoring."""
    await _scripts.run_button("bcg", book)


@script(include=_scripts.READS["checklist"])
async def add_progress_checklist(book: xw.Book):
    """Add progress checklist."""
    await _scripts.run_button("checklist", book)


@script(include=_scripts.READS["refresh"])
async def refresh(book: xw.Book):
    """Refresh the analysis with the current settings."""
    await _scripts.run_button("refresh", book)


@script(include=_scripts.READS["settings"])
async def open_settings(book: xw.Book):
    """Open the Settings sheet."""
    await _scripts.run_button("settings", book)


@script(include=_scripts.READS["help"])
async def show_help(book: xw.Book):
    """Help."""
    await _scripts.run_button("help", book)


@script
async def fill_template_for_client(book: xw.Book):
    """Fill your template sheet for the selected client."""
    await _scripts.run_button("fill_template", book)


@script
async def refresh_report_tables(book: xw.Book):
    """Refresh the named report tables."""
    await _scripts.run_button("refresh_report", book)


@script(include=_scripts.READS["help"])
def size_message(book: xw.Book, sheet: str, rows: int, cells: int, platform: str = ""):
    """Why a button did not run: the input sheets are too large."""
    _scripts.size_message(book, sheet, rows, cells, platform)


@script(include=_scripts.READS["help"])
def receive_rows(book: xw.Book, token: str, sheet: str, first_row: int, rows_json: str):
    """One block of rows of an input sheet the ribbon read for a large book."""
    _scripts.receive_rows(book, token, sheet, first_row, rows_json)


@script(include=_scripts.ANALYSIS_SHEETS)
async def run_received(book: xw.Book, token: str, script: str):
    """A button's script on the rows the ribbon sent in blocks."""
    await _scripts.run_received(book, token, script)
