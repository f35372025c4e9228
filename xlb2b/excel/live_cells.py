"""A recorded sheet's cells written into a live one: 2-D writes in chunks under Excel's request limits."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from xlb2b.excel.live_recording import RecordingSheet

#: text Excel would turn into something else when typed: numbers, dates,
#: formulas, booleans, errors
_COERCED = re.compile(
    r"^\s*([=+\-@]|[\d.,]+([eE][+-]?\d+)?%?\s*$|\d{1,4}[-./]\d{1,2}([-./]\d{1,4})?\s*$"
    r"|(true|false|#n/a|#value!|#ref!|#div/0!|#num!|#name\?|#null!)\s*$)",
    re.I,
)
#: most bytes (JSON, as xlwings sends it) and cells of one range write: Excel on
#: the web refuses a request or response over 5 MB, and Microsoft advises
#: splitting reads and writes of large ranges ("Read or write to a large range
#: using the Excel JavaScript API")
CHUNK_BYTES = 1_000_000
CHUNK_CELLS = 250_000


def excel_text(text: str) -> str:
    """Text as it must be typed so Excel keeps it as text (an apostrophe
    before anything Excel would read as a number, date, formula or error)."""
    return "'" + text if _COERCED.match(text) else text


def internal_link(target: str, text: str) -> str:
    """A link to a place in the workbook as a formula (written with the
    sheet's cells, no action of its own): Excel's HYPERLINK with a "#" target
    jumps within the workbook."""
    quote = lambda t: t.replace('"', '""')  # noqa: E731
    return f'=HYPERLINK("#{quote(target)}","{quote(text)}")'


def _grid(sheet: RecordingSheet, filled: Iterable[int] = ()) -> list[list[Any]]:
    """The sheet's cells as one 2-D list; the block columns in ``filled`` (one
    formula for the whole column, see :func:`fill_formula`) are left empty."""
    nrows, ncols = sheet.bounds()
    grid: list[list[Any]] = [[""] * ncols for _ in range(nrows)]
    for (r, c), cell in sheet.cells.items():
        if cell.formula is not None:
            grid[r][c] = cell.formula
        elif cell.url and cell.url.startswith("internal:"):
            grid[r][c] = internal_link(cell.url[len("internal:") :], str(cell.value))
        elif isinstance(cell.value, str):
            grid[r][c] = excel_text(cell.value)
        elif isinstance(cell.value, float) and not math.isfinite(cell.value):
            grid[r][c] = ""
        elif cell.value is not None:
            grid[r][c] = cell.value
    skip = set(filled)
    for first, columns in sheet.blocks:
        for j, col in enumerate(columns):
            if j in skip:
                continue
            for i, v in enumerate(_column_cells(col)):
                grid[first + i][j] = v
    return grid


#: an A1 reference whose row is relative (no "$" before the digits), not a
#: function name such as LOG10( and not part of a defined name
_RELATIVE_ROW = re.compile(r"(?<![A-Za-z0-9_.$])(\$?[A-Z]{1,3})([1-9]\d*)(?![\d(A-Za-z_!])")


def fill_formula(col) -> str | None:
    """The formula of the first row of a block column of formulas when every
    row holds that same formula with its relative row numbers moved down by
    one a row -- exactly what Excel writes when one formula is given to a
    whole column range ("Setting the formula for a multiple-cell range fills
    all cells in the range with the formula", Range.Formula in Microsoft's
    VBA reference; xlwings' Office.js engine sends the one formula to
    ``range.formulas``, which does the same).  None otherwise."""
    from xml.sax.saxutils import unescape

    import numpy as np

    if getattr(col, "kind", None) != "f" or len(col.values) < 2:
        return None
    values = col.values
    first = str(values[0])
    # text in double quotes and sheet names in single quotes hold no references
    refs = []
    pos = 0
    for m in re.finditer(r'"[^"]*"|\'[^\']*\'|&quot;.*?&quot;', first):
        for r in _RELATIVE_ROW.finditer(first, pos, m.start()):
            refs.append(r)
        pos = m.end()
    refs += list(_RELATIVE_ROW.finditer(first, pos))
    if not refs:
        return None
    n = len(values)
    offsets = np.arange(n)
    expected = np.full(n, "", dtype=object)
    pos = 0
    for r in refs:
        row = int(r.group(2))
        expected = expected + first[pos : r.start(2)] + (offsets + row).astype(str).astype(object)
        pos = r.end(2)
    expected = expected + first[pos:]
    if not bool(np.all(expected == np.asarray(values, dtype=object))):
        return None
    return "=" + (unescape(first) if col.escaped else first)


def _json_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) + 3 + value.count('"') + value.count("\\")
    if isinstance(value, bool):
        return 5
    if isinstance(value, float):
        return len(repr(value)) + 1
    return len(str(value)) + 1


def write_rows(
    sheet,
    first_row: int,
    first_col: int,
    rows: list[list[Any]],
    *,
    max_bytes: int = CHUNK_BYTES,
    max_cells: int = CHUNK_CELLS,
) -> int:
    """Write ``rows`` (a 2-D list of cell entries) from the 0-based cell
    (first_row, first_col) in chunks of whole rows, each under ``max_bytes``
    of JSON and ``max_cells`` cells; returns the number of writes."""
    writes = 0
    start = 0
    while start < len(rows):
        size = cells = 0
        end = start
        while end < len(rows):
            row = rows[end]
            row_size = sum(_json_size(v) for v in row) + 2
            if end > start and (size + row_size > max_bytes or cells + len(row) > max_cells):
                break
            size += row_size
            cells += len(row)
            end += 1
        part = rows[start:end]
        width = max(len(r) for r in part)
        sheet.range((first_row + start + 1, first_col + 1), (first_row + end, first_col + width)).formula = part
        writes += 1
        start = end
    return writes


def _column_runs(columns: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs (first, last) of column numbers."""
    out: list[tuple[int, int]] = []
    for c in sorted(set(columns)):
        if out and c == out[-1][1] + 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def _column_cells(col) -> list:
    """One :class:`xlb2b.excel.rows.Column` as cell entries for a 2-D write."""
    from xml.sax.saxutils import unescape

    values = col.values
    if col.kind == "f":
        return ["=" + (unescape(f) if col.escaped else f) for f in values]
    if col.kind == "s":
        return ["" if v is None or (isinstance(v, float) and v != v) else excel_text(str(v)) for v in values]
    if col.kind == "b":
        return [bool(v) for v in values]
    return ["" if not math.isfinite(v) else float(v) for v in values.astype(float)]


def _write_cells(sheet, rs: RecordingSheet) -> None:
    """Every cell of the sheet: constants and formulas in chunks sized by
    bytes; a block column of one relative formula as that one formula over
    the column's range."""
    nrows, ncols = rs.bounds()
    if not nrows:
        return
    fills: dict[int, tuple[int, int, str]] = {}
    for first, columns in rs.blocks:
        for j, col in enumerate(columns):
            f = fill_formula(col)
            if f is not None:
                fills[j] = (first, first + len(col.values) - 1, f)
    grid = _grid(rs, fills)
    block_rows: set[int] = set()
    for first, columns in rs.blocks:
        if columns:
            block_rows.update(range(first, first + len(columns[0].values)))
    # rows outside the data blocks: full width; block rows: the columns not filled
    spans = _column_runs(c for c in range(ncols) if c not in fills) if fills else [(0, ncols - 1)]
    r = 0
    while r < nrows:
        in_block = r in block_rows and fills
        end = r
        while end < nrows and ((end in block_rows and bool(fills)) == bool(in_block)):
            end += 1
        if in_block:
            for c1, c2 in spans:
                write_rows(sheet, r, c1, [row[c1 : c2 + 1] for row in grid[r:end]])
        else:
            write_rows(sheet, r, 0, grid[r:end])
        r = end
    for j, (r1, r2, f) in sorted(fills.items()):
        sheet.range((r1 + 1, j + 1), (r2 + 1, j + 1)).formula = f
