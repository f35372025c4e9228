"""Account Development Plan workbooks (METHODOLOGY §6–§7).

One ADP sheet per client plus a revenue-plan sheet.  Inputs for the manager
have a yellow background; the progress level, the current share of wallet,
the whitespace, the forecast, the initiatives' coverage and the checklist's
completion share are live formulas, each written with the value the
:mod:`xlb2b.planning` functions give for the same inputs, so a viewer that
does not recalculate still shows the right numbers.  Inputs and results are
reachable through sheet-scoped names (``'ADP C001'!forecast``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b import planning
from xlb2b.analysis.metrics import Window, client_metrics
from xlb2b.excel.labels import _Labels
from xlb2b.excel.names import BAD_SHEET_CHARS, _q, sheet_names  # noqa: F401
from xlb2b.excel.rows import _fast_sheet_class, new_workbook
from xlb2b.io_util import atomic_write
from xlb2b.locale import label, labels
from xlb2b.settings import Settings

#: the six ratings behind the progress level (§6, item 4), DSL first
RATINGS = ["dsl", "equipment", "projects", "visit", "promo", "dm"]
#: financial indicators of section 7: (label key, client_metrics column)
FINANCIALS = [
    ("revenue", "revenue"),
    ("ltv", "ltv"),
    ("avg_check", "avg_check"),
    ("checks", "orders"),
    ("avg_sku_price", "avg_unit_price"),
    ("depth", "depth"),
    ("skus_sold", "units"),
    ("orders", "orders"),
]
#: the trajectory block beside them (§11–§12): (label key, format) per row, W0 and W1 columns
_TRAJECTORY_FORMATS = [
    ("traj_revenue", "money"),
    ("traj_status", "value"),
    ("traj_price_effect", "money"),
    ("traj_volume_effect", "money"),
    ("traj_psc_group", "value"),
    ("traj_abc_xyz", "value"),
    ("traj_rfm_dsl", "value"),
    ("traj_lapse", "value"),
]
TRAJECTORY_ROWS = len(_TRAJECTORY_FORMATS)
ROLES = ["decision_maker", "influencer", "champion", "executive_sponsor", "user"]
STATUSES = ["unknown", "known_not_met", "met_not_in_contact", "regular_contact"]
STEPS = [f"step_{i:02d}" for i in range(1, planning.PROGRESS_STEPS + 1)]
#: input rows of the free tables
PROJECT_ROWS, ACTIVITY_ROWS, INITIATIVE_ROWS, DM_ROWS, TASK_ROWS = 3, 3, 4, 6, 6


# ---------------------------------------------------------------- financials
def _tx_frame(transactions_table: Any) -> pd.DataFrame:
    data = getattr(transactions_table, "data", transactions_table)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("transactions_table: a canonical transactions DataFrame or InputTable")
    return data


def _year_window(year: int) -> Window:
    return Window(pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31))


def financials_table(
    transactions_table: Any, client_ids: Sequence[Any], year: int, settings: Settings | None = None
) -> dict[int, pd.DataFrame]:
    """{year-1: frame, year: frame}: for each calendar year, one row per client
    of ``client_ids`` (index client_id) with the §6 item 7 indicators, from
    :func:`xlb2b.analysis.metrics.client_metrics` on a one-year window."""
    settings = settings or Settings()
    tx = _tx_frame(transactions_table)
    ids = list(client_ids)
    sub = tx[tx["client_id"].isin(ids)]
    out: dict[int, pd.DataFrame] = {}
    for y in (year - 1, year):
        cols = [k for k, _ in FINANCIALS]
        if sub.empty:
            out[y] = pd.DataFrame(np.nan, index=pd.Index(ids, name="client_id"), columns=cols)
            continue
        t = client_metrics(sub, _year_window(y), settings).table.set_index("client_id")
        f = pd.DataFrame({k: t[src] for k, src in FINANCIALS}).reindex(ids)
        f.index.name = "client_id"
        out[y] = f
    return out


def client_financials(
    transactions_table: Any, client_id: Any, year: int, settings: Settings | None = None
) -> dict[int, dict[str, float]]:
    """The §6 item 7 indicators of one client for the calendar years
    ``year - 1`` and ``year``: ``{year: {"revenue": ..., "ltv": ..., "avg_check": ...,
    "checks": ..., "avg_sku_price": ..., "depth": ..., "skus_sold": ..., "orders": ...}}``.
    A year without purchases has revenue 0 and empty ratios (NaN)."""
    t = financials_table(transactions_table, [client_id], year, settings)
    return {y: {k: float(v) for k, v in f.iloc[0].items()} for y, f in t.items()}


# ---------------------------------------------------------------- helpers
def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _cached(v: Any) -> Any:
    """A result as Excel shows it: NaN -> ""."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _cell(row: int, col: int, absolute: bool = True) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


# ---------------------------------------------------------------- writer
class _Context:
    """What every ADP sheet needs, computed once for all the chosen clients:
    their analysis rows, BCG portfolio rows and the two years' financials."""

    def __init__(self, analysis, client_ids: Sequence[Any]):
        ids = list(dict.fromkeys(client_ids))
        c = analysis.clients.set_index("client_id", drop=False)
        missing = [i for i in ids if i not in c.index]
        if missing:
            raise KeyError(", ".join(map(str, missing)))
        self.c = c.loc[ids]
        port, _ = analysis.portfolio()
        self.port = port.set_index("client_id").reindex(ids)
        self.year = int(analysis.window.end.year)
        d = getattr(analysis, "dynamics", None)
        self.windows = (str(d.w0), str(d.w1)) if d is not None else None
        tx = analysis.inputs.get("transactions")
        if tx is not None:
            self.fin = financials_table(tx, ids, self.year, analysis.settings)
        else:
            nan = pd.DataFrame(np.nan, index=ids, columns=[k for k, _ in FINANCIALS])
            self.fin = {self.year - 1: nan, self.year: nan}


def trajectory_rows(row, lang: str, group_tr, rfm_tr) -> list[tuple[str, Any, Any, str]]:
    """The ADP trajectory block's eight rows for one client (a Clients row
    of an analysis that compared two windows): (label key, W0 value, W1
    value, format); numbers NaN and texts "" when unknown.  ``group_tr`` and
    ``rfm_tr`` translate PSC group and RFM segment names."""
    get = row.get

    def text(v) -> str:
        return _text(v)

    def dsl(v) -> str:
        x = _num(v)
        return "" if np.isnan(x) else label(f"dsl_level.{int(x)}", lang)

    def pair(*parts: str) -> str:
        return " / ".join(x for x in parts if x)

    status = _text(get("status"))
    lapse = _text(get("lapse_status"))
    ratio = _num(get("lapse_ratio"))
    lapse_text = label(f"lapse_status.{lapse}", lang) if lapse else ""
    if lapse_text and not np.isnan(ratio):
        lapse_text += f" ({ratio:.2f})"
    # eight rows, as many as the financials beside them
    return [
        ("traj_revenue", _num(get("revenue_w0")), _num(get("revenue")), "money"),
        ("traj_status", "", label(f"client_status.{status}", lang) if status else "", "value"),
        ("traj_price_effect", "", _num(get("price_effect")), "money"),
        ("traj_volume_effect", "", _num(get("volume_effect")), "money"),
        (
            "traj_psc_group",
            group_tr(text(get("psc_group_w0"))),
            group_tr(text(get("psc_group"))),
            "value",
        ),
        (
            "traj_abc_xyz",
            pair(text(get("abc_class_w0")), text(get("xyz_class_w0"))),
            pair(text(get("abc_class")), text(get("xyz_class"))),
            "value",
        ),
        (
            "traj_rfm_dsl",
            pair(rfm_tr(text(get("rfm_segment_w0"))), dsl(get("dsl_level_w0"))),
            pair(rfm_tr(text(get("rfm_segment"))), dsl(get("dsl_level"))),
            "value",
        ),
        ("traj_lapse", "", lapse_text, "value"),
    ]


class _AdpWriter:
    """Writes ADP sheets and the revenue plan into ``workbook`` (an XlsxWriter
    workbook, or anything with its interface such as the recording workbook
    that renders into an open Excel workbook); without one it makes its own
    in-memory XlsxWriter workbook for :meth:`write`."""

    def __init__(self, ctx: _Context | None, client_ids: Sequence[Any], lang: str, workbook=None):
        self.lang = lang
        self.ids = list(client_ids)
        self.buffer = None
        if workbook is None:
            self.buffer = io.BytesIO()
            workbook = new_workbook(self.buffer, in_memory=True)
        self.wb = workbook
        self.sheet_class = _fast_sheet_class() if self.buffer is not None else None
        self.group_tr = _Labels(lang).translator("psc_group")
        self.rfm_tr = _Labels(lang).translator("rfm_segment")
        self.L = labels("adp", lang)
        self.yes, self.no = self.L["yes"], self.L["no"]
        self.c: Any = None  # blank sheets: no client data
        self.port: Any = None
        self.fin: Any = None
        self.year: Any = None
        self.windows: Any = None
        if ctx is not None:
            self.c, self.port, self.fin, self.year = ctx.c, ctx.port, ctx.fin, ctx.year
            self.windows = ctx.windows
        self._formats()

    # -------------------------------------------------------------- formats
    def _formats(self) -> None:
        f = self.wb.add_format
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        date = "dd.mm.yyyy" if self.lang == "ru" else "yyyy-mm-dd"
        inp = {**base, "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
        self.fmt = {
            "title": f({**base, "bold": True, "font_size": 14}),
            "section": f({**base, "bold": True, "font_size": 11, "font_color": "#1F4E78", "bottom": 1}),
            "label": f({**base, "text_wrap": True}),
            "strong": f({**base, "bold": True, "font_color": "#1F4E78"}),
            "hint": f({**base, "italic": True, "font_color": "#7F7F7F", "indent": 1}),
            "header": f({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
            "text": f({**base, "text_wrap": True}),
            "value": f({**base, "border": 1, "border_color": "#BFBFBF", "text_wrap": True}),
            "money": f({**base, "num_format": "#,##0", "border": 1, "border_color": "#BFBFBF"}),
            "number": f({**base, "num_format": "#,##0.00", "border": 1, "border_color": "#BFBFBF"}),
            "int": f({**base, "num_format": "#,##0", "border": 1, "border_color": "#BFBFBF"}),
            "pct": f({**base, "num_format": "0.0%", "border": 1, "border_color": "#BFBFBF"}),
            "result": f({**base, "bold": True, "num_format": "#,##0", "border": 1, "bg_color": "#E2EFDA"}),
            "result_pct": f({**base, "bold": True, "num_format": "0.0%", "border": 1, "bg_color": "#E2EFDA"}),
            "result_level": f({**base, "bold": True, "num_format": "0.00", "border": 1, "bg_color": "#E2EFDA"}),
            "in": f({**inp, "text_wrap": True}),
            "in_money": f({**inp, "num_format": "#,##0"}),
            "in_number": f({**inp, "num_format": "#,##0.00"}),
            "in_pct": f({**inp, "num_format": "0.0%"}),
            "in_int": f({**inp, "num_format": "0", "align": "center"}),
            "in_date": f({**inp, "num_format": date}),
            "in_wrap": f({**inp, "text_wrap": True, "valign": "top"}),
        }

    # -------------------------------------------------------------- pieces
    def _trajectory(self, ws, sheet: str, r: int, row, blank: bool) -> int:
        """Columns F..H beside the financials: the client from the preceding
        window W0 to the analysis window W1 (METHODOLOGY §11–§12): revenue,
        status, price and volume effects, segments, lapse ratio and status;
        on the blank sheet named ``trajectory_windows`` (the two headers) and
        ``trajectory`` (8 rows × W0, W1).  Returns the row after the block; the blank sheet
        has the block empty (a template's fill writes it), a client's sheet
        has none when the analysis did not compare two windows."""
        L, F = self.L, self.fmt
        if not blank and (self.windows is None or "status" not in row):  # values come from the analysis only
            return r
        w0, w1 = ("", "") if blank else self.windows
        ws.write_string(r, 5, L["trajectory"], F["header"])
        ws.write_string(r, 6, f"W0 {w0}".strip(), F["header"])
        ws.write_string(r, 7, f"W1 {w1}".strip(), F["header"])
        if blank:  # the template's names (a client's sheet is filled already; two names more per sheet
            # would cost two Office.js actions on every ADP the buttons write)
            self._name(sheet, "trajectory_windows", r, 6, last_col=7)
            self._name(sheet, "trajectory", r + 1, 6, r + TRAJECTORY_ROWS, 7)
        r += 1
        items = (
            trajectory_rows(row, self.lang, self.group_tr, self.rfm_tr)
            if not blank
            else [(key, np.nan, np.nan, kind) for key, kind in _TRAJECTORY_FORMATS]
        )
        for key, v0, v1, kind in items:
            ws.write_string(r, 5, L[key], F["label"])
            for col, v in ((6, v0), (7, v1)):
                if isinstance(v, str):
                    ws.write_string(r, col, v, F["value"])
                elif np.isnan(v):
                    ws.write_blank(r, col, None, F[kind])
                else:
                    ws.write_number(r, col, float(v), F[kind])
            r += 1
        return r

    def _section(self, ws, r: int, key: str) -> int:
        ws.merge_range(r, 0, r, 7, self.L[key], self.fmt["section"])
        return r + 1

    def _header(self, ws, r: int, keys: Sequence[str], col: int = 0) -> None:
        for i, k in enumerate(keys):
            ws.write_string(r, col + i, self.L[k], self.fmt["header"])

    def _list(self, ws, first: int, last: int, col: int, values: Sequence[str]) -> None:
        ws.data_validation(first, col, last, col, {"validate": "list", "source": list(values)})

    def _yes_no(self, ws, first: int, last: int, col: int) -> None:
        self._list(ws, first, last, col, [self.yes, self.no])

    def _rating(self, ws, first: int, last: int, col: int) -> None:
        ws.data_validation(
            first, col, last, col, {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5}
        )

    def _name(
        self, sheet: str, name: str, row: int, col: int, last_row: int | None = None, last_col: int | None = None
    ) -> None:
        ref = f"{_q(sheet)}!{_cell(row, col)}"
        if last_row is not None or last_col is not None:
            ref += f":{_cell(row if last_row is None else last_row, col if last_col is None else last_col)}"
        self.wb.define_name(f"{_q(sheet)}!{name}", f"={ref}")

    def _add_sheet(self, name: str):
        if self.sheet_class is not None:
            self.last_sheet = self.wb.add_worksheet(name, worksheet_class=self.sheet_class)
        else:
            self.last_sheet = self.wb.add_worksheet(name)
        return self.last_sheet

    def _checklist(self, ws, sheet: str, r: int) -> int:
        """The 23-step progress-policy checklist from row ``r`` (its section
        title first): done / date / owner inputs, the completion share and the
        names ``steps_done`` and ``completion_share``.  Returns the row of the
        completion share."""
        L, F = self.L, self.fmt
        r = self._section(ws, r, "checklist")
        ws.merge_range(r, 0, r, 3, L["step"], F["header"])
        self._header(ws, r, ["step_done", "step_date", "step_owner"], col=4)
        r += 1
        first = r
        for i, step in enumerate(STEPS, 1):
            ws.merge_range(r, 0, r, 3, f"{i}. {label(f'progress_step.{step}', self.lang)}", F["value"])
            ws.write_blank(r, 4, None, F["in"])
            ws.write_blank(r, 5, None, F["in_date"])
            ws.write_blank(r, 6, None, F["in"])
            r += 1
        last = r - 1
        self._yes_no(ws, first, last, 4)
        self._name(sheet, "steps_done", first, 4, last)
        ws.write_string(r, 0, L["completion"], F["label"])
        yes = self.yes.replace('"', '""')
        ws.write_formula(
            r,
            1,
            f'=COUNTIF({_cell(first, 4)}:{_cell(last, 4)},"{yes}")/{planning.PROGRESS_STEPS}',
            F["result_pct"],
            planning.progress_share([False] * planning.PROGRESS_STEPS),
        )
        self._name(sheet, "completion_share", r, 1)
        return r

    # -------------------------------------------------------------- ADP sheet
    def adp_sheet(self, sheet: str, cid: Any) -> int:
        """Write one ADP sheet; returns the 0-based row of its forecast cell.

        ``cid`` None writes the blank sheet: the same layout with every client
        fact (company, financials, segment labels, need, our revenue) an empty
        input and every result a formula that stays empty until it has input."""
        L, F = self.L, self.fmt
        ws = self._add_sheet(sheet)
        ws.set_column(0, 0, 38)
        ws.set_column(1, 3, 18)
        ws.set_column(4, 7, 16)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(0.4, 0.4, 0.5, 0.5)
        blank = cid is None
        row = {} if blank else self.c.loc[cid]
        port = {} if blank else self.port.loc[cid]
        name = "" if blank else _text(row.get("name")) or str(cid)

        ws.merge_range(0, 0, 0, 7, L["title"] if blank else f"{L['title']}: {name}", F["title"])
        ws.write_string(1, 0, L["input_hint"], F["hint"])
        r = 3
        # 1-3
        for key, value in (
            ("s1_company", name),
            ("s2_manager", _text(row.get("manager"))),
            ("s3_industry", _text(row.get("industry"))),
        ):
            ws.write_string(r, 0, L[key], F["strong"])
            ws.merge_range(r, 1, r, 3, value, F["in"])
            self._name(sheet, key[3:], r, 1)
            r += 1
        # 4 progress level
        ws.write_string(r, 0, L["s4_progress"], F["strong"])
        ws.write_string(r, 2, L["rating_hint"], F["hint"])
        level_row = r
        r += 1
        first = r
        dsl = _num(row.get("dsl_level"))
        ratings = [dsl] + [np.nan] * (len(RATINGS) - 1)
        for key, rating_value in zip(RATINGS, ratings):
            ws.write_string(r, 0, L[f"rating_{key}"], F["label"])
            if np.isnan(rating_value):
                ws.write_blank(r, 1, None, F["in_int"])
            else:
                ws.write_number(r, 1, rating_value, F["in_int"])
            r += 1
        last = r - 1
        self._rating(ws, first, last, 1)
        ws.write_formula(
            level_row,
            1,
            f'=IFERROR(AVERAGE({_cell(first, 1)}:{_cell(last, 1)}),"")',
            F["result_level"],
            _cached(planning.progress_level(ratings)),
        )
        self._name(sheet, "progress_level", level_row, 1)
        self._name(sheet, "ratings", first, 1, last)
        r += 1
        # 5 company size
        r = self._section(ws, r, "s5_size")
        for key in ("company_revenue", "sales_plan"):
            ws.write_string(r, 0, L[key], F["label"])
            ws.write_blank(r, 1, None, F["in_money"])
            self._name(sheet, key, r, 1)
            r += 1
        r += 1
        # 6 cooperation summary
        r = self._section(ws, r, "s6_summary")
        ws.merge_range(r, 0, r + 2, 7, "", F["in_wrap"])
        r += 4
        # 7 financials, the client's trajectory W0 -> W1 beside them
        r = self._section(ws, r, "s7_financials")
        trajectory_end = self._trajectory(ws, sheet, r, row, blank)
        ws.write_string(r, 0, L["indicator"], F["header"])
        if blank:
            ws.write_string(r, 1, L["year_prev"], F["header"])
            ws.write_string(r, 2, L["year_cur"], F["header"])
            prev = cur = {k: np.nan for k, _ in FINANCIALS}
        else:
            ws.write_number(r, 1, self.year - 1, F["header"])
            ws.write_number(r, 2, self.year, F["header"])
            prev, cur = self.fin[self.year - 1].loc[cid], self.fin[self.year].loc[cid]
        ws.write_string(r, 3, L["change"], F["header"])
        self._name(sheet, "years", r, 1, last_col=2)
        self._name(sheet, "financials", r + 1, 1, r + len(FINANCIALS), 2)
        r += 1
        for key, _src in FINANCIALS:
            fmt = F[("in_" if blank else "") + ("number" if key in ("depth",) else "money")]
            ws.write_string(r, 0, L[f"fin_{key}"], F["label"])
            for col, v in ((1, _num(prev[key])), (2, _num(cur[key]))):
                if np.isnan(v):
                    ws.write_blank(r, col, None, fmt)
                else:
                    ws.write_number(r, col, v, fmt)
            p, q = _num(prev[key]), _num(cur[key])
            change = q / p - 1 if (not np.isnan(p) and not np.isnan(q) and p != 0) else np.nan
            b, c = _cell(r, 1, False), _cell(r, 2, False)
            ws.write_formula(
                r, 3, f'=IF(AND(ISNUMBER({b}),ISNUMBER({c}),{b}<>0),{c}/{b}-1,"")', F["pct"], _cached(change)
            )
            r += 1
        r = max(r, trajectory_end) + 1
        # 8 joint projects
        r = self._section(ws, r, "s8_projects")
        self._header(ws, r, ["project", "status"])
        ws.merge_range(r, 2, r, 7, L["notes"], F["header"])
        r += 1
        self._name(sheet, "projects", r, 0, r + PROJECT_ROWS - 1, 7)
        for _ in range(PROJECT_ROWS):
            ws.write_blank(r, 0, None, F["in"])
            ws.write_blank(r, 1, None, F["in"])
            ws.merge_range(r, 2, r, 7, "", F["in"])
            r += 1
        r += 1
        # segment labels
        r = self._section(ws, r, "segments")
        abc_xyz = " / ".join(x for x in (_text(row.get("abc_class")), _text(row.get("xyz_class"))) if x)
        psc_group = _text(row.get("psc_group"))
        rfm_seg = _text(row.get("rfm_segment"))
        at, rt = _text(port.get("attractiveness_tier")), _text(port.get("relationship_tier"))
        strategy_key = _text(port.get("strategy_key"))
        dsl_text = "" if np.isnan(dsl) else str(int(dsl))
        seg_rows = [
            ("client_id", "" if blank else str(cid)),
            ("psc_group", self.group_tr(psc_group)),
            ("psc_code", _text(row.get("psc_code"))),
            ("dsl_level", dsl_text),
            ("kml_code", _text(row.get("kml_code"))),
            ("abc_xyz", abc_xyz),
            ("rfm_code", _text(row.get("rfm_code"))),
            ("rfm_segment", self.rfm_tr(rfm_seg)),
            ("bcg_attractiveness", label(f"tier.attractiveness_{at.lower()}", self.lang) if at else ""),
            ("bcg_relationship", label(f"tier.relationship_{rt.lower()}", self.lang) if rt else ""),
            ("bcg_strategy", label(f"strategy.{strategy_key}", self.lang) if strategy_key else ""),
        ]
        for key, value in seg_rows:
            ws.write_string(r, 0, L[key], F["label"])
            ws.merge_range(r, 1, r, 3, value, F["in" if blank else "value"])
            self._name(sheet, key, r, 1)
            r += 1
        r += 1
        # activities from open sources
        r = self._section(ws, r, "activities")
        self._header(ws, r, ["date"])
        ws.merge_range(r, 1, r, 5, L["activity"], F["header"])
        ws.merge_range(r, 6, r, 7, L["source"], F["header"])
        r += 1
        self._name(sheet, "activities", r, 0, r + ACTIVITY_ROWS - 1, 7)
        for _ in range(ACTIVITY_ROWS):
            ws.write_blank(r, 0, None, F["in_date"])
            ws.merge_range(r, 1, r, 5, "", F["in"])
            ws.merge_range(r, 6, r, 7, "", F["in"])
            r += 1
        r += 1
        # initiatives
        r = self._section(ws, r, "initiatives")
        ws.write_string(r, 0, L["initiative"], F["header"])
        ws.write_string(r, 1, L["help_share"], F["header"])
        r += 1
        first = r
        for _ in range(INITIATIVE_ROWS):
            ws.write_blank(r, 0, None, F["in"])
            ws.write_blank(r, 1, None, F["in_pct"])
            r += 1
        last = r - 1
        self._name(sheet, "initiatives", first, 0, last, 1)
        ws.data_validation(
            first, 1, last, 1, {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
        )
        ws.write_string(r, 0, L["help_share_avg"], F["label"])
        ws.write_formula(r, 1, f'=IFERROR(AVERAGE({_cell(first, 1)}:{_cell(last, 1)}),"")', F["result_pct"], "")
        self._name(sheet, "coverage", r, 1)
        r += 2
        # decision-maker map
        r = self._section(ws, r, "dm_map")
        self._header(
            ws,
            r,
            [
                "dm_name",
                "dm_position",
                "dm_role",
                "dm_influence",
                "dm_attitude",
                "dm_status",
                "dm_last_contact",
                "dm_owner",
            ],
        )
        r += 1
        first = r
        fmts = ["in", "in", "in", "in_int", "in", "in", "in_date", "in"]
        for _ in range(DM_ROWS):
            for col, fk in enumerate(fmts):
                ws.write_blank(r, col, None, F[fk])
            r += 1
        last = r - 1
        self._name(sheet, "dm_map", first, 0, last, 7)
        self._list(ws, first, last, 2, [L[f"role_{k}"] for k in ROLES])
        self._rating(ws, first, last, 3)
        self._list(ws, first, last, 5, [L[f"status_{k}"] for k in STATUSES])
        ws.data_validation(
            first,
            6,
            last,
            6,
            {"validate": "date", "criteria": ">", "value": pd.Timestamp("1990-01-01").to_pydatetime()},
        )
        r += 1
        # tasks
        r = self._section(ws, r, "tasks")
        ws.merge_range(r, 0, r, 3, L["task_what"], F["header"])
        self._header(ws, r, ["task_who", "task_due", "task_done"], col=4)
        r += 1
        first = r
        for _ in range(TASK_ROWS):
            ws.merge_range(r, 0, r, 3, "", F["in"])
            ws.write_blank(r, 4, None, F["in"])
            ws.write_blank(r, 5, None, F["in_date"])
            ws.write_blank(r, 6, None, F["in"])
            r += 1
        self._yes_no(ws, first, r - 1, 6)
        self._name(sheet, "tasks", first, 0, r - 1, 6)
        r += 1
        # planning questions
        r = self._section(ws, r, "questions")
        for key in ("question_1", "question_2"):
            ws.merge_range(r, 0, r, 7, L[key], F["text"])
            ws.set_row(r, 27)
            r += 1
            ws.merge_range(r, 0, r + 1, 7, "", F["in_wrap"])
            r += 2
        r += 1
        # forecast
        r = self._section(ws, r, "forecast_block")
        need = _num(row.get("market_spend"))
        revenue = _num(row.get("revenue"))
        cells = {}
        for key, amount, fmt in (
            ("need", need, "in_money"),
            ("need_growth", np.nan, "in_pct"),
            ("target_sow", np.nan, "in_pct"),
        ):
            ws.write_string(r, 0, L[key], F["label"])
            if np.isnan(amount):
                ws.write_blank(r, 1, None, F[fmt])
            else:
                ws.write_number(r, 1, amount, F[fmt])
            cells[key] = _cell(r, 1)
            self._name(sheet, key, r, 1)
            r += 1
        ws.write_string(r, 0, L["our_revenue"], F["label"])
        if blank:
            ws.write_blank(r, 1, None, F["in_money"])
        else:
            ws.write_number(r, 1, revenue, F["money"])
        cells["our_revenue"] = _cell(r, 1)
        self._name(sheet, "our_revenue", r, 1)
        r += 1
        n, g, t, o = cells["need"], cells["need_growth"], cells["target_sow"], cells["our_revenue"]
        known = not np.isnan(need)
        sow = planning.share_of_wallet(revenue, need) if known else np.nan
        ws_value = planning.whitespace(need, revenue) if known else np.nan
        fc = planning.adp_forecast(need, 0.0, 0.0) if known else np.nan
        results = [
            ("current_sow", f'=IF(AND(ISNUMBER({n}),{n}<>0),{o}/{n},"")', sow, "result_pct"),
            ("whitespace", f'=IF(ISNUMBER({n}),{n}-{o},"")', ws_value, "result"),
            ("forecast", f'=IF(ISNUMBER({n}),{n}*(1+N({g}))*N({t}),"")', fc, "result"),
        ]
        forecast_row = r
        for key, formula, cached_value, fmt in results:
            ws.write_string(r, 0, L[key], F["label"])
            ws.write_formula(r, 1, formula, F[fmt], _cached(np.asarray(cached_value).item()))
            self._name(sheet, key, r, 1)
            if key == "forecast":
                forecast_row = r
            r += 1
        r += 1
        # progress-policy checklist
        r = self._checklist(ws, sheet, r)
        ws.print_area(0, 0, r, 7)
        return forecast_row

    # -------------------------------------------------------------- revenue plan
    def checklist_sheet(self, name: str, client_name: str | None = None) -> None:
        """A sheet with only the progress-policy checklist of one client (the
        client's name an input, prefilled with ``client_name``)."""
        L, F = self.L, self.fmt
        ws = self._add_sheet(name)
        ws.set_column(0, 0, 38)
        ws.set_column(1, 3, 18)
        ws.set_column(4, 7, 16)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(0.4, 0.4, 0.5, 0.5)
        ws.merge_range(0, 0, 0, 7, L["checklist_title"], F["title"])
        ws.write_string(1, 0, L["input_hint"], F["hint"])
        ws.write_string(3, 0, L["s1_company"], F["strong"])
        ws.merge_range(3, 1, 3, 3, client_name or "", F["in"])
        self._name(name, "company", 3, 1)
        r = self._checklist(ws, name, 5)
        ws.freeze_panes(7, 0)
        ws.print_area(0, 0, r, 6)

    def plan_sheet(self, name: str, rows: list[tuple[Any, str, int, Any]], blank_rows: int = 0) -> None:
        """The revenue plan: one row per ADP sheet of ``rows`` (client, link,
        the sheet's forecast), the total, the target and the gap; with
        ``blank_rows`` instead, that many empty input rows where the manager
        lists clients and their forecasts."""
        L, F = self.L, self.fmt
        ws = self._add_sheet(name)
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 34)
        ws.set_column(2, 2, 18)
        ws.fit_to_pages(1, 0)
        ws.set_paper(9)
        ws.merge_range(0, 0, 0, 2, L["plan_sheet"], F["title"])
        ws.write_string(1, 0, L["input_hint"], F["hint"])
        self._header(ws, 3, ["plan_client", "plan_sheet_col", "plan_forecast"])
        r = 4
        total = 0.0
        for cid, sheet, frow, cached in rows:
            client = _text(self.c.loc[cid].get("name")) or str(cid)
            ws.write_string(r, 0, client, F["value"])
            ws.write_url(r, 1, f"internal:{_q(sheet)}!A1", F["value"], sheet)
            ws.write_formula(r, 2, f"={_q(sheet)}!{_cell(frow, 1)}", F["money"], cached)
            total += cached if isinstance(cached, float) else 0.0
            r += 1
        for _ in range(blank_rows):
            ws.write_blank(r, 0, None, F["in"])
            ws.write_blank(r, 1, None, F["in"])
            ws.write_blank(r, 2, None, F["in_money"])
            r += 1
        first, last = 4, max(r - 1, 4)
        ws.write_string(r, 1, L["plan_total"], F["label"])
        ws.write_formula(r, 2, f"=SUM({_cell(first, 2)}:{_cell(last, 2)})", F["result"], total)
        sum_cell = _cell(r, 2)
        self._name(name, "forecast_total", r, 2)
        r += 1
        ws.write_string(r, 1, L["plan_target"], F["label"])
        ws.write_blank(r, 2, None, F["in_money"])
        target = _cell(r, 2)
        self._name(name, "target", r, 2)
        r += 1
        ws.write_string(r, 1, L["plan_gap"], F["label"])
        ws.write_formula(r, 2, f"={target}-{sum_cell}", F["result"], 0.0 - total)
        self._name(name, "gap", r, 2)
        if blank_rows:
            self._name(name, "clients", first, 0, last)
            self._name(name, "forecasts", first, 2, last)
            ws.freeze_panes(4, 0)
        ws.print_area(0, 0, r, 2)

    def add_sheets(self, taken: Iterable[str] = (), *, plan: bool = True) -> list[str]:
        """Add an ADP sheet per client (and the revenue plan when ``plan``);
        sheet names avoid ``taken`` (case-insensitively).  Returns the names
        added, ADP sheets first."""
        taken = list(taken)
        plan_name = sheet_names([self.L["plan_sheet"]], taken=taken)[0] if plan else None
        prefix = self.L["sheet_prefix"]
        titles = [f"{prefix} {_text(self.c.loc[cid].get('name')) or cid}" for cid in self.ids]
        names = sheet_names(titles, taken=taken + ([plan_name] if plan_name else []))
        rows = []
        for cid, sheet in zip(self.ids, names):
            frow = self.adp_sheet(sheet, cid)
            need = _num(self.c.loc[cid].get("market_spend"))
            rows.append((cid, sheet, frow, _cached(float(planning.adp_forecast(need, 0.0, 0.0)))))
        if plan_name:
            self.plan_sheet(plan_name, rows)
            names.append(plan_name)
        return names

    def write(self, filename: str) -> None:
        if self.buffer is None:
            raise ValueError("this writer renders into a given workbook; it has no file of its own")
        self.add_sheets()
        self.wb.close()
        Path(filename).write_bytes(self.buffer.getvalue())


def write_adp_workbooks(analysis, groups: Iterable[tuple[Sequence[Any], Any]], *, lang: str = "en") -> list[Path]:
    """Several ADP workbooks at once (``xlb2b adp --split``): ``groups`` is
    ``[(client_ids, path), ...]``; the portfolio and the financials are
    computed once for all of them.  Each file is written atomically."""
    groups = [(list(ids), Path(path)) for ids, path in groups]
    ctx = _Context(analysis, [i for ids, _ in groups for i in ids])
    out = []
    for ids, path in groups:
        atomic_write(path, _AdpWriter(ctx, ids, lang).write)
        out.append(path)
    return out


def add_adp_sheets(
    workbook, analysis, client_ids: Sequence[Any], *, lang: str = "en", taken: Iterable[str] = (), plan: bool = True
) -> list[str]:
    """Add the ADP sheets of ``client_ids`` (and the revenue plan) to an open
    XlsxWriter-like ``workbook``; names avoid ``taken``.  Returns the names."""
    ids = list(dict.fromkeys(client_ids))
    return _AdpWriter(_Context(analysis, ids), ids, lang, workbook).add_sheets(taken, plan=plan)


def add_blank_adp_sheet(workbook, *, lang: str = "en", taken: Iterable[str] = ()) -> str:
    """Add one blank ADP sheet (every section, empty inputs, live formulas) to
    an open XlsxWriter-like ``workbook``, named after the locale's prefix
    (``ADP``) and avoiding ``taken``.  Returns its name."""
    w = _AdpWriter(None, [], lang, workbook)
    name = sheet_names([w.L["sheet_prefix"]], taken=taken)[0]
    w.adp_sheet(name, None)
    return name


def add_blank_revenue_plan(workbook, *, lang: str = "en", rows: int = 20, taken: Iterable[str] = ()) -> str:
    """Add a blank revenue plan: ``rows`` input rows (client, ADP sheet,
    forecast), the total, the target and the gap.  Returns the sheet name."""
    w = _AdpWriter(None, [], lang, workbook)
    name = sheet_names([w.L["plan_sheet"]], taken=taken)[0]
    w.plan_sheet(name, [], blank_rows=rows)
    return name


def add_checklist_sheet(workbook, *, lang: str = "en", client_name: str | None = None):
    """Add a progress-policy checklist sheet (the 23 steps with done / date /
    owner inputs and the completion share; sheet-scoped names ``company``,
    ``steps_done``, ``completion_share``) to ``workbook``.  Returns the
    worksheet."""
    w = _AdpWriter(None, [], lang, workbook)
    title = w.L["checklist_sheet"] + (f" {client_name}" if client_name else "")
    existing = workbook.worksheets() if hasattr(workbook, "worksheets") else []
    name = sheet_names([title], taken=[ws.get_name() for ws in existing])[0]
    w.checklist_sheet(name, client_name)
    return w.last_sheet


def write_adp_workbook(analysis, client_ids: Sequence[Any], path, *, lang: str = "en") -> Path:
    """One ADP sheet per client of ``client_ids`` (in that order) and the
    revenue plan, written atomically to ``path``.  Raises KeyError naming the
    ids that are not among the analysed clients."""
    return write_adp_workbooks(analysis, [(client_ids, path)], lang=lang)[0]
