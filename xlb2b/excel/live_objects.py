"""Column widths in points, data validation, conditional formats and charts replayed on a live sheet."""

from __future__ import annotations

from typing import Any

from xlb2b.excel.live_recording import Chart, RecordingSheet, address


def _points(chars: float) -> float:
    """An XlsxWriter column width (characters of Calibri 11) in points."""
    pixels = 0 if chars <= 0 else (int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5))
    return pixels * 0.75


def _uses_points(book) -> bool:
    """xlwings Lite and Server take column widths in points, classic xlwings in characters."""
    impl = getattr(book, "impl", None)
    return "_xlremote" in type(impl).__module__ or "officejs" in type(impl).__module__


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
