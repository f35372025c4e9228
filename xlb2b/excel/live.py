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
_COERCED = re.compile(r"^\s*([=+\-@]|[\d.,]+([eE][+-]?\d+)?%?\s*$|\d{1,4}[-./]\d{1,2}([-./]\d{1,4})?\s*$"
                      r"|(true|false|#n/a|#value!|#ref!|#div/0!|#num!|#name\?|#null!)\s*$)", re.I)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
CHUNK_ROWS = 5000


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
    value: Any = None            # a constant, or the cached value of a formula
    formula: str | None = None   # "=..." or None
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
        if name.startswith("set_"):     # styling we do not replay (style, plotarea, ...)
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
        self.blocks: list[tuple[int, list]] = []     # (first row, xlsx_rows.Column list)

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
                "autofilter", "activate", "select", "protect", "outline_settings"):
            return lambda *a, **k: None
        raise AttributeError(name)

    # -------------------------------------------------------------- views
    def bounds(self) -> tuple[int, int]:
        """(rows, columns) spanned by the written cells."""
        rows = [r + 1 for r, _ in self.cells] + [first + len(cols[0].values) for first, cols in self.blocks
                                                  if cols]
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
        pattern = re.compile(r"(?<![\w.'])(?:'" + re.escape(old.replace("'", "''")) + r"'|"
                             + (re.escape(old) if re.fullmatch(r"[A-Za-z_][\w.]*", old) else r"(?!)") + r")!")

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


def _grid(sheet: RecordingSheet) -> list[list[Any]]:
    nrows, ncols = sheet.bounds()
    grid: list[list[Any]] = [[""] * ncols for _ in range(nrows)]
    for (r, c), cell in sheet.cells.items():
        if cell.formula is not None:
            grid[r][c] = cell.formula
        elif isinstance(cell.value, str):
            grid[r][c] = excel_text(cell.value)
        elif isinstance(cell.value, float) and not math.isfinite(cell.value):
            grid[r][c] = ""
        elif cell.value is not None:
            grid[r][c] = cell.value
    for first, columns in sheet.blocks:
        for j, col in enumerate(columns):
            for i, v in enumerate(_column_cells(col)):
                grid[first + i][j] = v
    return grid


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


_HALIGN = {"left": "left", "center": "center", "centre": "center", "right": "right",
           "fill": "fill", "justify": "justify", "center_across": "center_across_selection"}
_VALIGN = {"top": "top", "vcenter": "center", "bottom": "bottom", "vjustify": "justify"}


def _border_key(props: dict) -> tuple:
    color = props.get("border_color", "#000000")
    if props.get("border"):
        return (("everything", color),)
    return tuple((side, props.get(f"{key}_color", color))
                 for key, side in (("bottom", "edge_bottom"), ("top", "edge_top"),
                                   ("left", "edge_left"), ("right", "edge_right")) if props.get(key))


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
            pass        # indentation is cosmetic; not every engine replays it
    elif key == "border":
        for side, color in value:
            if side == "everything":
                rows, cols = rng.shape
                sides = ["edge_top", "edge_bottom", "edge_left", "edge_right"]
                sides += ["inside_horizontal"] if rows > 1 else []
                sides += ["inside_vertical"] if cols > 1 else []
            else:
                sides = [side]
            for one in sides:      # continuous lines are thin unless told otherwise
                rng.borders.set(one, line_style="continuous", color=color)


def _apply_format(rng, props: dict) -> None:
    for key, value in _aspects(props).items():
        _apply_aspect(rng, key, value)


def _format_cells(sheet, cells: dict[tuple[int, int], Cell]) -> None:
    groups: dict[tuple[str, str], tuple[str, Any, list]] = {}
    for rc, cell in cells.items():
        if cell.fmt is None or not cell.fmt.props:
            continue
        for key, value in _aspects(cell.fmt.props).items():
            groups.setdefault((key, repr(value)), (key, value, []))[2].append(rc)
    for key, value, rcs in groups.values():
        for r1, c1, r2, c2 in rectangles(rcs):
            _apply_aspect(sheet.range(address(r1, c1, r2, c2)), key, value)


def _validation(rng, options: dict) -> None:
    dv = rng.data_validation
    kind = options.get("validate")
    if kind == "list":
        source = options["source"]
        if isinstance(source, str):           # a range: "=$A$1:$A$5" or "='Sheet'!$A$1:$A$5"
            ref = source.lstrip("=").replace("$", "")
            sheet = rng.sheet
            if "!" in ref:
                name, ref = ref.rsplit("!", 1)
                sheet = rng.sheet.book.sheets[name.strip("'").replace("''", "'")]
            dv.set_list(sheet.range(ref))
        else:
            dv.set_list([str(s) for s in source])
        return
    operator = {"between": "between", "not between": "not_between", "equal to": "equal_to",
                "==": "equal_to", "not equal to": "not_equal_to", "!=": "not_equal_to",
                "greater than": "greater_than", ">": "greater_than",
                "less than": "less_than", "<": "less_than",
                "greater than or equal to": "greater_than_or_equal", ">=": "greater_than_or_equal",
                "less than or equal to": "less_than_or_equal", "<=": "less_than_or_equal",
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
        cf.add_color_scale([options.get("min_color", "#F8696B"), options.get("mid_color", "#FFEB84"),
                            options.get("max_color", "#63BE7B")])
    elif kind == "2_color_scale":
        cf.add_color_scale([options.get("min_color", "#FCFCFF"), options.get("max_color", "#63BE7B")])
    elif kind == "cell":
        operator = {"==": "equal_to", "equal to": "equal_to", "!=": "not_equal_to",
                    ">": "greater_than", "greater than": "greater_than", "<": "less_than",
                    "less than": "less_than", ">=": "greater_than_or_equal_to",
                    "<=": "less_than_or_equal_to", "between": "between"}[options["criteria"]]
        props = options["format"].props if options.get("format") is not None else {}
        cf.add_cell_value(operator, options.get("value", options.get("minimum")),
                          options.get("maximum") if operator == "between" else None,
                          fill_color=props.get("bg_color"), font_color=props.get("font_color"),
                          font_bold=props.get("bold"))


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
    chart_type = {"column": "column_clustered", "bar": "bar_clustered", "line": "line",
                  "pie": "pie", "scatter": "xy_scatter", "bubble": "xy_scatter", "area": "area"}.get(kind, kind)
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


def render(book, recording: RecordingWorkbook, *, before=None) -> list[str]:
    """Add the recorded sheets to ``book`` (an xlwings Book) after its last
    sheet (or before ``before``), with cells, formats, merges, widths,
    validation, conditional formats, frozen panes, notes, hyperlinks, charts
    and defined names.  Sheet names must be free in ``book`` (see
    :func:`free_names`).  Returns the names added."""
    points = _uses_points(book)
    added = []
    for rs in recording.sheets:
        if before is not None:
            sheet = book.sheets.add(name=rs.name, before=before)
        else:
            sheet = book.sheets.add(name=rs.name, after=book.sheets[len(book.sheets) - 1])
        added.append(rs.name)
        nrows, ncols = rs.bounds()
        # column widths and column formats first, so cell formats win
        for first, last, width, fmt in rs.columns:
            cols = sheet.range((1, first + 1), (max(nrows, 1), last + 1))
            if width is not None:
                cols.column_width = _points(width) if points else width
            if fmt is not None and fmt.props and nrows:
                _apply_format(cols, fmt.props)
        for r, (height, _fmt) in sorted(rs.rows.items()):
            if height is not None:
                sheet.range((r + 1, 1)).row_height = height
        if nrows:
            grid = _grid(rs)
            for start in range(0, nrows, CHUNK_ROWS):      # keep each write a modest payload
                part = grid[start:start + CHUNK_ROWS]
                sheet.range((start + 1, 1), (start + len(part), ncols)).formula = part
        for r1, c1, r2, c2, options in rs.tables:
            style = str(options.get("style", "Table Style Medium 2")).replace(" ", "")
            table = sheet.tables.add(source=sheet.range(address(r1, c1, r2, c2)), table_style_name=style)
            if options.get("name"):
                table.name = options["name"]
        _format_cells(sheet, rs.cells)
        for r1, c1, r2, c2 in rs.merges:
            sheet.range(address(r1, c1, r2, c2)).merge(False)
        for r1, c1, r2, c2, options in rs.validations:
            _validation(sheet.range(address(r1, c1, r2, c2)), options)
        for r1, c1, r2, c2, options in rs.conditional:
            _conditional(sheet.range(address(r1, c1, r2, c2)), options)
        for (r, c), cell in rs.cells.items():
            if cell.url:
                target = cell.url[len("internal:"):] if cell.url.startswith("internal:") else cell.url
                link = "#" + target if cell.url.startswith("internal:") else target
                sheet.range((r + 1, c + 1)).add_hyperlink(link, str(cell.value))
        for r, c, text in rs.comments:
            try:
                sheet.range((r + 1, c + 1)).add_note(text)
            except NotImplementedError:
                pass        # notes need a newer Excel; the note is help text only
        if rs.freeze and any(rs.freeze):
            sheet.freeze_panes.freeze_at(sheet.range((rs.freeze[0] + 1, rs.freeze[1] + 1)))
        for row, col, chart, options in rs.charts:
            _chart(book, sheet, rs, row, col, chart, options)
    for name, formula in recording.names:
        if "!" in name:
            scope, local = name.rsplit("!", 1)
            scope = scope.strip("'").replace("''", "'")
            book.sheets[scope].names.add(local, formula)
        else:
            book.names.add(name, formula)
    return added


def free_names(book, titles: Iterable[str]) -> list[str]:
    """Sheet names for ``titles`` that are free in ``book`` ("ADP Acme (2)"
    when "ADP Acme" is taken): a second run adds a numbered sheet and never
    touches the user's."""
    from xlb2b.excel.names import sheet_names
    return sheet_names(titles, taken=[s.name for s in book.sheets])
