"""xlb2b's button scripts for an xlwings Server app, one @script per button.

xlb2b's button scripts for an xlwings Server app (its ``custom_scripts``
package).

One ``@script`` per button of :data:`udfs.scripts.BUTTONS`, named like the
script of :mod:`udfs.scripts` it runs: the ribbon commands of
``udfs/server/manifest_ribbon.xml`` (through ``ribbon.js``) and the task pane
call them by that name.
"""
import xlwings as xw
from xlwings import script

from udfs import scripts as _scripts

__all__ = list(_scripts.BUTTONS.values())


@script
async def analyze_client_base(book: xw.Book):
    """Analyze client base: metrics, segmentations, summary tables."""
    await _scripts.run_button("analyze", book)


@script
async def build_adp(book: xw.Book):
    """Build ADP for the selected client."""
    await _scripts.run_button("adp", book)


@script
async def build_adps_a(book: xw.Book):
    """Build ADPs for A clients."""
    await _scripts.run_button("adp_a", book)


@script
async def add_bcg_scoring(book: xw.Book):
    """Add BCG scoring."""
    await _scripts.run_button("bcg", book)


@script
async def add_progress_checklist(book: xw.Book):
    """Add progress checklist."""
    await _scripts.run_button("checklist", book)


@script
async def refresh(book: xw.Book):
    """Refresh the analysis with the current settings."""
    await _scripts.run_button("refresh", book)


@script
async def open_settings(book: xw.Book):
    """Open the Settings sheet."""
    await _scripts.run_button("settings", book)


@script
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
