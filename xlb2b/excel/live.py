"""Render our sheets into a workbook that is open in Excel.

Every sheet of xlb2b is laid out once, by code that speaks XlsxWriter's
vocabulary (``write_string``, ``write_formula(..., value)``, ``merge_range``,
``data_validation``, ``define_name``...).  Given an XlsxWriter workbook that
code writes a new file; given a :class:`RecordingWorkbook` it records the
same calls, and :func:`render` replays them through the xlwings object model
(``book.sheets.add``, ``range.formula``, ``range.number_format``,
``range.data_validation``, ``book.names``...) so the sheet appears in the
workbook the user has open -- in xlwings Lite, xlwings Server and the classic
add-in alike.  This module never imports xlwings: it only calls methods on
the book it is given.

Replaying is economical: a sheet's cells go in one 2-D write, formats are
applied to rectangles of equal format, and cached values are not needed
(Excel calculates the formulas).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from xlb2b.io_util import column_letter

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
#: text Excel would turn into something else when typed: numbers, dates,
#: formulas, booleans, errors
_COERCED = re.compile(
    r"^\s*([=+\-@]|[\d.,]+([eE][+-]?\d+)?%?\s*$|\d{1,4}[-./]\d{1,2}([-./]\d{1,4})?\s*$"
    r"|(true|false|#n/a|#value!|#ref!|#div/0!|#num!|#name\?|#null!)\s*$)",
    re.I,
)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: most bytes (JSON, as xlwings sends it) and cells of one range write: Excel on
#: the web refuses a request or response over 5 MB, and Microsoft advises
#: splitting reads and writes of large ranges ("Read or write to a large range
#: using the Excel JavaScript API")
CHUNK_BYTES = 1_000_000
CHUNK_CELLS = 250_000
#: a hidden sheet holding one layout that several sheets share (ADPs): each of
#: them is a copy of it, and only its cells and names are written
LAYOUT_SHEET_PREFIX = "xlb2b layout "


def _rowcol(ref: str) -> tuple[int, int]:
    m = _A1.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _cell_args(args: tuple) -> tuple:
    """XlsxWriter's A1 notation: ("B3", ...) -> (2, 1, ...); ("A1:C4", ...) -> (0, 0, 3, 2, ...)."""
    if args and isinstance(args[0], str):
        ref, rest = args[0], args[1:]
        if ":" in ref:
            a, b = ref.split(":", 1)
            return (*_rowcol(a), *_rowcol(b), *rest)
        return (*_rowcol(ref), *rest)
    return args


def address(r1: int, c1: int, r2: int | None = None, c2: int | None = None) -> str:
    """A1 address of 0-based cells: ``address(0, 0, 2, 1) == "A1:B3"``."""
    a = f"{column_letter(c1)}{r1 + 1}"
    if r2 is None or c2 is None or (r2 == r1 and c2 == c1):
        return a
    return f"{a}:{column_letter(c2)}{r2 + 1}"


class Format:
    """An XlsxWriter-style format: its properties as given to ``add_format``."""

    def __init__(self, props: dict | None = None):
        self.props = dict(props or {})

    def __getattr__(self, name: str) -> Any:
        # XlsxWriter formats expose their properties as attributes (fmt.num_format)
        if name.startswith("_") or name == "props":
            raise AttributeError(name)
        return self.props.get(name)

    def set_num_format(self, fmt) -> None:
        self.props["num_format"] = fmt

    def set_bold(self, bold=True) -> None:
        self.props["bold"] = bold


@dataclass
class Cell:
    value: Any = None  # a constant, or the cached value of a formula
    formula: str | None = None  # "=..." or None
    fmt: Format | None = None
    url: str | None = None


@dataclass
class Chart:
    """The options of a chart made by ``add_chart`` and its later settings."""

    options: dict
    series: list[dict] = field(default_factory=list)
    title: dict | None = None
    x_axis: dict | None = None
    y_axis: dict | None = None
    legend: dict | None = None
    size: dict | None = None

    def add_series(self, options: dict) -> None:
        self.series.append(dict(options))

    def set_title(self, options: dict) -> None:
        self.title = dict(options)

    def set_x_axis(self, options: dict) -> None:
        self.x_axis = dict(options)

    def set_y_axis(self, options: dict) -> None:
        self.y_axis = dict(options)

    def set_legend(self, options: dict) -> None:
        self.legend = dict(options)

    def set_size(self, options: dict) -> None:
        self.size = dict(options)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("set_"):  # styling we do not replay (style, plotarea, ...)
            return lambda *a, **k: None
        raise AttributeError(name)


class RecordingSheet:
    """Records what a layout writes on one sheet (XlsxWriter's interface)."""

    def __init__(self, name: str):
        self.name = name
        self.cells: dict[tuple[int, int], Cell] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.columns: list[tuple[int, int, float | None, Format | None]] = []
        self.rows: dict[int, tuple[float | None, Format | None]] = {}
        self.validations: list[tuple[int, int, int, int, dict]] = []
        self.conditional: list[tuple[int, int, int, int, dict]] = []
        self.comments: list[tuple[int, int, str]] = []
        self.charts: list[tuple[int, int, Chart, dict]] = []
        self.freeze: tuple[int, int] | None = None
        self.tables: list[tuple[int, int, int, int, dict]] = []
        self.blocks: list[tuple[int, list]] = []  # (first row, xlsx_rows.Column list)

    def get_name(self) -> str:
        return self.name

    # -------------------------------------------------------------- cells
    def _put(self, row, col, value, fmt=None, formula=None, url=None) -> None:
        self.cells[(int(row), int(col))] = Cell(value, formula, fmt, url)

    def write_string(self, *args):
        row, col, text, *rest = _cell_args(args)
        self._put(row, col, str(text), rest[0] if rest else None)

    def write_number(self, *args):
        row, col, number, *rest = _cell_args(args)
        self._put(row, col, float(number), rest[0] if rest else None)

    def write_formula(self, *args):
        row, col, formula, *rest = _cell_args(args)
        fmt = rest[0] if rest else None
        value = rest[1] if len(rest) > 1 else None
        formula = formula if formula.startswith("=") else "=" + formula
        self._put(row, col, value, fmt, formula=formula)

    def write_blank(self, *args):
        row, col, _blank, *rest = _cell_args(args)
        self._put(row, col, None, rest[0] if rest else None)

    def write_boolean(self, *args):
        row, col, value, *rest = _cell_args(args)
        self._put(row, col, bool(value), rest[0] if rest else None)

    def write_datetime(self, *args):
        row, col, value, *rest = _cell_args(args)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        serial = (value - EXCEL_EPOCH).total_seconds() / 86400.0
        self._put(row, col, serial, rest[0] if rest else None)

    def write_url(self, *args):
        row, col, url, *rest = _cell_args(args)
        fmt = rest[0] if rest else None
        text = rest[1] if len(rest) > 1 and rest[1] is not None else url
        self._put(row, col, str(text), fmt, url=url)

    def write_comment(self, *args):
        row, col, text, *_ = _cell_args(args)
        self.comments.append((row, col, str(text)))

    def write(self, *args):
        row, col, value, *rest = _cell_args(args)
        if value is None or value == "":
            return self.write_blank(row, col, None, *rest)
        if isinstance(value, bool):
            return self.write_boolean(row, col, value, *rest)
        if isinstance(value, (int, float)):
            return self.write_number(row, col, value, *rest)
        if isinstance(value, (dt.date, dt.datetime)):
            return self.write_datetime(row, col, value, *rest)
        if isinstance(value, str) and value.startswith("="):
            return self.write_formula(row, col, value, *rest)
        return self.write_string(row, col, value, *rest)

    def write_row(self, *args):
        row, col, data, *rest = _cell_args(args)
        for i, v in enumerate(data):
            self.write(row, col + i, v, *rest)

    def write_column(self, *args):
        row, col, data, *rest = _cell_args(args)
        for i, v in enumerate(data):
            self.write(row + i, col, v, *rest)

    def merge_range(self, *args):
        r1, c1, r2, c2, data, *rest = _cell_args(args)
        fmt = rest[0] if rest else None
        self.merges.append((r1, c1, r2, c2))
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self._put(r, c, None, fmt)
        self.write(r1, c1, data, fmt)

    # -------------------------------------------------------------- layout
    def set_column(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            a, b = (args[0].split(":") + [args[0]])[:2]
            args = (_rowcol(a + "1")[1], _rowcol(b + "1")[1], *args[1:])
        first, last, *rest = args
        width = rest[0] if rest else kwargs.get("width")
        fmt = rest[1] if len(rest) > 1 else kwargs.get("cell_format")
        self.columns.append((first, last, width, fmt))

    def set_row(self, row, height=None, cell_format=None, options=None):
        self.rows[int(row)] = (height, cell_format)

    def data_validation(self, *args):
        r1, c1, r2, c2, options = _cell_args(args) if len(args) == 5 or isinstance(args[0], str) else args
        self.validations.append((r1, c1, r2, c2, dict(options)))

    def conditional_format(self, *args):
        r1, c1, r2, c2, options = _cell_args(args)
        self.conditional.append((r1, c1, r2, c2, dict(options)))

    def freeze_panes(self, *args):
        row, col, *_ = _cell_args(args)
        self.freeze = (int(row), int(col))

    def add_table(self, *args):
        r1, c1, r2, c2, *rest = _cell_args(args)
        options = dict(rest[0]) if rest and rest[0] else {}
        for i, col in enumerate(options.get("columns", [])):
            if "header" in col:
                self._put(r1, c1 + i, str(col["header"]), col.get("header_format"))
        self.tables.append((r1, c1, r2, c2, options))

    def add_rows(self, first_row: int, columns: list) -> None:
        """Data rows given column-wise (:class:`xlb2b.excel.rows.Column`),
        from 0-based ``first_row`` and column 0."""
        self.blocks.append((int(first_row), list(columns)))

    def insert_chart(self, *args):
        row, col, chart, *rest = _cell_args(args)
        self.charts.append((row, col, chart, dict(rest[0]) if rest and rest[0] else {}))

    def __getattr__(self, name: str) -> Callable[..., None]:
        # page setup and view settings (set_landscape, set_paper, fit_to_pages,
        # set_margins, print_area, hide_gridlines, set_zoom, autofilter,
        # activate...) belong to printing and files; a live sheet keeps the
        # user's own settings
        if name.startswith(("set_", "print_", "fit_", "hide_", "repeat_")) or name in (
            "autofilter",
            "activate",
            "select",
            "protect",
            "outline_settings",
        ):
            return lambda *a, **k: None
        raise AttributeError(name)

    # -------------------------------------------------------------- views
    def bounds(self) -> tuple[int, int]:
        """(rows, columns) spanned by the written cells."""
        rows = [r + 1 for r, _ in self.cells] + [first + len(cols[0].values) for first, cols in self.blocks if cols]
        columns = [c + 1 for _, c in self.cells] + [len(cols) for _, cols in self.blocks]
        return max(rows, default=0), max(columns, default=0)


class RecordingWorkbook:
    """Stands in for an XlsxWriter workbook and records every sheet written."""

    def __init__(self):
        self.sheets: list[RecordingSheet] = []
        self.names: list[tuple[str, str]] = []

    def add_worksheet(self, name: str | None = None, worksheet_class=None) -> RecordingSheet:
        sheet = RecordingSheet(name or f"Sheet{len(self.sheets) + 1}")
        self.sheets.append(sheet)
        return sheet

    def add_format(self, props: dict | None = None) -> Format:
        return Format(props)

    def add_chart(self, options: dict) -> Chart:
        return Chart(dict(options))

    def define_name(self, name: str, formula: str) -> None:
        self.names.append((name, formula))

    def worksheets(self) -> list[RecordingSheet]:
        return list(self.sheets)

    def get_worksheet_by_name(self, name: str) -> RecordingSheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    def rename(self, old: str, new: str) -> None:
        """Rename a recorded sheet; formulas, names and chart ranges that
        refer to it follow."""
        sheet = self.get_worksheet_by_name(old)
        if sheet is None:
            raise KeyError(old)
        sheet.name = new
        quoted_new = "'" + new.replace("'", "''") + "'"
        pattern = re.compile(
            r"(?<![\w.'])(?:'"
            + re.escape(old.replace("'", "''"))
            + r"'|"
            + (re.escape(old) if re.fullmatch(r"[A-Za-z_][\w.]*", old) else r"(?!)")
            + r")!"
        )

        def fix(text):
            return pattern.sub(quoted_new + "!", text) if isinstance(text, str) else text

        for s in self.sheets:
            for cell in s.cells.values():
                if cell.formula:
                    cell.formula = fix(cell.formula)
                if cell.url:
                    cell.url = fix(cell.url)
            for _r, _c, chart, _o in s.charts:
                for series in chart.series:
                    for k, v in list(series.items()):
                        if isinstance(v, str):
                            series[k] = fix(v)
                        elif isinstance(v, list) and v and v[0] == old:
                            series[k] = [new, *v[1:]]
            for *_rc, options in s.validations:
                if isinstance(options.get("source"), str):
                    options["source"] = fix(options["source"])
        self.names = [(fix(n) if "!" in n else n, fix(f)) for n, f in self.names]

    def set_properties(self, *_a, **_k) -> None:
        pass

    def close(self) -> None:
        pass


# =========================================================================== replay


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


def rectangles(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cover a set of cells with few rectangles (r1, c1, r2, c2): runs along
    each row, then equal runs of consecutive rows joined."""
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    runs: dict[tuple[int, int], list[int]] = {}
    for r, cols in by_row.items():
        cols.sort()
        start = prev = cols[0]
        ends: list[int | None] = [*cols[1:], None]
        for nxt in ends:
            if nxt is not None and nxt == prev + 1:
                prev = nxt
                continue
            runs.setdefault((start, prev), []).append(r)
            if nxt is not None:
                start = prev = nxt
    out = []
    for (c1, c2), rows in runs.items():
        rows.sort()
        first = last = rows[0]
        row_ends: list[int | None] = [*rows[1:], None]
        for nxt_row in row_ends:
            if nxt_row is not None and nxt_row == last + 1:
                last = nxt_row
                continue
            out.append((first, c1, last, c2))
            if nxt_row is not None:
                first = last = nxt_row
    return sorted(out)


def _points(chars: float) -> float:
    """An XlsxWriter column width (characters of Calibri 11) in points."""
    pixels = 0 if chars <= 0 else (int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5))
    return pixels * 0.75


def _uses_points(book) -> bool:
    """xlwings Lite and Server take column widths in points, classic xlwings in characters."""
    impl = getattr(book, "impl", None)
    return "_xlremote" in type(impl).__module__ or "officejs" in type(impl).__module__


_HALIGN = {
    "left": "left",
    "center": "center",
    "centre": "center",
    "right": "right",
    "fill": "fill",
    "justify": "justify",
    "center_across": "center_across_selection",
}
_VALIGN = {"top": "top", "vcenter": "center", "bottom": "bottom", "vjustify": "justify"}


def _border_key(props: dict) -> tuple:
    color = props.get("border_color", "#000000")
    if props.get("border"):
        return (("everything", color),)
    return tuple(
        (side, props.get(f"{key}_color", color))
        for key, side in (
            ("bottom", "edge_bottom"),
            ("top", "edge_top"),
            ("left", "edge_left"),
            ("right", "edge_right"),
        )
        if props.get(key)
    )


def _aspects(props: dict) -> dict[str, Any]:
    """A format split into independent aspects, each replayed on its own so
    that cells sharing one aspect (a fill, a number format, a border...) are
    set together whatever their other aspects."""
    out: dict[str, Any] = {}
    for key in ("bold", "italic"):
        if props.get(key):
            out[key] = True
    for key in ("font_size", "font_color", "font_name", "bg_color", "num_format"):
        if key in props and props[key] not in (None, ""):
            out[key] = props[key]
    if props.get("text_wrap"):
        out["text_wrap"] = True
    if props.get("align") in _HALIGN:
        out["align"] = _HALIGN[props["align"]]
    if props.get("valign") in _VALIGN:
        out["valign"] = _VALIGN[props["valign"]]
    if props.get("indent"):
        out["indent"] = int(props["indent"])
    border = _border_key(props)
    if border:
        out["border"] = border
    return out


def _apply_aspect(rng, key: str, value: Any) -> None:
    if key == "bold":
        rng.font.bold = True
    elif key == "italic":
        rng.font.italic = True
    elif key == "font_size":
        rng.font.size = value
    elif key == "font_color":
        rng.font.color = value
    elif key == "font_name":
        rng.font.name = value
    elif key == "bg_color":
        rng.color = value
    elif key == "num_format":
        rng.number_format = value
    elif key == "text_wrap":
        rng.wrap_text = True
    elif key == "align":
        rng.horizontal_alignment = value
    elif key == "valign":
        rng.vertical_alignment = value
    elif key == "indent":
        try:
            rng.adjust_indent(value)
        except (NotImplementedError, AttributeError):
            pass  # indentation is cosmetic; not every engine replays it
    elif key == "border":
        for side, color in value:
            if side == "everything":
                rows, cols = rng.shape
                sides = ["edge_top", "edge_bottom", "edge_left", "edge_right"]
                sides += ["inside_horizontal"] if rows > 1 else []
                sides += ["inside_vertical"] if cols > 1 else []
            else:
                sides = [side]
            for one in sides:  # continuous lines are thin unless told otherwise
                if str(color).upper() in ("#000000", "BLACK", "NONE"):
                    # a new line is drawn in the automatic colour, black: one action, not two
                    rng.borders.set(one, line_style="continuous")
                else:
                    rng.borders.set(one, line_style="continuous", color=color)


def _aspect_actions(key: str, value: Any, rect: tuple[int, int, int, int]) -> int:
    """The actions :func:`_apply_aspect` takes for one aspect on a rectangle."""
    if key != "border":
        return 1
    r1, c1, r2, c2 = rect
    return sum(4 + (r2 > r1) + (c2 > c1) if side == "everything" else 1 for side, _ in value)


def _apply_format(rng, props: dict) -> None:
    for key, value in _aspects(props).items():
        _apply_aspect(rng, key, value)


#: aspects that show nothing on an empty cell: a rectangle that sets one of
#: them may run over empty cells (a bold empty cell looks like any other);
#: a font size up to Excel's standard 11 points too (a larger one would make
#: Excel raise the row)
_UNSEEN_WHEN_EMPTY = frozenset(
    {"bold", "italic", "font_color", "font_name", "num_format", "text_wrap", "align", "valign"}
)


def _unseen_when_empty(key: str, value: Any) -> bool:
    return key in _UNSEEN_WHEN_EMPTY or (key == "font_size" and float(value) <= 11)


def _empty_cells(rs: RecordingSheet) -> set[tuple[int, int]]:
    """Cells within the sheet's bounds that hold nothing (no value, no
    formula); none for sheets with data blocks (their rows are data)."""
    if rs.blocks:
        return set()
    nrows, ncols = rs.bounds()
    full = {rc for rc, cell in rs.cells.items() if cell.formula is not None or cell.value not in (None, "") or cell.url}
    return {(r, c) for r in range(nrows) for c in range(ncols) if (r, c) not in full}


def format_plan(rs: RecordingSheet) -> list[tuple[str, Any, tuple[int, int, int, int]]]:
    """(aspect, value, rectangle) in the order they are applied.  Each aspect
    is set on rectangles of the cells sharing its value; for an aspect that an
    empty cell does not show, its most common value may first be laid over a
    larger rectangle that runs over empty cells and over the cells of its
    other values, which are set after it -- whichever takes fewer actions."""
    by_key: dict[str, dict[str, tuple[Any, list]]] = {}
    for rc, cell in rs.cells.items():
        if cell.fmt is None or not cell.fmt.props:
            continue
        for key, value in _aspects(cell.fmt.props).items():
            by_key.setdefault(key, {}).setdefault(repr(value), (value, []))[1].append(rc)
    empties: set[tuple[int, int]] | None = None
    plan: list[tuple[str, Any, tuple[int, int, int, int]]] = []
    for key, values in by_key.items():
        own = {v: rectangles(rcs) for v, (_, rcs) in values.items()}
        best: tuple[int, str | None, list] = (sum(len(r) for r in own.values()), None, [])
        if any(_unseen_when_empty(key, value) for value, _ in values.values()):
            if empties is None:
                empties = _empty_cells(rs)
            every = {rc for _, rcs in values.values() for rc in rcs}
            if empties:
                cover = rectangles(every | empties)
                for v, (value, rcs) in values.items():
                    if not _unseen_when_empty(key, value):
                        continue
                    mine = set(rcs)
                    base = [
                        (r1, c1, r2, c2)
                        for r1, c1, r2, c2 in cover
                        if any((r, c) in mine for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
                    ]
                    cost = len(base) + sum(len(r) for o, r in own.items() if o != v)
                    if cost < best[0]:
                        best = (cost, v, base)
        _, first, base = best
        if first is not None:
            plan += [(key, values[first][0], rect) for rect in base]
        for v, rects in own.items():
            if v != first:
                plan += [(key, values[v][0], rect) for rect in rects]
    return plan


def _format_cells(sheet, rs: RecordingSheet) -> None:
    for key, value, (r1, c1, r2, c2) in format_plan(rs):
        _apply_aspect(sheet.range(address(r1, c1, r2, c2)), key, value)


# ------------------------------------------------------- formats copied from rows laid out before

Aspects = dict[str, Any]
#: a band of rows whose formats are copied: (first row, rows, width, source
#: sheet name, source first row); 0-based
Copy = tuple[int, int, int, str, int]


@dataclass
class Laid:
    """What one sheet of a render looks like once laid out: the aspects each
    cell shows (column formats, then cell formats, as applied), and the rows
    whose formats may not be copied elsewhere (merged cells: Excel's paste of
    formats would merge the copies; conditional formats come after every
    copy, see :func:`render_steps`)."""

    name: str
    shown: dict[tuple[int, int], Aspects]
    rows: int
    blocked: set[int]


def _column_aspects(rs: RecordingSheet) -> dict[int, Aspects]:
    out: dict[int, Aspects] = {}
    for first, last, _width, fmt in rs.columns:
        if fmt is not None and fmt.props:
            for c in range(first, last + 1):
                out.setdefault(c, {}).update(_aspects(fmt.props))
    return out


def _wanted(rs: RecordingSheet) -> dict[tuple[int, int], Aspects]:
    """The aspects each cell of a recorded sheet should show."""
    nrows, _ = rs.bounds()
    out: dict[tuple[int, int], Aspects] = {}
    for c, aspects in _column_aspects(rs).items():
        for r in range(nrows):
            out[(r, c)] = dict(aspects)
    for rc, cell in rs.cells.items():
        if cell.fmt is not None and cell.fmt.props:
            out.setdefault(rc, {}).update(_aspects(cell.fmt.props))
    return {rc: a for rc, a in out.items() if a}


def _full(cell: Cell | None) -> bool:
    return cell is not None and (cell.formula is not None or cell.value not in (None, "") or bool(cell.url))


def _row_fits(shown: dict[int, Aspects], wanted: dict[int, Aspects], full: set[int]) -> bool:
    """Whether a laid-out row (``shown``, by column) gives a row that wants
    ``wanted`` exactly what it should: equal aspects, or, on a cell that holds
    nothing, the wanted ones and more that an empty cell does not show."""
    for c in shown.keys() | wanted.keys():
        a, b = shown.get(c, {}), wanted.get(c, {})
        if a == b:
            continue
        if c in full:
            return False
        if any(a.get(k) != v for k, v in b.items()):
            return False
        if not all(_unseen_when_empty(k, v) for k, v in a.items() if k not in b):
            return False
    return True


def _by_row(cells: dict[tuple[int, int], Aspects]) -> dict[int, dict[int, Aspects]]:
    out: dict[int, dict[int, Aspects]] = {}
    for (r, c), a in cells.items():
        out.setdefault(r, {})[c] = a
    return out


def copy_plan(rs: RecordingSheet, before: list[Laid]) -> tuple[list[Copy], set[int]]:
    """Bands of rows of ``rs`` whose formats can be copied, each in one action
    (``Range.copy_from(..., copy_type="formats")``), from rows laid out before
    on an earlier sheet of the same render, and the rows they cover.  A band
    is as wide as the formatted cells of its rows here (a wider table's first
    columns may serve a narrower one).  Greedy: from each row, the longest
    band that fits."""
    if rs.blocks or rs.tables:
        return [], set()
    nrows, _ = rs.bounds()
    wanted = _by_row(_wanted(rs))
    full: dict[int, set[int]] = {}
    for (r, c), cell in rs.cells.items():
        if _full(cell):
            full.setdefault(r, set()).add(c)
    right = {r: 1 + max(cols) for r, cols in wanted.items() if cols}
    sources = []
    for laid in before:
        shown = _by_row(laid.shown)
        same = {a for a in range(1, laid.rows) if a - 1 not in laid.blocked and shown.get(a) == shown.get(a - 1)}
        sources.append((laid.name, shown, laid.rows, laid.blocked, same))

    def fits(shown_row: dict[int, Aspects], r: int, first: int, width: int) -> bool:
        """Row ``r`` here against a laid-out row, on columns first..width-1."""
        part = {c: a for c, a in shown_row.items() if first <= c < width}
        want = {c: a for c, a in wanted.get(r, {}).items() if first <= c < width}
        return _row_fits(part, want, full.get(r, set()))

    copies: list[Copy] = []
    covered: set[int] = set()
    r = 0
    while r < nrows:
        if not wanted.get(r):
            r += 1
            continue
        best: tuple[int, int, str, int] | None = None
        first_col = min(wanted[r])
        first_want = wanted[r][first_col].items()
        for name, shown, rows, src_blocked, same_as_above in sources:
            for a in range(rows):
                if a in same_as_above:  # a band from the row above is as long, or longer
                    continue
                got = shown.get(a, {}).get(first_col)
                if got is None or any(got.get(k) != v for k, v in first_want):
                    continue
                n = width = 0
                while r + n < nrows and a + n < rows and (a + n) not in src_blocked:
                    wider = max(width, right.get(r + n, 0))
                    if wider > width and not all(fits(shown.get(a + i, {}), r + i, width, wider) for i in range(n)):
                        break
                    if not fits(shown.get(a + n, {}), r + n, 0, wider):
                        break
                    n, width = n + 1, wider
                if n and (best is None or n > best[0]):
                    best = (n, width, name, a)
        if best is None:
            r += 1
            continue
        n, width, name, a = best
        copies.append((r, n, width, name, a))
        covered.update(range(r, r + n))
        r += n
    return copies, covered


def _lay_out_formats(sheet, rs: RecordingSheet, before: list[Laid] | None) -> Laid | None:
    """Cell formats: bands of rows that fit rows laid out before are copies of
    them (one action a band, :func:`copy_plan`); the other rows get the
    aspects of :func:`format_plan`.  Returns what the sheet then shows, for
    the sheets after it (None when ``before`` is None: no copies)."""
    if before is None:
        _format_cells(sheet, rs)
        return None
    name = rs.name
    own = Laid(name, {}, rs.bounds()[0], set())
    every, _ = copy_plan(rs, before)
    # all bands, the bands of two rows or more, or none: whichever takes fewest actions
    best: tuple[int, list[Copy], list] | None = None
    for copies in (every, [c for c in every if c[1] > 1], []):
        if best is not None and copies == best[1]:
            continue
        covered = {r for r, n, *_ in copies for r in range(r, r + n)}
        rest = rs
        if covered:
            rest = RecordingSheet(rs.name)
            rest.merges, rest.conditional, rest.columns = rs.merges, rs.conditional, rs.columns
            for rc, cell in rs.cells.items():
                rest.cells[rc] = cell if rc[0] not in covered else Cell(cell.value, cell.formula, None, cell.url)
        p = format_plan(rest)
        cost = len(copies) + sum(_aspect_actions(k, v, rect) for k, v, rect in p)
        if best is None or cost < best[0]:
            best = (cost, copies, p)
    assert best is not None
    _, copies, plan = best
    for key, value, (r1, c1, r2, c2) in plan:
        _apply_aspect(sheet.range(address(r1, c1, r2, c2)), key, value)
    shown: dict[tuple[int, int], Aspects] = {}
    nrows = own.rows
    for c, aspects in _column_aspects(rs).items():
        for r in range(nrows):
            shown[(r, c)] = dict(aspects)
    for key, value, (r1, c1, r2, c2) in plan:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                shown.setdefault((r, c), {})[key] = value
    laid = {x.name: x for x in before}
    for r, n, width, src, a in copies:
        source = laid[src].shown
        for i in range(n):
            for c in range(width):
                got = source.get((a + i, c))
                if got:
                    shown[(r + i, c)] = dict(got)
                else:
                    shown.pop((r + i, c), None)
        origin = sheet.book.sheets[src]
        sheet.range((r + 1, 1), (r + n, width)).copy_from(origin.range((a + 1, 1), (a + n, width)), copy_type="formats")
    own.shown = {rc: a for rc, a in shown.items() if a}
    own.blocked = {r for r1, _c1, r2, _c2 in rs.merges for r in range(r1, r2 + 1)}
    return own


def _validation(rng, options: dict) -> None:
    dv = rng.data_validation
    kind = options.get("validate")
    if kind == "list":
        source = options["source"]
        if isinstance(source, str):  # a range: "=$A$1:$A$5" or "='Sheet'!$A$1:$A$5"
            ref = source.lstrip("=").replace("$", "")
            sheet = rng.sheet
            if "!" in ref:
                name, ref = ref.rsplit("!", 1)
                sheet = rng.sheet.book.sheets[name.strip("'").replace("''", "'")]
            dv.set_list(sheet.range(ref))
        else:
            dv.set_list([str(s) for s in source])
        return
    operator = {
        "between": "between",
        "not between": "not_between",
        "equal to": "equal_to",
        "==": "equal_to",
        "not equal to": "not_equal_to",
        "!=": "not_equal_to",
        "greater than": "greater_than",
        ">": "greater_than",
        "less than": "less_than",
        "<": "less_than",
        "greater than or equal to": "greater_than_or_equal",
        ">=": "greater_than_or_equal",
        "less than or equal to": "less_than_or_equal",
        "<=": "less_than_or_equal",
    }[options.get("criteria", "between")]
    low = options.get("minimum", options.get("value"))
    high = options.get("maximum") if operator in ("between", "not_between") else None
    if kind in ("integer", "whole"):
        dv.set_whole_number(operator, low, high)
    elif kind == "decimal":
        dv.set_decimal(operator, low, high)


def _conditional(rng, options: dict) -> None:
    kind = options.get("type")
    cf = rng.conditional_formats
    if kind == "3_color_scale":
        cf.add_color_scale(
            [
                options.get("min_color", "#F8696B"),
                options.get("mid_color", "#FFEB84"),
                options.get("max_color", "#63BE7B"),
            ]
        )
    elif kind == "2_color_scale":
        cf.add_color_scale([options.get("min_color", "#FCFCFF"), options.get("max_color", "#63BE7B")])
    elif kind == "cell":
        operator = {
            "==": "equal_to",
            "equal to": "equal_to",
            "!=": "not_equal_to",
            ">": "greater_than",
            "greater than": "greater_than",
            "<": "less_than",
            "less than": "less_than",
            ">=": "greater_than_or_equal_to",
            "<=": "less_than_or_equal_to",
            "between": "between",
        }[options["criteria"]]
        props = options["format"].props if options.get("format") is not None else {}
        cf.add_cell_value(
            operator,
            options.get("value", options.get("minimum")),
            options.get("maximum") if operator == "between" else None,
            fill_color=props.get("bg_color"),
            font_color=props.get("font_color"),
            font_bold=props.get("bold"),
        )


def _formula_range(ref: Any) -> tuple[str, str] | None:
    """(sheet, address) of an XlsxWriter series reference ("='S'!$B$2:$B$9" or a list)."""
    if isinstance(ref, (list, tuple)):
        sheet, r1, c1, r2, c2 = ref
        return sheet, address(r1, c1, r2, c2)
    if isinstance(ref, str) and "!" in ref:
        sheet, addr = ref.lstrip("=").rsplit("!", 1)
        return sheet.strip("'").replace("''", "'"), addr.replace("$", "")
    return None


def _offset(rs: RecordingSheet, row: int, col: int) -> tuple[float, float]:
    """Left and top, in points, of a 0-based cell of a recorded sheet
    (recorded widths, default width 8.43 characters, row height 15 points)."""
    widths: dict[int, float] = {}
    for first, last, width, _ in rs.columns:
        if width is not None:
            for c in range(first, last + 1):
                widths[c] = width
    left = sum(_points(widths.get(c, 8.43)) for c in range(col))
    top = sum((rs.rows.get(r, (None, None))[0] or 15.0) for r in range(row))
    return left, top


def _chart(book, sheet, rs: RecordingSheet, row: int, col: int, chart: Chart, options: dict) -> None:
    kind = chart.options.get("type", "column")
    sub = chart.options.get("subtype")
    # xlwings sets no bubble sizes, so a live bubble chart is drawn as an XY
    # scatter of the same points (files and templates keep the bubbles)
    chart_type = {
        "column": "column_clustered",
        "bar": "bar_clustered",
        "line": "line",
        "pie": "pie",
        "scatter": "xy_scatter",
        "bubble": "xy_scatter",
        "area": "area",
    }.get(kind, kind)
    if kind == "line" and sub == "stacked":
        chart_type = "line_stacked"
    size = chart.size or {}
    width = float(size.get("width", 480)) * 0.75
    height = float(size.get("height", 288)) * 0.75
    left, top = _offset(rs, row, col)
    ch = sheet.charts.add(left=left, top=top, width=width, height=height)
    ch.chart_type = chart_type
    values = [_formula_range(s.get("values")) for s in chart.series]
    if values and values[0]:
        src_sheet, addr = values[0]
        ch.set_source_data(book.sheets[src_sheet].range(addr))
        x = _formula_range(chart.series[0].get("categories"))
        if x and kind in ("scatter", "bubble"):
            ch.set_x_axis_values(book.sheets[x[0]].range(x[1]))
    if chart.title and chart.title.get("name"):
        try:
            ch.title = chart.title["name"]
        except (NotImplementedError, AttributeError):
            pass


def _stable(value: Any) -> Any:
    """A value with formats replaced by their properties (for comparing layouts)."""
    if isinstance(value, Format):
        return ("format", tuple(sorted((k, repr(v)) for k, v in value.props.items())))
    if isinstance(value, dict):
        return tuple(sorted((k, _stable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(v) for v in value)
    return value


def layout_key(rs: RecordingSheet) -> str | None:
    """A short digest of everything of a recorded sheet but its cell
    contents, names, links and notes: formats, merges, widths, heights,
    validation and conditional formats.  Sheets with equal keys can be copies
    of one laid-out sheet.  None for sheets with tables, charts or data
    blocks (those are laid out one by one)."""
    import hashlib

    if rs.tables or rs.charts or rs.blocks:
        return None
    formats = sorted((rc, _stable(c.fmt)) for rc, c in rs.cells.items() if c.fmt is not None and c.fmt.props)
    parts = (
        rs.bounds(),
        formats,
        sorted(rs.merges),
        _stable(rs.validations),
        _stable(rs.conditional),
        _stable(rs.columns),
        _stable(sorted(rs.rows.items())),
    )
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


def _lay_out_columns_and_rows(sheet, rs: RecordingSheet, points: bool) -> None:
    """Column widths, column formats and row heights, equal neighbours together."""
    nrows, _ = rs.bounds()
    widths: dict[int, float] = {}
    aspects: dict[tuple[str, str], tuple[str, Any, list[int]]] = {}
    for first, last, width, fmt in rs.columns:
        for c in range(first, last + 1):
            if width is not None:
                widths[c] = width
            if fmt is not None and fmt.props and nrows:
                for key, value in _aspects(fmt.props).items():
                    aspects.setdefault((key, repr(value)), (key, value, []))[2].append(c)
    by_width: dict[float, list[int]] = {}
    for c, w in widths.items():
        by_width.setdefault(w, []).append(c)
    for w, cols in by_width.items():
        for c1, c2 in _column_runs(cols):
            sheet.range((1, c1 + 1), (max(nrows, 1), c2 + 1)).column_width = _points(w) if points else w
    for key, value, cols in aspects.values():  # column formats first, so cell formats win
        for c1, c2 in _column_runs(cols):
            _apply_aspect(sheet.range((1, c1 + 1), (nrows, c2 + 1)), key, value)
    by_height: dict[float, list[int]] = {}
    for r, (height, _fmt) in rs.rows.items():
        if height is not None:
            by_height.setdefault(height, []).append(r)
    for h, rows in by_height.items():
        for r1, r2 in _column_runs(rows):
            sheet.range((r1 + 1, 1), (r2 + 1, 1)).row_height = h


def _lay_out_cells(
    sheet, rs: RecordingSheet, before: list[Laid] | None = None, later: list | None = None
) -> Laid | None:
    """Cell formats (rows that fit rows of the sheets in ``before`` copied
    from them: :func:`_lay_out_formats`), merges, validation and conditional
    formats -- these appended to ``later`` instead when given (Excel's paste of
    formats would carry a conditional format along to the copies).  Returns
    what the sheet's cells show, when ``before`` is given."""
    laid = _lay_out_formats(sheet, rs, before)
    for r1, c1, r2, c2 in rs.merges:
        sheet.range(address(r1, c1, r2, c2)).merge(False)
    for r1, c1, r2, c2, options in rs.validations:
        _validation(sheet.range(address(r1, c1, r2, c2)), options)
    if later is not None:
        later.append((sheet, rs))
        return laid
    _conditional_formats(sheet, rs)
    return laid


def _conditional_formats(sheet, rs: RecordingSheet) -> None:
    for r1, c1, r2, c2, options in rs.conditional:
        _conditional(sheet.range(address(r1, c1, r2, c2)), options)


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


def _finish(book, sheet, rs: RecordingSheet) -> None:
    """Links, notes, frozen panes and charts."""
    for (r, c), cell in rs.cells.items():
        if cell.url and not cell.url.startswith("internal:"):  # internal links are formulas (_grid)
            sheet.range((r + 1, c + 1)).add_hyperlink(cell.url, str(cell.value))
    for r, c, text in rs.comments:
        try:
            sheet.range((r + 1, c + 1)).add_note(text)
        except NotImplementedError:
            pass  # notes need a newer Excel; the note is help text only
    if rs.freeze and any(rs.freeze):
        sheet.freeze_panes.freeze_at(sheet.range((rs.freeze[0] + 1, rs.freeze[1] + 1)))
    for row, col, chart, options in rs.charts:
        _chart(book, sheet, rs, row, col, chart, options)


def _layout_sheet(book, rs: RecordingSheet, key: str, points: bool):
    """The hidden sheet holding the layout ``key`` (laid out now if the book
    has none from an earlier run)."""
    name = LAYOUT_SHEET_PREFIX + key
    for s in book.sheets:
        if s.name == name:
            return s
    sheet = book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])
    _lay_out_columns_and_rows(sheet, rs, points)
    _lay_out_cells(sheet, rs)
    sheet.visible = False
    return sheet


def render(book, recording: RecordingWorkbook, *, before=None, share_layouts: bool = False) -> list[str]:
    """Add the recorded sheets to ``book`` (an xlwings Book) after its last
    sheet (or before ``before``), with cells, formats, merges, widths,
    validation, conditional formats, frozen panes, notes, hyperlinks, charts
    and defined names.  Sheet names must be free in ``book`` (see
    :func:`free_names`).  Returns the names added.

    ``share_layouts``: sheets laid out alike (ADPs: see :func:`layout_key`;
    two or more of them, or a lone sheet, or a layout an earlier run kept)
    are copies (``Sheet.copy``) of one hidden sheet that holds their layout,
    kept in the book for the next run; each copy then gets only its cells,
    links and names -- a few actions a sheet instead of hundreds."""
    return list(render_steps(book, recording, before=before, share_layouts=share_layouts))


def render_steps(book, recording: RecordingWorkbook, *, before=None, share_layouts: bool = False):
    """:func:`render` one sheet at a time: yields each sheet's name once its
    actions are all queued (xlwings Lite flushes there, so a failure leaves
    whole sheets only and the pane shows the sheets arriving); the
    conditional formats (heat maps) of every sheet come with the last sheet,
    once no more formats are copied, and the book's own names after it."""
    points = _uses_points(book)
    added = []
    done: set[str] = set()
    keys = [layout_key(rs) if share_layouts else None for rs in recording.sheets]
    existing = {s.name for s in book.sheets}
    laid_out: list[Laid] = []
    later: list = []  # conditional formats, once no more formats are copied
    if len(keys) > 1:  # a layout is shared by two sheets or more, or kept from an earlier run
        keys = [
            k if k is not None and (keys.count(k) > 1 or LAYOUT_SHEET_PREFIX + k in existing) else None for k in keys
        ]
    for rs, key in zip(recording.sheets, keys):
        last = book.sheets[len(book.sheets) - 1]
        if key is not None:
            template = _layout_sheet(book, rs, key, points)
            if before is not None:
                sheet = template.copy(before=before, name=rs.name)
            else:
                sheet = template.copy(after=book.sheets[len(book.sheets) - 1], name=rs.name)
            sheet.visible = True
            _write_cells(sheet, rs)
        else:
            if before is not None:
                sheet = book.sheets.add(name=rs.name, before=before)
            else:
                sheet = book.sheets.add(name=rs.name, after=last)
            _lay_out_columns_and_rows(sheet, rs, points)
            _write_cells(sheet, rs)
            for r1, c1, r2, c2, options in rs.tables:
                style = str(options.get("style", "Table Style Medium 2")).replace(" ", "")
                table = sheet.tables.add(source=sheet.range(address(r1, c1, r2, c2)), table_style_name=style)
                if options.get("name"):
                    table.name = options["name"]
            laid = _lay_out_cells(sheet, rs, laid_out, later)
            if laid is not None:
                laid_out.append(laid)
        _finish(book, sheet, rs)
        # the sheet's own names now, if they refer to sheets that exist already
        present = {s.name for s in book.sheets}
        mine = [(n, f) for n, f in recording.names if _scope(n) == rs.name and _sheets_in(f) <= present]
        _add_names(book, mine)
        done.update(n for n, _ in mine)
        added.append(rs.name)
        if rs is recording.sheets[-1]:
            for sh, r in later:
                _conditional_formats(sh, r)
        yield rs.name
    _add_names(book, [(n, f) for n, f in recording.names if n not in done])


def _scope(name: str) -> str | None:
    """The sheet a sheet-scoped name ("'ADP Acme'!forecast") belongs to."""
    if "!" not in name:
        return None
    return name.rsplit("!", 1)[0].strip("'").replace("''", "'")


_SHEET_REF = re.compile(r"'((?:[^']|'')+)'!|([A-Za-z_][\w.]*)!")


def _sheets_in(formula: str) -> set[str]:
    """The sheets a name's formula refers to ("='ADP Acme'!$B$3" -> {"ADP Acme"})."""
    return {(q.replace("''", "'") if q else p) for q, p in _SHEET_REF.findall(formula)}


def _add_names(book, names: list[tuple[str, str]]) -> None:
    for name, formula in names:
        scope = _scope(name)
        if scope is not None:
            book.sheets[scope].names.add(name.rsplit("!", 1)[1], formula)
        else:
            book.names.add(name, formula)


def free_names(book, titles: Iterable[str]) -> list[str]:
    """Sheet names for ``titles`` that are free in ``book`` ("ADP Acme (2)"
    when "ADP Acme" is taken): a second run adds a numbered sheet and never
    touches the user's."""
    from xlb2b.excel.names import sheet_names

    return sheet_names(titles, taken=[s.name for s in book.sheets])
