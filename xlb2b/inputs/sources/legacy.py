""".xls, .xlsb and .ods workbooks through python-calamine when installed (else: save as .xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xlb2b.errors import InputError
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.guards import _check_archive, _unreadable_workbook
from xlb2b.inputs.headers import _from_grid
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.sources.xlsx import _calamine_rows, _rows_grid

#: the formats python-calamine reads besides .xlsx
LEGACY_EXTENSIONS = (".xls", ".xlt", ".xlsb", ".ods")


def _import_calamine():
    """The python-calamine workbook class, or None (e.g. under Pyodide)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    return CalamineWorkbook


def _refuse_without_reader(ext: str, ctx: _Ctx) -> None:
    if ext in (".xls", ".xlt"):
        ctx.fatal(
            "this is an old binary Excel file (.xls), which can be read only with the "
            "python-calamine package (pip install python-calamine): open it in Excel and "
            "save it as .xlsx (Excel Workbook)"
        )
    ctx.fatal(
        f"{ext} files can be read only with the python-calamine package (pip install "
        "python-calamine): open the file and save it as .xlsx (Excel Workbook) or .csv"
    )


def _read_legacy(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    """Read a .xls/.xlsb/.ods sheet with the same header search, sheet choice
    and validation as an .xlsx one."""
    ext = path.suffix.lower()
    calamine = _import_calamine()
    if calamine is None:
        _refuse_without_reader(ext, ctx)
    _check_archive(path, ext, ctx)
    try:
        rows = _calamine_rows(calamine, path, sheet, canon_map, ctx)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
        _unreadable_workbook(e, ctx)
    if not rows:
        ctx.fatal(f"sheet {ctx.sheet!r} is empty; choose the sheet that holds the table with --sheet NAME")
    grid = _rows_grid([list(r) for r in rows])  # empty and error cells: None, as for .xlsx
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)
