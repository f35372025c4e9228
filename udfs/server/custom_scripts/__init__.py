"""xlb2b's button scripts for an xlwings Server app (its ``custom_scripts``
package).

One ``@script`` per button of :data:`udfs.scripts.BUTTONS`, named like the
script of :mod:`udfs.scripts` it runs: the ribbon commands of
``udfs/server/manifest_ribbon.xml`` (through ``ribbon.js``) and the task pane
call them by that name.
"""
import inspect

import xlwings as xw
from xlwings import script

from udfs import scripts as _scripts

__all__ = list(_scripts.BUTTONS.values())


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


@script
async def analyze_client_base(book: xw.Book):
    """Analyze client base: metrics, segmentations, summary tables."""
    await _run("analyze", book)


@script
async def build_adp(book: xw.Book):
    """Build ADP for the selected client."""
    await _run("adp", book)


@script
async def build_adps_a(book: xw.Book):
    """Build ADPs for A clients."""
    await _run("adp_a", book)


@script
async def add_bcg_scoring(book: xw.Book):
    """Add BCG scoring."""
    await _run("bcg", book)


@script
async def add_progress_checklist(book: xw.Book):
    """Add progress checklist."""
    await _run("checklist", book)


@script
async def refresh(book: xw.Book):
    """Refresh the analysis with the current settings."""
    await _run("refresh", book)


@script
async def open_settings(book: xw.Book):
    """Open the Settings sheet."""
    await _run("settings", book)


@script
async def show_help(book: xw.Book):
    """Help."""
    await _run("help", book)
