"""Order lines → per-client figures on a database engine (ibis; embedded DuckDB by default).

The same rules as :func:`xlb2b.analysis.metrics.client_metrics` and
:func:`~xlb2b.analysis.metrics.market_metrics` (METHODOLOGY §1–§2, §11–§12),
written once as ibis expressions, so they run wherever ibis compiles:
embedded DuckDB for parquet and CSV files, PostgreSQL, Spark and the other
ibis backends for data that lives in a warehouse.  The engine reduces the
lines to a few small tables (one row per client, per client × month, per
client × category, per client × supplier); the last arithmetic on those
(ratios, months observed, the monthly CV) is done here with numpy, on one
row per client.

ibis and an engine are an optional extra (``pip install xlb2b[scale]``): the
package imports without them, and :func:`require_ibis` says what to install.

The input is an ibis table with the canonical transaction columns of
:mod:`xlb2b.inputs.tables` (``client_id`` text, ``date`` a date, ``amount``
a number, the optional columns when present) whose rows already passed
validation (see :mod:`xlb2b.inputs.scan`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.metrics import ClientMetrics, Window, _div, resolve_window
from xlb2b.settings import Settings

#: what to install when ibis or DuckDB is missing
INSTALL_HINT = "pip install 'xlb2b[scale]' (ibis-framework with DuckDB)"


def require_ibis():
    """The ibis module, or ImportError saying what to install."""
    try:
        import ibis
    except ImportError as e:  # pragma: no cover - exercised without the extra
        raise ImportError(f"large inputs and databases need ibis: {INSTALL_HINT}") from e
    return ibis


def available() -> bool:
    """True when ibis and DuckDB can be imported."""
    try:
        import duckdb  # noqa: F401
        import ibis  # noqa: F401
    except ImportError:
        return False
    return True


def _lit_date(ibis, ts: pd.Timestamp):
    return ibis.date(ts.year, ts.month, ts.day)


def _execute(expr) -> pd.DataFrame:
    """Run an expression and bring the (small) result back as pandas."""
    return expr.to_pandas()


def _units(t, cols):
    """Units per line: the quantity, or one per line with a return line (negative
    amount) taking one back when there is no quantity column."""
    if "quantity" in cols:
        return t.quantity.cast("float64")
    return (t.amount < 0).ifelse(-1.0, 1.0)


def _gross_profit(t, cols):
    if "gross_profit" in cols:
        return t.gross_profit.cast("float64")
    if "cost" in cols:
        return t.amount - t.cost
    return None


def engine_window(t, settings: Settings) -> Window:
    """The analysis window (§1), from the earliest and latest dates computed in the engine."""
    if settings.window == "explicit":
        return resolve_window(np.array([], dtype="datetime64[ns]"), settings)
    r = _execute(t.aggregate(lo=t.date.min(), hi=t.date.max()))
    dates = pd.to_datetime([r["lo"].iloc[0], r["hi"].iloc[0]]).to_numpy(dtype="datetime64[ns]")
    return resolve_window(dates, settings)


def count_rows(t) -> int:
    return int(t.count().to_pyarrow().as_py())


def _month_key(d):
    return d.year() * 12 + d.month() - 1


def client_aggregates(t, window: Window) -> dict[str, pd.DataFrame]:
    """The engine's part: small pandas tables keyed by ``client_id``.

    ``clients``: one row per client seen anywhere in ``t`` with the sums and
    distinct counts; ``monthly``: net revenue per client × window month that
    has lines; ``gaps``: per client the number of distinct purchase dates up
    to the window's end and the median gap in days between them (§12).
    """
    ibis = require_ibis()
    cols = set(t.columns)
    start, end = _lit_date(ibis, window.start), _lit_date(ibis, window.end)
    prev = window.preceding()
    pstart, pend = _lit_date(ibis, prev.start), _lit_date(ibis, prev.end)
    d = t.date
    pos = t.amount > 0
    inw = (d >= start) & (d <= end)
    inp = (d >= pstart) & (d <= pend)
    buy = inw & pos
    units = _units(t, cols)
    gp = _gross_profit(t, cols)
    cat = t.category if "category" in cols else (t.sku if "sku" in cols else None)

    metrics: dict[str, Any] = {
        "first_date": d.min(where=pos),
        "revenue": t.amount.sum(where=inw),
        "lines": inw.ifelse(1, 0).sum(),
        "units": units.sum(where=inw),
        "orders": (t.order_id if "order_id" in cols else d).nunique(where=buy),
        "active_months": _month_key(d).nunique(where=buy),
        "last_date": d.max(where=buy),
        "prev_revenue": t.amount.sum(where=inp),
        "prev_units": units.sum(where=inp),
        "prev_lines": inp.ifelse(1, 0).sum(),
    }
    if gp is not None:
        metrics["gross_profit"] = gp.sum(where=inw)
    if "sku" in cols:
        metrics["skus"] = t.sku.nunique(where=buy)
    if cat is not None:
        metrics["categories"] = cat.nunique(where=buy)
    base = t.group_by("client_id").aggregate(**metrics)

    w = t.filter(inw)
    out = {"clients": None, "monthly": None, "top": None, "gaps": None}
    if cat is not None:
        wc = w.mutate(_cat=(w.category if "category" in cols else w.sku))
        wc = wc.filter(wc._cat.notnull())
        pairs = wc.group_by(["client_id", "_cat"]).aggregate(s=wc.amount.sum())
        top = pairs.group_by("client_id").aggregate(top_category_revenue=pairs.s.max())
        base = base.left_join(top, "client_id").drop("client_id_right")

    # §12: distinct purchase dates up to the window's end and the median gap between them
    pd_ = t.filter(pos & (d <= end)).select("client_id", day=t.date.epoch_days()).distinct()
    gap = pd_.day - pd_.day.lag().over(ibis.window(group_by=pd_.client_id, order_by=pd_.day))
    g = pd_.mutate(gap=gap)
    gaps = g.group_by("client_id").aggregate(purchase_dates=g.day.count(), median_gap=g.gap.median())
    base = base.left_join(gaps, "client_id").drop("client_id_right")
    out["clients"] = _execute(base)

    monthly = w.group_by(["client_id", _month_key(w.date).name("month")]).aggregate(revenue=w.amount.sum())
    out["monthly"] = _execute(monthly)
    return out


#: engine sums are rounded to this many decimals: every engine adds floats in its own
#: order, and a fully returned sale must come out as exactly 0 (not ±2e-13) everywhere,
#: so that who has positive revenue never depends on the engine
SUM_DECIMALS = 6


def _sums(x: np.ndarray) -> np.ndarray:
    return np.round(x, SUM_DECIMALS) + 0.0  # + 0.0 turns −0.0 into 0.0


def client_metrics_from_aggregates(
    agg: dict[str, pd.DataFrame],
    window: Window,
    settings: Settings,
    *,
    has_gross_profit: bool,
    has_categories: bool,
    has_skus: bool,
) -> ClientMetrics:
    """The per-client table of :func:`~xlb2b.analysis.metrics.client_metrics`
    (same columns, same rules) from the engine's aggregates, sorted by client id,
    with ``prev_units``, ``purchase_dates`` and ``median_gap_days`` added."""
    b = agg["clients"].sort_values("client_id", kind="stable").reset_index(drop=True)
    n = len(b)
    ids = b["client_id"].astype(str).to_numpy(dtype=object)

    def num(col, fill=0.0):
        if col not in b:
            return np.full(n, np.nan)
        return pd.to_numeric(b[col], errors="coerce").fillna(fill).to_numpy(dtype="float64")

    revenue = _sums(num("revenue"))
    units = _sums(num("units"))
    lines = num("lines")
    orders = num("orders")
    active = num("active_months")
    gross_profit = _sums(num("gross_profit")) if has_gross_profit else np.full(n, np.nan)
    skus = num("skus") if has_skus else np.full(n, np.nan)
    categories = num("categories") if has_categories else np.full(n, np.nan)
    if has_categories:
        top = _sums(pd.to_numeric(b["top_category_revenue"], errors="coerce").to_numpy(dtype="float64"))
        top_share = _div(top, revenue)
    else:
        top_share = np.full(n, np.nan)

    first = pd.to_datetime(b["first_date"]).to_numpy(dtype="datetime64[ns]")
    last = pd.to_datetime(b["last_date"]).to_numpy(dtype="datetime64[ns]")
    m0, m1 = window.start_month, window.end_month
    has_first = ~np.isnat(first)
    first_m = np.where(has_first, first.astype("datetime64[M]").astype(np.int64) + 1970 * 12, m1 + 1)
    obs_start = np.maximum(first_m, m0)
    span = np.clip(m1 - obs_start + 1, 0, None)
    months_observed = np.maximum(span, settings.months_observed_floor)

    # monthly CV over the observed months, zero months included
    mo = agg["monthly"]
    code = pd.Index(ids).get_indexer(mo["client_id"].astype(str).to_numpy(dtype=object))
    mi = mo["month"].to_numpy(dtype=np.int64)
    x = _sums(mo["revenue"].to_numpy(dtype="float64"))
    mean = _div(revenue, months_observed)
    seen = mi >= obs_start[code]
    dev = x[seen] - mean[code[seen]]
    k = np.bincount(code[seen], minlength=n)
    ss = np.bincount(code[seen], weights=dev * dev, minlength=n) + (months_observed - k) * mean * mean
    with np.errstate(invalid="ignore"):
        cv = np.where(mean > 0, np.sqrt(ss / months_observed) / np.where(mean > 0, mean, 1), np.nan)

    end_day = np.datetime64(window.end, "ns")
    has_last = ~np.isnat(last)
    recency = np.full(n, np.nan)
    recency[has_last] = ((end_day - last[has_last]) // np.timedelta64(1, "D")).astype("float64")
    tenure = np.where(has_first, m1 - first_m + 1, np.nan)
    units_pos = units > 0
    table = pd.DataFrame(
        {
            "client_id": ids,
            "revenue": revenue,
            "gross_profit": gross_profit,
            "margin": _div(gross_profit, np.where(revenue > 0, revenue, np.nan)),
            "orders": orders,
            "units": units,
            "lines": lines,
            "avg_unit_price": np.where(units_pos, _div(revenue, units), np.nan),
            "avg_check": _div(revenue, orders),
            "depth": _div(units, orders),
            "skus": skus,
            "categories": categories,
            "top_category_share": top_share,
            "first_date": first,
            "last_date": last,
            "recency_days": recency,
            "tenure_months": tenure,
            "active_months": active,
            "months_observed": months_observed.astype("float64"),
            "regularity": _div(active, months_observed),
            "monthly_cv": cv,
            "ltv": revenue,
            "prev_revenue": _sums(num("prev_revenue")),
            "prev_units": _sums(num("prev_units")),
            "purchase_dates": num("purchase_dates"),
            "median_gap_days": num("median_gap", np.nan),
        }
    )
    return ClientMetrics(table, window, has_gross_profit, has_categories)


def client_metrics_engine(t, window: Window, settings: Settings) -> ClientMetrics:
    """:func:`~xlb2b.analysis.metrics.client_metrics` computed by the engine behind ``t``."""
    cols = set(t.columns)
    agg = client_aggregates(t, window)
    return client_metrics_from_aggregates(
        agg,
        window,
        settings,
        has_gross_profit=bool(cols & {"gross_profit", "cost"}),
        has_categories=bool(cols & {"category", "sku"}),
        has_skus="sku" in cols,
    )


def last_values(t, column: str) -> pd.Series:
    """Per client, the value of ``column`` on its latest line that has one; among
    lines of that date the greatest value in text order (as the pandas path)."""
    f = t.filter(t[column].notnull())
    latest = f.group_by("client_id").aggregate(_latest=f.date.max())
    j = f.inner_join(latest, "client_id")
    j = j.filter(j.date == j._latest)
    r = _execute(j.group_by("client_id").aggregate(value=j[column].cast("string").max()))
    return pd.Series(r["value"].to_numpy(dtype=object), index=r["client_id"].astype(str).to_numpy(dtype=object))


def market_metrics_engine(m, window: Window, settings: Settings) -> pd.DataFrame:
    """:func:`~xlb2b.analysis.metrics.market_metrics` computed by the engine behind
    ``m`` (a market table: client_id, supplier, amount, optional date)."""
    ibis = require_ibis()
    if "date" in m.columns:
        m = m.filter((m.date >= _lit_date(ibis, window.start)) & (m.date <= _lit_date(ibis, window.end)))
    m = m.mutate(_sup=m.supplier.cast("string").strip().lower())
    pairs = m.group_by(["client_id", "_sup"]).aggregate(s=m.amount.sum())
    pairs = pairs.filter(pairs.s > 0)
    our_key = settings.our_supplier.strip().casefold()
    per = pairs.group_by("client_id").aggregate(
        market_spend=pairs.s.sum(),
        suppliers=pairs.count(),
        ss=(pairs.s * pairs.s).sum(),
        ours=pairs.s.sum(where=pairs._sup == our_key) if our_key else ibis.literal(0.0),
    )
    ids = m.select("client_id").distinct()
    r = _execute(ids.left_join(per, "client_id").drop("client_id_right"))
    r = r.sort_values("client_id", kind="stable").reset_index(drop=True)
    spend = pd.to_numeric(r["market_spend"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    has = spend > 0
    ss = pd.to_numeric(r["ss"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    ours = pd.to_numeric(r["ours"], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    suppliers = pd.to_numeric(r["suppliers"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    safe = np.where(has, spend, 1.0)
    out = pd.DataFrame(
        {
            "client_id": r["client_id"].astype(str).to_numpy(dtype=object),
            "suppliers": np.where(has, suppliers, np.nan),
            "hhi": np.where(has, ss / (safe * safe), np.nan),
            "market_spend": np.where(has, spend, np.nan),
            "our_market_amount": np.where(has, ours, np.nan),
            "sow": np.where(has, ours / safe, np.nan) if our_key else np.full(len(r), np.nan),
        }
    )
    found = bool(our_key) and bool((ours > 0).any())
    comp = pairs if not found else pairs.filter(pairs._sup != our_key)
    cp = _execute(comp.select("client_id", supplier=comp._sup))
    out.attrs["competitor_pairs"] = cp.sort_values(["client_id", "supplier"], kind="stable").reset_index(drop=True)
    return out
