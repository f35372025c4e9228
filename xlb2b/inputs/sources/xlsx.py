"""Excel workbooks (.xlsx/.xlsm) through python-calamine when installed, else openpyxl."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import InputError
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.guards import (
    _check_workbook_zip,
    _refuse_formulas_without_values,
    _unreadable_workbook,
)
from xlb2b.inputs.headers import (
    HEADER_SCAN_ROWS,
    SHEET_NAMES,
    _from_grid,
    _grid_has_table,
    _norm_header,
    _other_sheet,
)
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _EXCEL_ERRORS

# ---- xlsx


def _import_calamine():
    """The python-calamine workbook class, or None (e.g. under Pyodide)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    return CalamineWorkbook


def _pick_sheet(names: list[str], sheet: Any, ctx: _Ctx) -> str:
    if not names:
        ctx.fatal("the workbook has no sheets; check that this is the right file")
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        wanted = {_norm_header(s) for s in SHEET_NAMES[ctx.kind]}
        return next((n for n in names if _norm_header(n) in wanted), names[0])
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        ctx.fatal(f"sheet index {sheet} is out of range: the workbook has {len(names)} "
                  f"sheet(s) ({listing}); indexes start at 0")
    sheet = str(sheet)
    if sheet in names:
        return sheet
    close = [n for n in names if _norm_header(n) == _norm_header(sheet)]
    if len(close) == 1:
        return close[0]
    ctx.fatal(f"no sheet named {sheet!r}; sheets: {listing}; give one of these with --sheet")


def _another_sheet_if_needed(names: list[str], sheet: Any, rows: list, read, canon_map: dict,
                             ctx: _Ctx) -> list:
    """The rows of the sheet to read: the default sheet's, or, when no sheet was
    asked for and the default one has no table with the required columns, those
    of the one other sheet that has it."""
    if sheet is not None or len(names) < 2 or _grid_has_table(rows[:HEADER_SCAN_ROWS], canon_map, ctx):
        return rows
    def head(name: str) -> list:
        try:
            return read(name, HEADER_SCAN_ROWS)
        except InputError:
            return []
        except Exception:  # noqa: BLE001 - a sheet that cannot be read has no table
            return []
    other = _other_sheet(names, ctx.sheet, head, canon_map, ctx)
    return rows if other is None else read(other)


def _read_xlsx(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    formulas = _check_workbook_zip(path, ctx)
    calamine = _import_calamine()
    try:
        if calamine is not None:
            wb = calamine.from_path(str(path))
            try:
                names = list(wb.sheet_names)
                ctx.sheet = _pick_sheet(names, sheet, ctx)

                def read(name: str, nrows: int | None = None) -> list:
                    return wb.get_sheet_by_name(name).to_python(skip_empty_area=False,
                                                                nrows=nrows)
                rows = read(ctx.sheet)
                rows = _another_sheet_if_needed(names, sheet, rows, read, canon_map, ctx)
            finally:
                wb.close()
        else:
            import openpyxl
            # openpyxl parses the XML with defusedxml when it is installed (it is a
            # dependency of this package), so entity expansion is refused there too.
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                names = list(wb.sheetnames)
                ctx.sheet = _pick_sheet(names, sheet, ctx)

                def read(name: str, nrows: int | None = None) -> list:
                    ws = wb[name]
                    if not hasattr(ws, "iter_rows"):
                        if nrows is not None:
                            return []
                        ctx.fatal(f"sheet {name!r} is a chart, not a worksheet; choose the "
                                  "sheet that holds the table with --sheet NAME")
                    ws.reset_dimensions()   # some writers store a wrong used range
                    return [list(r) for r in ws.iter_rows(values_only=True, max_row=nrows)]
                rows = read(ctx.sheet)
                rows = _another_sheet_if_needed(names, sheet, rows, read, canon_map, ctx)
            finally:
                wb.close()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
        _unreadable_workbook(e, ctx)
    _refuse_formulas_without_values(formulas, ctx)
    if not rows:
        ctx.fatal(f"sheet {ctx.sheet!r} is empty; choose the sheet that holds the table with "
                  "--sheet NAME")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    grid = pd.DataFrame(rows, dtype=object)
    for c in grid.columns:   # same empties from both readers: None
        s = grid[c]
        grid[c] = s.mask(s.isin(_EXCEL_ERRORS) | s.eq(""), None)
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)


