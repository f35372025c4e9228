"""Import xlwings the way xlwings Server and Lite run it, on Linux.

xlwings picks its decorators when it is imported, so the two environment
variables are set before the first import of xlwings and put back right
after: the rest of the suite (and its subprocesses) sees the environment it
had.  If xlwings was already imported without them, it (and our front doors,
which it decorated) is imported again.

    from officejs import server_imports
    with server_imports():
        import xlwings as xw
        from udfs import scripts
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_KEYS = ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")


@contextlib.contextmanager
def server_imports():
    saved = {k: os.environ.get(k) for k in _KEYS}
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    os.environ["XLWINGS_ON_SERVER"] = "true"
    try:
        if "xlwings" in sys.modules and not getattr(sys.modules["xlwings"], "on_server", False):
            for m in [m for m in sys.modules if m == "xlwings" or m.startswith(("xlwings.", "udfs"))]:
                del sys.modules[m]
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
