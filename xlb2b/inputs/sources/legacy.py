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
        rows = _calamine_rows(calamine, path, sheet, canon_map, ctx, on_open=lambda wb: _keep_listing(path, wb, ctx))
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
        _unreadable_workbook(e, ctx)
    if not rows:
        ctx.fatal(f"sheet {ctx.sheet!r} is empty; choose the sheet that holds the table with --sheet NAME")
    grid = _rows_grid([list(r) for r in rows])  # empty and error cells: None, as for .xlsx
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)


Listing = list[tuple[str, "tuple[int, int, int, int] | None | str", bool]]

#: the listing of the workbook read last, made while it was open (parsing an .ods or .xls
#: again for the reading report would cost a second read): (path, size, mtime) -> listing
_LAST: dict[tuple[str, int, int], Listing] = {}


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _keep_listing(path: Path, wb, ctx: _Ctx) -> None:
    try:
        listing = _listing(wb, ctx.sheet, sizes=path.suffix.lower() != ".xlsb")
        _LAST.clear()
        _LAST[_stamp(path)] = listing
    except Exception:  # noqa: BLE001 - the report then lists the sheets itself
        _LAST.clear()


def sheet_listing(path: Path, skip: str = "", sizes: bool = True) -> Listing:
    """(name, used range, hidden) of every worksheet of a workbook python-calamine reads: the
    used range as (first row, first column, last row, last column) counted from 1, None when
    the sheet is empty, "" for sheet ``skip`` (the one read) and when not ``sizes`` (a sheet
    of an .xlsb is parsed to find its range); the hidden state from the sheet metadata.
    The listing made during the read of the same file is used when there is one.
    [] without python-calamine."""
    kept = _LAST.get(_stamp(path))
    if kept is not None and sizes == (path.suffix.lower() != ".xlsb"):
        return [(n, "" if n == skip else used, h) for n, used, h in kept]
    calamine = _import_calamine()
    if calamine is None:
        return []
    wb = calamine.from_path(str(path))
    try:
        return _listing(wb, skip, sizes)
    finally:
        wb.close()


def _listing(wb, skip: str, sizes: bool) -> Listing:
    from xlb2b.inputs.sources.xlsx import _calamine_hidden

    hidden = _calamine_hidden(wb)
    out: Listing = []
    for name in wb.sheet_names:
        used: tuple[int, int, int, int] | None | str = ""
        if sizes and name != skip:
            ws = wb.get_sheet_by_name(name)
            used = None
            if ws.height and ws.width and ws.start is not None and ws.end is not None:
                (r0, c0), (r1, c1) = ws.start, ws.end
                used = (r0 + 1, c0 + 1, r1 + 1, c1 + 1)
        out.append((str(name), used, name in hidden))
    return out
