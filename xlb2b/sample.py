"""A deterministic, realistic sample of a B2B distributor's data.

The sample imitates a distributor of dental equipment and consumables: a
catalogue of a few hundred SKUs in ten categories, clinics, laboratories,
hospitals and dealers in eight regions, ten sales managers, order lines with
returns and free samples, the clients' purchases from competitors (the market
table used by KML and share of wallet), an NPS/CSI survey and delivery
outcomes (OTIF).  It is what ``xlb2b demo``, the documentation, the tests and
the benchmarks run on.

Everything is drawn from one ``numpy.random.default_rng(seed)`` with
vectorised operations only, so the same arguments always give the same frames
and a million order lines take a few seconds.

Shape (over the last 12 months, with the defaults): about a fifth of the
clients bring about 80 % of the revenue; about four clients in five buy from
one category only; regularity ranges from every month to a single purchase;
some clients are new (first purchase in the last three months) and some have
stopped buying; about 1 % of the lines are returns and 0.3 % have quantity 0.
A few clients are built on purpose to exercise the edge cases of the
methodology: net revenue in the last 12 months equal to or below zero (only a
return), and positive revenue with net units 0 (a returned item plus a
service charge).  About 3 % of the clients never bought from us: they appear
in the clients and market tables only (prospects).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xlb2b.excel.rows import Column, add_rows
from xlb2b.io_util import atomic_write, csv_safe_frame

__all__ = ["SampleData", "generate", "write_sample_files", "OUR_SUPPLIER", "CSI_ATTRIBUTES"]

#: our name in ``market.supplier``
OUR_SUPPLIER = "Our company"

#: CSI attributes asked in the survey
CSI_ATTRIBUTES = ("Product quality", "Delivery time", "Price", "Service", "Manager competence")

# --------------------------------------------------------------------------
# catalogue: (category, number of SKUs, median list price, mean margin,
#             purchase frequency factor, lines-per-order factor)
_CATEGORIES = (
    ("Consumables", 80, 450.0, 0.35, 1.00, 1.00),
    ("Instruments", 45, 2_500.0, 0.33, 0.90, 0.90),
    ("Equipment", 20, 60_000.0, 0.16, 0.35, 0.40),
    ("Anaesthetics", 18, 1_200.0, 0.28, 1.00, 0.80),
    ("Orthodontics", 35, 3_500.0, 0.38, 0.90, 0.90),
    ("Implants", 30, 14_000.0, 0.42, 0.85, 0.80),
    ("Hygiene", 25, 350.0, 0.40, 1.00, 1.00),
    ("Furniture", 10, 40_000.0, 0.22, 0.35, 0.40),
    ("Spare parts", 40, 5_000.0, 0.30, 0.70, 0.70),
    ("Software", 6, 30_000.0, 0.14, 0.40, 0.40),
)
_CAT_NAMES = tuple(c[0] for c in _CATEGORIES)
_NCAT = len(_CATEGORIES)

# industries: (name, share, size shift, share with known chairs, chairs factor,
#              primary category weights in _CATEGORIES order)
_INDUSTRIES = (
    ("Dental clinic", 0.60, 0.00, 0.90, 1.0, (30, 10, 3, 14, 9, 9, 16, 2, 5, 2)),
    ("Dental laboratory", 0.12, -0.20, 0.10, 0.7, (40, 15, 8, 0, 12, 10, 5, 2, 8, 0)),
    ("Hospital", 0.07, 0.40, 0.75, 2.0, (30, 12, 6, 16, 2, 6, 18, 4, 5, 1)),
    ("Polyclinic", 0.08, 0.20, 0.85, 1.8, (30, 12, 5, 18, 4, 4, 18, 3, 5, 1)),
    ("University", 0.03, 0.30, 0.60, 3.0, (25, 18, 10, 10, 8, 6, 10, 5, 5, 3)),
    ("Dealer", 0.10, 0.80, 0.00, 1.0, (28, 14, 10, 10, 8, 10, 8, 4, 6, 2)),
)
#: weights of the categories a client "also tried"
_SECONDARY_WEIGHTS = np.array([20, 14, 9, 10, 8, 8, 12, 6, 9, 4], dtype=float)

# regions: (name, share, on-time delivery rate)
_REGIONS = (
    ("Moscow", 0.30, 0.94),
    ("Saint Petersburg", 0.16, 0.93),
    ("Kazan", 0.10, 0.90),
    ("Yekaterinburg", 0.10, 0.88),
    ("Krasnodar", 0.10, 0.89),
    ("Novosibirsk", 0.09, 0.82),
    ("Nizhny Novgorod", 0.08, 0.91),
    ("Samara", 0.07, 0.90),
)
_MANAGERS = (
    "Anna Ivanova",
    "Dmitry Petrov",
    "Elena Smirnova",
    "Sergey Kuznetsov",
    "Olga Popova",
    "Alexey Sokolov",
    "Natalia Volkova",
    "Ivan Morozov",
    "Maria Lebedeva",
    "Pavel Novikov",
)
#: region index -> manager indices; the last manager looks after key accounts
_REGION_MANAGERS = ((0, 1, 2), (3, 4), (5,), (6,), (8,), (6,), (7,), (5, 7))
_KEY_ACCOUNT_MANAGER = 9

# competitors: (name, weight)
_COMPETITORS = (
    ("DentaTrade", 0.24),
    ("MedSupply", 0.19),
    ("StomaService", 0.15),
    ("DentalExpert", 0.12),
    ("OrthoLine", 0.10),
    ("ImplantPlus", 0.08),
    ("Denta Logistics", 0.07),
    ("MedTech Distribution", 0.05),
)

_NAME_STEMS = (
    "Belo",
    "Dento",
    "Stoma",
    "Ulyb",
    "Zub",
    "Medi",
    "Orto",
    "Vita",
    "Alfa",
    "Profi",
    "Nova",
    "Evro",
    "Sever",
    "Yug",
    "Zdrav",
    "Sana",
    "Lux",
    "Denta",
    "Kristal",
    "Almaz",
    "Zhemchug",
    "Sky",
    "Start",
    "Prima",
    "Arte",
    "Bio",
    "Eko",
    "Famili",
    "Master",
    "Smile",
)
_NAME_ENDS = (
    "dent",
    "med",
    "stom",
    "lab",
    "plus",
    "line",
    "art",
    "lux",
    "profi",
    "standard",
    "klinik",
    "servis",
    "style",
    "estetik",
)
#: monthly seasonality, January..December
_SEASON = np.array([0.60, 0.90, 1.10, 1.05, 0.85, 0.95, 0.85, 0.80, 1.05, 1.10, 1.15, 1.25])
_PRICE_GROWTH = 0.07  # list prices rise 7 % a year
_RETURN_SHARE = 0.010  # of all lines
_ZERO_QTY_SHARE = 0.003  # of all lines
_PROSPECT_SHARE = 0.03  # of the clients: in clients and market, never bought from us
_MARKET_SHARE = 0.60  # of the clients: in the market table
_SURVEY_SHARE = 0.30  # of the clients: answered the survey


@dataclass
class SampleData:
    """The sample tables, in the canonical column names of ``xlb2b.inputs.tables``.

    ``transactions``: client_id, order_id, date, sku, category, quantity,
    amount, cost, region, manager.  Sales orders are ``SO-…``; returns are
    separate documents ``RT-…`` with negative quantity, amount and cost.
    ``clients``: client_id, name, industry, region, manager, capacity_units
    (dental chairs, NaN when unknown), overdue_days, overdue_amount.
    ``market``: client_id, supplier, date, amount, region: monthly purchases
    of about 60 % of the clients from every supplier, ours under
    ``our_supplier``.
    ``survey``: client_id, date, nps; ``csi``: client_id, attribute,
    importance, satisfaction (long form, same clients as ``survey``).
    ``deliveries``: order_id, client_id, date (the order date), on_time,
    in_full (True/False, or None when unknown), one row per sales order of
    the last 12 months.
    """

    transactions: pd.DataFrame
    clients: pd.DataFrame
    market: pd.DataFrame
    survey: pd.DataFrame
    csi: pd.DataFrame
    deliveries: pd.DataFrame
    our_supplier: str
    end: dt.date


# --------------------------------------------------------------------------
# helpers


def _obj(values) -> np.ndarray:
    """An object array of Python str."""
    return np.asarray(values, dtype=object)


def _ns(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[ns]")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _weighted_choice(rng, weights, size) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _gumbel_order(rng, weights: np.ndarray) -> np.ndarray:
    """Per row of ``weights`` (n x k), a random ordering of the k columns
    without replacement, heavier weights first (exponential-keys sampling).
    Columns with weight 0 come last."""
    w = np.asarray(weights, dtype=float)
    with np.errstate(divide="ignore"):
        keys = -np.log(rng.random(w.shape)) / w
    return np.argsort(keys, axis=1, kind="stable")


def _month_add(d: dt.date, months: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + months
    return dt.date(m // 12, m % 12 + 1, 1)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return _obj([f"{prefix}{n:0{width}d}" for n in numbers.tolist()])


# --------------------------------------------------------------------------
# the generator


def generate(
    n_clients: int = 3000,
    *,
    years: int = 3,
    lines: int | None = None,
    seed: int = 2024,
    end: dt.date = dt.date(2025, 12, 31),
) -> SampleData:
    """Generate the sample.

    ``n_clients`` is the exact number of rows of ``clients`` (about 3 % are
    prospects with no transactions); ``years`` the length of the period
    (whole months ending with ``end``'s month, ``end`` included); ``lines``
    the approximate number of transaction lines (default: 20 per client and
    year); ``seed`` makes the result reproducible.  The default three years
    give the analysis window, the preceding 12 months and a year before
    them, so every status of the revenue bridge and cohorts of every quarter
    show.
    """
    if int(n_clients) < 1:
        raise ValueError("n_clients must be at least 1")
    if int(years) < 1:
        raise ValueError("years must be at least 1")
    if lines is not None and int(lines) < 1:
        raise ValueError("lines must be at least 1")
    if isinstance(end, dt.datetime):
        end = end.date()
    n = int(n_clients)
    years = int(years)
    target_lines = int(lines) if lines is not None else 20 * n * years
    rng = np.random.default_rng(seed)

    # ---- calendar --------------------------------------------------------
    n_months = 12 * years
    start = _month_add(end, -(n_months - 1))
    start64 = np.datetime64(start, "D")
    end64 = np.datetime64(end, "D")
    days = np.arange(start64, end64 + 1)  # every day
    month_first = np.array([np.datetime64(_month_add(start, m), "D") for m in range(n_months)])
    month_lo = (month_first - start64).astype(np.int64)  # first day index
    month_hi = np.append(month_lo[1:], len(days))  # one past the last
    day_month = np.searchsorted(month_lo, np.arange(len(days)), side="right") - 1
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    dw = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.08, 0.02))
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    dw = np.where(doy < 8, dw * 0.02, dw)  # New Year holidays
    dcum = np.concatenate([[0.0], np.cumsum(dw)])
    month_of_year = np.array([(_month_add(start, m).month - 1) for m in range(n_months)])
    season = _SEASON[month_of_year]
    window_first = n_months - 12 if n_months >= 12 else 0  # last 12 months

    def random_days(months: np.ndarray) -> np.ndarray:
        """A weighted random day index inside each given month."""
        lo, hi = dcum[month_lo[months]], dcum[month_hi[months]]
        u = lo + rng.random(len(months)) * (hi - lo)
        return np.clip(np.searchsorted(dcum, u, side="right") - 1, month_lo[months], month_hi[months] - 1)

    # ---- catalogue -------------------------------------------------------
    cat_of_sku = np.repeat(np.arange(_NCAT), [c[1] for c in _CATEGORIES])
    n_sku = len(cat_of_sku)
    med = np.array([c[2] for c in _CATEGORIES])
    list_price = np.round(med[cat_of_sku] * np.exp(rng.normal(0.0, 0.55, n_sku)), -1)
    list_price = np.clip(list_price, 50.0, 400_000.0)
    margin = np.clip(np.array([c[3] for c in _CATEGORIES])[cat_of_sku] + rng.normal(0, 0.04, n_sku), 0.15, 0.47)
    unit_cost = list_price * (1.0 - margin)
    rank = np.concatenate([rng.permutation(c[1]) + 1 for c in _CATEGORIES])
    pop = 1.0 / rank**1.1  # Zipf popularity inside a category
    pop_cum = np.empty(n_sku)
    for c in range(_NCAT):
        sel = cat_of_sku == c
        w = np.cumsum(pop[sel])
        pop_cum[sel] = c + w / w[-1]
        pop_cum[np.flatnonzero(sel)[-1]] = c + 1.0
    sku_codes = _ids("SKU-", rng.permutation(n_sku) + 1, 4)
    freq_factor = np.array([c[4] for c in _CATEGORIES])
    depth_factor = np.array([c[5] for c in _CATEGORIES])

    # ---- clients ---------------------------------------------------------
    ind = _weighted_choice(rng, [i[1] for i in _INDUSTRIES], n)
    z = rng.normal(0.0, 1.0, n) + np.array([i[2] for i in _INDUSTRIES])[ind]
    region = _weighted_choice(rng, [r[1] for r in _REGIONS], n)
    u = rng.random(n)
    mgr = np.empty(n, dtype=np.int64)
    for r, ms in enumerate(_REGION_MANAGERS):
        sel = region == r
        mgr[sel] = np.asarray(ms)[np.minimum((u[sel] * len(ms)).astype(int), len(ms) - 1)]
    mgr[z >= np.quantile(z, 0.98)] = _KEY_ACCOUNT_MANAGER

    # categories: primary by industry, "also tried" ones by general weights
    prim_w = np.array([i[5] for i in _INDUSTRIES], dtype=float)[ind]
    primary = _gumbel_order(rng, prim_w)[:, 0]
    n_cat = np.ones(n, dtype=np.int64)
    multi = rng.random(n) < _sigmoid(-1.7 + 0.9 * z)
    wide = multi & (rng.random(n) < 0.45)
    n_cat[multi] = 2 + (rng.random(multi.sum()) < 0.4)
    n_cat[wide] = rng.integers(4, 8, wide.sum())
    sec_w = np.tile(_SECONDARY_WEIGHTS, (n, 1))
    sec_w[np.arange(n), primary] = 0.0
    sec_order = _gumbel_order(rng, sec_w)
    cat_w = np.zeros((n, _NCAT))
    cat_w[np.arange(n), primary] = 1.0
    even = rng.random(n) < 0.5  # even mix, or one dominant
    extra = rng.gamma(2.0, 1.0, (n, _NCAT - 1))
    for j in range(_NCAT - 1):
        has = n_cat > j + 1
        cat_w[np.flatnonzero(has), sec_order[has, j]] = extra[has, j]
    others = cat_w.sum(axis=1) - 1.0
    dom = ~even & (others > 0)
    scale = np.where(dom, 0.12 / np.where(others > 0, others, 1.0), 1.0)
    cat_w = cat_w * scale[:, None]
    cat_w[np.arange(n), primary] = np.where(dom, 0.88, np.where(others > 0, rng.gamma(2.0, 1.0, n), 1.0))
    cat_w /= cat_w.sum(axis=1, keepdims=True)
    cat_cum = np.cumsum(cat_w, axis=1)
    cat_cum[:, -1] = 1.0
    client_cum = (np.arange(n)[:, None] + cat_cum).ravel()

    # lifecycle: months [m0, m1] in which the client buys from us
    m0 = np.zeros(n, dtype=np.int64)
    m1 = np.full(n, n_months - 1, dtype=np.int64)
    kind = rng.random(n)
    new = kind < 0.06
    joined = (kind >= 0.06) & (kind < 0.22)
    m0[new] = rng.integers(max(n_months - 3, 0), n_months, new.sum())
    if n_months > 4:
        m0[joined] = rng.integers(1, n_months - 3, joined.sum())
    can_churn = m0 <= n_months - 10
    churn = can_churn & (rng.random(n) < 0.14)
    m1[churn] = m0[churn] + (rng.random(churn.sum()) * (n_months - 6 - m0[churn])).astype(np.int64)
    once = ~new & (rng.random(n) < 0.07)
    prospect = np.zeros(n, dtype=bool)
    n_prospects = int(round(_PROSPECT_SHARE * n)) if n >= 20 else 0
    prospect[rng.permutation(n)[:n_prospects]] = True

    # edge cases: a few one-order clients whose purchase comes back
    cand = np.flatnonzero(once & ~prospect)
    n_edge = min(len(cand), max(3, int(round(0.001 * n)))) if n >= 20 else 0
    edge = rng.permutation(cand)[:n_edge]
    edge_units = edge[: min(2, max(0, n_edge - 2))]  # revenue > 0, units 0
    edge_neg = np.setdiff1d(edge, edge_units)  # revenue <= 0
    if n_months >= 13:  # sale before the window
        m0[edge_neg] = m1[edge_neg] = n_months - 13
    if n_months >= 25 and len(edge_neg) >= 2:  # ... or before the preceding 12 months:
        m0[edge_neg[::2]] = m1[edge_neg[::2]] = n_months - 25  # a buyer in neither window ("other")
    m0[edge_units] = m1[edge_units] = max(window_first, n_months - 6)
    is_edge = np.zeros(n, dtype=bool)
    is_edge[edge] = True

    # purchase behaviour
    cat_freq = freq_factor[primary]
    pi = _sigmoid(-0.6 + 1.1 * z + rng.normal(0.0, 0.8, n)) * cat_freq
    pi = np.clip(pi, 0.03, 0.98)
    h = np.exp(0.55 * z + rng.normal(0.0, 0.3, n)) * depth_factor[primary]
    qmult = np.exp(0.30 * z)
    discount = 0.015 + 0.04 * _sigmoid(z - 1.0)

    months = np.arange(n_months)
    in_span = (months[None, :] >= m0[:, None]) & (months[None, :] <= m1[:, None])
    p_month = np.minimum(pi[:, None] * season[None, :], 1.0) * in_span
    expected_active = p_month.sum(axis=1)
    # a once-only client buys in exactly one month; others in at least one
    counted = ~prospect & ~once
    once_lines = 1.6
    target_sales = target_lines / (1.0 + _RETURN_SHARE + _ZERO_QTY_SHARE) - once_lines * (once & ~prospect).sum()
    target_sales = max(target_sales, 1.0)
    base = expected_active[counted].sum()
    if base > target_sales:  # fewer lines than one per active month
        shrink = target_sales / base
        p_month *= shrink
        expected_active *= shrink
        k = 0.0
    else:
        k = (target_sales - base) / max((expected_active[counted] * h[counted]).sum(), 1e-12)
    g = 1.0 + k * h
    rho = g**0.45 - 1.0  # extra orders in an active month
    mu = g**0.55 - 1.0  # extra lines in an order

    active = rng.random((n, n_months)) < p_month
    active[once] = False
    once_idx = np.flatnonzero(once)
    once_m = m0[once_idx] + (rng.random(len(once_idx)) * (m1[once_idx] - m0[once_idx] + 1)).astype(np.int64)
    active[once_idx, once_m] = True
    none = np.flatnonzero(~active.any(axis=1))
    active[none, m0[none] + (rng.random(len(none)) * (m1[none] - m0[none] + 1)).astype(np.int64)] = True
    active[np.flatnonzero(new), m0[new]] = True  # new clients start in m0

    # ---- orders ----------------------------------------------------------
    ci, mi = np.nonzero(active)  # client-months, client-major
    per_month = 1 + rng.poisson(np.where(once[ci], 0.0, rho[ci]))
    o_client = np.repeat(ci, per_month)
    o_month = np.repeat(mi, per_month)
    o_day = random_days(o_month)
    o_lines = 1 + rng.poisson(np.where(once[o_client], once_lines - 1.0, mu[o_client]))

    order_sort = np.lexsort((o_client, o_day))
    o_client, o_day, o_lines = o_client[order_sort], o_day[order_sort], o_lines[order_sort]
    n_orders = len(o_client)

    # ---- sale lines ------------------------------------------------------
    l_order = np.repeat(np.arange(n_orders), o_lines)
    l_client = o_client[l_order]
    l_day = o_day[l_order]
    n_lines = len(l_order)
    # category of each line from its client's weights: one sorted array of
    # client + cumulative weight, searched with client + u
    l_cat = np.searchsorted(client_cum, l_client + rng.random(n_lines), side="right") - l_client * _NCAT
    l_cat = np.clip(l_cat, 0, _NCAT - 1)
    l_sku = np.searchsorted(pop_cum, l_cat + rng.random(n_lines), side="right")
    l_sku = np.minimum(l_sku, n_sku - 1)
    l_cat = cat_of_sku[l_sku]
    price = list_price[l_sku]
    mean_q = np.clip((8_000.0 / price) ** 0.6, 1.0, 40.0) * qmult[l_client]
    qty = 1 + rng.poisson(np.maximum(mean_q - 1.0, 0.0))
    growth = (1.0 + _PRICE_GROWTH) ** (l_day / 365.25)
    unit_price = np.round(price * growth * (1.0 - discount[l_client]) * (1.0 + rng.normal(0, 0.01, n_lines)), 2)
    l_amount = np.round(qty * unit_price, 2)
    l_unit_cost = unit_cost[l_sku] * growth
    l_cost = np.round(qty * l_unit_cost, 2)
    l_qty = qty.astype(np.float64)

    # ---- returns ---------------------------------------------------------
    last_day = len(days) - 1
    eligible = np.flatnonzero(~is_edge[l_client] & (l_day <= last_day - 3))
    n_ret = min(len(eligible), int(round(_RETURN_SHARE * n_lines)))
    src = rng.choice(eligible, n_ret, replace=False) if n_ret else np.zeros(0, dtype=np.int64)
    src.sort()
    ret_delay = 3 + (rng.random(n_ret) * (np.minimum(40, last_day - l_day[src]) - 2)).astype(np.int64)
    ret_qty = 1 + (rng.random(n_ret) * qty[src]).astype(np.int64)
    r_client, r_sku, r_day = l_client[src], l_sku[src], l_day[src] + ret_delay
    r_qty = -ret_qty.astype(np.float64)
    r_amount = -np.round(ret_qty * unit_price[src], 2)
    r_cost = -np.round(ret_qty * l_unit_cost[src], 2)
    # the edge clients return everything they bought
    e_src = np.flatnonzero(is_edge[l_client])
    e_day = l_day[e_src]
    window_day = month_lo[window_first]
    e_ret_day = np.minimum(np.maximum(e_day + 5, window_day + 5), last_day)
    r_client = np.concatenate([r_client, l_client[e_src]])
    r_sku = np.concatenate([r_sku, l_sku[e_src]])
    r_day = np.concatenate([r_day, e_ret_day])
    r_qty = np.concatenate([r_qty, -l_qty[e_src]])
    r_amount = np.concatenate([r_amount, -l_amount[e_src]])
    r_cost = np.concatenate([r_cost, -l_cost[e_src]])

    # ---- zero-quantity lines (free samples, service charges) -------------
    eligible = np.flatnonzero(~is_edge[l_client])
    n_zero = min(len(eligible), int(round(_ZERO_QTY_SHARE * n_lines)))
    zsrc = np.sort(rng.choice(eligible, n_zero, replace=False)) if n_zero else np.zeros(0, dtype=np.int64)
    z_amount = np.where(rng.random(n_zero) < 0.7, 0.0, np.round(rng.uniform(100.0, 1_500.0, n_zero), 2))

    # the units edge clients: a service order worth more than the returned sale
    eu = np.flatnonzero(np.isin(l_client[e_src], edge_units))
    s_client = l_client[e_src][eu]
    s_day = e_ret_day[eu]
    s_sku = l_sku[e_src][eu]
    s_amount = np.round(1.5 * l_amount[e_src][eu], 2)

    # ---- order numbers: sales orders by date; returns as their own documents
    # (the extra service orders of the edge clients are sales orders too);
    # prospects' simulated lines are dropped and get no numbers
    so_client = np.concatenate([o_client, s_client])
    so_day = np.concatenate([o_day, s_day])
    so_kept = np.flatnonzero(~prospect[so_client])
    so_kept = so_kept[np.lexsort((so_client[so_kept], so_day[so_kept]))]
    so_number = np.zeros(len(so_client), dtype=np.int64)  # 0 = dropped
    so_number[so_kept] = np.arange(1, len(so_kept) + 1)
    so_ids = _ids("SO-", np.arange(1, len(so_kept) + 1), max(6, len(str(len(so_kept)))))
    r_kept = ~prospect[r_client]
    rkey = r_day.astype(np.int64) * (n + 1) + r_client  # one document per client and day
    ukeys, rdoc = np.unique(rkey[r_kept], return_inverse=True)
    rdoc_all = np.zeros(len(r_client), dtype=np.int64)
    rdoc_all[r_kept] = rdoc.ravel() + 1
    rt_ids = _ids("RT-", np.arange(1, len(ukeys) + 1), max(6, len(str(len(ukeys)))))

    # ---- assemble the transaction lines ---------------------------------
    t_client = np.concatenate([l_client, l_client[zsrc], s_client, r_client])
    t_day = np.concatenate([l_day, l_day[zsrc], s_day, r_day])
    t_sku = np.concatenate([l_sku, l_sku[zsrc], s_sku, r_sku])
    t_qty = np.concatenate([l_qty, np.zeros(n_zero + len(s_client)), r_qty])
    t_amount = np.concatenate([l_amount, z_amount, s_amount, r_amount])
    t_cost = np.concatenate([l_cost, np.zeros(n_zero + len(s_client)), r_cost])
    if n_months >= 24:
        # a few clients who buy in both of the last two 12-month periods have no quantities in the
        # earlier one (lines booked as services): the bridge's "no unit data"
        t_month = day_month[t_day]
        steady = np.flatnonzero(~is_edge & ~prospect & (m0 <= window_first - 12) & (m1 == n_months - 1))
        pick = steady[: max(1, n // 1000)] if n >= 20 else steady[:0]
        blank = np.isin(t_client, pick) & (t_month >= window_first - 12) & (t_month < window_first)
        t_qty[blank] = 0.0
    so_of_line = np.concatenate(
        [so_number[l_order], so_number[l_order[zsrc]], so_number[n_orders + np.arange(len(s_client))]]
    )
    n_so_lines = len(so_of_line)
    del (
        l_order,
        l_client,
        l_day,
        l_cat,
        l_sku,
        price,
        mean_q,
        qty,
        growth,
        unit_price,
        l_amount,
        l_unit_cost,
        l_cost,
        l_qty,
    )  # keep the peak memory low
    t_is_return = np.concatenate([np.zeros(n_so_lines, dtype=bool), np.ones(len(r_client), dtype=bool)])
    t_doc = np.concatenate([so_of_line, rdoc_all])  # 1-based document number
    seq = np.arange(len(t_client))
    srt = np.lexsort((seq, t_doc, t_is_return, t_day))
    srt = srt[~prospect[t_client[srt]]]

    # managers as they were at the time: a few clients changed manager
    switched = rng.random(n) < 0.03
    old_mgr = np.where(switched, (mgr + 1 + rng.integers(0, len(_MANAGERS) - 1, n)) % len(_MANAGERS), mgr)
    switch_day = rng.integers(0, len(days), n)
    t_mgr = np.where(t_day < switch_day[t_client], old_mgr[t_client], mgr[t_client])

    client_ids = _ids("C", np.arange(1, n + 1), max(5, len(str(n))))
    cat_names = _obj(_CAT_NAMES)
    region_names = _obj([r[0] for r in _REGIONS])
    manager_names = _obj(_MANAGERS)
    order_ids = np.empty(len(srt), dtype=object)
    ret = t_is_return[srt]
    order_ids[~ret] = so_ids[t_doc[srt][~ret] - 1]
    order_ids[ret] = rt_ids[t_doc[srt][ret] - 1]
    tc = t_client[srt]
    transactions = pd.DataFrame(
        {
            "client_id": pd.Series(client_ids[tc], dtype=object),
            "order_id": pd.Series(order_ids, dtype=object),
            "date": _ns(start64 + t_day[srt]),
            "sku": pd.Series(sku_codes[t_sku[srt]], dtype=object),
            "category": pd.Series(cat_names[cat_of_sku[t_sku[srt]]], dtype=object),
            "quantity": t_qty[srt],
            "amount": t_amount[srt],
            "cost": t_cost[srt],
            "region": pd.Series(region_names[region[tc]], dtype=object),
            "manager": pd.Series(manager_names[t_mgr[srt]], dtype=object),
        }
    )

    del order_ids, t_sku, t_qty, t_cost, t_mgr, t_doc, t_is_return, seq, srt, tc, ret

    # ---- per client-month revenue (all lines, prospects included) --------
    t_month = day_month[t_day]
    cm_key = t_client * n_months + t_month
    cm_rev = np.bincount(cm_key, weights=t_amount, minlength=n * n_months).reshape(n, n_months)
    cm_last_flat = np.full(n * n_months, -1, dtype=np.int64)
    np.maximum.at(cm_last_flat, cm_key, t_day)
    cm_last = cm_last_flat.reshape(n, n_months)
    total_rev = cm_rev.sum(axis=1)
    span = (m1 - m0 + 1).astype(float)
    monthly_rev = np.maximum(total_rev, 0.0) / span

    # ---- clients table --------------------------------------------------
    chairs_known = rng.random(n) < np.array([i[3] for i in _INDUSTRIES])[ind]
    chairs = np.maximum(
        1.0, np.round(np.exp(1.1 + 0.45 * z + rng.normal(0, 0.35, n)) * np.array([i[4] for i in _INDUSTRIES])[ind])
    )
    capacity = np.where(chairs_known, chairs, np.nan)
    od = rng.random(n)
    overdue_days = np.where(
        od < 0.70,
        0.0,
        np.where(
            od < 0.85,
            rng.integers(1, 31, n).astype(float),
            np.where(od < 0.95, np.minimum(31.0 + np.floor(rng.exponential(60.0, n)), 365.0), np.nan),
        ),
    )
    overdue_days[prospect] = 0.0
    overdue_amount = np.where(
        overdue_days > 0,
        np.round(
            np.maximum(monthly_rev * rng.uniform(0.2, 1.5, n) * (np.nan_to_num(overdue_days) / 30.0) ** 0.3, 100.0), 2
        ),
        0.0,
    )
    overdue_amount[np.isnan(overdue_days)] = np.nan
    clients = pd.DataFrame(
        {
            "client_id": pd.Series(client_ids, dtype=object),
            "name": pd.Series(_client_names(rng, ind, region), dtype=object),
            "industry": pd.Series(_obj([i[0] for i in _INDUSTRIES])[ind], dtype=object),
            "region": pd.Series(region_names[region], dtype=object),
            "manager": pd.Series(manager_names[mgr], dtype=object),
            "capacity_units": capacity.astype(np.float64),
            "overdue_days": overdue_days.astype(np.float64),
            "overdue_amount": overdue_amount.astype(np.float64),
        }
    )

    # ---- market ---------------------------------------------------------
    market = _market(
        rng,
        n,
        n_months,
        prospect,
        z,
        total_rev,
        monthly_rev,
        cm_rev,
        cm_last,
        client_ids,
        region_names[region],
        random_days,
        start64,
    )

    # ---- survey and CSI -------------------------------------------------
    recent = (cm_rev[:, window_first:].sum(axis=1) > 0) & ~prospect
    n_resp = min(int(round(_SURVEY_SHARE * n)), int(recent.sum()))
    resp = np.sort(rng.choice(np.flatnonzero(recent), n_resp, replace=False)) if n_resp else np.zeros(0, dtype=np.int64)
    grp = _weighted_choice(rng, [0.23, 0.32, 0.45], n_resp) if n_resp else np.zeros(0, dtype=np.int64)
    det = _weighted_choice(rng, [1, 1, 1, 2, 3, 5, 8], n_resp) if n_resp else np.zeros(0, dtype=np.int64)
    nps = np.where(
        grp == 0, det, np.where(grp == 1, 7 + (rng.random(n_resp) < 0.55), 9 + (rng.random(n_resp) < 0.4))
    ).astype(np.float64)
    survey_months = np.maximum(n_months - 6, 0) + rng.integers(0, min(6, n_months), n_resp)
    survey = pd.DataFrame(
        {
            "client_id": pd.Series(client_ids[resp], dtype=object),
            "date": _ns(start64 + random_days(survey_months)),
            "nps": nps,
        }
    )
    n_att = len(CSI_ATTRIBUTES)
    imp_mean = np.array([4.6, 4.2, 4.4, 3.8, 3.5])
    sat_shift = np.array([0.1, -0.2, -0.4, 0.0, 0.1])
    base_sat = np.array([2.8, 3.8, 4.5])[grp]
    importance = np.clip(np.round(imp_mean[None, :] + rng.normal(0, 0.6, (n_resp, n_att))), 1, 5)
    satisfaction = np.clip(np.round(base_sat[:, None] + sat_shift[None, :] + rng.normal(0, 0.6, (n_resp, n_att))), 1, 5)
    csi = pd.DataFrame(
        {
            "client_id": pd.Series(np.repeat(client_ids[resp], n_att), dtype=object),
            "attribute": pd.Series(np.tile(_obj(CSI_ATTRIBUTES), n_resp), dtype=object),
            "importance": importance.ravel().astype(np.float64),
            "satisfaction": satisfaction.ravel().astype(np.float64),
        }
    )

    # ---- deliveries: every sales order of the last 12 months -----------
    d_sel = np.flatnonzero((so_day >= window_day) & (so_number > 0))
    d_sel = d_sel[np.argsort(so_number[d_sel], kind="stable")]
    nd = len(d_sel)
    on_rate = np.array([r[2] for r in _REGIONS])[region[so_client[d_sel]]]
    on_time = _tri_state(rng.random(nd) < on_rate, rng.random(nd) < 0.015)
    in_full = _tri_state(rng.random(nd) < 0.95, rng.random(nd) < 0.015)
    deliveries = pd.DataFrame(
        {
            "order_id": pd.Series(so_ids[so_number[d_sel] - 1], dtype=object),
            "client_id": pd.Series(client_ids[so_client[d_sel]], dtype=object),
            "date": _ns(start64 + so_day[d_sel]),
            "on_time": pd.Series(on_time, dtype=object),
            "in_full": pd.Series(in_full, dtype=object),
        }
    )

    return SampleData(
        transactions=transactions,
        clients=clients,
        market=market,
        survey=survey,
        csi=csi,
        deliveries=deliveries,
        our_supplier=OUR_SUPPLIER,
        end=end,
    )


def _tri_state(value: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    out = np.where(value, True, False).astype(object)
    out[unknown] = None
    return out


def _client_names(rng, ind: np.ndarray, region: np.ndarray) -> list[str]:
    n = len(ind)
    stem = rng.integers(0, len(_NAME_STEMS), n)
    ending = rng.integers(0, len(_NAME_ENDS), n)
    number = rng.integers(1, 60, n)
    names = []
    for _i, (s, e, k, r, no) in enumerate(
        zip(stem.tolist(), ending.tolist(), ind.tolist(), region.tolist(), number.tolist())
    ):
        word = _NAME_STEMS[s] + _NAME_ENDS[e]
        city = _REGIONS[r][0]
        if k == 0:
            names.append(f"{word} Dental Clinic LLC")
        elif k == 1:
            names.append(f"{word} Dental Laboratory LLC")
        elif k == 2:
            names.append(f"{city} City Hospital No. {no}")
        elif k == 3:
            names.append(f"{city} Dental Polyclinic No. {no}")
        elif k == 4:
            names.append(f"{city} Medical University, Dentistry Faculty")
        else:
            names.append(f"{word} Trade LLC")
    return names


def _market(
    rng,
    n,
    n_months,
    prospect,
    z,
    total_rev,
    monthly_rev,
    cm_rev,
    cm_last,
    client_ids,
    client_region,
    random_days,
    start64,
) -> pd.DataFrame:
    """Monthly purchases of about 60 % of the clients from every supplier."""
    buyer = ~prospect & (total_rev > 0)
    n_in = int(round(_MARKET_SHARE * n))
    # prospects are all in the market; among buyers the bigger ones more often
    n_buyers_in = max(0, min(int(buyer.sum()), n_in - int(prospect.sum())))
    bw = np.exp(0.5 * z) * buyer
    in_mkt = np.zeros(n, dtype=bool)
    if n_buyers_in:
        in_mkt[rng.choice(n, n_buyers_in, replace=False, p=bw / bw.sum())] = True
    in_mkt |= prospect & (monthly_rev > 0)
    idx = np.flatnonzero(in_mkt)
    m = len(idx)
    is_pro = prospect[idx]
    # number of suppliers, ours included for the clients that buy from us
    k = _weighted_choice(rng, [28, 22, 20, 14, 9, 7], m) + 1
    k = np.where(is_pro, np.minimum(k, 4), k)
    b_idx = np.flatnonzero(~is_pro)
    p_idx = np.flatnonzero(is_pro)
    if len(b_idx):
        k[b_idx[0]] = 1  # a client buying from us only
    if len(p_idx):
        k[p_idx[0]] = 1  # a client with one other supplier
    n_comp = np.where(is_pro, k, k - 1)
    sow = np.where(n_comp == 0, 1.0, 0.05 + 0.90 * rng.beta(1.1, 1.6, m))
    comp_rate = np.where(is_pro, monthly_rev[idx] * rng.uniform(1.0, 1.5, m), monthly_rev[idx] * (1.0 - sow) / sow)

    # our rows: months with positive net purchases, approximately what the
    # transactions show (the market source is a different one)
    ours = ~prospect[idx]
    oc, om = np.nonzero((cm_rev[idx] > 0) & ours[:, None])
    o_amt = np.round(cm_rev[idx][oc, om] * np.clip(rng.normal(1.0, 0.02, len(oc)), 0.95, 1.05), 2)
    o_day = cm_last[idx][oc, om]

    # competitors: which ones, their shares and monthly purchases
    comp_w = np.tile(np.array([c[1] for c in _COMPETITORS]), (m, 1))
    comp_order = _gumbel_order(rng, comp_w)
    shares = rng.gamma(np.repeat(rng.uniform(0.4, 3.0, m)[:, None], comp_w.shape[1], axis=1), 1.0)
    has = np.arange(comp_w.shape[1])[None, :] < n_comp[:, None]
    shares = np.where(has, shares, 0.0)
    shares /= np.where(shares.sum(axis=1, keepdims=True) > 0, shares.sum(axis=1, keepdims=True), 1.0)
    pc, pj = np.nonzero(has)  # (client, competitor slot) pairs
    p_act = rng.uniform(0.3, 0.9, len(pc))
    act = rng.random((len(pc), n_months)) < p_act[:, None]
    act[np.arange(len(pc)), rng.integers(0, n_months, len(pc))] = True
    ac, am = np.nonzero(act)
    c_amt = comp_rate[pc[ac]] * shares[pc[ac], pj[ac]] / p_act[ac] * rng.gamma(4.0, 0.25, len(ac))
    c_amt = np.round(np.maximum(c_amt, 10.0), 2)
    c_day = random_days(am)
    comp_names = _obj([c[0] for c in _COMPETITORS])

    cl = np.concatenate([idx[oc], idx[pc[ac]]])
    sup = np.concatenate([np.full(len(oc), OUR_SUPPLIER, dtype=object), comp_names[comp_order[pc[ac], pj[ac]]]])
    day = np.concatenate([o_day, c_day])
    amt = np.concatenate([o_amt, c_amt])
    srt = np.lexsort((sup.astype(str), day, cl))
    return pd.DataFrame(
        {
            "client_id": pd.Series(client_ids[cl[srt]], dtype=object),
            "supplier": pd.Series(sup[srt], dtype=object),
            "date": _ns(start64 + day[srt]),
            "amount": amt[srt].astype(np.float64),
            "region": pd.Series(client_region[cl[srt]], dtype=object),
        }
    )


# --------------------------------------------------------------------------
# files

_MONEY = {"amount", "cost", "overdue_amount"}
_WHOLE = {"quantity", "capacity_units", "overdue_days", "nps", "importance", "satisfaction"}
_EXCEL_MAX_ROWS = 1_048_576


def write_sample_files(data: SampleData, folder) -> dict[str, Path]:
    """Write the sample as the files a user would bring: transactions.xlsx,
    transactions.csv, clients.xlsx, market.xlsx, survey.xlsx (sheets "NPS"
    and "CSI") and deliveries.xlsx.  Each file is written atomically (a
    temporary file in ``folder``, then renamed).  Returns {key: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if len(data.transactions) + 1 > _EXCEL_MAX_ROWS:
        raise ValueError(
            f"{len(data.transactions):,} transaction lines do not fit in one Excel sheet "
            f"({_EXCEL_MAX_ROWS - 1:,} rows at most); generate fewer lines"
        )
    out: dict[str, Path] = {}
    books = (
        ("transactions", "transactions.xlsx", (("Transactions", data.transactions),)),
        ("clients", "clients.xlsx", (("Clients", data.clients),)),
        ("market", "market.xlsx", (("Market", data.market),)),
        ("survey", "survey.xlsx", (("NPS", data.survey), ("CSI", data.csi))),
        ("deliveries", "deliveries.xlsx", (("Deliveries", data.deliveries),)),
    )
    for key, name, sheets in books:
        path = folder / name
        atomic_write(path, functools.partial(_write_xlsx, sheets=sheets))
        out[key] = path
    path = folder / "transactions.csv"
    tx = data.transactions
    dates = {
        c: np.datetime_as_string(tx[c].to_numpy().astype("datetime64[D]"), unit="D")
        for c in tx.columns
        if pd.api.types.is_datetime64_any_dtype(tx[c])
    }
    for c, v in dates.items():  # ISO dates; NaT stays empty
        dates[c] = np.where(v == "NaT", "", v).astype(object)
    safe = csv_safe_frame(tx.assign(**dates))  # no cell read as a formula
    atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"))
    out["transactions_csv"] = path
    return out


def _is_bool_object(s: pd.Series) -> bool:
    if s.dtype != object:
        return False
    known = s.dropna()
    return len(known) > 0 and isinstance(known.iloc[0], (bool, np.bool_))


_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def _column_specs(df: pd.DataFrame) -> list[tuple[str, str | None, float, np.ndarray]]:
    """Per column: (kind, number format key, width, values).  kind is "n"
    (float64 values, NaN = blank), "s" (object values, None/NaN = blank) or
    "b" (True/False/None); dates become Excel serial numbers."""
    specs: list[tuple[str, str | None, float, np.ndarray]] = []
    for col in df.columns:
        s = df[col]
        name = str(col)
        if pd.api.types.is_datetime64_any_dtype(s):
            serial = (s.to_numpy().astype("datetime64[D]") - _EXCEL_EPOCH).astype(np.int64).astype(float)
            serial[s.isna().to_numpy()] = np.nan
            specs.append(("n", "date", 12.0, serial))
        elif pd.api.types.is_bool_dtype(s) or _is_bool_object(s):
            specs.append(("b", None, 9.0, s.to_numpy(dtype=object)))
        elif pd.api.types.is_numeric_dtype(s):
            key = "money" if name in _MONEY else "whole" if name in _WHOLE else None
            specs.append(("n", key, 14.0 if key == "money" else 10.0, s.to_numpy(dtype=float, na_value=np.nan)))
        else:
            longest = s.str.len().max() if len(s) else 0
            longest = 0 if longest != longest else int(longest)
            specs.append(("s", None, float(min(60, max(8, longest + 2))), s.to_numpy(dtype=object)))
    return specs


def _write_xlsx(filename: str, sheets, *, fast: bool = True) -> None:
    """Write one workbook: a sheet per (name, frame), a bold frozen header
    with an autofilter, column widths and number formats.

    XlsxWriter builds the workbook.  Writing every cell through it costs
    about 10 microseconds a cell, so by default it writes the header only and
    the data rows are then added to each sheet's XML in vectorised chunks,
    with the column formats XlsxWriter assigned (``fast=False`` writes every
    cell through XlsxWriter instead; both give the same workbook content)."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    target = buffer if fast else filename
    options = {"in_memory": True} if fast else {"constant_memory": True}
    wb = xlsxwriter.Workbook(
        target, {**options, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    plans = []
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        formats = {
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "money": wb.add_format({"num_format": "#,##0.00"}),
            "whole": wb.add_format({"num_format": "#,##0"}),
            None: None,
        }
        for sheet_name, df in sheets:
            ws = wb.add_worksheet(sheet_name)
            specs = _column_specs(df)
            for j, (col, (_kind, key, width, _)) in enumerate(zip(df.columns, specs)):
                ws.set_column(j, j, max(width, len(str(col)) + 3), formats[key])
                ws.write_string(0, j, str(col), head)
            ws.freeze_panes(1, 0)
            if len(df.columns):
                ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
            plans.append(specs)
            if not fast:
                _write_cells(ws, specs, len(df), formats)
    finally:
        wb.close()
    if fast:
        add_rows(
            buffer.getvalue(),
            filename,
            {
                i: (len(df), [Column(kind, values) for kind, _, _, values in specs])
                for i, ((_, df), specs) in enumerate(zip(sheets, plans), start=1)
            },
        )


def _write_cells(ws, specs, n_rows: int, formats) -> None:
    columns = [(j, kind, values.tolist(), formats[key]) for j, (kind, key, _, values) in enumerate(specs)]
    write_number, write_string, write_boolean = ws.write_number, ws.write_string, ws.write_boolean
    for i in range(n_rows):
        r = i + 1
        for j, kind, values, fmt in columns:
            v = values[i]
            if kind == "n":
                if v == v and v not in (np.inf, -np.inf):
                    write_number(r, j, v, fmt)
            elif kind == "s":
                if not pd.isna(v):
                    write_string(r, j, str(v))
            elif not pd.isna(v):
                write_boolean(r, j, bool(v))
