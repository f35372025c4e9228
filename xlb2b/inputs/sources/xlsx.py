"""Excel workbooks (.xlsx/.xlsm): fastexcel when installed, else python-calamine, else openpyxl."""

from __future__ import annotations

import datetime as dt
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
        ctx.fatal(
            f"sheet index {sheet} is out of range: the workbook has {len(names)} "
            f"sheet(s) ({listing}); indexes start at 0"
        )
    sheet = str(sheet)
    if sheet in names:
        return sheet
    close = [n for n in names if _norm_header(n) == _norm_header(sheet)]
    if len(close) == 1:
        return close[0]
    ctx.fatal(f"no sheet named {sheet!r}; sheets: {listing}; give one of these with --sheet")


def _another_sheet_if_needed(names: list[str], sheet: Any, rows: list, read, canon_map: dict, ctx: _Ctx) -> list:
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
    grid = None
    fastexcel = _import_fastexcel()
    if fastexcel is not None:
        try:
            grid = _fast_grid(path, sheet, canon_map, ctx, fastexcel)
        except InputError:
            raise
        except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
            _unreadable_workbook(e, ctx)
    if grid is not None:
        _refuse_formulas_without_values(formulas, ctx)
        return _from_grid(grid, np.arange(1, len(grid) + 1), canon_map, ctx, letters=True)
    calamine = _import_calamine()
    try:
        if calamine is not None:
            rows = _calamine_rows(calamine, path, sheet, canon_map, ctx)
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
                        ctx.fatal(
                            f"sheet {name!r} is a chart, not a worksheet; choose the "
                            "sheet that holds the table with --sheet NAME"
                        )
                    ws.reset_dimensions()  # some writers store a wrong used range
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
        ctx.fatal(f"sheet {ctx.sheet!r} is empty; choose the sheet that holds the table with --sheet NAME")
    grid = _rows_grid(rows)
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)


def _calamine_rows(calamine, path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> list:
    """The chosen sheet's rows through python-calamine (any format it reads),
    another sheet when that one lacks the table; ``ctx.sheet`` names it."""
    wb = calamine.from_path(str(path))
    try:
        names = list(wb.sheet_names)
        ctx.sheet = _pick_sheet(names, sheet, ctx)

        def read(name: str, nrows: int | None = None) -> list:
            return wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)

        rows = read(ctx.sheet)
        return _another_sheet_if_needed(names, sheet, rows, read, canon_map, ctx)
    finally:
        wb.close()


def _rows_grid(rows: list[list]) -> pd.DataFrame:
    """Rows of cell values as an object grid, the same empties from every
    reader: None (also for Excel's error texts and empty strings)."""
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    grid = pd.DataFrame(rows, dtype=object)
    for c in grid.columns:
        s = grid[c]
        grid[c] = s.mask(s.isin(_EXCEL_ERRORS) | s.eq(""), None)
    return grid


# ---- fastexcel: the bulk of a sheet straight to Arrow, one type per column

#: the first rows (title, header: the rows searched for the header and a few
#: more) are read cell by cell by openpyxl's streaming reader, which keeps every
#: cell's own type; fastexcel reads the rest
HEAD_ROWS = HEADER_SCAN_ROWS + 10
#: rows read by both, to check that fastexcel's rows and columns line up with
#: the sheet's (fastexcel counts rows from the top of the sheet, columns from
#: the first used one)
OVERLAP_ROWS = 5


def _import_fastexcel():
    """The fastexcel module (it needs pyarrow), or None (e.g. under Pyodide)."""
    try:
        import fastexcel
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    return fastexcel


def _head_rows(path: Path, name: str) -> list[list] | None:
    """The first HEAD_ROWS rows of a worksheet, cell by cell (None: no such
    worksheet, e.g. a chart sheet: the other readers say so)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if name not in wb.sheetnames:
            return None
        ws = wb[name]
        if not hasattr(ws, "iter_rows"):
            return None
        ws.reset_dimensions()
        return [list(r) for r in ws.iter_rows(values_only=True, max_row=HEAD_ROWS)]
    finally:
        wb.close()


def _fast_grid(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx, fastexcel) -> pd.DataFrame | None:
    """The sheet as the object grid the other readers give, the rows after the
    first HEAD_ROWS converted column by column from fastexcel's Arrow arrays.
    None when the sheet is small, a column mixes types below the head (then
    every cell needs its own type: the cell-by-cell readers read it), or the
    overlap rows do not agree."""
    reader = fastexcel.read_excel(str(path))
    names = list(reader.sheet_names)
    ctx.sheet = _pick_sheet(names, sheet, ctx)
    head = _head_rows(path, ctx.sheet)
    if head is None or len(head) < HEAD_ROWS:
        return None
    if sheet is None and len(names) > 1 and not _grid_has_table(head[:HEADER_SCAN_ROWS], canon_map, ctx):
        return None  # the cell-by-cell readers look for the table on the other sheets
    used = [(i, j) for i, r in enumerate(head) for j, v in enumerate(r) if not _blank(v)]
    if not used:
        return None
    c0 = min(j for _, j in used)
    start = HEAD_ROWS - OVERLAP_ROWS
    try:
        batch = reader.load_sheet(
            ctx.sheet, header_row=None, skip_rows=start, dtype_coercion="strict", schema_sample_rows=None, eager=True
        )
    except fastexcel.UnsupportedColumnTypeCombinationError:
        return None
    if batch.num_rows <= OVERLAP_ROWS:
        return None
    cols = [_objects(c) for c in batch.columns]
    del batch
    width = max(max(len(r) for r in head), c0 + len(cols))
    for i in range(OVERLAP_ROWS):
        row = head[start + i] + [None] * (width - len(head[start + i]))
        fast_row = [None] * c0 + [c[i] for c in cols] + [None] * (width - c0 - len(cols))
        if not all(_same_cell(a, b) for a, b in zip(row, fast_row)):
            return None
    top = _rows_grid([r + [None] * (width - len(r)) for r in head])
    n = len(cols[0]) - OVERLAP_ROWS if cols else 0
    bulk = {
        j: (np.full(n, None, dtype=object) if not (c0 <= j < c0 + len(cols)) else cols[j - c0][OVERLAP_ROWS:])
        for j in range(width)
    }
    return pd.concat([top, pd.DataFrame(bulk, dtype=object)], ignore_index=True)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and (v == "" or v in _EXCEL_ERRORS))


def _same_cell(a: Any, b: Any) -> bool:
    """Whether openpyxl's and fastexcel's values of one cell agree."""
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return abs(pd.Timestamp(a) - pd.Timestamp(b)) < pd.Timedelta(milliseconds=1)
    return type(a) is type(b) and a == b


def _objects(col) -> np.ndarray:
    """One Arrow column as an object array of Python values, None where empty
    (strings, floats, ints, bools, datetimes, dates, durations as the
    cell-by-cell readers give them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    n = len(col)
    if pa.types.is_null(t):
        return np.full(n, None, dtype=object)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col.to_numpy(zero_copy_only=False).astype(object, copy=False)
        bad = pc.is_in(col, value_set=pa.array(sorted(_EXCEL_ERRORS) + [""])).to_numpy(zero_copy_only=False)
        if bad.any():
            out = out.copy()
            out[bad] = None
        return out
    nulls = col.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(t):
        vals = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype("datetime64[us]")
        out = vals.astype(object)
    elif pa.types.is_date(t):
        out = (
            pc.fill_null(pc.cast(col, pa.date32()), 0)
            .to_numpy(zero_copy_only=False)
            .astype("datetime64[D]")
            .astype(object)
        )
    elif pa.types.is_duration(t):
        out = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype("timedelta64[us]").astype(object)
    elif pa.types.is_boolean(t):
        out = np.array(pc.fill_null(col, False).to_numpy(zero_copy_only=False), dtype=object)
    elif pa.types.is_integer(t):
        out = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype(np.int64).astype(object)
    else:
        out = pc.fill_null(col, 0.0).to_numpy(zero_copy_only=False).astype(np.float64).astype(object)
    if nulls.any():
        out[nulls] = None
    return out
