"""Planning sheets: BCG scoring, BANT qualification and satisfaction (NPS, CSI, OTIF) as live formulas.

Planning sheets rendered into a new workbook: BCG scoring, BANT
qualification and satisfaction (NPS, CSI, OTIF) (METHODOLOGY §5, §8).

Every result on these sheets is a live formula over the sheet's own editable
cells (ratings, weights, tier bounds, the strategy/policy matrix, answers,
survey and delivery rows) and carries the value the Python core computed, so
viewers that do not calculate show the right numbers.  Ranges are bounded to
the rows written; functions are those of Excel 2016 without prefixes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.answers import yes_no
from xlb2b.analysis.satisfaction import _numbers, csi_by_client, csi_detail, nps_detail, otif_detail
from xlb2b.excel.labels import _Labels
from xlb2b.excel.rows import _fast_sheet_class, new_workbook
from xlb2b.io_util import atomic_write, column_letter
from xlb2b.locale import label
from xlb2b.planning.portfolio import AXES, FACTORS, TIERS, bant
from xlb2b.settings import STRATEGY_KEYS, Settings

#: first row (0-based) of the BCG table's data and its header row
_BCG_HEAD = 5
_BCG_FIRST = _BCG_HEAD + 1
#: columns of the BCG sheet (0-based)
_C_ID, _C_NAME, _C_REV = 0, 1, 2
_C_F0 = 3  # first factor column
_C_REL = _C_F0 + len(FACTORS)  # relationship score
_C_ATT = _C_REL + 1
_C_REL_MISS, _C_ATT_MISS = _C_ATT + 1, _C_ATT + 2
_C_REL_TIER, _C_ATT_TIER = _C_ATT + 3, _C_ATT + 4
_C_STRATEGY, _C_POLICY = _C_ATT + 5, _C_ATT + 6
_C_MATRIX = _C_POLICY + 2  # label column of the strategy matrix
_TOL = "1E-9"


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _cached(v: Any) -> Any:
    """A core result as a formula's cached value (missing -> "")."""
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    return v


def _put(ws, r: int, c: int, v: Any, fmt=None) -> None:
    """Write a plain value (blank for missing)."""
    if _missing(v):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(v, (bool, np.bool_)):
        ws.write_boolean(r, c, bool(v), fmt)
    elif isinstance(v, (int, float, np.integer, np.floating)):
        ws.write_number(r, c, float(v), fmt)
    elif isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat"):
        ws.write_datetime(r, c, pd.Timestamp(v).to_pydatetime(), fmt)
    else:
        ws.write_string(r, c, str(v), fmt)


def _cell(r: int, c: int, *, abs_row: bool = False, abs_col: bool = False) -> str:
    return f"{'$' if abs_col else ''}{column_letter(c)}{'$' if abs_row else ''}{r + 1}"


def _abs(r: int, c: int) -> str:
    return _cell(r, c, abs_row=True, abs_col=True)


def _q(text: str) -> str:
    """A text constant inside a formula."""
    return '"' + text.replace('"', '""') + '"'


def _new_workbook(path: str):
    return new_workbook(path)


class _Formats:
    def __init__(self, wb, lang: str = "en"):
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.head = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        )
        self.bold = wb.add_format({"bold": True})
        self.text = wb.add_format({})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.int = wb.add_format({"num_format": "0"})
        self.date = wb.add_format({"num_format": "dd.mm.yyyy" if lang == "ru" else "yyyy-mm-dd"})
        self.edit = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "align": "center", "num_format": "0"})
        self.edit_num = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "0.00"})
        self.edit_text = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "top"})
        self.edit_money = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "#,##0"})
        self.edit_date = wb.add_format(
            {"bg_color": "#FFF2CC", "border": 1, "num_format": "dd.mm.yyyy" if lang == "ru" else "yyyy-mm-dd"}
        )
        self.calc = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0.00"})
        self.calc_int = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0"})
        self.calc_text = wb.add_format({"bg_color": "#E2EFDA", "border": 1})
        self.calc_wrap = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "text_wrap": True, "valign": "top"})
        self.calc_share = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0.0%"})
        # helper columns: zeros of empty rows are not shown
        self.calc_int_hide0 = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0;-0;;@"})
        self.calc_hide0 = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0.00;-0.00;;@"})
        self.bold_wrap = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.calc_1 = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "num_format": "0.0"})


def _define(workbook, ws, names: dict[str, tuple[int, int, int, int]]) -> None:
    """Sheet-scoped names: ``{name: (first row, first col, last row, last col)}``."""
    sheet = "'" + ws.get_name().replace("'", "''") + "'"
    for name, (r1, c1, r2, c2) in names.items():
        ref = _abs(r1, c1) + ("" if (r1, c1) == (r2, c2) else ":" + _abs(r2, c2))
        workbook.define_name(f"{sheet}!{name}", f"={sheet}!{ref}")


def _unique_name(workbook, name: str) -> str:
    taken = {ws.get_name().casefold() for ws in workbook.worksheets()}
    if name.casefold() not in taken:
        return name
    i = 2
    while f"{name} ({i})"[:31].casefold() in taken:
        i += 1
    return f"{name} ({i})"[:31]


# =========================================================================== BCG


def add_bcg_sheet(workbook, analysis, *, lang: str = "en", manual: pd.DataFrame | None = None):
    """Add the BCG scoring sheet of ``analysis`` to an XlsxWriter ``workbook``.

    Automatic ratings are prefilled from ``analysis.portfolio(manual)``
    (managers' ratings in ``manual`` laid over them); every rating, weight,
    tier bound and cell of the strategy/policy matrix is editable, and the
    axis scores, missing counts, tiers, strategy and policy are formulas.
    Returns the worksheet.
    """
    table, _report = analysis.portfolio(manual)
    clients = analysis.clients
    info = pd.DataFrame({"client_id": clients["client_id"]})
    info["name"] = clients["name"] if "name" in clients.columns else np.nan
    info["revenue"] = clients["revenue"] if "revenue" in clients.columns else np.nan
    table = table.merge(info, on="client_id", how="left")
    return add_bcg_table(workbook, table, settings=analysis.settings, lang=lang)


def add_bcg_blank_sheet(workbook, *, lang: str = "en", rows: int = 30, settings: Settings | None = None):
    """Add a blank BCG scoring sheet: ``rows`` empty client rows (id, name,
    revenue and ratings are inputs), the weights, tier bounds, the
    strategy/policy matrix and the bubble chart over those rows.  Returns the
    worksheet."""
    table = pd.DataFrame({"client_id": [np.nan] * rows})
    return add_bcg_table(workbook, table, settings=settings, lang=lang, _blank=True)


def add_bcg_table(
    workbook, table: pd.DataFrame, *, settings: Settings | None = None, lang: str = "en", _blank: bool = False
):
    """Add a BCG scoring sheet for ``table``: ``client_id``, optional ``name``
    and ``revenue``, the factor ratings (absent or NaN = not rated).  Scores,
    tiers and strategy are computed by :func:`xlb2b.planning.portfolio.bcg_scores` for
    the cached values.  Returns the worksheet.  (``_blank``: the rows are empty
    inputs of a template, id, name and revenue included.)"""
    from xlb2b.planning.portfolio import bcg_scores

    s = settings or Settings()
    t = _Labels(lang)
    f = _Formats(workbook, lang)
    table = table.reset_index(drop=True)
    scores = bcg_scores(table, s)
    n = len(table)
    ws = workbook.add_worksheet(
        _unique_name(workbook, t("bcg_sheet.sheet_name", "BCG scoring")), worksheet_class=_fast_sheet_class()
    )
    first, last = _BCG_FIRST, _BCG_FIRST + max(n, 1) - 1

    ws.write_string(0, 0, t("bcg_sheet.title", "BCG portfolio scoring"), f.title)
    lo, hi = float(s.bcg_tier_bounds[0]), float(s.bcg_tier_bounds[-1])
    ws.write_string(1, _C_NAME, t("bcg_sheet.middle_from", "Middle tier from (score ≥)"), f.bold_wrap)
    ws.write_number(1, _C_REV, lo, f.edit_num)
    ws.write_string(2, _C_NAME, t("bcg_sheet.top_from", "Top tier from (score ≥)"), f.bold_wrap)
    ws.write_number(2, _C_REV, hi, f.edit_num)
    lo_ref, hi_ref = _abs(1, _C_REV), _abs(2, _C_REV)

    # axis names over the factor columns, the weights row
    w_row = _BCG_HEAD - 1
    ws.write_string(w_row, _C_NAME, t("bcg_sheet.weights", "Weights"), f.bold)
    col = _C_F0
    axis_cols: dict[str, tuple[int, int]] = {}
    for axis, keys in AXES.items():
        start = _C_F0 + FACTORS.index(keys[0])
        end = start + len(keys) - 1
        axis_cols[axis] = (start, end)
        if end > start:
            ws.merge_range(w_row - 1, start, w_row - 1, end, t(f"axis.{axis}", axis.capitalize()), f.head)
        else:
            ws.write_string(w_row - 1, start, t(f"axis.{axis}", axis.capitalize()), f.head)
    for i, k in enumerate(FACTORS):
        col = _C_F0 + i
        ws.write_number(w_row, col, float(s.bcg_weights.get(k, 1.0)), f.edit_num)
    ws.data_validation(
        w_row,
        _C_F0,
        w_row,
        _C_F0 + len(FACTORS) - 1,
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "error_message": t("bcg_sheet.weight_error", "A weight is a number ≥ 0."),
        },
    )

    # header
    heads = [t("column.client_id", "Client"), t("column.name", "Name"), t("column.revenue", "Revenue")]
    heads += [t(f"bcg_factor.{k}", k) for k in FACTORS]
    heads += [
        t("bcg_sheet.relationship_score", "Relationship score"),
        t("bcg_sheet.attractiveness_score", "Attractiveness score"),
        t("bcg_sheet.relationship_missing", "Relationship: not rated"),
        t("bcg_sheet.attractiveness_missing", "Attractiveness: not rated"),
        t("bcg_sheet.relationship_tier", "Relationship tier"),
        t("bcg_sheet.attractiveness_tier", "Attractiveness tier"),
        t("bcg_sheet.strategy", "Strategy"),
        t("bcg_sheet.policy", "Policy"),
    ]
    for c, h in enumerate(heads):
        ws.write_string(_BCG_HEAD, c, h, f.head)
    ws.set_row(_BCG_HEAD, 60)

    # strategy and policy matrix: right of the table, above its header (rows 2..5),
    # side by side, so no client row grows
    mc = _C_MATRIX
    m_head = p_head = 1  # header rows of the strategy and the policy matrix
    pc = mc + 5  # label column of the policy matrix
    rel_t = [t(f"tier.relationship_{x.lower()}", x) for x in TIERS["relationship"]]
    att_t = [t(f"tier.attractiveness_{x.lower()}", x) for x in TIERS["attractiveness"]]
    ws.write_string(0, mc, t("bcg_sheet.matrix", "Strategy matrix (editable)"), f.bold)
    ws.write_string(0, pc, t("bcg_sheet.policy_matrix", "Policy per matrix cell (editable)"), f.bold)
    corner = t("bcg_sheet.corner", "Attractiveness \\ Relationship")
    for head_row, c0, kind in ((m_head, mc, "strategy"), (p_head, pc, "policy")):
        ws.write_string(head_row, c0, corner, f.head)
        for j, name in enumerate(rel_t):
            ws.write_string(head_row, c0 + 1 + j, name, f.head)
        for i, a_code in enumerate(TIERS["attractiveness"]):
            ws.write_string(head_row + 1 + i, c0, att_t[i], f.head)
            for j, r_code in enumerate(TIERS["relationship"]):
                key = STRATEGY_KEYS[(a_code, r_code)]
                text = label(f"strategy.{key}", lang) if kind == "strategy" else str(s.bcg_policies.get(key, ""))
                ws.write_string(head_row + 1 + i, c0 + 1 + j, text, f.edit_text)
    ws.set_row(1, 30)
    for r in (2, 3, 4):
        ws.set_row(r, 45)
    rel_hdr = [_abs(m_head, mc + 1 + j) for j in range(3)]
    att_hdr = [_abs(m_head + 1 + i, mc) for i in range(3)]
    rel_rng = f"{_abs(m_head, mc + 1)}:{_abs(m_head, mc + 3)}"
    att_rng = f"{_abs(m_head + 1, mc)}:{_abs(m_head + 3, mc)}"
    strat_rng = f"{_abs(m_head + 1, mc + 1)}:{_abs(m_head + 3, mc + 3)}"
    pol_rng = f"{_abs(p_head + 1, pc + 1)}:{_abs(p_head + 3, pc + 3)}"
    tier_text = {("relationship", code): rel_t[i] for i, code in enumerate(TIERS["relationship"])}
    tier_text.update({("attractiveness", code): att_t[i] for i, code in enumerate(TIERS["attractiveness"])})

    # rows
    R = {
        k: pd.to_numeric(table[k], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if k in table.columns
        else np.full(n, np.nan)
        for k in FACTORS
    }
    names = table["name"] if "name" in table.columns else pd.Series([np.nan] * n)
    revenue = table["revenue"] if "revenue" in table.columns else pd.Series([np.nan] * n)
    ids, names_l, revenue_l = table["client_id"].tolist(), names.tolist(), revenue.tolist()
    score_rows = scores.to_dict("records")
    for i in range(n):
        r = first + i
        _put(ws, r, _C_ID, ids[i], f.edit_text if _blank else f.text)
        _put(ws, r, _C_NAME, names_l[i], f.edit_text if _blank else f.text)
        _put(ws, r, _C_REV, revenue_l[i], f.edit_money if _blank else f.money)
        for j, k in enumerate(FACTORS):
            _put(ws, r, _C_F0 + j, R[k][i], f.edit)
        sc = score_rows[i]
        refs = {}
        for axis, c_score, c_miss, c_tier, hdr in (
            ("relationship", _C_REL, _C_REL_MISS, _C_REL_TIER, rel_hdr),
            ("attractiveness", _C_ATT, _C_ATT_MISS, _C_ATT_TIER, att_hdr),
        ):
            a, b = axis_cols[axis]
            rat = f"{_cell(r, a)}:{_cell(r, b)}"
            wts = f"{_abs(w_row, a)}:{_abs(w_row, b)}"
            den = f'SUMPRODUCT({wts},--({rat}<>""))'
            ws.write_formula(r, c_score, f'=IF({den}=0,"",SUMPRODUCT({wts},{rat})/{den})', f.calc, _cached(sc[axis]))
            ws.write_formula(
                r, c_miss, f'=SUMPRODUCT(--({rat}=""),--({wts}>0))', f.calc_int, int(sc[f"{axis}_missing"])
            )
            x = _cell(r, c_score)
            tol = f"{_TOL}*MAX(ABS({x}),1)"
            code = sc[f"{axis}_tier"]
            ws.write_formula(
                r,
                c_tier,
                f'=IF({x}="","",IF({x}>={hi_ref}-{tol},{hdr[0]},IF({x}>={lo_ref}-{tol},{hdr[1]},{hdr[2]})))',
                f.calc_text,
                tier_text.get((axis, code), ""),
            )
            refs[axis] = _cell(r, c_tier)
        key = sc["strategy_key"]
        rt, at = refs["relationship"], refs["attractiveness"]
        pos = f"MATCH({at},{att_rng},0),MATCH({rt},{rel_rng},0)"
        ws.write_formula(
            r,
            _C_STRATEGY,
            f'=IF(OR({rt}="",{at}=""),"",INDEX({strat_rng},{pos}))',
            f.calc_text,
            label(f"strategy.{key}", lang) if key else "",
        )
        ws.write_formula(
            r,
            _C_POLICY,
            f'=IF(OR({rt}="",{at}=""),"",INDEX({pol_rng},{pos}))',
            f.calc_wrap,
            str(s.bcg_policies.get(key, "")) if key else "",
        )
    ws.data_validation(
        first,
        _C_F0,
        last,
        _C_F0 + len(FACTORS) - 1,
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1,
            "maximum": 5,
            "error_message": t("bcg_sheet.rating_error", "A rating is a whole number 1..5."),
        },
    )

    ws.set_column(_C_ID, _C_ID, 10)
    ws.set_column(_C_NAME, _C_NAME, 24)
    ws.set_column(_C_REV, _C_REV, 12)
    ws.set_column(_C_F0, _C_F0 + len(FACTORS) - 1, 11)
    ws.set_column(_C_REL, _C_ATT_MISS, 13)
    ws.set_column(_C_REL_TIER, _C_ATT_TIER, 13)
    ws.set_column(_C_STRATEGY, _C_STRATEGY, 22)
    ws.set_column(_C_POLICY, _C_POLICY, 40)
    ws.set_column(mc, mc, 18)
    ws.set_column(mc + 1, mc + 3, 24)
    ws.set_column(pc, pc, 18)
    ws.set_column(pc + 1, pc + 3, 36)
    ws.freeze_panes(_BCG_FIRST, _C_NAME + 1)
    nf = _C_F0 + len(FACTORS) - 1
    _define(
        workbook,
        ws,
        {
            "bcg_clients": (first, _C_ID, last, _C_ID),
            "bcg_names": (first, _C_NAME, last, _C_NAME),
            "bcg_revenue": (first, _C_REV, last, _C_REV),
            "bcg_ratings": (first, _C_F0, last, nf),
            "bcg_weights": (w_row, _C_F0, w_row, nf),
            "bcg_middle_from": (1, _C_REV, 1, _C_REV),
            "bcg_top_from": (2, _C_REV, 2, _C_REV),
            "bcg_strategy": (first, _C_STRATEGY, last, _C_STRATEGY),
            "bcg_policy": (first, _C_POLICY, last, _C_POLICY),
            "bcg_strategy_matrix": (m_head + 1, mc + 1, m_head + 3, mc + 3),
            "bcg_policy_matrix": (p_head + 1, pc + 1, p_head + 3, pc + 3),
        },
    )
    # the printed page is the scoring table; the matrices and the chart are beside it
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(0.3, 0.3, 0.4, 0.4)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, last, _C_POLICY)
    if n:
        ws.autofilter(_BCG_HEAD, 0, last, _C_POLICY)
        rev = [None if _missing(v) else float(v) for v in pd.to_numeric(revenue, errors="coerce")]
        _bcg_chart(workbook, ws, t, first, last, first, mc, rev)
    return ws


def _bubble_chart_class():
    """XlsxWriter has no bubble chart: a scatter chart that writes
    ``c:bubbleChart`` (series with ``c:xVal``, ``c:yVal`` and ``c:bubbleSize``,
    two value axes as the scatter chart has)."""
    from xlsxwriter.chart_scatter import ChartScatter

    class ChartBubble(ChartScatter):
        def __init__(self, options=None):
            super().__init__(options)
            self.bubble_sizes: list[tuple[str, list]] = []
            self.bubble_scale = 100

        def add_series(self, options=None) -> None:
            options = dict(options or {})
            sizes = options.pop("bubble_sizes", None)
            data = options.pop("bubble_sizes_data", None)
            super().add_series(options)
            self.bubble_sizes.append((sizes, data))

        def _write_chart_type(self, args) -> None:
            series = self._get_primary_axes_series() if args["primary_axes"] else self._get_secondary_axes_series()
            if not series:
                return
            self._xml_start_tag("c:bubbleChart")
            self._xml_empty_tag("c:varyColors", [("val", 0)])
            for data in series:
                self._write_bubble_ser(data)
            self._xml_empty_tag("c:bubbleScale", [("val", self.bubble_scale)])
            self._xml_empty_tag("c:showNegBubbles", [("val", 0)])
            self._write_axis_ids(args)
            self._xml_end_tag("c:bubbleChart")

        def _numbers(self, data_id) -> list:
            data = self.formula_data[data_id] if data_id is not None else None
            return [v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in data or []]

        def _write_x_val(self, series) -> None:
            # always numbers (a scatter chart falls back to text for "" results)
            self._xml_start_tag("c:xVal")
            self._write_num_ref(series.get("categories"), self._numbers(series.get("cat_data_id")), "num")
            self._xml_end_tag("c:xVal")

        def _write_y_val(self, series) -> None:
            self._xml_start_tag("c:yVal")
            self._write_num_ref(series.get("values"), self._numbers(series.get("val_data_id")), "num")
            self._xml_end_tag("c:yVal")

        def _write_bubble_ser(self, series) -> None:
            index = self.series_index
            self.series_index += 1
            self._xml_start_tag("c:ser")
            self._write_idx(index)
            self._write_order(index)
            self._write_series_name(series)
            self._write_sp_pr(series)
            self._xml_empty_tag("c:invertIfNegative", [("val", 0)])
            self._write_d_lbls(series.get("labels"))
            self._write_x_val(series)
            self._write_y_val(series)
            formula, data = self.bubble_sizes[index]
            self._xml_start_tag("c:bubbleSize")
            self._write_num_ref(formula, data, "num")
            self._xml_end_tag("c:bubbleSize")
            self._xml_empty_tag("c:bubble3D", [("val", 0)])
            self._xml_end_tag("c:ser")

    return ChartBubble


def _add_bubble_chart(workbook, options: dict):
    """``workbook.add_chart({"type": "bubble", ...})``: an XlsxWriter workbook
    gets the bubble chart class above (XlsxWriter has none); series take the
    sizes as ``bubble_sizes`` (a range) and ``bubble_sizes_data`` (cached
    values)."""
    import xlsxwriter

    if not isinstance(workbook, xlsxwriter.Workbook):
        return workbook.add_chart(dict(options))
    chart = _bubble_chart_class()({"type": "scatter"})
    chart.bubble_scale = int(options.get("bubble_scale", 100))
    chart.embedded = True
    chart.date_1904 = workbook.date_1904
    chart.remove_timezone = workbook.remove_timezone
    workbook.charts.append(chart)
    return chart


def _bcg_chart(workbook, ws, t, first: int, last: int, row: int, col: int, revenue: list) -> None:
    """A native bubble chart of the matrix: x relationship, y attractiveness,
    bubble size revenue."""
    name = ws.get_name().replace("'", "''")

    def rng(c: int) -> str:
        return f"='{name}'!${column_letter(c)}${first + 1}:${column_letter(c)}${last + 1}"

    chart = _add_bubble_chart(workbook, {"type": "bubble", "bubble_scale": 30})
    chart.add_series(
        {
            "name": t("bcg_sheet.chart_series", "Clients"),
            "categories": rng(_C_REL),
            "values": rng(_C_ATT),
            "fill": {"color": "#5B9BD5", "transparency": 40},
            "border": {"color": "#2F5597"},
            "bubble_sizes": rng(_C_REV),
            "bubble_sizes_data": revenue,
        }
    )
    chart.set_title({"name": t("bcg_sheet.chart_title", "BCG matrix")})
    chart.set_x_axis(
        {
            "name": t("axis.relationship", "Relationship"),
            "min": 1,
            "max": 5,
            "major_unit": 1,
            "major_gridlines": {"visible": True},
        }
    )
    chart.set_y_axis({"name": t("axis.attractiveness", "Attractiveness"), "min": 1, "max": 5, "major_unit": 1})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 540})
    ws.insert_chart(row, col, chart)


# =========================================================================== BANT


def add_bant_blank_sheet(workbook, *, lang: str = "en", rows: int = 30, settings: Settings | None = None):
    """Add a blank BANT sheet: ``rows`` empty lead rows (id, name and the four
    answers are inputs), the threshold, score and qualified formulas.
    Returns the worksheet."""
    leads = pd.DataFrame({"client_id": [np.nan] * rows})
    return add_bant_sheet(workbook, leads, settings=settings, lang=lang, _blank=True)


def add_bant_sheet(
    workbook,
    leads: pd.DataFrame,
    *,
    threshold: int | None = None,
    settings: Settings | None = None,
    lang: str = "en",
    _blank: bool = False,
):
    """Add the BANT qualification sheet: ``leads`` has ``client_id``, optional
    ``name``, and ``budget``, ``account``, ``need``, ``time`` (yes/no in any
    form :func:`xlb2b.analysis.answers.yes_no` reads; absent = not answered).  The
    answers are editable (a yes/no list), score and qualified are formulas.
    Returns the worksheet."""
    s = settings or Settings()
    thr = int(s.bant_threshold if threshold is None else threshold)
    t = _Labels(lang)
    f = _Formats(workbook, lang)
    leads = leads.reset_index(drop=True)
    n = len(leads)
    ws = workbook.add_worksheet(
        _unique_name(workbook, t("bant_sheet.sheet_name", "BANT")), worksheet_class=_fast_sheet_class()
    )
    yes, no = t("bant_sheet.yes", "yes"), t("bant_sheet.no", "no")
    ws.write_string(0, 0, t("bant_sheet.title", "BANT qualification"), f.title)
    ws.write_string(1, 0, t("bant_sheet.threshold", "Qualified from score"), f.bold)
    ws.write_number(1, 2, thr, f.edit)
    ws.write_string(2, 0, t("bant_sheet.yes_word", "Answer counted as yes"), f.bold)
    ws.write_string(2, 2, yes, f.calc_text)
    ws.write_string(3, 0, t("bant_sheet.no_word", "Answer counted as no"), f.bold)
    ws.write_string(3, 2, no, f.calc_text)
    thr_ref, yes_ref, no_ref = _abs(1, 2), _abs(2, 2), _abs(3, 2)
    head = 5
    parts = ("budget", "account", "need", "time")
    heads = [t("column.client_id", "Client"), t("column.name", "Name")]
    heads += [t(f"bant.{p}", p.capitalize()) for p in parts]
    heads += [t("bant.score", "BANT score"), t("bant.qualified", "Qualified")]
    for c, h in enumerate(heads):
        ws.write_string(head, c, h, f.head)
    for j, p in enumerate(parts):
        ws.write_comment(head, 2 + j, t(f"bant.{p}_hint", p))
    first = head + 1
    last = first + max(n, 1) - 1
    answers = {p: leads[p] if p in leads.columns else pd.Series([np.nan] * n) for p in parts}
    budget, account, need, time = (answers[p].reset_index(drop=True) for p in parts)
    score, qualified = bant(budget, account, need, time, threshold=thr)
    names = leads["name"] if "name" in leads.columns else pd.Series([np.nan] * n)
    words = {}
    for p in parts:
        raw = answers[p].tolist()
        yn = yes_no(np.asarray(raw, dtype=object)) if raw else np.zeros(0)
        words[p] = [yes if y == 1 else no if y == 0 else (None if _missing(v) else str(v)) for y, v in zip(yn, raw)]
    ids, names_l = leads["client_id"].tolist(), names.tolist()
    score_l, qualified_l = list(score), list(qualified)
    for i in range(n):
        r = first + i
        _put(ws, r, 0, ids[i], f.edit_text if _blank else f.text)
        _put(ws, r, 1, names_l[i], f.edit_text if _blank else f.text)
        for j, p in enumerate(parts):
            _put(ws, r, 2 + j, words[p][i], f.edit_text)
        rng = f"{_cell(r, 2)}:{_cell(r, 5)}"
        ws.write_formula(
            r,
            6,
            f'=IF(COUNTIF({rng},{yes_ref})+COUNTIF({rng},{no_ref})<4,"",COUNTIF({rng},{yes_ref}))',
            f.calc_int,
            _cached(score_l[i]),
        )
        x = _cell(r, 6)
        ws.write_formula(r, 7, f'=IF({x}="",FALSE,{x}>={thr_ref})', f.calc_text, bool(qualified_l[i]))
    ws.data_validation(first, 2, last, 5, {"validate": "list", "source": [yes, no]})
    ws.data_validation(1, 2, 1, 2, {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 4})
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 5, 11)
    ws.set_column(6, 7, 13)
    ws.freeze_panes(first, 2)
    _define(
        workbook,
        ws,
        {
            "bant_threshold": (1, 2, 1, 2),
            "bant_clients": (first, 0, last, 0),
            "bant_names": (first, 1, last, 1),
            "bant_answers": (first, 2, last, 5),
            "bant_scores": (first, 6, last, 6),
            "bant_qualified": (first, 7, last, 7),
        },
    )
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, last, 7)
    return ws


# =========================================================================== satisfaction


def _plain(values, *, whole: bool = False) -> list:
    """Values for the sheet: numbers where the core reads a number (numeric text
    too), the text otherwise, None for blanks.  ``whole``: a number that is not
    whole is written as text, so COUNTIFS leaves it out as the core does."""
    num, blank = _numbers(values)
    raw = np.asarray(values, dtype=object).ravel()
    out: list[Any] = []
    for x, b, v in zip(num, blank, raw):
        if b:
            out.append(None)
        elif math.isnan(x) or (whole and x != round(x)):
            out.append(str(v))
        else:
            out.append(float(x))
    return out


def add_satisfaction_blank_sheet(
    workbook, *, lang: str = "en", rows: int = 50, clients: int = 20, scale_max: float = 5
):
    """Add a blank satisfaction sheet: ``rows`` empty input rows in each of the
    survey, CSI and delivery tables and ``clients`` rows of the CSI-per-client
    table, with every result a formula over them.  Returns the worksheet."""
    empty = [np.nan] * rows
    survey = pd.DataFrame({"client_id": empty, "date": empty, "nps": empty})
    csi = pd.DataFrame({"client_id": empty, "attribute": empty, "importance": empty, "satisfaction": empty})
    deliveries = pd.DataFrame(
        {"order_id": empty, "client_id": empty, "date": empty, "on_time": empty, "in_full": empty}
    )
    return add_satisfaction_sheet(
        workbook, survey, csi, deliveries, lang=lang, scale_max=scale_max, _blank_clients=clients
    )


def add_satisfaction_sheet(
    workbook,
    survey: pd.DataFrame | None,
    csi: pd.DataFrame | None,
    deliveries: pd.DataFrame | None,
    *,
    lang: str = "en",
    scale_max: float = 5,
    _blank_clients: int = 0,
):
    """Add the satisfaction sheet: NPS from ``survey`` (client_id, date, nps),
    CSI from ``csi`` (client_id, attribute, importance, satisfaction) overall
    and per client, OTIF from ``deliveries`` (order_id, client_id, date,
    on_time, in_full).  The tables are editable; the results are formulas.
    Returns the worksheet.  (``_blank_clients``: a template; every row is an
    empty input and the CSI-per-client table has that many input ids.)"""
    blank = _blank_clients > 0
    t = _Labels(lang)
    f = _Formats(workbook, lang)
    survey = (survey if survey is not None else pd.DataFrame(columns=["client_id", "date", "nps"])).reset_index(
        drop=True
    )
    csi = (
        csi if csi is not None else pd.DataFrame(columns=["client_id", "attribute", "importance", "satisfaction"])
    ).reset_index(drop=True)
    deliveries = (
        deliveries
        if deliveries is not None
        else pd.DataFrame(columns=["order_id", "client_id", "date", "on_time", "in_full"])
    ).reset_index(drop=True)
    ws = workbook.add_worksheet(
        _unique_name(workbook, t("satisfaction_sheet.sheet_name", "Satisfaction")), worksheet_class=_fast_sheet_class()
    )
    yes, no = t("bant_sheet.yes", "yes"), t("bant_sheet.no", "no")
    head, first = 2, 3
    ws.write_string(0, 0, t("satisfaction_sheet.title", "Customer satisfaction: NPS, CSI, OTIF"), f.title)

    def col(frame, name):
        return frame[name] if name in frame.columns else pd.Series([np.nan] * len(frame), dtype=object)

    def values(frame, name) -> list:
        return col(frame, name).tolist()

    def answers(frame, name) -> list:
        """yes/no answers as the sheet's words; other text kept, blanks None."""
        raw = values(frame, name)
        yn = yes_no(np.asarray(raw, dtype=object)) if raw else np.zeros(0)
        return [yes if y == 1 else no if y == 0 else (None if _missing(v) else str(v)) for y, v in zip(yn, raw)]

    # ---- data tables
    C_NPS, C_CSI, C_CSIC, C_DEL = 3, 8, 16, 21

    def headers(c0, keys):
        for j, (k, d) in enumerate(keys):
            ws.write_string(head, c0 + j, t(f"satisfaction_sheet.{k}", d), f.head)

    def last_of(n):
        return first + max(n, 1) - 1

    # NPS answers
    headers(C_NPS, [("client", "Client"), ("date", "Date"), ("nps_score", "Score 0–10")])
    ns = len(survey)
    nps_vals = _plain(col(survey, "nps"), whole=True)
    s_ids, s_dates = values(survey, "client_id"), values(survey, "date")
    for i in range(ns):
        _put(ws, first + i, C_NPS, s_ids[i], f.edit_text if blank else f.text)
        _put(ws, first + i, C_NPS + 1, s_dates[i], f.edit_date if blank else f.date)
        _put(ws, first + i, C_NPS + 2, nps_vals[i], f.edit)
    nps_rng = f"{_abs(first, C_NPS + 2)}:{_abs(last_of(ns), C_NPS + 2)}"

    # CSI pairs with their helper columns
    headers(
        C_CSI,
        [
            ("client", "Client"),
            ("attribute", "Attribute"),
            ("importance", "Importance"),
            ("satisfaction", "Satisfaction"),
            ("used", "Used (1/0)"),
            ("weighted", "Importance × satisfaction"),
            ("weight", "Importance used"),
        ],
    )
    nc = len(csi)
    imp, sat = _plain(col(csi, "importance")), _plain(col(csi, "satisfaction"))
    smax = _abs(first + 5, 1)  # the CSI scale maximum in the results block
    c_ids, c_att = values(csi, "client_id"), values(csi, "attribute")
    for i in range(nc):
        r = first + i
        _put(ws, r, C_CSI, c_ids[i], f.edit_text if blank else f.text)
        _put(ws, r, C_CSI + 1, c_att[i], f.edit_text if blank else f.text)
        _put(ws, r, C_CSI + 2, imp[i], f.edit)
        _put(ws, r, C_CSI + 3, sat[i], f.edit)
        ci, cs = _cell(r, C_CSI + 2), _cell(r, C_CSI + 3)
        ok = isinstance(imp[i], float) and isinstance(sat[i], float) and imp[i] >= 0 and 0 <= sat[i] <= scale_max
        ws.write_formula(
            r,
            C_CSI + 4,
            f"=IF(AND(ISNUMBER({ci}),ISNUMBER({cs})),IF(AND({ci}>=0,{cs}>=0,{cs}<={smax}),1,0),0)",
            f.calc_int_hide0,
            int(ok),
        )
        u = _cell(r, C_CSI + 4)
        ws.write_formula(r, C_CSI + 5, f"=IF({u}=1,{ci}*{cs},0)", f.calc_hide0, imp[i] * sat[i] if ok else 0)
        ws.write_formula(r, C_CSI + 6, f"=IF({u}=1,{ci},0)", f.calc_hide0, imp[i] if ok else 0)
    cl = last_of(nc)
    csi_client = f"{_abs(first, C_CSI)}:{_abs(cl, C_CSI)}"
    csi_imp = f"{_abs(first, C_CSI + 2)}:{_abs(cl, C_CSI + 2)}"
    csi_sat = f"{_abs(first, C_CSI + 3)}:{_abs(cl, C_CSI + 3)}"
    csi_used = f"{_abs(first, C_CSI + 4)}:{_abs(cl, C_CSI + 4)}"
    csi_num = f"{_abs(first, C_CSI + 5)}:{_abs(cl, C_CSI + 5)}"
    csi_den = f"{_abs(first, C_CSI + 6)}:{_abs(cl, C_CSI + 6)}"

    # CSI per client
    headers(C_CSIC, [("client", "Client"), ("csi", "CSI"), ("pairs", "Pairs used")])
    by = (
        csi_by_client(csi.assign(client_id=col(csi, "client_id")), scale_max=scale_max)
        if nc and not blank
        else pd.DataFrame(columns=["client_id", "csi", "pairs"])
    )
    if blank:
        by = pd.DataFrame(
            {"client_id": [None] * _blank_clients, "csi": [np.nan] * _blank_clients, "pairs": [0] * _blank_clients}
        )
    by_ids, by_csi, by_pairs = by["client_id"].tolist(), by["csi"].tolist(), by["pairs"].tolist()
    for i in range(len(by)):
        r = first + i
        _put(ws, r, C_CSIC, by_ids[i], f.edit_text if blank else f.text)
        k = _cell(r, C_CSIC)
        # SUMPRODUCT over an exact comparison: SUMIFS would read an id such as
        # "A*" or ">5" as a pattern; an empty id gives empty results
        match = f"--({csi_client}={k})"
        ws.write_formula(
            r,
            C_CSIC + 1,
            f'=IF(OR({k}="",SUMPRODUCT({match},{csi_den})=0),"",'
            f"100*SUMPRODUCT({match},{csi_num})/"
            f"(SUMPRODUCT({match},{csi_den})*{smax}))",
            f.calc_1,
            _cached(by_csi[i]),
        )
        ws.write_formula(
            r,
            C_CSIC + 2,
            f'=IF({k}="","",SUMPRODUCT({match},{csi_used}))',
            f.calc_int,
            "" if blank else int(by_pairs[i]),
        )

    # deliveries
    headers(
        C_DEL,
        [("order", "Order"), ("client", "Client"), ("date", "Date"), ("on_time", "On time"), ("in_full", "In full")],
    )
    nd = len(deliveries)
    d_cols = [
        values(deliveries, "order_id"),
        values(deliveries, "client_id"),
        values(deliveries, "date"),
        answers(deliveries, "on_time"),
        answers(deliveries, "in_full"),
    ]
    d_fmts = ([f.edit_text, f.edit_text, f.edit_date] if blank else [f.text, f.text, f.date]) + [
        f.edit_text,
        f.edit_text,
    ]
    for i in range(nd):
        for j in range(5):
            _put(ws, first + i, C_DEL + j, d_cols[j][i], d_fmts[j])
    dl = last_of(nd)
    d_t = f"{_abs(first, C_DEL + 3)}:{_abs(dl, C_DEL + 3)}"
    d_f = f"{_abs(first, C_DEL + 4)}:{_abs(dl, C_DEL + 4)}"
    if nc:
        ws.data_validation(first, C_CSI + 2, cl, C_CSI + 3, {"validate": "decimal", "criteria": ">=", "value": 0})
    if nd:
        ws.data_validation(first, C_DEL + 3, dl, C_DEL + 4, {"validate": "list", "source": [yes, no]})
    if ns:
        ws.data_validation(
            first,
            C_NPS + 2,
            last_of(ns),
            C_NPS + 2,
            {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 10},
        )

    # ---- results (columns A:B)
    nd_ = (
        nps_detail(col(survey, "nps"))
        if ns
        else {"nps": np.nan, "promoters": 0, "passives": 0, "detractors": 0, "valid": 0, "invalid": 0}
    )
    cd = csi_detail(col(csi, "importance"), col(csi, "satisfaction"), scale_max) if nc else {"csi": np.nan, "pairs": 0}
    od = (
        otif_detail(col(deliveries, "on_time"), col(deliveries, "in_full"))
        if nd
        else {"otif": np.nan, "on_time_in_full": 0, "known": 0, "on_time": 0, "in_full": 0}
    )
    ws.write_string(head, 0, t("satisfaction_sheet.measure", "Measure"), f.head)
    ws.write_string(head, 1, t("satisfaction_sheet.value", "Value"), f.head)
    rows = [
        ("promoters", "Promoters (9–10)", f'=COUNTIFS({nps_rng},">=9",{nps_rng},"<=10")', nd_["promoters"], f.calc_int),
        ("passives", "Passives (7–8)", f'=COUNTIFS({nps_rng},">=7",{nps_rng},"<=8")', nd_["passives"], f.calc_int),
        (
            "detractors",
            "Detractors (0–6)",
            f'=COUNTIFS({nps_rng},">=0",{nps_rng},"<=6")',
            nd_["detractors"],
            f.calc_int,
        ),
        ("valid", "Valid answers", "=B4+B5+B6", nd_["valid"], f.calc_int),
        ("nps", "NPS", '=IF(B7=0,"",100*(B4-B6)/B7)', nd_["nps"], f.calc_1),
        ("scale_max", "CSI scale maximum", None, float(scale_max), f.edit_num),
        ("csi_pairs", "CSI pairs used", f"=SUM({csi_used})", cd["pairs"], f.calc_int),
        (
            "csi",
            "CSI",
            f'=IF(SUMPRODUCT({csi_used},{csi_imp})=0,"",100*SUMPRODUCT({csi_used},{csi_imp},{csi_sat})/'
            f"(SUMPRODUCT({csi_used},{csi_imp})*{smax}))",
            cd["csi"],
            f.calc_1,
        ),
        (
            "known",
            "Orders with known outcome",
            f"=COUNTIFS({d_t},{_q(yes)},{d_f},{_q(yes)})+COUNTIFS({d_t},{_q(yes)},{d_f},{_q(no)})"
            f"+COUNTIFS({d_t},{_q(no)},{d_f},{_q(yes)})+COUNTIFS({d_t},{_q(no)},{d_f},{_q(no)})",
            od["known"],
            f.calc_int,
        ),
        (
            "on_time_known",
            "On time",
            f"=COUNTIFS({d_t},{_q(yes)},{d_f},{_q(yes)})+COUNTIFS({d_t},{_q(yes)},{d_f},{_q(no)})",
            od["on_time"],
            f.calc_int,
        ),
        (
            "in_full_known",
            "In full",
            f"=COUNTIFS({d_f},{_q(yes)},{d_t},{_q(yes)})+COUNTIFS({d_f},{_q(yes)},{d_t},{_q(no)})",
            od["in_full"],
            f.calc_int,
        ),
        (
            "otif_hits",
            "On time and in full",
            f"=COUNTIFS({d_t},{_q(yes)},{d_f},{_q(yes)})",
            od["on_time_in_full"],
            f.calc_int,
        ),
        ("otif", "OTIF", '=IF(B12=0,"",B15/B12)', od["otif"], f.calc_share),
    ]
    for i, (k, d, formula, value, fmt) in enumerate(rows):
        r = first + i
        ws.write_string(r, 0, t(f"satisfaction_sheet.{k}", d), f.text)
        if formula is None:
            ws.write_number(r, 1, value, fmt)
        else:
            ws.write_formula(r, 1, formula, fmt, _cached(value))
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 9)
    ws.set_column(C_NPS, C_NPS, 11)
    ws.set_column(C_NPS + 1, C_NPS + 1, 10)
    ws.set_column(C_NPS + 2, C_NPS + 2, 7)
    ws.set_column(C_CSI, C_CSI, 11)
    ws.set_column(C_CSI + 1, C_CSI + 1, 16)
    ws.set_column(C_CSI + 2, C_CSI + 6, 10)
    ws.set_column(C_CSIC, C_CSIC, 11)
    ws.set_column(C_CSIC + 1, C_CSIC + 2, 7)
    ws.set_column(C_DEL, C_DEL + 1, 10)
    ws.set_column(C_DEL + 2, C_DEL + 2, 10)
    ws.set_column(C_DEL + 3, C_DEL + 4, 7)
    for a, b in ((2, C_NPS - 1), (C_NPS + 3, C_CSI - 1), (C_CSI + 7, C_CSIC - 1), (C_CSIC + 3, C_DEL - 1)):
        ws.set_column(a, b, 2)  # the gaps between the tables
    ws.set_row(head, 45)
    _define(
        workbook,
        ws,
        {
            "nps_answers": (first, C_NPS, last_of(ns), C_NPS + 2),
            "csi_pairs": (first, C_CSI, cl, C_CSI + 3),
            "csi_clients": (first, C_CSIC, first + max(len(by), 1) - 1, C_CSIC),
            "deliveries": (first, C_DEL, dl, C_DEL + 4),
            "nps": (first + 4, 1, first + 4, 1),
            "csi_scale_max": (first + 5, 1, first + 5, 1),
            "csi": (first + 7, 1, first + 7, 1),
            "otif": (first + 12, 1, first + 12, 1),
        },
    )
    ws.freeze_panes(first, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(0.3, 0.3, 0.4, 0.4)
    ws.fit_to_pages(1, 0)
    return ws


# =========================================================================== files


def write_bcg_workbook(analysis, path, *, lang: str = "en", manual: pd.DataFrame | None = None) -> Path:
    """Write a workbook with the BCG scoring sheet of ``analysis`` to ``path``
    atomically; returns the path."""
    path = Path(path)

    def write(tmp: str) -> None:
        wb = _new_workbook(tmp)
        add_bcg_sheet(wb, analysis, lang=lang, manual=manual)
        wb.close()

    atomic_write(path, write)
    return path


def write_planning_workbook(
    path,
    *,
    analysis=None,
    lang: str = "en",
    manual=None,
    leads=None,
    survey=None,
    csi=None,
    deliveries=None,
    settings: Settings | None = None,
) -> Path:
    """Write any of the three sheets into one new workbook (atomically)."""
    path = Path(path)

    def write(tmp: str) -> None:
        wb = _new_workbook(tmp)
        if analysis is not None:
            add_bcg_sheet(wb, analysis, lang=lang, manual=manual)
        if leads is not None:
            add_bant_sheet(
                wb, leads, settings=settings or (analysis.settings if analysis is not None else None), lang=lang
            )
        if survey is not None or csi is not None or deliveries is not None:
            add_satisfaction_sheet(wb, survey, csi, deliveries, lang=lang)
        wb.close()

    atomic_write(path, write)
    return path
