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

from xlb2b.analysis.metrics import ClientMetrics, Window, client_table, resolve_window
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


def engine_window(t, settings: Settings, known: tuple[Any, Any] | None = None) -> Window:
    """The analysis window (§1), from the earliest and latest dates: ``known`` when
    the validation already counted them (:attr:`xlb2b.inputs.scan.EngineInput.date_range`),
    else computed in the engine."""
    if settings.window == "explicit":
        return resolve_window(np.array([], dtype="datetime64[ns]"), settings)
    if known is None:
        r = _execute(t.aggregate(lo=t.date.min(), hi=t.date.max()))
        known = (r["lo"].iloc[0], r["hi"].iloc[0])
    dates = pd.to_datetime(list(known)).to_numpy(dtype="datetime64[ns]")
    return resolve_window(dates, settings)


def count_rows(t) -> int:
    return int(t.count().to_pyarrow().as_py())


def _month_key(d):
    return d.year() * 12 + d.month() - 1


def _between(d, w: Window):
    ibis = require_ibis()
    return (d >= _lit_date(ibis, w.start)) & (d <= _lit_date(ibis, w.end))


#: at most this many window months are returned as columns of the per-client query
#: (revenue and purchase lines per month); a longer window has a query of its own
PIVOT_MONTHS = 60


def daily_totals(t, latest=()):
    """The lines summed per client × date: amount, units, gross profit (when
    known), lines, purchase lines (amount > 0) and, per column of ``latest``, the
    greatest value on that date.  Every figure that does not count distinct order
    ids, SKUs or categories comes out of this table, which has one row per
    client and date (a few times fewer than the lines), instead of the lines."""
    cols = set(t.columns)
    aggs: dict[str, Any] = {
        "a": t.amount.sum(),
        "u": _units(t, cols).sum(),
        "n": t.count(),
        "b": (t.amount > 0).ifelse(1, 0).sum(),
    }
    gp = _gross_profit(t, cols)
    if gp is not None:
        aggs["g"] = gp.sum()
    for i, col in enumerate(latest):
        aggs[f"v{i}"] = t[col].cast("string").max()
    return t.group_by(["client_id", "date"]).aggregate(**aggs)


def _latest_keys(p, latest) -> dict[str, Any]:
    """Per column of ``latest``, the greatest ``YYYYMMDD|value`` over the daily
    totals ``p``: the value of the latest date that has one (the greatest value
    of that date)."""
    d = p.date
    stamp = (d.year() * 10000 + d.month() * 100 + d.day()).cast("string")
    return {
        f"_latest{i}": p[f"v{i}"].notnull().ifelse(stamp.concat("|", p[f"v{i}"]), None).max()
        for i in range(len(latest))
    }


def _latest_series(r: pd.DataFrame, latest) -> dict[str, pd.Series]:
    ids = r["client_id"].astype(str).to_numpy(dtype=object)
    out = {}
    for i, col in enumerate(latest):
        key = r[f"_latest{i}"]
        has = key.notna().to_numpy()
        values = np.full(len(r), None, dtype=object)
        values[has] = key[has].astype(str).str.slice(9).to_numpy(dtype=object)
        out[col] = pd.Series(values[has], index=ids[has])
    return out


def _window_parts(t, p, window: Window, prev: Window, sfx: str):
    """What :func:`client_aggregates` computes for one window: the per-client
    aggregations over the daily totals ``p`` (names ending in ``sfx``), the
    per-client tables over the window's lines to join, the window's months and
    whether they come as columns."""
    cols = set(t.columns)
    d = p.date
    buy_day = p.b > 0
    inw = _between(d, window)
    inp = _between(d, prev)
    metrics: dict[str, Any] = {
        "first_date": d.min(where=buy_day),
        "revenue": p.a.sum(where=inw),
        "lines": p.n.sum(where=inw),
        "units": p.u.sum(where=inw),
        "last_date": d.max(where=inw & buy_day),
        "prev_revenue": p.a.sum(where=inp),
        "prev_units": p.u.sum(where=inp),
        "prev_lines": p.n.sum(where=inp),
    }
    if "g" in p.columns:
        metrics["gross_profit"] = p.g.sum(where=inw)
    if "order_id" not in cols:  # an order is a client's purchase date
        metrics["orders"] = (inw & buy_day).ifelse(1, 0).sum()
    months = list(range(window.start_month, window.end_month + 1))
    pivot = len(months) <= PIVOT_MONTHS
    if pivot:
        mk = _month_key(d)
        for k in months:
            metrics[f"_r{k}"] = p.a.sum(where=mk == k)
            metrics[f"_b{k}"] = p.b.sum(where=mk == k)

    # the window's lines only, for everything counted over the window
    parts = []
    w = t.filter(_between(t.date, window))
    wb = w.filter(w.amount > 0)
    if "order_id" in cols:
        pairs = wb.filter(wb.order_id.notnull()).group_by(["client_id", "order_id"]).aggregate()
        parts.append(pairs.group_by("client_id").aggregate(**{f"orders{sfx}": pairs.count()}))
    if "sku" in cols:
        parts.append(wb.group_by("client_id").aggregate(**{f"skus{sfx}": wb.sku.nunique()}))
    if "category" in cols or "sku" in cols:
        wc = w.mutate(_cat=(w.category if "category" in cols else w.sku))
        wc = wc.filter(wc._cat.notnull())
        pairs = wc.group_by(["client_id", "_cat"]).aggregate(s=wc.amount.sum(), b=(wc.amount > 0).ifelse(1, 0).sum())
        parts.append(
            pairs.group_by("client_id").aggregate(
                **{f"top_category_revenue{sfx}": pairs.s.max(), f"categories{sfx}": (pairs.b > 0).ifelse(1, 0).sum()}
            )
        )
    return {f"{k}{sfx}": v for k, v in metrics.items()}, parts, months, pivot


def client_aggregates(
    t, window: Window, previous: Window | None = None, *, gaps: bool = True, latest=(), also=()
) -> dict[str, Any]:
    """The engine's part: small pandas tables keyed by ``client_id``.

    ``clients``: one row per client seen anywhere in ``t`` with the sums, the
    distinct counts and, per client, the number of distinct purchase dates up to
    the window's end and the median gap in days between them (§12); ``monthly``:
    net revenue and purchase lines per client × window month that has lines.
    ``previous``: the window whose revenue, units and lines are summed as
    ``prev_*`` (default: :meth:`Window.preceding`); ``gaps=False`` leaves out
    the purchase dates and gaps (only the two-window view needs them).
    ``latest``: columns whose value on each client's latest line is returned as
    ``latest`` (as :func:`latest_values`).  ``also``: more windows (W0 of the
    two-window view), each aggregated like ``window`` (without the gaps and the
    latest values) in the same query, returned as ``also``: one
    ``{"clients", "monthly"}`` per window.

    One query: the sums, first and last purchase, the monthly figures (as
    columns, one per window month), the purchase dates and gaps and the latest
    values all come from the per client × date totals (:func:`daily_totals`);
    the distinct orders (a GROUP BY client × order first, then a count per client:
    cheaper than a distinct count), SKUs and categories from the window's lines
    (the filter on the date reaches the scan, so files or partitions outside
    the window are skipped).
    """
    ibis = require_ibis()
    latest = tuple(latest)
    p = daily_totals(t, latest)
    windows = [(window, previous or window.preceding(), "")]
    windows += [(w, w.preceding(), f"__{j}") for j, w in enumerate(also)]
    metrics: dict[str, Any] = {}
    parts: list[Any] = []
    shapes = []
    for w, prev, sfx in windows:
        m, pt, months, pivot = _window_parts(t, p, w, prev, sfx)
        metrics.update(m)
        parts += pt
        shapes.append((w, sfx, months, pivot))
    metrics.update(_latest_keys(p, latest))
    base = p.group_by("client_id").aggregate(**metrics)
    for part in parts:
        base = base.left_join(part, "client_id").drop("client_id_right")

    if gaps:
        # §12: distinct purchase dates up to the window's end and the median gap between
        # them: each daily row with a purchase line is one purchase date
        end = _lit_date(ibis, window.end)
        pl = p.filter((p.b > 0) & (p.date <= end)).select("client_id", day=p.date.epoch_days())
        g = pl.mutate(gap=pl.day - pl.day.lag().over(ibis.window(group_by=pl.client_id, order_by=pl.day)))
        per = g.group_by("client_id").aggregate(purchase_dates=g.count(), median_gap=g.gap.median())
        base = base.left_join(per, "client_id").drop("client_id_right")

    r = _execute(base)
    results = []
    for w, sfx, months, pivot in shapes:
        mine = [c for c in r.columns if c.endswith(sfx)] if sfx else [c for c in r.columns if "__" not in c]
        x = r[["client_id"] + [c for c in mine if c != "client_id"]]
        if sfx:
            x = x.rename(columns={c: c[: -len(sfx)] for c in mine})
        if pivot:
            monthly = _unpivot_months(x, months)
            x = x.drop(columns=[c for k in months for c in (f"_r{k}", f"_b{k}")])
        else:
            wp = p.filter(_between(p.date, w))
            monthly = _execute(
                wp.group_by(["client_id", _month_key(wp.date).name("month")]).aggregate(
                    revenue=wp.a.sum(), buys=wp.b.sum()
                )
            )
        results.append({"clients": x, "monthly": monthly})
    out: dict[str, Any] = dict(results[0])
    out["also"] = results[1:]
    if latest:
        out["latest"] = _latest_series(r, latest)
    return out


def _unpivot_months(r: pd.DataFrame, months: list[int]) -> pd.DataFrame:
    """The monthly columns ``_r<k>`` (revenue, null for a month without lines) and
    ``_b<k>`` (purchase lines) of the per-client query as rows (client_id, month,
    revenue, buys) of the months that have lines."""
    ids = r["client_id"].to_numpy(dtype=object)
    rev = np.column_stack([pd.to_numeric(r[f"_r{k}"], errors="coerce").to_numpy(dtype="float64") for k in months])
    buys = np.column_stack(
        [pd.to_numeric(r[f"_b{k}"], errors="coerce").fillna(0).to_numpy(dtype="float64") for k in months]
    )
    row, col = np.nonzero(~np.isnan(rev))
    return pd.DataFrame(
        {
            "client_id": ids[row],
            "month": np.asarray(months, dtype=np.int64)[col],
            "revenue": rev[row, col],
            "buys": buys[row, col],
        }
    )


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
    (same columns, same rules: :func:`~xlb2b.analysis.metrics.client_table`) from
    the engine's aggregates, sorted by client id, with ``prev_units``,
    ``prev_lines``, ``purchase_dates`` and ``median_gap_days`` added."""
    b = agg["clients"].sort_values("client_id", kind="stable").reset_index(drop=True)
    n = len(b)
    ids = b["client_id"].astype(str).to_numpy(dtype=object)

    def num(col, fill=0.0):
        if col not in b:
            return np.full(n, np.nan)
        return pd.to_numeric(b[col], errors="coerce").fillna(fill).to_numpy(dtype="float64")

    revenue = _sums(num("revenue"))
    mo = agg["monthly"]
    code = pd.Index(ids).get_indexer(mo["client_id"].astype(str).to_numpy(dtype=object))
    mi = mo["month"].to_numpy(dtype=np.int64)
    bought = mo["buys"].to_numpy(dtype="float64") > 0
    table = client_table(
        ids,
        window,
        settings,
        revenue=revenue,
        gross_profit=_sums(num("gross_profit")) if has_gross_profit else np.full(n, np.nan),
        orders=num("orders"),
        units=_sums(num("units")),
        lines=num("lines"),
        skus=num("skus") if has_skus else np.full(n, np.nan),
        categories=num("categories") if has_categories else np.full(n, np.nan),
        top_category_revenue=_sums(num("top_category_revenue", np.nan)) if has_categories else None,
        first_date=pd.to_datetime(b["first_date"]).to_numpy(dtype="datetime64[ns]"),
        last_date=pd.to_datetime(b["last_date"]).to_numpy(dtype="datetime64[ns]"),
        active_months=np.bincount(code[bought], minlength=n),
        monthly=(code, mi, _sums(mo["revenue"].to_numpy(dtype="float64"))),
        prev_revenue=_sums(num("prev_revenue")),
    )
    table["prev_units"] = _sums(num("prev_units"))
    table["prev_lines"] = num("prev_lines")
    table["purchase_dates"] = num("purchase_dates")
    table["median_gap_days"] = num("median_gap", np.nan)
    return ClientMetrics(table, window, has_gross_profit, has_categories)


def client_metrics_engine(
    t, window: Window, settings: Settings, previous: Window | None = None, *, gaps: bool = True
) -> ClientMetrics:
    """:func:`~xlb2b.analysis.metrics.client_metrics` computed by the engine behind ``t``
    (``previous``, ``gaps``: as :func:`client_aggregates`)."""
    return client_metrics_and_latest(t, window, settings, previous, gaps=gaps)[0]


def client_metrics_and_latest(
    t,
    window: Window,
    settings: Settings,
    previous: Window | None = None,
    *,
    gaps: bool = True,
    latest=(),
    also=(),
) -> tuple[ClientMetrics, dict[str, pd.Series], list[ClientMetrics]]:
    """:func:`client_metrics_engine` and, from the same query, :func:`latest_values`
    of the columns ``latest`` and the per-client metrics of the windows ``also``
    (as :func:`client_aggregates`)."""
    cols = set(t.columns)
    agg = client_aggregates(t, window, previous, gaps=gaps, latest=latest, also=also)
    flags = {
        "has_gross_profit": bool(cols & {"gross_profit", "cost"}),
        "has_categories": bool(cols & {"category", "sku"}),
        "has_skus": "sku" in cols,
    }
    cm = client_metrics_from_aggregates(agg, window, settings, **flags)
    more = [client_metrics_from_aggregates(a, w, settings, **flags) for a, w in zip(agg["also"], also, strict=True)]
    return cm, agg.get("latest", {}), more


def latest_values(t, columns) -> dict[str, pd.Series]:
    """Per client and column of ``columns``, the value on the client's latest line
    that has one; among lines of that date the greatest value in text order (as
    the pandas path).  One pass for all the columns over the per client × date
    greatest values (:func:`daily_totals`): the maximum of ``YYYYMMDD|value``
    orders by date first, then by the value."""
    columns = tuple(columns)
    if not columns:
        return {}
    p = daily_totals(t, columns)
    r = _execute(p.group_by("client_id").aggregate(**_latest_keys(p, columns)))
    return _latest_series(r, columns)


def last_values(t, column: str) -> pd.Series:
    """:func:`latest_values` of one column."""
    return latest_values(t, [column])[column]


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


# ---------------------------------------------------------------- two windows (§11–§12)
def period_totals(t, w1: Window, settings: Settings):
    """The lines up to W1's end summed per client × cohort period (quarter, or year
    with ``cohort_period = "year"``), as the :class:`~xlb2b.analysis.dynamics.DayTotals`
    that :func:`~xlb2b.analysis.dynamics.cohorts` reads: each period stands at its
    first day, which puts it and every first purchase in the right period."""
    from xlb2b.analysis.dynamics import DayTotals

    ibis = require_ibis()
    cols = set(t.columns)
    f = t.filter(t.date <= _lit_date(ibis, w1.end))
    year = f.date.year()
    key = year if settings.cohort_period == "year" else year * 4 + (f.date.month() - 1) // 3
    g = f.group_by(["client_id", key.name("period")]).aggregate(
        amount=f.amount.sum(),
        units=_units(f, cols).sum(),
        lines=f.count(),
        buys=(f.amount > 0).ifelse(1, 0).sum(),
    )
    r = _execute(g)
    cid, ids = pd.factorize(r["client_id"].astype(str).to_numpy(dtype=object), sort=True)
    period = r["period"].to_numpy(dtype=np.int64)
    order = np.lexsort((period, cid))
    cid, period = cid[order].astype(np.int64), period[order]
    months = period * 12 - 1970 * 12 if settings.cohort_period == "year" else period * 3 - 1970 * 12
    day = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return DayTotals(
        np.asarray(ids, dtype=object),
        cid,
        day,
        _sums(r["amount"].to_numpy(dtype="float64")[order]),
        _sums(r["units"].to_numpy(dtype="float64")[order]),
        r["lines"].to_numpy(dtype=np.int64)[order],
        r["buys"].to_numpy(dtype=np.int64)[order],
    )


def engine_dynamics(
    t,
    w1: Window,
    w1_table: pd.DataFrame,
    w1_clients: pd.DataFrame,
    w1_cuts: dict[str, list[float]],
    attributes: pd.DataFrame,
    settings: Settings,
    w0_metrics: ClientMetrics | None = None,
):
    """:func:`~xlb2b.analysis.dynamics.dynamics` for lines that stay in the engine
    behind ``t``: the engine gives W0's per-client table (one more aggregation,
    without the gaps), and the per client × period sums for the cohorts; W1's
    table ``w1_table`` (every client, from :func:`client_metrics_engine` with the
    gaps) gives W1's sums, the first purchases and the purchase dates and gaps of
    the lapse ratio.  Status, bridge, migration, cohorts and lapse are then the
    pandas path's own functions.  ``w0_metrics``: W0's per-client metrics when
    they were computed already (with W1's, in one query: :func:`client_metrics_and_latest`)."""
    from xlb2b.analysis import dynamics as dy

    w0 = dy.previous_window(w1, settings)
    if w0_metrics is None or w0_metrics.window != w0:
        w0_metrics = client_metrics_engine(t, w0, settings, gaps=False)
    m0 = w0_metrics.table
    a = w1_table.sort_values("client_id", kind="stable").reset_index(drop=True)
    b = m0.set_index("client_id").reindex(a["client_id"].to_numpy(dtype=object))
    d = pd.DataFrame(
        {
            "client_id": a["client_id"].to_numpy(dtype=object),
            "revenue_w0": b["revenue"].fillna(0.0).to_numpy(dtype="float64"),
            "units_w0": b["units"].fillna(0.0).to_numpy(dtype="float64"),
            "lines_w0": b["lines"].fillna(0).to_numpy(dtype=np.int64),
            "revenue_w1": a["revenue"].to_numpy(dtype="float64"),
            "units_w1": a["units"].to_numpy(dtype="float64"),
            "lines_w1": a["lines"].to_numpy(dtype=np.int64),
            "first_date": a["first_date"].to_numpy(dtype="datetime64[ns]"),
        }
    )
    d = d.loc[(d["lines_w0"] > 0) | (d["lines_w1"] > 0)].reset_index(drop=True)
    st = dy.client_status(d, settings, w1=w1)
    for k, v in st.columns.items():
        d[k] = v
    seg0, cuts0 = dy.w0_segments(pd.DataFrame(), w0, w1_clients, w1_cuts, settings, metrics=m0)
    g = a.set_index("client_id").reindex(w1_clients["client_id"].to_numpy(dtype=object))
    ndates = g["purchase_dates"].fillna(0).to_numpy(dtype="float64")
    gap = np.where(ndates >= 3, g["median_gap_days"].to_numpy(dtype="float64"), np.nan)  # §12: at least 3 dates
    lp = dy.lapse(w1_clients, settings, tx=None, w1=w1, gaps=(ndates.astype(np.int64), gap))
    coh = dy.cohorts(period_totals(t, w1, settings), w1, settings)
    # the per-client frame: W0's segments, W1's segments and attributes, the lapse columns, by client id
    ids = pd.Index(d["client_id"].to_numpy(dtype=object))
    w1_cols = [c for c in dy.W1_COLUMNS if c in w1_clients and c not in dy.ATTRIBUTES]
    parts = [
        seg0.set_index("client_id"),
        w1_clients[["client_id"] + w1_cols].set_index("client_id"),
        attributes[["client_id"] + [c for c in dy.ATTRIBUTES if c in attributes]]
        .drop_duplicates("client_id")
        .set_index("client_id"),
        pd.DataFrame(lp.columns, index=w1_clients["client_id"].to_numpy(dtype=object)),
    ]
    extra = pd.concat([p.reindex(ids) for p in parts], axis=1)
    d = pd.concat([d, extra.reset_index(drop=True)], axis=1)
    out = dy.Dynamics(
        w0, w1, d, {"w0": cuts0, "w1": dict(w1_cuts), "lapse": [float(x) for x in settings.lapse_bounds]}, coh, settings
    )
    # the row of each analysed client in the per-client frame (every one buys in W1, so is there)
    out._cache["w1_rows"] = ids.get_indexer(pd.Index(w1_clients["client_id"].to_numpy(dtype=object)))
    return out
