"""Excel cell functions (=PSC_SEGMENT, =ABC_CLASS, =NPS and the rest), thin over the core.

Excel functions: ``=PSC_SEGMENT(...)``, ``=ABC_CLASS(...)``, ``=NPS(...)``…

Every function is thin: :mod:`udfs.convert` turns the cells into arrays, one
core function of :mod:`xlb2b` computes, and the result goes back as a column
that spills (or one value).  A bad argument gives ``"#VALUE! <reason>"``,
never a traceback.  Without any xlwings licence or Excel, the functions are
plain Python functions taking lists.

The docstrings feed Excel's function descriptions (first paragraph) and the
reference ``docs/functions.md`` (``tools/gen_function_docs.py``): the line
``Method:`` names the METHODOLOGY section, the line ``Example:`` is a call that
the generator runs to show its result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xlwings as xw

from xlb2b import planning
from xlb2b.analysis import segments as seg
from xlb2b.analysis.metrics import Window, client_metrics, market_metrics, resolve_window
from xlb2b.analysis.satisfaction import csi_detail, nps_detail, otif_detail
from xlb2b.analysis.scores import quantile_score
from xlb2b.errors import InputError
from xlb2b.locale import label
from xlb2b.planning.portfolio import AXES, TIERS, bant, bcg_scores
from xlb2b.settings import PSC_RULE_KEYS, STRATEGY_KEYS, Settings

from . import convert as cv
from .convert import UdfError, guard
from .convert import excel_description as _described

__all__ = [
    "PSC_SEGMENT",
    "PSC_CUTS",
    "PSC_GROUP",
    "SPL_SEGMENT",
    "KML_SEGMENT",
    "DSL_SEGMENT",
    "DSL_LEVEL",
    "RFM_SCORE",
    "RFM_SEGMENT",
    "ABC_CLASS",
    "XYZ_CLASS",
    "QUANTILE_SCORE",
    "HHI",
    "SOW",
    "REGULARITY",
    "SLOTS",
    "LTV_B2B",
    "BCG_SCORE",
    "BCG_TIER",
    "BCG_STRATEGY",
    "BANT_SCORE",
    "ADP_FORECAST",
    "PROGRESS_LEVEL",
    "NPS",
    "CSI",
    "OTIF",
    "B2B_METRICS",
    "B2B_SEGMENTS",
]

_DEFAULTS = Settings()


def _settings(**changes) -> Settings:
    """Default settings with some values replaced, validated by the core."""
    try:
        return _DEFAULTS.copy(**changes)
    except InputError as e:
        raise UdfError("; ".join(f"{p.column}: {p.reason}" for p in e.report.fatal) or str(e)) from None


def _cuts(x, name: str, k: int) -> np.ndarray | None:
    """k − 1 cut points in increasing order, or None when omitted."""
    if cv.is_missing(x):
        return None
    c = cv.numbers(x, name)
    c = c[~np.isnan(c)]
    if c.size != k - 1:
        raise UdfError(f"{name}: expected {k - 1} cut points, got {c.size}")
    if np.any(np.diff(c) < 0):
        raise UdfError(f"{name}: cut points must be in increasing order")
    return c


def _codes(x, name: str, letters: str, sep: str) -> list[np.ndarray]:
    """Segment codes such as ``P3_S2_C1`` back into their score columns."""
    t = cv.texts(x, name)
    parts = pd.Series(t, dtype=object).str.upper()
    pat = sep.join(f"{ch}([1-9])" for ch in letters)
    m = parts.str.fullmatch(pat)
    bad = np.flatnonzero(parts.notna().to_numpy() & ~m.fillna(False).to_numpy(dtype=bool))
    if bad.size:
        example = sep.join(f"{ch}1" for ch in letters)
        raise UdfError(f"{name}: value {bad[0] + 1} ({t[bad[0]]!r}) is not a code like {example}")
    ext = parts.str.extract(pat)
    return [pd.to_numeric(ext[i], errors="coerce").to_numpy(dtype="float64") for i in range(len(letters))]


# =================================================================== segments
@_described
@xw.func
@xw.ret("raw")
@xw.arg("price", "raw", doc="Average unit price per client (one row per client).")
@xw.arg("regularity", "raw", doc="Regularity 0..1 (active months / months observed).")
@xw.arg("units", "raw", doc="Units bought per client (slots).")
@xw.arg(
    "cut_points",
    "raw",
    doc="Optional: the PSC_CUTS table (rows P and C, k−1 cut points each; an S row replaces the S bounds).",
)
@guard
def PSC_SEGMENT(price, regularity, units, cut_points=None):
    """PSC segment code per client, e.g. P3_S2_C1 (P price, S regularity, C units).

    P and C are tercile scores (cut points PERCENTILE.INC of the column, or
    the ``cut_points`` given), S a threshold score (S3 ≥ 0.75, S2 ≥ 0.40).
    Clients without positive units get no code.

    Method: METHODOLOGY §3–§4 (PSC)
    Example: PSC_SEGMENT([[10], [20], [30], [40], [50], [60]], [[0.9], [0.5], [0.2], [0.8], [0.4], [1]], [[5], [50], [500], [20], [2], [100]])

    RU: Код сегмента PSC по каждому клиенту, например P3_S2_C1 (P — цена, S — регулярность, C — количество).
    RU price: Средняя цена единицы по каждому клиенту (одна строка на клиента).
    RU regularity: Регулярность 0..1 (месяцы с покупкой / месяцы наблюдения).
    RU units: Количество купленных единиц (слотов) по каждому клиенту.
    RU cut_points: Необязательно: таблица PSC_CUTS (строки P и C, по k−1 точек отсечения; строка S заменяет границы S).
    """
    frame = _psc_frame(price, regularity, units)
    if cv.is_missing(cut_points):
        p_basis, c_basis = seg.psc_basis(frame, _DEFAULTS)
        cv.not_all_equal(p_basis, "price")
        cv.not_all_equal(c_basis, "units")
        return cv.column(seg.psc(frame, _DEFAULTS).columns["psc_code"])
    rows = _cut_table(cut_points, _DEFAULTS.quantile_k)
    settings = _DEFAULTS if "S" not in rows else _settings(psc_s_bounds=tuple(rows["S"]))
    result = seg.psc(frame, settings, cuts={"psc_p": rows["P"], "psc_c": rows["C"]})
    return cv.column(result.columns["psc_code"])


def _psc_frame(price, regularity, units) -> pd.DataFrame:
    """The three PSC columns as the core's client table."""
    p = cv.numbers(price, "price", min_value=0)
    s = cv.numbers(regularity, "regularity", min_value=0)
    c = cv.numbers(units, "units")
    cv.same_length(price=p, regularity=s, units=c)
    return pd.DataFrame({"avg_unit_price": p, "regularity": s, "units": c})


def _cut_table(x, k: int) -> dict[str, np.ndarray | None]:
    """The PSC_CUTS table (labelled rows P, S, C; a header row is skipped) or
    two unlabelled rows (P, C) of k − 1 numbers."""
    rows = [r for r in cv.rows(x) if not all(cv._blank(v) for v in r)]
    out: dict[str, np.ndarray | None] = {}
    plain = []
    for r in rows:
        head = r[0]
        if isinstance(head, str) and head.strip().upper() in ("P", "S", "C"):
            out[head.strip().upper()] = _cuts(
                [r[1:]], f"cut_points row {head.strip()}", k if head.strip().upper() != "S" else 3
            )
        elif isinstance(head, str):
            continue  # header row
        else:
            plain.append(r)
    if not out and len(plain) == 2:
        out = {"P": _cuts([plain[0]], "cut_points row 1", k), "C": _cuts([plain[1]], "cut_points row 2", k)}
    if "P" not in out or "C" not in out:
        raise UdfError("cut_points: expected rows P and C (as PSC_CUTS returns them)")
    return out


@_described
@xw.func
@xw.ret("raw")
@xw.arg("price", "raw", doc="Average unit price per client.")
@xw.arg("regularity", "raw", doc="Regularity 0..1 per client.")
@xw.arg("units", "raw", doc="Units bought per client.")
@guard
def PSC_CUTS(price, regularity, units):
    """The PSC cut points: a table with rows P, S, C and the cut points of each score.

    P and C: PERCENTILE.INC of the scored clients' values at 1/3 and 2/3;
    S: the fixed bounds 0.40 and 0.75.  Pass this table to PSC_SEGMENT to
    score other clients on the same scale.

    Method: METHODOLOGY §3–§4 (PSC)
    Example: PSC_CUTS([[10], [20], [30], [40], [50], [60]], [[0.9], [0.5], [0.2], [0.8], [0.4], [1]], [[5], [50], [500], [20], [2], [100]])

    RU: Точки отсечения PSC: таблица со строками P, S, C и точками отсечения каждой оценки.
    RU price: Средняя цена единицы по каждому клиенту.
    RU regularity: Регулярность 0..1 по каждому клиенту.
    RU units: Количество купленных единиц по каждому клиенту.
    """
    frame = _psc_frame(price, regularity, units)
    p_basis, c_basis = seg.psc_basis(frame, _DEFAULTS)
    cv.not_all_equal(p_basis, "price")
    cv.not_all_equal(c_basis, "units")
    result = seg.psc(frame, _DEFAULTS)
    k = _DEFAULTS.quantile_k
    header = ["score"] + [f"cut {j}" for j in range(1, k)]
    s_bounds = list(_DEFAULTS.psc_s_bounds) + [None] * (k - 1 - len(_DEFAULTS.psc_s_bounds))
    return [
        header,
        ["P"] + [cv.py(t) for t in result.cuts["psc_p"]],
        ["S"] + [cv.py(t) for t in s_bounds],
        ["C"] + [cv.py(t) for t in result.cuts["psc_c"]],
    ]


@_described
@xw.func
@xw.ret("raw")
@xw.arg("code", "raw", doc="PSC code per client, e.g. P3_S2_C1.")
@xw.arg("tenure_months", "raw", doc="Optional: months since the first purchase (New clients: ≤ 3).")
@xw.arg(
    "rules",
    "raw",
    doc="Optional: rule table with headers group, p_min, p_max, s_min, s_max, c_min, c_max, tenure_min, tenure_max; top-down, first match wins.",
)
@guard
def PSC_GROUP(code, tenure_months=None, rules=None):
    """Named PSC group per client, e.g. "01 Best", from its PSC code.

    The rule table is evaluated top-down and the first matching rule wins
    (default: 06 New, 01 Best, 05 Misers, 02 Unstable best,
    03 Systematic expensive but little, 04 Normal).

    Method: METHODOLOGY §4 (PSC named groups)
    Example: PSC_GROUP([["P3_S3_C3"], ["P1_S2_C3"], ["P2_S1_C2"], ["P2_S2_C2"]])

    RU: Именованная группа PSC по каждому клиенту, например «01 Best», по его коду PSC.
    RU code: Код PSC по каждому клиенту, например P3_S2_C1.
    RU tenure_months: Необязательно: месяцев с первой покупки (новые клиенты: ≤ 3).
    RU rules: Необязательно: таблица правил с заголовками group, p_min, p_max, s_min, s_max, c_min, c_max, tenure_min,
        tenure_max; сверху вниз, первое совпадение.
    """
    p, s, c = _codes(code, "code", "PSC", "_")
    tenure = (
        np.full(p.size, np.nan)
        if cv.is_missing(tenure_months)
        else cv.numbers(tenure_months, "tenure_months", min_value=0, allow_empty=True)
    )
    cv.same_length(code=p, tenure_months=tenure)
    settings = _DEFAULTS if cv.is_missing(rules) else _settings(psc_groups=_rules(rules))
    return cv.column(seg.psc_groups(p, s, c, tenure, settings.psc_groups))


def _rules(x) -> list[dict]:
    rows = [r for r in cv.rows(x) if not all(cv._blank(v) for v in r)]
    if len(rows) < 2:
        raise UdfError("rules: expected a header row (group, p_min, …) and at least one rule")
    head = [str(h).strip().casefold() if h is not None else "" for h in rows[0]]
    if "group" not in head:
        raise UdfError("rules: no 'group' column in the header row")
    unknown = [h for h in head if h and h != "group" and h not in PSC_RULE_KEYS]
    if unknown:
        raise UdfError(f"rules: unknown column {unknown[0]!r}; use group, {', '.join(PSC_RULE_KEYS)}")
    out = []
    for r in rows[1:]:
        rule = {}
        for h, v in zip(head, r):
            if not h or cv._blank(v):
                continue
            rule[h] = str(v).strip() if h == "group" else cv.number(v, f"rules {h}")
        out.append(rule)
    return out


@_described
@xw.func
@xw.ret("raw")
@xw.arg("regularity", "raw", doc="Regularity 0..1 per client.")
@xw.arg("overdue_days", "raw", doc="Days of overdue payment per client (0 = pays on time).")
@xw.arg("gross_profit", "raw", doc="Gross profit per client.")
@xw.arg("cut_points", "raw", doc="Optional: the k−1 cut points of the L (gross profit) score.")
@guard
def SPL_SEGMENT(regularity, overdue_days, gross_profit, cut_points=None):
    """SPL segment code per client, e.g. S3_P2_L1 (regularity, payment discipline, gross profit).

    S as in PSC; P3 no overdue, P2 overdue ≤ 30 days, P1 above; L terciles of
    gross profit.

    Method: METHODOLOGY §4 (SPL)
    Example: SPL_SEGMENT([[0.9], [0.5], [0.2]], [[0], [12], [45]], [[100], [300], [200]])

    RU: Код сегмента SPL по каждому клиенту, например S3_P2_L1 (регулярность, платёжная дисциплина, валовая прибыль).
    RU regularity: Регулярность 0..1 по каждому клиенту.
    RU overdue_days: Дней просрочки оплаты по каждому клиенту (0 — платит вовремя).
    RU gross_profit: Валовая прибыль по каждому клиенту.
    RU cut_points: Необязательно: k−1 точек отсечения оценки L (валовая прибыль).
    """
    s = cv.numbers(regularity, "regularity", min_value=0)
    d = cv.numbers(overdue_days, "overdue_days", allow_empty=True)
    gp = cv.numbers(gross_profit, "gross_profit")
    cv.same_length(regularity=s, overdue_days=d, gross_profit=gp)
    frame = pd.DataFrame({"regularity": s, "overdue_days": d, "gross_profit": gp})
    if np.isnan(d).all():
        raise UdfError("overdue_days: no payment data, SPL is not computed", "na")
    cuts = _cuts(cut_points, "cut_points", _DEFAULTS.quantile_k)
    if cuts is None:
        cv.not_all_equal(gp, "gross_profit")
    return cv.column(seg.spl(frame, _DEFAULTS, cuts={"spl_l": cuts}).columns["spl_code"])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("suppliers", "raw", doc="Number of distinct suppliers of the client.")
@xw.arg("hhi", "raw", doc="Herfindahl–Hirschman index 0..1 of the client's supplier shares.")
@xw.arg("market_spend", "raw", doc="Client's total market spend.")
@xw.arg("cut_points", "raw", doc="Optional: the k−1 cut points of the L (market spend) score.")
@guard
def KML_SEGMENT(suppliers, hhi, market_spend, cut_points=None):
    """KML segment code per prospect, e.g. K2_M3_L1 (competitors, concentration, market spend).

    K1 = 1 supplier, K2 = 2–3, K3 ≥ 4; M3 HHI ≥ 0.60, M2 ≥ 0.35; L terciles
    of the positive market spends.

    Method: METHODOLOGY §4 (KML)
    Example: KML_SEGMENT([[1], [3], [5]], [[1], [0.4], [0.2]], [[1000], [5000], [20000]])

    RU: Код сегмента KML по каждому потенциальному клиенту, например K2_M3_L1 (конкуренты, концентрация, объём рынка).
    RU suppliers: Число разных поставщиков клиента.
    RU hhi: Индекс Херфиндаля–Хиршмана 0..1 долей поставщиков клиента.
    RU market_spend: Общие закупки клиента на рынке.
    RU cut_points: Необязательно: k−1 точек отсечения оценки L (закупки на рынке).
    """
    k = cv.numbers(suppliers, "suppliers", min_value=0)
    h = cv.numbers(hhi, "hhi", min_value=0)
    if np.nanmax(h) > 1:
        raise UdfError("hhi: must be between 0 and 1")
    spend = cv.numbers(market_spend, "market_spend", min_value=0)
    cv.same_length(suppliers=k, hhi=h, market_spend=spend)
    frame = pd.DataFrame({"suppliers": k, "hhi": h, "market_spend": spend})
    cuts = _cuts(cut_points, "cut_points", _DEFAULTS.quantile_k)
    if cuts is None:
        cv.not_all_equal(np.where(spend > 0, spend, np.nan), "market_spend")
    return cv.column(seg.kml(frame, _DEFAULTS, cuts={"kml_l": cuts}).columns["kml_code"])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("categories", "raw", doc="Number of product categories the client buys.")
@xw.arg("top_category_share", "raw", doc="Share 0..1 of the client's revenue in its biggest category.")
@xw.arg("gross_profit", "raw", doc="Gross profit per client.")
@xw.arg("cut_points", "raw", doc="Optional: the k−1 cut points of the L (gross profit) score.")
@guard
def DSL_SEGMENT(categories, top_category_share, gross_profit, cut_points=None):
    """DSL segment code per client, e.g. D2_S1_L3 (diversity, evenness, gross profit).

    D1 = 1 category, D2 = 2–3, D3 ≥ 4; S1 top share ≥ 0.80, S2 ≥ 0.50,
    S3 below; L terciles of gross profit.

    Method: METHODOLOGY §4 (DSL)
    Example: DSL_SEGMENT([[1], [3], [5]], [[1], [0.9], [0.3]], [[100], [300], [200]])

    RU: Код сегмента DSL по каждому клиенту, например D2_S1_L3 (разнообразие, равномерность, валовая прибыль).
    RU categories: Число товарных категорий, которые покупает клиент.
    RU top_category_share: Доля 0..1 выручки клиента в его крупнейшей категории.
    RU gross_profit: Валовая прибыль по каждому клиенту.
    RU cut_points: Необязательно: k−1 точек отсечения оценки L (валовая прибыль).
    """
    d = cv.numbers(categories, "categories", min_value=0)
    s = cv.numbers(top_category_share, "top_category_share", min_value=0)
    if np.nanmax(s) > 1:
        raise UdfError("top_category_share: must be between 0 and 1")
    gp = cv.numbers(gross_profit, "gross_profit")
    cv.same_length(categories=d, top_category_share=s, gross_profit=gp)
    frame = pd.DataFrame({"categories": d, "top_category_share": s, "gross_profit": gp})
    cuts = _cuts(cut_points, "cut_points", _DEFAULTS.quantile_k)
    if cuts is None:
        cv.not_all_equal(gp, "gross_profit")
    return cv.column(seg.dsl(frame, _DEFAULTS, cuts={"dsl_l": cuts}).columns["dsl_code"])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("code", "raw", doc="DSL code per client, e.g. D2_S1_L3.")
@guard
def DSL_LEVEL(code):
    """DSL level 1..3 per client from its DSL code.

    Level 1 = D1 (buys one category), Level 2 = D ≥ 2 and S1 (tried others),
    Level 3 = D ≥ 2 and S ≥ 2 (buys different things evenly).

    Method: METHODOLOGY §4 (DSL levels)
    Example: DSL_LEVEL([["D1_S1_L2"], ["D2_S1_L3"], ["D3_S3_L1"]])

    RU: Уровень DSL 1..3 по каждому клиенту по его коду DSL.
    RU code: Код DSL по каждому клиенту, например D2_S1_L3.
    """
    d, s, _ = _codes(code, "code", "DSL", "_")
    return cv.column(seg.dsl_level(d, s))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("recency_days", "raw", doc="Days since the client's last purchase.")
@xw.arg("orders", "raw", doc="Number of orders per client.")
@xw.arg("revenue", "raw", doc="Revenue per client.")
@guard
def RFM_SCORE(recency_days, orders, revenue):
    """RFM code per client, e.g. R5F4M3: quintile scores of recency (fewer days = 5), orders and revenue.

    Method: METHODOLOGY §3–§4 (RFM)
    Example: RFM_SCORE([[5], [40], [200], [10], [90]], [[12], [3], [1], [8], [2]], [[900], [300], [50], [700], [120]])

    RU: Код RFM по каждому клиенту, например R5F4M3: квинтильные оценки давности (меньше дней — 5), числа заказов и
        выручки.
    RU recency_days: Дней с последней покупки клиента.
    RU orders: Число заказов по каждому клиенту.
    RU revenue: Выручка по каждому клиенту.
    """
    r = cv.numbers(recency_days, "recency_days", min_value=0)
    f = cv.numbers(orders, "orders", min_value=0)
    m = cv.numbers(revenue, "revenue")
    cv.same_length(recency_days=r, orders=f, revenue=m)
    for v, name in ((r, "recency_days"), (f, "orders"), (m, "revenue")):
        cv.not_all_equal(v, name)
    frame = pd.DataFrame({"recency_days": r, "orders": f, "revenue": m})
    return cv.column(seg.rfm(frame, _DEFAULTS).columns["rfm_code"])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("code", "raw", doc="RFM code per client, e.g. R5F4M3.")
@guard
def RFM_SEGMENT(code):
    """Named RFM segment per client, e.g. "Champions", from its RFM code (grid of R × round((F+M)/2)).

    Method: METHODOLOGY §4 (RFM grid)
    Example: RFM_SEGMENT([["R5F4M5"], ["R1F1M2"], ["R3F3M3"]])

    RU: Именованный сегмент RFM по каждому клиенту, например «Champions», по его коду RFM (сетка R × round((F+M)/2)).
    RU code: Код RFM по каждому клиенту, например R5F4M3.
    """
    r, f, m = _codes(code, "code", "RFM", "")
    bad = np.flatnonzero((r > 5) | (f > 5) | (m > 5))
    if bad.size:
        raise UdfError(f"code: value {bad[0] + 1} has a score above 5")
    return cv.column(seg.rfm_segment(r, f, m, _DEFAULTS.rfm_grid))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("values", "raw", doc="Revenue (or another value) per client, ≥ 0.")
@xw.arg("a_cut", "raw", doc="Optional: cumulative share that ends class A (default 0.80).")
@xw.arg("b_cut", "raw", doc="Optional: cumulative share that ends class B (default 0.95).")
@guard
def ABC_CLASS(values, a_cut=None, b_cut=None):
    """ABC class per client: A while the clients before it hold < 80 % of the total, B < 95 %, else C.

    Clients are sorted by value descending (ties: the upper row first); the
    client that crosses 80 % is still A.

    Method: METHODOLOGY §4 (ABC)
    Example: ABC_CLASS([[500], [300], [100], [60], [40]])

    RU: Класс ABC по каждому клиенту: A, пока клиенты перед ним держат < 80 % итога, B — < 95 %, иначе C.
    RU values: Выручка (или другая величина) по каждому клиенту, ≥ 0.
    RU a_cut: Необязательно: накопленная доля, на которой заканчивается класс A (по умолчанию 0,80).
    RU b_cut: Необязательно: накопленная доля, на которой заканчивается класс B (по умолчанию 0,95).
    """
    v = cv.numbers(values, "values", min_value=0)
    a = cv.number(a_cut, "a_cut", _DEFAULTS.abc_cuts[0])
    b = cv.number(b_cut, "b_cut", _DEFAULTS.abc_cuts[-1])
    settings = _settings(abc_cuts=(a, b))
    ids = np.array([f"{i:012d}" for i in range(v.size)], dtype=object)  # ties keep row order
    return cv.column(seg.abc_classes(v, ids, settings.abc_cuts))


_MONTH0 = pd.Timestamp("2000-01-01")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("monthly_values", "raw", doc="Monthly revenue: one row per client, one column per month.")
@xw.arg("x_cut", "raw", doc="Optional: highest coefficient of variation of class X (default 0.10).")
@xw.arg("y_cut", "raw", doc="Optional: highest coefficient of variation of class Y (default 0.25).")
@guard
def XYZ_CLASS(monthly_values, x_cut=None, y_cut=None):
    """XYZ class per client from its monthly revenue: X if the coefficient of variation ≤ 0.10, Y ≤ 0.25, else Z.

    The coefficient of variation is the population standard deviation / mean
    of the monthly revenue from the client's first purchase to the last month
    (at least 3 months; zero months count), as in the analysis.

    Method: METHODOLOGY §2 (monthly_cv), §4 (XYZ)
    Example: XYZ_CLASS([[100, 100, 100, 100], [100, 80, 120, 100], [0, 300, 0, 100]])

    RU: Класс XYZ по каждому клиенту по месячной выручке: X, если коэффициент вариации ≤ 0,10, Y — ≤ 0,25, иначе Z.
    RU monthly_values: Месячная выручка: строка на клиента, столбец на месяц.
    RU x_cut: Необязательно: наибольший коэффициент вариации класса X (по умолчанию 0,10).
    RU y_cut: Необязательно: наибольший коэффициент вариации класса Y (по умолчанию 0,25).
    """
    rows = cv.rows(monthly_values)
    if not rows or all(cv.is_missing(r) for r in rows):
        raise UdfError("monthly_values: the range is empty")
    width = max(len(r) for r in rows)
    m = np.vstack([cv.numbers([r + [None] * (width - len(r))], "monthly_values", allow_empty=True) for r in rows])
    x = cv.number(x_cut, "x_cut", _DEFAULTS.xyz_cuts[0])
    y = cv.number(y_cut, "y_cut", _DEFAULTS.xyz_cuts[-1])
    settings = _settings(xyz_cuts=(x, y))
    n, k = m.shape
    ci, mi = np.nonzero(~np.isnan(m))
    months = pd.DatetimeIndex([_MONTH0 + pd.DateOffset(months=j) for j in range(k)])
    tx = pd.DataFrame({"client_id": ci, "date": months[mi], "amount": m[ci, mi]})
    window = Window(months[0], months[-1] + pd.offsets.MonthEnd(0))
    table = client_metrics(tx, window, settings).table.set_index("client_id")
    cvs = table["monthly_cv"].reindex(np.arange(n)).to_numpy(dtype="float64")
    out = seg.xyz_classes(cvs, settings.xyz_cuts)
    out[~np.isin(np.arange(n), ci)] = np.nan
    return cv.column(out)


@_described
@xw.func
@xw.ret("raw")
@xw.arg("values", "raw", doc="Values to score, one per client.")
@xw.arg("k", "raw", doc="Optional: number of classes (default 3).")
@xw.arg("descending", "raw", doc="Optional: TRUE when smaller is better (e.g. recency); default FALSE.")
@guard
def QUANTILE_SCORE(values, k=None, descending=None):
    """Quantile score 1..k per value (cut points PERCENTILE.INC at j/k; a value on a cut point stays down).

    Method: METHODOLOGY §3 (quantile score)
    Example: QUANTILE_SCORE([[1], [2], [3], [4], [5], [6]], 3)

    RU: Квантильная оценка 1..k каждого значения (точки отсечения PERCENTILE.INC в j/k; значение на точке отсечения
        остаётся ниже).
    RU values: Оцениваемые значения, по одному на клиента.
    RU k: Необязательно: число классов (по умолчанию 3).
    RU descending: Необязательно: ИСТИНА, когда меньше — лучше (например, давность); по умолчанию ЛОЖЬ.
    """
    v = cv.numbers(values, "values")
    kk = cv.integer(k, "k", _DEFAULTS.quantile_k, 2)
    desc = cv.flag(descending, "descending", False)
    cv.not_all_equal(v, "values")
    scores, _ = quantile_score(v, kk, descending=desc)
    return cv.column(scores)


# =================================================================== metrics
@_described
@xw.func
@xw.ret("raw")
@xw.arg("amounts_or_shares", "raw", doc="One client's purchases (or shares) per supplier.")
@guard
def HHI(amounts_or_shares):
    """Herfindahl–Hirschman index 0..1 of one client's supplier shares (1 = a single supplier).

    Shares are each supplier's positive amount / the total, so amounts and
    shares give the same index.

    Method: METHODOLOGY §4 (KML, M score)
    Example: HHI([[50], [30], [20]])

    RU: Индекс Херфиндаля–Хиршмана 0..1 долей поставщиков одного клиента (1 — единственный поставщик).
    RU amounts_or_shares: Закупки (или доли) одного клиента по поставщикам.
    """
    v = cv.numbers(amounts_or_shares, "amounts_or_shares", min_value=0)
    ok = ~np.isnan(v)
    mkt = pd.DataFrame({"client_id": 0, "supplier": np.flatnonzero(ok).astype(str), "amount": v[ok]})
    mm = market_metrics(mkt, Window(_MONTH0, _MONTH0), _DEFAULTS)
    return cv.scalar(mm["hhi"].iloc[0] if len(mm) else np.nan, "amounts_or_shares: the total is 0", "num")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("our_amount", "raw", doc="What the client bought from us.")
@xw.arg("total_amount", "raw", doc="What the client bought from all suppliers (the market).")
@guard
def SOW(our_amount, total_amount):
    """Share of wallet per client: our amount / the client's total market spend (0..1).

    Method: METHODOLOGY §4 (KML, SOW)
    Example: SOW([[200], [50]], [[1000], [50]])

    RU: Доля кошелька по каждому клиенту: наша сумма / все закупки клиента на рынке (0..1).
    RU our_amount: Сколько клиент купил у нас.
    RU total_amount: Сколько клиент купил у всех поставщиков (рынок).
    """
    ours = cv.numbers(our_amount, "our_amount", min_value=0)
    total = cv.numbers(total_amount, "total_amount", positive=True)
    cv.same_length(our_amount=ours, total_amount=total)
    bad = np.flatnonzero(ours > total)
    if bad.size:
        raise UdfError(f"our_amount: value {bad[0] + 1} is above the total amount")
    return cv.column(planning.share_of_wallet(ours, total))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("order_dates", "raw", doc="One client's order (purchase) dates.")
@xw.arg(
    "window_start",
    "raw",
    doc="Optional: first day of the analysis window (default: 12 months ending with the latest order's month).",
)
@xw.arg("window_end", "raw", doc="Optional: last day of the analysis window.")
@guard
def REGULARITY(order_dates, window_start=None, window_end=None):
    """Regularity 0..1 of one client: months with a purchase / months observed in the window.

    Months are observed from the client's first purchase (at least 3); the
    default window is the 12 calendar months ending with the latest order.

    Method: METHODOLOGY §1–§2 (regularity)
    Example: REGULARITY([[45292], [45323], [45383], [45597]])

    RU: Регулярность 0..1 одного клиента: месяцы с покупкой / месяцы наблюдения в окне.
    RU order_dates: Даты заказов (покупок) одного клиента.
    RU window_start: Необязательно: первый день окна анализа (по умолчанию: 12 месяцев по месяц последнего заказа).
    RU window_end: Необязательно: последний день окна анализа.
    """
    d = cv.dates(order_dates, "order_dates")
    start, end = cv.date(window_start, "window_start"), cv.date(window_end, "window_end")
    if (start is None) != (end is None):
        raise UdfError("give both window_start and window_end, or neither")
    if start is not None:
        settings = _settings(window="explicit", window_start=start.date(), window_end=end.date())
    else:
        settings = _DEFAULTS
    window = resolve_window(d, settings)
    tx = pd.DataFrame({"client_id": 0, "date": d, "amount": 1.0})
    t = client_metrics(tx, window, settings).table
    return cv.scalar(t["regularity"].iloc[0], "no purchase in the window")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue", "raw", doc="Revenue per client.")
@xw.arg("avg_price", "raw", doc="Average unit price per client (> 0).")
@guard
def SLOTS(revenue, avg_price):
    """Slots (units) per client: revenue / average unit price (the B2B profit formula LTV = P × slots).

    Method: METHODOLOGY §2 (units, LTV)
    Example: SLOTS([[1000], [450]], [[20], [15]])

    RU: Слоты (единицы) по каждому клиенту: выручка / средняя цена единицы (формула прибыли B2B: LTV = P × слоты).
    RU revenue: Выручка по каждому клиенту.
    RU avg_price: Средняя цена единицы по каждому клиенту (> 0).
    """
    r = cv.numbers(revenue, "revenue")
    p = cv.numbers(avg_price, "avg_price", positive=True)
    cv.same_length(revenue=r, avg_price=p)
    return cv.column(planning.slots(r, p))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("avg_price", "raw", doc="Average unit price per client (≥ 0).")
@xw.arg("slots", "raw", doc="Slots (units) per client.")
@guard
def LTV_B2B(avg_price, slots):
    """Client value in the window by the B2B profit formula: LTV = average price × slots.

    Method: METHODOLOGY §2 (LTV)
    Example: LTV_B2B([[20], [15]], [[50], [30]])

    RU: Ценность клиента в окне по формуле прибыли B2B: LTV = средняя цена × слоты.
    RU avg_price: Средняя цена единицы по каждому клиенту (≥ 0).
    RU slots: Слоты (единицы) по каждому клиенту.
    """
    p = cv.numbers(avg_price, "avg_price", min_value=0)
    s = cv.numbers(slots, "slots")
    cv.same_length(avg_price=p, slots=s)
    return cv.column(planning.ltv(p, s))


# =================================================================== portfolio
def _ratings(x, name: str) -> np.ndarray:
    rows = cv.rows(x)
    width = max(len(r) for r in rows) if rows else 0
    m = np.vstack([cv.numbers([r + [None] * (width - len(r))], name, allow_empty=True) for r in rows])
    if np.isnan(m).all():
        raise UdfError(f"{name}: the range is empty")
    bad = np.argwhere(~np.isnan(m) & ((m < 1) | (m > 5)))
    if bad.size:
        i, j = bad[0]
        raise UdfError(f"{name}: row {i + 1}, column {j + 1} is {m[i, j]:g}; ratings are 1..5")
    return m


@_described
@xw.func
@xw.ret("raw")
@xw.arg(
    "ratings",
    "raw",
    doc="Ratings 1..5 of one axis: one row per client, one column per factor (up to 5); empty = not rated.",
)
@xw.arg("weights", "raw", doc="Optional: one weight ≥ 0 per factor column (default: equal).")
@guard
def BCG_SCORE(ratings, weights=None):
    """Axis score per client: weighted mean Σ wᵢ·rᵢ / Σ wᵢ of the rated factors (missing ratings left out).

    Method: METHODOLOGY §5 (portfolio scoring)
    Example: BCG_SCORE([[4, 4, 3, 5, 2], [2, 1, 2, 1, 3]])

    RU: Оценка по оси для каждого клиента: взвешенное среднее Σ wᵢ·rᵢ / Σ wᵢ оценённых факторов (пустые оценки не
        учитываются).
    RU ratings: Оценки 1..5 одной оси: строка на клиента, столбец на фактор (до 5); пусто — не оценено.
    RU weights: Необязательно: по одному весу ≥ 0 на столбец факторов (по умолчанию равные).
    """
    r = _ratings(ratings, "ratings")
    keys = AXES["relationship"]
    if r.shape[1] > len(keys):
        raise UdfError(f"ratings: one axis has {len(keys)} factors, got {r.shape[1]} columns")
    w = np.ones(r.shape[1]) if cv.is_missing(weights) else cv.numbers(weights, "weights", min_value=0)
    if w.size != r.shape[1] or np.isnan(w).any():
        raise UdfError(f"weights: expected {r.shape[1]} weights (one per ratings column), got {w.size}")
    frame = pd.DataFrame({keys[j]: r[:, j] for j in range(r.shape[1])})
    frame.insert(0, "client_id", np.arange(len(frame)))
    weights_all = {k: 0.0 for k in keys} | {keys[j]: float(w[j]) for j in range(w.size)}
    out = bcg_scores(frame, _settings(bcg_weights=weights_all))
    return cv.column(out["relationship"])


def _tier_frame(score: np.ndarray, axis: str) -> pd.DataFrame:
    """Scores as the single rated factor of an axis (weight 1): the core's
    tier of that axis is then the tier of the score."""
    return pd.DataFrame({"client_id": np.arange(score.size), AXES[axis][0]: score})


_AXIS_ALIASES = {
    "attractiveness": "attractiveness",
    "a": "attractiveness",
    "relationship": "relationship",
    "r": "relationship",
}


@_described
@xw.func
@xw.ret("raw")
@xw.arg("score", "raw", doc="Axis score 1..5 (from BCG_SCORE).")
@xw.arg(
    "axis", "raw", doc='Optional: "attractiveness" (High/Medium/Low, default) or "relationship" (Strong/Medium/Weak).'
)
@guard
def BCG_TIER(score, axis=None):
    """Tier per client: top if the score ≥ 11/3, middle if ≥ 7/3, else bottom (High/Medium/Low or Strong/Medium/Weak).

    Method: METHODOLOGY §5 (tiers)
    Example: BCG_TIER([[4.2], [3], [1.5]])

    RU: Уровень по каждому клиенту: верхний, если оценка ≥ 11/3, средний — ≥ 7/3, иначе нижний (High/Medium/Low или
        Strong/Medium/Weak).
    RU score: Оценка по оси 1..5 (из BCG_SCORE).
    RU axis: Необязательно: "attractiveness" (High/Medium/Low, по умолчанию) или "relationship" (Strong/Medium/Weak).
    """
    s = cv.numbers(score, "score", min_value=1)
    if np.nanmax(s) > 5:
        raise UdfError("score: axis scores are 1..5")
    name = cv.text(axis, "axis", "attractiveness").casefold()
    if name not in _AXIS_ALIASES:
        raise UdfError('axis: use "attractiveness" or "relationship"')
    ax = _AXIS_ALIASES[name]
    out = bcg_scores(_tier_frame(s, ax), _DEFAULTS)
    return cv.column(out[f"{ax}_tier"].replace("", np.nan))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("attractiveness", "raw", doc="Attractiveness score 1..5 or tier (High/Medium/Low).")
@xw.arg("relationship", "raw", doc="Relationship score 1..5 or tier (Strong/Medium/Weak).")
@xw.arg("lang", "raw", doc='Optional: "en" (default) or "ru".')
@guard
def BCG_STRATEGY(attractiveness, relationship, lang=None):
    """Strategy of the BCG matrix per client, e.g. "Invest", from the two axis scores or tiers.

    Method: METHODOLOGY §5 (strategy matrix)
    Example: BCG_STRATEGY([[4.5], [3], [1.2]], [[2], [4], [4]])

    RU: Стратегия матрицы BCG по каждому клиенту, например «Invest», по оценкам или уровням двух осей.
    RU attractiveness: Оценка привлекательности 1..5 или уровень (High/Medium/Low).
    RU relationship: Оценка отношений 1..5 или уровень (Strong/Medium/Weak).
    RU lang: Необязательно: "en" (по умолчанию) или "ru".
    """
    lng = cv.text(lang, "lang", "en").casefold()
    if lng not in ("en", "ru"):
        raise UdfError('lang: use "en" or "ru"')
    settings = _settings(locale=lng)
    a_cells, r_cells = cv.raw(attractiveness, "attractiveness"), cv.raw(relationship, "relationship")
    cv.same_length(attractiveness=a_cells, relationship=r_cells)
    if all(isinstance(v, str) for v in a_cells if v is not None) and all(
        isinstance(v, str) for v in r_cells if v is not None
    ):
        a = pd.Series(a_cells, dtype=object).str.strip().str.capitalize()
        r = pd.Series(r_cells, dtype=object).str.strip().str.capitalize()
        bad = [(v, TIERS["attractiveness"]) for v in a.dropna() if v not in TIERS["attractiveness"]]
        bad += [(v, TIERS["relationship"]) for v in r.dropna() if v not in TIERS["relationship"]]
        if bad:
            raise UdfError(f"{bad[0][0]!r} is not a tier; use {'/'.join(bad[0][1])}")
        keys = (a + "|" + r).map({f"{x}|{y}": k for (x, y), k in STRATEGY_KEYS.items()})
        return cv.column(keys.map(lambda k: label(f"strategy.{k}", lng) if isinstance(k, str) else np.nan))
    a = cv.numbers(attractiveness, "attractiveness", min_value=1)
    r = cv.numbers(relationship, "relationship", min_value=1)
    if max(np.nanmax(a), np.nanmax(r)) > 5:
        raise UdfError("axis scores are 1..5")
    frame = pd.DataFrame({"client_id": np.arange(a.size), AXES["attractiveness"][0]: a, AXES["relationship"][0]: r})
    out = bcg_scores(frame, settings)
    return cv.column(out["strategy"].replace("", np.nan))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("budget", "raw", doc="Has a budget: yes/no (TRUE/FALSE, 1/0, да/нет).")
@xw.arg("account", "raw", doc="We talk to the decision maker: yes/no.")
@xw.arg("need", "raw", doc="Has the need: yes/no.")
@xw.arg("time", "raw", doc="Buys soon enough: yes/no.")
@guard
def BANT_SCORE(budget, account, need, time):
    """BANT score 0..4 per lead: the number of yes answers (qualified at 4).

    Method: METHODOLOGY §5 (BANT)
    Example: BANT_SCORE([["yes"], ["yes"]], [[True], ["no"]], [[1], ["да"]], [["y"], [0]])

    RU: Оценка BANT 0..4 по каждому лиду: число ответов «да» (квалифицирован при 4).
    RU budget: Есть бюджет: да/нет (ИСТИНА/ЛОЖЬ, 1/0, yes/no).
    RU account: Мы говорим с лицом, принимающим решение: да/нет.
    RU need: Есть потребность: да/нет.
    RU time: Покупает достаточно скоро: да/нет.
    """
    args = {"budget": budget, "account": account, "need": need, "time": time}
    vals = {k: cv.raw(v, k) for k, v in args.items()}
    cv.same_length(**vals)
    score, _ = bant(*vals.values(), threshold=_DEFAULTS.bant_threshold)
    score = np.atleast_1d(score)
    bad = np.flatnonzero(np.isnan(score) & ~np.all([pd.isna(v) for v in vals.values()], axis=0))
    if bad.size:
        raise UdfError(f"row {bad[0] + 1}: every answer must be yes/no (TRUE/FALSE, 1/0, да/нет)")
    return cv.column(score)


# =================================================================== planning
@_described
@xw.func
@xw.ret("raw")
@xw.arg("need", "raw", doc="The client's need (what it buys from all suppliers this year).")
@xw.arg("need_growth", "raw", doc="Expected growth of the need, e.g. 0.1 for +10 %.")
@xw.arg("target_sow", "raw", doc="Our target share of the client's wallet, 0..1.")
@guard
def ADP_FORECAST(need, need_growth, target_sow):
    """Next year's revenue forecast per client: need × (1 + need growth) × target share of wallet.

    Method: METHODOLOGY §6 (Account Development Plan, forecast)
    Example: ADP_FORECAST([[100000]], [[0.1]], [[0.3]])

    RU: Прогноз выручки клиента на следующий год: потребность × (1 + рост потребности) × целевая доля кошелька.
    RU need: Потребность клиента (что он покупает у всех поставщиков за год).
    RU need_growth: Ожидаемый рост потребности, например 0,1 для +10 %.
    RU target_sow: Наша целевая доля кошелька клиента, 0..1.
    """
    n = cv.numbers(need, "need", min_value=0)
    g = cv.numbers(need_growth, "need_growth", min_value=-1)
    s = cv.numbers(target_sow, "target_sow", min_value=0)
    if np.nanmax(s) > 1:
        raise UdfError("target_sow: a share is 0..1")
    cv.same_length(need=n, need_growth=g, target_sow=s)
    return cv.column(planning.adp_forecast(n, g, s))


@_described
@xw.func
@xw.ret("raw")
@xw.arg("ratings", "raw", doc="The six progress ratings 1..5 (a row or a column); several rows = several clients.")
@guard
def PROGRESS_LEVEL(ratings):
    """Progress level: the mean of the progress ratings 1..5 (empty ratings left out).

    Method: METHODOLOGY §6 (ADP progress level)
    Example: PROGRESS_LEVEL([[3, 4, 3, 3, 4, 4]])

    RU: Уровень прогресса: среднее оценок прогресса 1..5 (пустые оценки не учитываются).
    RU ratings: Шесть оценок прогресса 1..5 (строка или столбец); несколько строк — несколько клиентов.
    """
    rows = cv.grid(ratings)
    one = len(rows) == 1 or all(len(r) == 1 for r in rows)
    m = _ratings([cv.cells(ratings)] if one else ratings, "ratings")
    level = np.array([planning.progress_level(row) for row in m])  # one row per client
    return cv.scalar(level[0], "ratings: no rating") if one else cv.column(level)


# =================================================================== satisfaction
@_described
@xw.func
@xw.ret("raw")
@xw.arg("scores", "raw", doc="Answers 0..10 to 'How likely are you to recommend us?'; empty cells are left out.")
@guard
def NPS(scores):
    """Net Promoter Score −100..100: 100 × (share of 9–10 − share of 0–6) over the answers.

    Method: METHODOLOGY §8 (NPS)
    Example: NPS([[10], [9], [8], [7], [6], [0], [10]])

    RU: Индекс потребительской лояльности (NPS) −100..100: 100 × (доля 9–10 − доля 0–6) среди ответов.
    RU scores: Ответы 0..10 на вопрос «Насколько вероятно, что вы порекомендуете нас?»; пустые ячейки не учитываются.
    """
    v = cv.numbers(scores, "scores")
    d = nps_detail(v)
    if d["invalid"]:
        raise UdfError(f"scores: {d['invalid']} answer(s) are not whole numbers 0..10")
    return cv.scalar(d["nps"], "scores: no answer")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("importance", "raw", doc="Importance of each criterion (≥ 0).")
@xw.arg("satisfaction", "raw", doc="Satisfaction with each criterion, 0..scale_max.")
@xw.arg("scale_max", "raw", doc="Optional: top of the satisfaction scale (default 5).")
@guard
def CSI(importance, satisfaction, scale_max=None):
    """Customer Satisfaction Index 0..100: 100 × Σ importance·satisfaction / (Σ importance × scale max).

    Method: METHODOLOGY §8 (CSI)
    Example: CSI([[5], [3], [2]], [[4], [5], [3]])

    RU: Индекс удовлетворённости клиентов (CSI) 0..100: 100 × Σ важность·удовлетворённость / (Σ важность × максимум
        шкалы).
    RU importance: Важность каждого критерия (≥ 0).
    RU satisfaction: Удовлетворённость каждым критерием, 0..scale_max.
    RU scale_max: Необязательно: верх шкалы удовлетворённости (по умолчанию 5).
    """
    i = cv.numbers(importance, "importance", min_value=0)
    s = cv.numbers(satisfaction, "satisfaction", min_value=0)
    top = cv.number(scale_max, "scale_max", 5.0)
    if top <= 0:
        raise UdfError("scale_max: must be > 0")
    cv.same_length(importance=i, satisfaction=s)
    over = np.flatnonzero(s > top)
    if over.size:
        raise UdfError(f"satisfaction: value {over[0] + 1} is above scale_max {top:g}")
    d = csi_detail(i, s, top)
    if d["pairs"] and np.isnan(d["csi"]):
        raise UdfError("importance: the importances of the criteria with both values sum to 0", "num")
    return cv.scalar(d["csi"], "no criterion with both values")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("on_time", "raw", doc="Per order: delivered on time, yes/no.")
@xw.arg("in_full", "raw", doc="Per order: delivered in full, yes/no.")
@guard
def OTIF(on_time, in_full):
    """On time in full: share 0..1 of the orders delivered on time and in full (orders with both answers).

    Method: METHODOLOGY §8 (OTIF)
    Example: OTIF([["yes"], ["yes"], ["no"], ["yes"]], [["yes"], ["no"], ["yes"], ["yes"]])

    RU: Вовремя и в полном объёме (OTIF): доля 0..1 заказов, доставленных вовремя и полностью (заказы с обоими
        ответами).
    RU on_time: По каждому заказу: доставлен вовремя, да/нет.
    RU in_full: По каждому заказу: доставлен полностью, да/нет.
    """
    t, f = cv.raw(on_time, "on_time"), cv.raw(in_full, "in_full")
    cv.same_length(on_time=t, in_full=f)
    d = otif_detail(t, f)
    blank = int((pd.isna(t) | pd.isna(f)).sum())
    if d["unknown"] > blank:
        raise UdfError(f"{d['unknown'] - blank} order(s) have an answer that is not yes/no")
    return cv.scalar(d["otif"], "no order with both answers")


# =================================================================== tables
_METRIC_COLUMNS = [
    "client_id",
    "revenue",
    "gross_profit",
    "margin",
    "orders",
    "units",
    "avg_unit_price",
    "avg_check",
    "depth",
    "skus",
    "categories",
    "top_category_share",
    "recency_days",
    "tenure_months",
    "active_months",
    "months_observed",
    "regularity",
    "monthly_cv",
    "ltv",
]
_SEGMENT_COLUMNS = [
    "client_id",
    "psc_code",
    "psc_group",
    "spl_code",
    "kml_code",
    "dsl_code",
    "dsl_level",
    "rfm_code",
    "rfm_segment",
    "abc_class",
    "xyz_class",
]


def _pair(x, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """An optional pair of increasing bounds (two cells)."""
    if cv.is_missing(x):
        return default
    v = cv.numbers(x, name)
    v = v[~np.isnan(v)]
    if v.size != len(default):
        raise UdfError(f"{name}: expected {len(default)} numbers, got {v.size}")
    return tuple(float(t) for t in v)


def _analyze(transactions, window_start, window_end, s_bounds=None, abc_cuts=None):
    """The core's analysis of a transactions table with headers, with the
    window, the PSC S bounds and the ABC cuts of the Settings sheet."""
    from xlb2b.pipeline import analyze

    rows = cv.rows(transactions)
    if len(rows) < 2:
        raise UdfError("transactions_with_headers: expected a header row and at least one transaction")
    start, end = cv.date(window_start, "window_start"), cv.date(window_end, "window_end")
    if (start is None) != (end is None):
        raise UdfError("give both window_start and window_end, or neither")
    changes = {
        "psc_s_bounds": _pair(s_bounds, "s_bounds", _DEFAULTS.psc_s_bounds),
        "abc_cuts": _pair(abc_cuts, "abc_cuts", _DEFAULTS.abc_cuts),
    }
    if start is not None:
        changes.update(window="explicit", window_start=start.date(), window_end=end.date())
    settings = _settings(**changes)
    try:
        return analyze(rows, settings=settings)
    except InputError as e:
        fatal = e.report.fatal
        raise UdfError(str(fatal[0]) if fatal else str(e).splitlines()[0]) from None


_SETTINGS_ARGS_DOC = {
    "window_start": "Optional: first day of the analysis window (Settings: window start).",
    "window_end": "Optional: last day of the analysis window (Settings: window end).",
    "s_bounds": "Optional: the PSC S bounds, two cells: lowest regularity of S2 and of S3 (default 0.40, 0.75).",
    "abc_cuts": "Optional: the ABC cuts, two cells: cumulative share that ends A and B (default 0.80, 0.95).",
}


@_described
@xw.func
@xw.ret("raw")
@xw.arg("transactions_with_headers", "raw", doc="The transactions table with its header row (client, date, amount, …).")
@xw.arg("window_start", "raw", doc=_SETTINGS_ARGS_DOC["window_start"])
@xw.arg("window_end", "raw", doc=_SETTINGS_ARGS_DOC["window_end"])
@xw.arg("s_bounds", "raw", doc=_SETTINGS_ARGS_DOC["s_bounds"])
@xw.arg("abc_cuts", "raw", doc=_SETTINGS_ARGS_DOC["abc_cuts"])
@guard
def B2B_METRICS(transactions_with_headers, window_start=None, window_end=None, s_bounds=None, abc_cuts=None):
    """Per-client metrics table with headers (revenue, orders, units, average price, regularity, …) from transactions.

    The optional arguments are the Settings values that change the numbers.
    The analysis workbook names them, so on its Transactions sheet
    ``=B2B_METRICS(Transactions!A1:E5000, window_start, window_end,
    psc_s2_min:psc_s3_min, abc_a_below:abc_b_below)`` gives the numbers of its
    Clients sheet, also after a setting was edited.  In xlwings Server every
    argument cell travels in the request, which Excel on the web refuses over
    5 MB before the function runs: there about 38,000 lines of 10 columns fit,
    or 128,000 lines when only client, date, amount and quantity are passed
    (side by side, or ``CHOOSECOLS(Transactions!A1:J200000, 1, 3, 7, 6)``);
    beyond that use the Analyze button or ``xlb2b analyze`` (docs/install.md).

    Method: METHODOLOGY §1–§2 (window, per-client metrics)
    Example: B2B_METRICS([["client", "date", "amount"], ["A", 45292, 100], ["A", 45323, 50], ["B", 45323, 70]])

    RU: Таблица показателей по клиентам с заголовками (выручка, заказы, единицы, средняя цена, регулярность, …) из
        транзакций.
    RU note: Необязательные аргументы — значения листа Settings, которые меняют числа. В книге анализа у них
        есть имена, поэтому `=B2B_METRICS(Transactions!A1:E5000; window_start; window_end;
        psc_s2_min:psc_s3_min; abc_a_below:abc_b_below)` даёт числа её листа Clients, в том числе после
        изменения настройки. В xlwings Server все ячейки аргументов идут в запросе, а Excel в браузере
        отклоняет запрос больше 5 МБ ещё до вызова функции: там помещается около 38 000 строк из 10 столбцов
        или 128 000 строк, если передать только клиента, дату, сумму и количество (рядом или
        `CHOOSECOLS(Transactions!A1:J200000; 1; 3; 7; 6)`); для большего — кнопка «Анализ» или
        `xlb2b analyze` (docs/install.md).
    RU transactions_with_headers: Таблица транзакций со строкой заголовков (клиент, дата, сумма, …).
    RU window_start: Необязательно: первый день окна анализа (лист Settings: начало окна).
    RU window_end: Необязательно: последний день окна анализа (лист Settings: конец окна).
    RU s_bounds: Необязательно: границы S для PSC, две ячейки: наименьшая регулярность S2 и S3 (по умолчанию 0,40;
        0,75).
    RU abc_cuts: Необязательно: границы ABC, две ячейки: накопленная доля, на которой заканчиваются A и B (по
        умолчанию 0,80; 0,95).
    """
    a = _analyze(transactions_with_headers, window_start, window_end, s_bounds, abc_cuts)
    return cv.table(a.clients[_METRIC_COLUMNS])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("transactions_with_headers", "raw", doc="The transactions table with its header row (client, date, amount, …).")
@xw.arg("window_start", "raw", doc=_SETTINGS_ARGS_DOC["window_start"])
@xw.arg("window_end", "raw", doc=_SETTINGS_ARGS_DOC["window_end"])
@xw.arg("s_bounds", "raw", doc=_SETTINGS_ARGS_DOC["s_bounds"])
@xw.arg("abc_cuts", "raw", doc=_SETTINGS_ARGS_DOC["abc_cuts"])
@guard
def B2B_SEGMENTS(transactions_with_headers, window_start=None, window_end=None, s_bounds=None, abc_cuts=None):
    """Client id with every segment code (PSC, SPL, KML, DSL, RFM, ABC, XYZ) from transactions, with headers.

    The optional arguments are the Settings values that change the codes:
    the window, the PSC S bounds and the ABC cuts; in the analysis workbook
    ``=B2B_SEGMENTS(Transactions!A1:E5000, window_start, window_end,
    psc_s2_min:psc_s3_min, abc_a_below:abc_b_below)``.

    Method: METHODOLOGY §4 (segmentations)
    Example: B2B_SEGMENTS([["client", "date", "amount"], ["A", 45292, 100], ["A", 45323, 50], ["B", 45323, 70]], None, None, [[0.5, 0.9]], [[0.6, 0.9]])

    RU: Код клиента и все коды сегментов (PSC, SPL, KML, DSL, RFM, ABC, XYZ) из транзакций, с заголовками.
    RU note: Необязательные аргументы — окно, границы S для PSC и границы ABC с листа Settings; в книге
        анализа `=B2B_SEGMENTS(Transactions!A1:E5000; window_start; window_end; psc_s2_min:psc_s3_min;
        abc_a_below:abc_b_below)`.
    RU transactions_with_headers: Таблица транзакций со строкой заголовков (клиент, дата, сумма, …).
    RU window_start: Необязательно: первый день окна анализа (лист Settings: начало окна).
    RU window_end: Необязательно: последний день окна анализа (лист Settings: конец окна).
    RU s_bounds: Необязательно: границы S для PSC, две ячейки: наименьшая регулярность S2 и S3 (по умолчанию 0,40;
        0,75).
    RU abc_cuts: Необязательно: границы ABC, две ячейки: накопленная доля, на которой заканчиваются A и B (по
        умолчанию 0,80; 0,95).
    """
    a = _analyze(transactions_with_headers, window_start, window_end, s_bounds, abc_cuts)
    return cv.table(a.clients[_SEGMENT_COLUMNS])


# =================================================================== two windows (W0 -> W1) and lapse risk
__all__ += ["CLIENT_STATUS", "PRICE_EFFECT", "VOLUME_EFFECT", "LAPSE_RATIO", "NRR", "GRR"]


def _two_windows(revenue_w0, revenue_w1, units_w0=None, units_w1=None, first_purchase=None) -> pd.DataFrame:
    """The per-client frame the core's status and bridge functions take."""
    r0, r1 = (
        cv.numbers(revenue_w0, "revenue_w0", allow_empty=True),
        cv.numbers(revenue_w1, "revenue_w1", allow_empty=True),
    )
    arrays = {"revenue_w0": r0, "revenue_w1": r1}
    if units_w0 is not None:
        arrays["units_w0"] = cv.numbers(units_w0, "units_w0", allow_empty=True)
        arrays["units_w1"] = cv.numbers(units_w1, "units_w1", allow_empty=True)
    n = cv.same_length(**arrays)
    frame = pd.DataFrame({k: np.nan_to_num(v) for k, v in arrays.items()})
    for k in ("units_w0", "units_w1"):
        if k not in frame:
            frame[k] = np.nan
    frame["first_date"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if first_purchase is not None:
        cells = [None if cv.is_missing(v) else v for v in cv.cells(first_purchase)]
        if len(cells) != n:
            raise UdfError(f"the ranges have different lengths (revenue_w0 {n}, first_purchase {len(cells)})")
        known = [i for i, v in enumerate(cells) if v is not None]
        if known:
            frame.loc[known, "first_date"] = cv.dates([cells[i] for i in known], "first_purchase")
    return frame


def _status(frame: pd.DataFrame, w1: Window):
    from xlb2b.analysis.dynamics import client_status

    return client_status(frame, _DEFAULTS, w1=w1).columns


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue_w0", "raw", doc="Net revenue per client in the preceding window W0.")
@xw.arg("revenue_w1", "raw", doc="Net revenue per client in the analysis window W1.")
@xw.arg("first_purchase", "raw", doc="Date of each client's first purchase line ever.")
@xw.arg("w1_start", "raw", doc="First day of the analysis window W1.")
@xw.arg("w1_end", "raw", doc="Last day of the analysis window W1.")
@guard
def CLIENT_STATUS(revenue_w0, revenue_w1, first_purchase, w1_start, w1_end):
    """Status of each client from W0 to W1: new, returned, lost, grown, shrunk, flat or other.

    A buyer is a client with net revenue > 0 in the window. new: the first
    purchase falls inside W1; returned: buyer in W1, not in W0, first
    purchase before W1; lost: buyer in W0, not in W1; grown / shrunk / flat:
    buyer in both, W1 revenue above / below / equal to W0's; other: the
    rest (only returns in the windows).

    Method: METHODOLOGY §11 (status)
    Example: CLIENT_STATUS([[0], [0], [120], [100], [0]], [[80], [60], [0], [150], [-20]], [[45700], [45000], [45000], [45000], [45000]], 45658, 46022)

    RU: Статус каждого клиента от W0 к W1: new (новый), returned (вернулся), lost (потерян), grown (вырос), shrunk (сократился), flat (без изменений) или other (прочее).
    RU revenue_w0: Чистая выручка по каждому клиенту в предыдущем периоде W0.
    RU revenue_w1: Чистая выручка по каждому клиенту в периоде анализа W1.
    RU first_purchase: Дата первой покупки каждого клиента за всю историю.
    RU w1_start: Первый день периода анализа W1.
    RU w1_end: Последний день периода анализа W1.
    """
    start, end = cv.date(w1_start, "w1_start"), cv.date(w1_end, "w1_end")
    if start is None or end is None:
        raise UdfError("give both w1_start and w1_end")
    if end < start:
        raise UdfError("w1_end is before w1_start")
    return cv.column(
        _status(_two_windows(revenue_w0, revenue_w1, first_purchase=first_purchase), Window(start, end))["status"]
    )


def _effect(kind: str, revenue_w0, units_w0, revenue_w1, units_w1):
    frame = _two_windows(revenue_w0, revenue_w1, units_w0, units_w1)
    # without first purchase dates nobody is "new": buyers in both windows are retained
    far = pd.Timestamp("2262-01-01")
    return cv.column(_status(frame, Window(far, far))[kind])


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue_w0", "raw", doc="Net revenue per client in W0.")
@xw.arg("units_w0", "raw", doc="Units per client in W0.")
@xw.arg("revenue_w1", "raw", doc="Net revenue per client in W1.")
@xw.arg("units_w1", "raw", doc="Units per client in W1.")
@guard
def PRICE_EFFECT(revenue_w0, units_w0, revenue_w1, units_w1):
    """Price effect of each client retained with units in both windows: (P1 − P0) × (C0 + C1) / 2.

    P = revenue / units. Empty for a client that is not a buyer in both
    windows or has no units in one; PRICE_EFFECT + VOLUME_EFFECT = R1 − R0.

    Method: METHODOLOGY §11 (revenue bridge)
    Example: PRICE_EFFECT([[100], [200], [90]], [[10], [20], [0]], [[180], [150], [110]], [[12], [10], [3]])

    RU: Эффект цены по каждому клиенту, покупавшему в обоих периодах и с количеством в обоих: (P1 − P0) × (C0 + C1) / 2.
    RU revenue_w0: Чистая выручка по каждому клиенту в W0.
    RU units_w0: Количество по каждому клиенту в W0.
    RU revenue_w1: Чистая выручка по каждому клиенту в W1.
    RU units_w1: Количество по каждому клиенту в W1.
    """
    return _effect("price_effect", revenue_w0, units_w0, revenue_w1, units_w1)


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue_w0", "raw", doc="Net revenue per client in W0.")
@xw.arg("units_w0", "raw", doc="Units per client in W0.")
@xw.arg("revenue_w1", "raw", doc="Net revenue per client in W1.")
@xw.arg("units_w1", "raw", doc="Units per client in W1.")
@guard
def VOLUME_EFFECT(revenue_w0, units_w0, revenue_w1, units_w1):
    """Volume effect of each client retained with units in both windows: (C1 − C0) × (P0 + P1) / 2.

    Method: METHODOLOGY §11 (revenue bridge)
    Example: VOLUME_EFFECT([[100], [200], [90]], [[10], [20], [0]], [[180], [150], [110]], [[12], [10], [3]])

    RU: Эффект объёма по каждому клиенту, покупавшему в обоих периодах и с количеством в обоих: (C1 − C0) × (P0 + P1) / 2.
    RU revenue_w0: Чистая выручка по каждому клиенту в W0.
    RU units_w0: Количество по каждому клиенту в W0.
    RU revenue_w1: Чистая выручка по каждому клиенту в W1.
    RU units_w1: Количество по каждому клиенту в W1.
    """
    return _effect("volume_effect", revenue_w0, units_w0, revenue_w1, units_w1)


@_described
@xw.func
@xw.ret("raw")
@xw.arg("purchase_dates", "raw", doc="One client's purchase dates (repeats count once).")
@xw.arg("end_date", "raw", doc="The analysis window's last day; later dates are ignored.")
@guard
def LAPSE_RATIO(purchase_dates, end_date):
    """Days since the client's last purchase / its median days between purchase dates (at least 3 dates).

    Below 1.5 the client is on track, from 1.5 late, from 3 lapsing (the
    analysis workbook's Settings sheet holds the bounds).

    Method: METHODOLOGY §12 (lapse risk)
    Example: LAPSE_RATIO([[46000], [46010], [46020], [46030]], 46045)

    RU: Дней после последней покупки клиента / медианный интервал в днях между датами покупок (не меньше 3 дат).
    RU purchase_dates: Даты покупок одного клиента (повторы считаются один раз).
    RU end_date: Последний день периода анализа; более поздние даты не учитываются.
    """
    from xlb2b.analysis.dynamics import typical_gap

    d = cv.dates(purchase_dates, "purchase_dates")
    end = cv.date(end_date, "end_date")
    if end is None:
        raise UdfError("end_date: give the window's last day")
    d = d[d <= np.datetime64(end, "ns")]
    if d.size == 0:
        raise UdfError("purchase_dates: no date on or before end_date")
    tx = pd.DataFrame({"client_id": np.zeros(d.size, dtype=np.int64), "date": d, "amount": np.ones(d.size)})
    _n, gap = typical_gap(tx, end, [0])
    recency = (np.datetime64(end.normalize(), "ns") - d.max()) // np.timedelta64(1, "D")
    return cv.scalar(float(recency) / gap[0], "fewer than 3 purchase dates: no typical gap")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue_w0", "raw", doc="Net revenue per client in W0.")
@xw.arg("revenue_w1", "raw", doc="Net revenue per client in W1 (same rows).")
@guard
def NRR(revenue_w0, revenue_w1):
    """Net revenue retention over W0's buyers: Σ max(R1, 0) / Σ R0 (new clients do not count).

    Method: METHODOLOGY §11 (retention)
    Example: NRR([[120], [100], [200], [0]], [[0], [180], [150], [40]])

    RU: Чистое удержание выручки по покупателям W0: Σ max(R1, 0) / Σ R0 (новые клиенты не учитываются).
    RU revenue_w0: Чистая выручка по каждому клиенту в W0.
    RU revenue_w1: Чистая выручка по каждому клиенту в W1 (те же строки).
    """
    from xlb2b.analysis.dynamics import nrr_grr

    f = _two_windows(revenue_w0, revenue_w1)
    return cv.scalar(nrr_grr(f["revenue_w0"], f["revenue_w1"])[0], "no buyer in W0")


@_described
@xw.func
@xw.ret("raw")
@xw.arg("revenue_w0", "raw", doc="Net revenue per client in W0.")
@xw.arg("revenue_w1", "raw", doc="Net revenue per client in W1 (same rows).")
@guard
def GRR(revenue_w0, revenue_w1):
    """Gross revenue retention over W0's buyers: Σ min(max(R1, 0), R0) / Σ R0 (growth does not count).

    Method: METHODOLOGY §11 (retention)
    Example: GRR([[120], [100], [200], [0]], [[0], [180], [150], [40]])

    RU: Валовое удержание выручки по покупателям W0: Σ min(max(R1, 0), R0) / Σ R0 (рост не учитывается).
    RU revenue_w0: Чистая выручка по каждому клиенту в W0.
    RU revenue_w1: Чистая выручка по каждому клиенту в W1 (те же строки).
    """
    from xlb2b.analysis.dynamics import nrr_grr

    f = _two_windows(revenue_w0, revenue_w1)
    return cv.scalar(nrr_grr(f["revenue_w0"], f["revenue_w1"])[1], "no buyer in W0")


# =================================================================== reasons
@_described
@xw.func
@xw.ret("raw")
@xw.arg("function_name", "raw", doc='Name of an xlb2b function, e.g. "PSC_SEGMENT".')
@xw.arg("arg1", "raw", doc="Optional: the function's first argument, as in its call.")
@xw.arg("arg2", "raw", doc="Optional: its second argument.")
@xw.arg("arg3", "raw", doc="Optional: its third argument.")
@xw.arg("arg4", "raw", doc="Optional: its fourth argument.")
@xw.arg("arg5", "raw", doc="Optional: its fifth argument.")
@xw.arg("arg6", "raw", doc="Optional: its sixth argument.")
@xw.arg("arg7", "raw", doc="Optional: its seventh argument.")
@guard
def B2B_EXPLAIN(function_name, arg1=None, arg2=None, arg3=None, arg4=None, arg5=None, arg6=None, arg7=None):
    """Why a function gives an error for these arguments: the reason and the error as text, or "OK".

    Use it next to a cell that shows #VALUE!, #N/A or #NUM!: pass the same
    arguments. Excel's classic add-in shows no message with an error value,
    and Office.js shows one only for #VALUE! (on the error flag).

    Method: the section Errors above
    Example: B2B_EXPLAIN("NPS", [[11], [5]])

    RU: Почему функция даёт ошибку при этих аргументах: причина и ошибка текстом, или «OK».
    RU note: Используйте рядом с ячейкой, где видно #ЗНАЧ!, #Н/Д или #ЧИСЛО!, с теми же аргументами:
        классическая надстройка Excel не показывает сообщение у значения ошибки, а Office.js показывает
        его только у #ЗНАЧ! (на флажке ошибки). Причина пишется по-английски.
    RU function_name: Имя функции xlb2b, например "PSC_SEGMENT".
    RU arg1: Необязательно: первый аргумент функции, как в её вызове.
    RU arg2: Необязательно: второй аргумент.
    RU arg3: Необязательно: третий аргумент.
    RU arg4: Необязательно: четвёртый аргумент.
    RU arg5: Необязательно: пятый аргумент.
    RU arg6: Необязательно: шестой аргумент.
    RU arg7: Необязательно: седьмой аргумент.
    """
    name = cv.text(function_name, "function_name", "").upper()
    names = [n for n in __all__ if n != "B2B_EXPLAIN"]
    if name not in names:
        return [
            [f"function_name: {name or '(empty)'} is not an xlb2b function; use one of {', '.join(names)} (#VALUE!)"]
        ]
    fn = globals()[name]
    args = [arg1, arg2, arg3, arg4, arg5, arg6, arg7]
    body = getattr(fn, "__wrapped__", fn)
    n_params = body.__code__.co_argcount
    extra = [a for a in args[n_params:] if not cv.is_missing(a)]
    if extra:
        return [[f"{name} takes {n_params} argument(s), got more (#VALUE!)"]]
    return [[cv.explain(fn, args[:n_params])]]


__all__ += ["B2B_EXPLAIN"]
