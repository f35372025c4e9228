"""Excel workbooks (.xlsx/.xlsm): fastexcel when installed, else python-calamine, else openpyxl."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING, InputError
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.guards import (
    _check_workbook_zip,
    _refuse_formulas_without_values,
    _scan_workbook_xml,
    _unreadable_workbook,
)
from xlb2b.inputs.headers import (
    HEADER_SCAN_ROWS,
    SHEET_NAMES,
    _find_header,
    _from_grid,
    _grid_has_table,
    _match_columns,
    _norm_header,
    _other_sheet,
    _with_header,
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


def _pick_sheet(names: list[str], sheet: Any, ctx: _Ctx, hidden: frozenset[str] = frozenset()) -> str:
    """The sheet asked for, or by default the first visible sheet named for the table's
    kind, else the first visible sheet (a hidden sheet is read only when no visible one
    holds the table, see :func:`_another_sheet_if_needed`)."""
    if not names:
        ctx.fatal("the workbook has no sheets; check that this is the right file")
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        wanted = {_norm_header(s) for s in SHEET_NAMES[ctx.kind]}
        visible = [n for n in names if n not in hidden] or names
        return next((n for n in visible if _norm_header(n) in wanted), visible[0])
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


def _another_sheet_if_needed(
    names: list[str], sheet: Any, rows: list, read, canon_map: dict, ctx: _Ctx, hidden: frozenset[str] = frozenset()
) -> list:
    """The rows of the sheet to read: the default sheet's, or, when no sheet was
    asked for and the default one has no table with the required columns, those
    of the one other sheet that has it (a hidden one said as such)."""
    if sheet is not None or len(names) < 2 or _grid_has_table(rows[:HEADER_SCAN_ROWS], canon_map, ctx):
        return rows

    def head(name: str) -> list:
        try:
            return read(name, HEADER_SCAN_ROWS)
        except InputError:
            return []
        except Exception:  # noqa: BLE001 - a sheet that cannot be read has no table
            return []

    other = _other_sheet(names, ctx.sheet, head, canon_map, ctx, hidden)
    return rows if other is None else read(other)


def _calamine_hidden(wb) -> frozenset[str]:
    """The hidden (and very hidden) sheets of a python-calamine workbook, from its sheet
    metadata (``SheetMetadata.visible``; none when this version gives no metadata)."""
    try:
        from python_calamine import SheetVisibleEnum

        return frozenset(str(m.name) for m in wb.sheets_metadata if m.visible != SheetVisibleEnum.Visible)
    except Exception:  # noqa: BLE001 - without the metadata every sheet counts as visible
        return frozenset()


def _openpyxl_hidden(wb) -> frozenset[str]:
    """The hidden (and very hidden) sheets of an openpyxl workbook (``sheet_state``)."""
    return frozenset(n for n in wb.sheetnames if getattr(wb[n], "sheet_state", "visible") != "visible")


def _read_xlsx(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    grid = None
    fastexcel = _import_fastexcel()
    if fastexcel is not None:
        # the archive's directory is checked first (sizes, zip bombs); the search
        # of every XML member for DTDs and formulas without values, which unpacks
        # them all, runs beside fastexcel (its XML parser expands no entities), and
        # its refusal wins over anything the reader found
        _check_workbook_zip(path, ctx, scan=False)
        scan = _Beside(lambda c: _scan_workbook_xml(path, c), ctx)
        failed: BaseException | None = None
        said, pending = len(ctx.report.problems), ctx.pending_fatal
        try:
            grid = _fast_grid(path, sheet, canon_map, ctx, fastexcel)
        except Exception as e:  # noqa: BLE001 - said after the guard has spoken
            failed = e
        if scan.refused():  # only the guard's refusal is said, as when it ran first
            del ctx.report.problems[said:]
            ctx.pending_fatal = pending
        formulas = scan.result()
        if isinstance(failed, InputError):
            raise failed
        if failed is not None:
            _unreadable_workbook(failed, ctx)
    else:
        formulas = _check_workbook_zip(path, ctx)
    if grid is not None:
        _refuse_formulas_without_values(formulas, ctx)
        head = _workbook_head(path)
        _warn_recalculated_on_open(head, formulas, ctx)
        grid.date1904 = _date1904(head)
        return grid
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
                hidden = _openpyxl_hidden(wb)
                ctx.sheet = _pick_sheet(names, sheet, ctx, hidden)

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
                rows = _another_sheet_if_needed(names, sheet, rows, read, canon_map, ctx, hidden)
            finally:
                wb.close()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
        _unreadable_workbook(e, ctx)
    _refuse_formulas_without_values(formulas, ctx)
    head = _workbook_head(path)
    _warn_recalculated_on_open(head, formulas, ctx)
    if not rows:
        ctx.fatal(f"sheet {ctx.sheet!r} is empty; choose the sheet that holds the table with --sheet NAME")
    grid = _rows_grid(rows)
    raw = _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)
    raw.date1904 = _date1904(head)
    return raw


_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


_FULL_CALC_ON_LOAD = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']")


def _workbook_head(path: Path) -> bytes:
    """The first MiB of the workbook part, where ``workbookPr`` and ``calcPr`` are (empty if unreadable)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            part = next((n for n in z.namelist() if n.lower() == "xl/workbook.xml"), None)
            if part is None:
                return b""
            with z.open(part) as f:
                return f.read(1 << 20)
    except (OSError, zipfile.BadZipFile, KeyError):
        return b""


def _warn_recalculated_on_open(head: bytes, formulas: dict, ctx: _Ctx) -> None:
    """Warn when every formula value saved on the sheet read is 0 and the
    workbook asks to be fully recalculated when opened (``calcPr
    fullCalcOnLoad``, ECMA-376 Part 1 §18.2.2): a program that writes formulas
    without calculating them sets the flag and saves 0 as each value
    (XlsxWriter's documented default), which reads like data.  Excel clears
    the flag when it saves the workbook."""
    f = formulas.get(ctx.sheet)
    if not f or not f.with_values or f.calculated or not _FULL_CALC_ON_LOAD.search(head):
        return
    ctx.report.problems.append(
        ctx.problem(
            f"sheet {ctx.sheet!r}: every value saved with its {f.with_values:,} formula(s) is 0 and the workbook "
            "was saved by a program that leaves the calculation to Excel (it asks to be recalculated when "
            "opened), so these zeros are probably placeholders, not results; open the file in Excel or "
            "LibreOffice Calc, save it, and run again",
            severity=WARNING,
        )
    )


def _date1904(head: bytes) -> bool:
    """Whether the workbook uses Excel's 1904 date system (``workbookPr
    date1904``, ECMA-376 Part 1 §18.2.28): its date numbers count from
    1904-01-01.  The readers turn cells formatted as dates into dates by that
    system themselves; plain numbers in a date column need it too."""
    return _DATE1904.search(head) is not None


class _Beside:
    """A guard run in a thread beside the reader, with a context of its own;
    :meth:`result` waits for it and passes on its refusal as the reader's."""

    def __init__(self, fn, ctx: _Ctx):
        import threading

        self.ctx = ctx
        self.own = _Ctx(kind=ctx.kind, label=ctx.label)
        self.out: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.out = fn(self.own)
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                self.error = e

        self.thread = threading.Thread(target=run, name="xlb2b-workbook-guard", daemon=True)
        self.thread.start()

    def refused(self) -> bool:
        self.thread.join()
        return isinstance(self.error, InputError)

    def result(self) -> Any:
        self.thread.join()
        if isinstance(self.error, InputError):
            self.ctx.report.problems.extend(self.own.report.problems)
            self.ctx.pending_fatal += self.own.pending_fatal
            self.ctx.raise_if_fatal()
        if self.error is not None:
            raise self.error
        return self.out


def _calamine_rows(calamine, path: Path, sheet: Any, canon_map: dict, ctx: _Ctx, on_open=None) -> list:
    """The chosen sheet's rows through python-calamine (any format it reads),
    another sheet when that one lacks the table; ``ctx.sheet`` names it.
    ``on_open(wb)`` is called with the open workbook after the rows are read."""
    wb = calamine.from_path(str(path))
    try:
        names = list(wb.sheet_names)
        hidden = _calamine_hidden(wb)
        ctx.sheet = _pick_sheet(names, sheet, ctx, hidden)

        def read(name: str, nrows: int | None = None) -> list:
            return wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)

        rows = read(ctx.sheet)
        rows = _another_sheet_if_needed(names, sheet, rows, read, canon_map, ctx, hidden)
        if on_open is not None:
            on_open(wb)
        return rows
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


def _fast_grid(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx, fastexcel) -> _Raw | None:
    """The raw table the other readers give, the header found in the first
    HEAD_ROWS rows and every row under it read by fastexcel, one Arrow column
    per sheet column.  A canonical column comes straight from Arrow when its
    type allows (numbers as floats, dates as datetime64, text as codes into
    its distinct values); every other column as the Python values the
    cell-by-cell readers give.  None when the sheet is small, a column mixes
    types (then every cell needs its own type: the cell-by-cell readers read
    it), or the overlap rows do not agree."""
    from xlb2b.inputs.reading import hidden_sheets

    reader = fastexcel.read_excel(str(path))
    names = list(reader.sheet_names)
    ctx.sheet = _pick_sheet(names, sheet, ctx, hidden_sheets(path))
    head = _head_rows(path, ctx.sheet)
    if head is None or len(head) < HEAD_ROWS:
        return None
    if sheet is None and len(names) > 1 and not _grid_has_table(head[:HEADER_SCAN_ROWS], canon_map, ctx):
        return None  # the cell-by-cell readers look for the table on the other sheets
    used = [(i, j) for i, r in enumerate(head) for j, v in enumerate(r) if not _blank(v)]
    if not used:
        return None
    c0 = min(j for _, j in used)
    width0 = max(len(r) for r in head)
    head_grid = _rows_grid([r + [None] * (width0 - len(r)) for r in head])
    trial = _Ctx(kind=ctx.kind, label=ctx.label)
    try:
        h, depth, keys, _scanned = _find_header(head_grid, trial, canon_map)
        types = _wanted_types(head_grid, canon_map, trial)
    except InputError:
        return None  # the cell-by-cell readers say why
    k = h + depth  # the first data row (0-based)
    start = min(k, HEAD_ROWS - OVERLAP_ROWS)
    try:
        batch = reader.load_sheet(
            ctx.sheet, header_row=None, skip_rows=start, dtype_coercion="strict", schema_sample_rows=None, eager=True
        )
    except fastexcel.UnsupportedColumnTypeCombinationError:
        return None
    if batch.num_rows <= OVERLAP_ROWS:
        return None
    columns = list(batch.columns)
    del batch
    width = max(width0, c0 + len(columns))
    for i in range(OVERLAP_ROWS):
        row = head[start + i] + [None] * (width - len(head[start + i]))
        fast_row = [None] * c0 + [_objects(c.slice(i, 1))[0] for c in columns] + [None] * (width - c0 - len(columns))
        if not all(_same_cell(a, b) for a, b in zip(row, fast_row)):
            return None
    skip = k - start  # header rows at the end of the head that fastexcel read too
    n = len(columns[0]) - skip if columns else 0
    cols: dict[int, pd.Series] = {}
    done: dict[int, Any] = {}
    for j in range(width):
        if not (c0 <= j < c0 + len(columns)):
            cols[j] = pd.Series(np.full(n, None, dtype=object), dtype=object)
            continue
        col = columns[j - c0]
        col = col.slice(skip) if skip else col
        got = _typed(col, types.get(j))
        if got is None:
            cols[j] = pd.Series(_objects(col), dtype=object)
        else:
            cols[j], parsed = got
            if parsed is not None:
                done[j] = parsed
        columns[j - c0] = None  # the Arrow memory goes as soon as it is converted
    frame = pd.DataFrame(cols, copy=False)
    keys = list(keys) + [("",)] * (width - len(keys))
    scanned = min(HEADER_SCAN_ROWS, start + n + skip)
    raw = _with_header(
        frame, np.arange(k + 1, k + 1 + n), keys, h + 1, depth, scanned, canon_map, ctx, letters=True, first_seen=True
    )
    kept = ctx.header.columns if ctx.header is not None else []
    raw.parsed.update({p: done[j] for p, j in enumerate(kept) if j in done})
    return raw


def _wanted_types(head_grid: pd.DataFrame, canon_map: dict, trial: _Ctx) -> dict[int, str]:
    """The value type of each canonical column, by grid position, from the
    header the first rows hold."""
    from xlb2b.inputs.columns import COLUMN_TYPES

    raw = _from_grid(head_grid, np.arange(1, len(head_grid) + 1), canon_map, trial, letters=True)
    positions = _match_columns(raw, canon_map, trial)
    cols = trial.header.columns if trial.header is not None else []
    return {cols[p]: COLUMN_TYPES[c] for c, p in positions.items() if p < len(cols)}


def _typed(col, ctype: str | None) -> tuple[pd.Series, Any] | None:
    """A column of a canonical field straight from Arrow: numbers as floats,
    dates as datetime64[ns] (when every one is plausible), text as codes into
    its distinct values (with the column parsed as text when no distinct value
    needs cleaning); None: the column goes cell by cell as Python values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from xlb2b.inputs.columns import DATE, NUMBER, TEXT
    from xlb2b.inputs.values import _text_codes

    t = col.type
    if ctype == NUMBER and (pa.types.is_floating(t) or pa.types.is_integer(t)):
        v = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(np.asarray(v, dtype=np.float64), copy=False), None
    if ctype == DATE and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
        from xlb2b.inputs.dates import _implausible

        if t.tz is not None if pa.types.is_timestamp(t) else False:
            return None
        days = pc.cast(col, pa.date32()) if pa.types.is_timestamp(t) else col
        lo, hi = pc.min_max(days).values()
        if lo.as_py() is not None and not (dt.date(1678, 1, 1) <= lo.as_py() and hi.as_py() <= dt.date(2261, 12, 31)):
            return None
        v = pc.cast(col, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        v = np.asarray(v, dtype="datetime64[ns]")
        if _implausible(v, np.isnat(v), None) is not None:
            return None  # such dates are reported with the cell's value as the other readers give it
        return pd.Series(v, copy=False), None
    if ctype == TEXT and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        d = pc.dictionary_encode(col)
        if pc.any(pc.is_in(d.dictionary, value_set=pa.array(sorted(_EXCEL_ERRORS) + [""]))).as_py():
            return None  # error texts and empty strings are empty cells: cell by cell
        return _text_codes(d, pa)
    return None


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
