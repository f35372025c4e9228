"""xlb2b in xlwings Lite: paste this file into the "main.py" tab of the Lite
editor (and requirements.txt into its tab).

Every cell function of udfs.functions (=PSC_SEGMENT(...), =ABC_CLASS(...) and
the rest) and every button script of udfs.scripts is exposed here: Lite
registers what this module holds. The scripts are bound to the sheet buttons
of the "B2B" sheet that udfs.lite.build.build_lite_workbook writes: a shape
named xlb2b_<button> with a link to the cell it covers. "Build ADP for selected
client" has no sheet button: clicking a sheet button moves the selection, so
run build_adp from the task pane after selecting the client's row.
"""
import inspect

import xlwings as xw
from xlwings import script

from udfs import scripts as _scripts
from udfs.functions import *  # noqa: F401,F403  (the 28 cell functions)


async def _run(tag: str, book: xw.Book) -> None:
    """Run the script of udfs.scripts behind the button ``tag`` on ``book``.

    Under Lite and Server, udfs.scripts' own ``@xw.script`` turns its functions
    into the runtime's wrappers (which expect the runtime's arguments), so the
    function underneath is called."""
    fn = getattr(_scripts, _scripts.BUTTONS[tag])
    if hasattr(fn, "__xlscript__"):        # the runtime's wrapper: call the function it wraps
        fn = getattr(fn, "__wrapped__", fn)
    result = fn(book)
    if inspect.isawaitable(result):
        await result


@script(button="[xlb2b_analyze]B2B!B4", show_taskpane=True)
async def analyze_client_base(book: xw.Book):
    """Analyze client base: metrics, segmentations, summary tables."""
    await _run("analyze", book)


@script
async def build_adp(book: xw.Book):
    """Build ADP for selected client (select the client's row first)."""
    await _run("adp", book)


@script(button="[xlb2b_adp_a]B2B!B6", show_taskpane=True)
async def build_adps_a(book: xw.Book):
    """Build ADPs for A clients."""
    await _run("adp_a", book)


@script(button="[xlb2b_bcg]B2B!B8", show_taskpane=True)
async def add_bcg_scoring(book: xw.Book):
    """Add BCG scoring."""
    await _run("bcg", book)


@script(button="[xlb2b_checklist]B2B!B10", show_taskpane=True)
async def add_progress_checklist(book: xw.Book):
    """Add progress checklist."""
    await _run("checklist", book)


@script(button="[xlb2b_refresh]B2B!B12", show_taskpane=True)
async def refresh(book: xw.Book):
    """Refresh the analysis with the current settings."""
    await _run("refresh", book)


@script(button="[xlb2b_settings]B2B!B14", show_taskpane=True)
async def open_settings(book: xw.Book):
    """Open the Settings sheet."""
    await _run("settings", book)


@script(button="[xlb2b_help]B2B!B16", show_taskpane=True)
async def show_help(book: xw.Book):
    """Help."""
    await _run("help", book)
