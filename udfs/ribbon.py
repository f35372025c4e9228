"""The classic add-in's ribbon: the one VBA callback's dispatch to the button scripts.

The classic add-in's ribbon: ``xlb2b.xlam``'s one VBA callback runs

    RunPython "import udfs.ribbon; udfs.ribbon.dispatch('<button tag>')"

and :func:`dispatch` calls the script that :data:`udfs.scripts.BUTTONS` names
for that tag with the calling workbook (``xw.Book.caller()``).
"""

from __future__ import annotations

import asyncio
import inspect
import sys

import xlwings as xw

from . import scripts

__all__ = ["dispatch", "unknown_button_message"]

TITLE = "xlb2b"


def unknown_button_message(tag: str) -> str:
    """What the user reads when a button's tag names no script."""
    known = ", ".join(sorted(scripts.BUTTONS))
    return (
        f"xlb2b has no button {tag!r} (known buttons: {known}). "
        "The add-in xlb2b.xlam and the installed Python package xlb2b do not match: "
        "reinstall both from the same version."
    )


def _tell(message: str, book=None) -> None:
    """Show ``message`` in Excel when possible, else on stderr (no traceback)."""
    try:
        (book or xw.Book.caller()).app.alert(message, title=TITLE)
    except Exception:  # no Excel behind us (tests, command line): stderr is all there is
        print(message, file=sys.stderr)


def dispatch(tag: str) -> str | None:
    """Run the script of the ribbon button ``tag`` on the calling workbook.

    Returns None when the script ran; for a tag that names no script (or a
    script missing from :mod:`udfs.scripts`), shows a message in Excel and
    returns it, without raising.
    """
    name = scripts.BUTTONS.get(str(tag))
    script = scripts.button_function(str(tag)) if name is not None and hasattr(scripts, name) else None
    if script is None:
        message = (
            unknown_button_message(str(tag))
            if name is None
            else f"xlb2b: the button {tag!r} needs the script {name!r}, which this version "
            "of the xlb2b package does not have: update the package."
        )
        _tell(message)
        return message
    result = script(xw.Book.caller())
    if inspect.iscoroutine(result):
        asyncio.run(result)
    return None
