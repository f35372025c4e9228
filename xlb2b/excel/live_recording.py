"""A stand-in for an XlsxWriter workbook that records what our layout code writes: sheets, cells, formats, charts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlb2b.io_util import column_letter

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


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
