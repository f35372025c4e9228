"""Analysis window and per-client metrics (METHODOLOGY §1–§2).

Everything is vectorised over integer client codes: one ``pd.factorize`` per
key column, then ``np.bincount`` sums and hashed pair keys for distinct
counts.  No per-client Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlb2b.analysis.money import money_sum
from xlb2b.settings import Settings

DAY = np.timedelta64(1, "D")


# ---------------------------------------------------------------- window
@dataclass(frozen=True)
class Window:
    start: pd.Timestamp  # first day, inclusive
    end: pd.Timestamp  # last day, inclusive

    @property
    def start_month(self) -> int:
        return month_index(self.start)

    @property
    def end_month(self) -> int:
        return month_index(self.end)

    def preceding(self) -> Window:
        """The window of the same length just before this one: whole months
        when this window is whole months, otherwise the same number of days."""
        whole = self.start.day == 1 and (self.end + pd.Timedelta(days=1)).day == 1
        if whole:
            n = self.end_month - self.start_month + 1
            start = self.start - pd.DateOffset(months=n)
            return Window(pd.Timestamp(start), self.start - pd.Timedelta(days=1))
        days = (self.end - self.start).days + 1
        return Window(self.start - pd.Timedelta(days=days), self.start - pd.Timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def month_index(ts) -> int:
    ts = pd.Timestamp(ts)
    return ts.year * 12 + ts.month - 1


_NS_PER_DAY = 86_400_000_000_000


def month_indices(dates: np.ndarray) -> np.ndarray:
    """year*12 + month-1 for a datetime64 array, vectorised.  Nanosecond
    dates without NaT go through their day number and a table of the days
    they span (numpy's conversion to months is slow per value)."""
    dates = np.asarray(dates)
    if dates.dtype == np.dtype("datetime64[ns]") and dates.size:
        days = dates.view(np.int64) // _NS_PER_DAY
        lo, hi = int(days.min()), int(days.max())
        if not np.isnat(dates).any() and hi - lo < 400_000:
            span = np.arange(lo, hi + 1).astype("datetime64[D]")
            table = span.astype("datetime64[M]").astype(np.int64) + 1970 * 12
            return table[days - lo]
    m = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return m + 1970 * 12


def _month_start(mi: int) -> pd.Timestamp:
    return pd.Timestamp(year=mi // 12, month=mi % 12 + 1, day=1)


def _month_end(mi: int) -> pd.Timestamp:
    return _month_start(mi + 1) - pd.Timedelta(days=1)


def resolve_window(dates, settings: Settings) -> Window:
    """METHODOLOGY §1: default = 12 calendar months ending with the month of
    the latest transaction; "all" = whole months spanning the data; explicit
    dates as given."""
    if settings.window == "explicit":
        return Window(pd.Timestamp(settings.window_start), pd.Timestamp(settings.window_end))
    d = np.asarray(dates, dtype="datetime64[ns]")
    last = month_index(d.max())
    if settings.window == "all":
        return Window(_month_start(month_index(d.min())), _month_end(last))
    return Window(_month_start(last - 11), _month_end(last))


# ---------------------------------------------------------------- helpers
def _codes(values) -> tuple[np.ndarray, int]:
    """Integer codes of a key column (a Series is factorised in its own
    storage: no round trip of Arrow strings through Python objects)."""
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def count_distinct_pairs(c: np.ndarray, x: np.ndarray, nx: int, n: int) -> np.ndarray:
    """Per client c: number of distinct x; a missing x (code −1) is not a value."""
    if (x < 0).any():
        c, x = c[x >= 0], x[x >= 0]
    if c.size == 0:
        return np.zeros(n, dtype=np.int64)
    nx = max(nx, 1)
    cells = n * nx
    if cells <= max(8 * c.size, 1 << 22) and cells <= 1 << 27:
        # few possible pairs (clients x months): mark them in a table, no hashing
        seen = np.zeros(cells, dtype=bool)
        seen[c * np.int64(nx) + x] = True
        return seen.reshape(n, nx).sum(axis=1, dtype=np.int64)
    keys = c * np.int64(nx) + x
    if (keys[1:] >= keys[:-1]).all():  # lines in client, then date order: no hashing
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    else:
        keys = pd.unique(keys)
    return np.bincount(keys // nx, minlength=n)


def factorize_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(key, sort=False)`` of int64 keys in ``0 .. size - 1``:
    codes in the order of each key's first line, and the distinct keys in that
    order.  When the keys are few enough to index a table (clients x months),
    each key's first line is found there (``np.minimum.at``), without hashing."""
    small = size <= max(8 * key.size, 1 << 22) and size <= 1 << 27 and key.size < 2**31 - 1
    if not small or not key.size or key.min() < 0 or key.max() >= size:
        codes, uniq = pd.factorize(key, sort=False)
        return codes, uniq
    pos = np.arange(key.size, dtype=np.int32)
    first = np.full(size, key.size, dtype=np.int32)
    np.minimum.at(first, key, pos)  # each key's first line
    uniq = key[first[key] == pos]  # the keys, in the order of their first lines
    first[uniq] = np.arange(len(uniq), dtype=np.int32)  # the table now gives each key's code
    return first[key].astype(np.intp), uniq


def pair_sums(c: np.ndarray, x: np.ndarray, nx: int, weights: np.ndarray):
    """Sums of ``weights`` per distinct (c, x): returns (client of pair, x of pair, sum)."""
    key = c * np.int64(max(nx, 1)) + x
    codes, uniq = factorize_keys(key, (int(c.max()) + 1 if c.size else 0) * max(nx, 1))
    sums = money_sum(codes, weights, len(uniq))
    return uniq // max(nx, 1), uniq % max(nx, 1), sums


def _group_extreme(ufunc, c: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    """Per-client min/max.  Datetimes go through their int64 view: numpy's
    fast ``ufunc.at`` path covers plain integers and floats only."""
    if values.dtype.kind == "M":
        out = np.full(n, fill, dtype=values.dtype)
        ufunc.at(out.view(np.int64), c, values.view(np.int64))
        return out
    out = np.full(n, fill, dtype=values.dtype)
    ufunc.at(out, c, values)
    return out


def group_max(c: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    return _group_extreme(np.maximum, c, values, n, fill)


def group_min(c: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    return _group_extreme(np.minimum, c, values, n, fill)


def _div(a, b) -> np.ndarray:
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=(b != 0) & ~np.isnan(b))
    return out


# ---------------------------------------------------------------- metrics
def first_seen_codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(ids, sort=False)`` as (int64 codes, object array of the
    distinct ids).  A categorical column whose categories all occur, in the
    order of their first line (as the reader makes them), is that already:
    its codes are taken as they are, without hashing a million of them."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()
        k = len(ids.cat.categories)
        if len(codes) and k and codes.min() >= 0:
            seen = np.maximum.accumulate(codes)  # the greatest code so far
            if seen[0] == 0 and seen[-1] == k - 1 and (np.diff(seen) <= 1).all():
                # every code is at most one above all those before it: the first lines of the
                # codes come in the order 0, 1, 2, ..., and all k occur
                return codes.astype(np.int64), np.asarray(ids.cat.categories, dtype=object).copy()
    codes, uniq = pd.factorize(ids, sort=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniq, dtype=object)


@dataclass
class ClientMetrics:
    table: pd.DataFrame  # one row per client seen in transactions (any period)
    window: Window
    has_gross_profit: bool
    has_categories: bool


def client_metrics(
    tx: pd.DataFrame, window: Window, settings: Settings, *, first_purchase: pd.Series | None = None
) -> ClientMetrics:
    """Per-client metrics of §2 for every client that appears in ``tx``.

    ``tx`` is a canonical transactions frame (see :mod:`xlb2b.inputs.tables`).
    Clients with no revenue in the window are kept here (revenue 0); the
    caller decides who is analysed and who is excluded.  ``first_purchase``
    (first purchase date per client id, over the whole history) lets ``tx``
    be just the window's lines.
    """
    cid_all, clients = first_seen_codes(tx["client_id"])
    n = len(clients)
    dates = tx["date"].to_numpy(dtype="datetime64[ns]")
    amount = tx["amount"].to_numpy(dtype="float64")
    purchase_all = amount > 0

    # first purchase over the whole history
    far = np.datetime64("2262-01-01", "ns")
    if first_purchase is None:
        first = group_min(cid_all[purchase_all], dates[purchase_all], n, far)
    else:
        first = first_purchase.reindex(clients).to_numpy(dtype="datetime64[ns]")
        first = np.where(np.isnat(first), far, first)

    start = np.datetime64(window.start, "ns")
    end_excl = np.datetime64(window.end + pd.Timedelta(days=1), "ns")
    inw = (dates >= start) & (dates < end_excl)
    c = cid_all[inw]
    d = dates[inw]
    amt = amount[inw]
    buy = amt > 0

    revenue = money_sum(c, amt, n)  # lines netting to zero give 0, not float noise
    lines = np.bincount(c, minlength=n)
    if "quantity" in tx:
        qty = tx["quantity"].to_numpy(dtype="float64")[inw]
        units = np.bincount(c, weights=qty, minlength=n)
    else:
        # one unit per line; a return line (negative amount) takes one back
        units = np.bincount(c, weights=np.where(amt < 0, -1.0, 1.0), minlength=n)

    if "gross_profit" in tx:
        gp_line = tx["gross_profit"].to_numpy(dtype="float64")[inw]
    elif "cost" in tx:
        gp_line = amt - tx["cost"].to_numpy(dtype="float64")[inw]
    else:
        gp_line = None
    gross_profit = money_sum(c, gp_line, n) if gp_line is not None else np.full(n, np.nan)

    cb = c[buy]
    # orders: order_id, or one order per (client, date)
    if "order_id" in tx:
        o, no = _codes(tx["order_id"])
        o = o[inw][buy]
    else:
        o = ((d[buy] - start) // DAY).astype(np.int64)
        no = int(o.max()) + 1 if o.size else 1
    orders = count_distinct_pairs(cb, o, no, n)

    # SKUs and categories (category falls back to sku)
    cat_col = "category" if "category" in tx else ("sku" if "sku" in tx else None)
    if "sku" in tx:
        s, ns = _codes(tx["sku"])
        s = s[inw][buy]
        skus = count_distinct_pairs(cb, s, ns, n).astype("float64")
    else:
        skus = np.full(n, np.nan)
    if cat_col is not None:
        k, nk = _codes(tx[cat_col])
        k = k[inw]
        categories = count_distinct_pairs(cb, k[buy], nk, n).astype("float64")
        known = k >= 0  # lines without a category have no category share
        pc, _, psum = pair_sums(c[known], k[known], nk, amt[known])
        top = np.full(n, -np.inf)
        np.maximum.at(top, pc, psum)
    else:
        categories = np.full(n, np.nan)

    # months
    m0, m1 = window.start_month, window.end_month
    nm = m1 - m0 + 1
    mi = month_indices(d) - m0
    active = count_distinct_pairs(cb, mi[buy], nm, n)
    never = np.datetime64("1678-01-01", "ns")
    last = group_max(cb, d[buy], n, never)
    last = np.where(last == never, np.datetime64("NaT", "ns"), last)
    # monthly revenue for the CV, as the sparse triple (client, month, revenue) of the months with
    # lines: a clients x months matrix would hold millions of cells, most of them zero
    pk, uk = factorize_keys(c * np.int64(nm) + mi, n * nm)
    monthly = (uk // nm, uk % nm + m0, np.bincount(pk, weights=amt, minlength=len(uk)))

    # preceding window revenue (for growth)
    prev = window.preceding()
    pw = (dates >= np.datetime64(prev.start, "ns")) & (dates < np.datetime64(prev.end + pd.Timedelta(days=1), "ns"))
    prev_revenue = money_sum(cid_all[pw], amount[pw], n)

    table = client_table(
        clients,
        window,
        settings,
        revenue=revenue,
        gross_profit=gross_profit,
        orders=orders,
        units=units,
        lines=lines,
        skus=skus,
        categories=categories,
        top_category_revenue=np.where(np.isfinite(top), top, np.nan) if cat_col is not None else None,
        first_date=np.where(first < far, first, np.datetime64("NaT", "ns")),
        last_date=last,
        active_months=active,
        monthly=monthly,
        prev_revenue=prev_revenue,
    )
    return ClientMetrics(table, window, gp_line is not None, cat_col is not None)


def client_table(
    ids: np.ndarray,
    window: Window,
    settings: Settings,
    *,
    revenue: np.ndarray,
    gross_profit: np.ndarray,
    orders: np.ndarray,
    units: np.ndarray,
    lines: np.ndarray,
    skus: np.ndarray,
    categories: np.ndarray,
    top_category_revenue: np.ndarray | None,
    first_date: np.ndarray,
    last_date: np.ndarray,
    active_months: np.ndarray,
    monthly,
    prev_revenue: np.ndarray,
) -> pd.DataFrame:
    """The per-client table of §2 from per-client sums and counts (one entry per
    client of ``ids``), shared by the pandas path and the engine path
    (:mod:`xlb2b.analysis.aggregate`).

    ``gross_profit``, ``skus``, ``categories``: NaN when unknown;
    ``top_category_revenue``: the best category's revenue (NaN for a client
    without categorised lines), None without categories; ``first_date`` (over
    all history) and ``last_date`` (last purchase in the window): datetime64
    with NaT for none; ``monthly``: the net revenue per client and window month
    as the sparse triple (client position, month index year*12+month-1,
    revenue) of the months that have lines.
    """
    n = len(ids)
    first = np.asarray(first_date, dtype="datetime64[ns]")
    last = np.asarray(last_date, dtype="datetime64[ns]")
    m0, m1 = window.start_month, window.end_month
    has_first = ~np.isnat(first)
    first_m = np.where(has_first, month_indices(np.where(has_first, first, np.datetime64(window.start, "ns"))), m1 + 1)
    obs_start = np.maximum(first_m, m0)
    span = np.clip(m1 - obs_start + 1, 0, None)
    months_observed = np.maximum(span, settings.months_observed_floor)

    # monthly CV over the observed months, zero months included
    mean = _div(revenue, months_observed)
    code, mi, x = monthly
    seen = mi >= obs_start[code]
    dev = x[seen] - mean[code[seen]]
    k = np.bincount(code[seen], minlength=n)
    ss = np.bincount(code[seen], weights=dev * dev, minlength=n) + (months_observed - k) * mean * mean
    with np.errstate(invalid="ignore"):
        cv = np.where(mean > 0, np.sqrt(ss / months_observed) / np.where(mean > 0, mean, 1), np.nan)

    end_day = np.datetime64(window.end, "ns")
    seen_last = ~np.isnat(last)
    recency = np.full(n, np.nan)
    recency[seen_last] = ((end_day - last[seen_last]) // DAY).astype("float64")
    tenure = np.where(has_first, m1 - first_m + 1, np.nan)
    top_share = np.full(n, np.nan) if top_category_revenue is None else _div(top_category_revenue, revenue)
    units_pos = units > 0
    return pd.DataFrame(
        {
            "client_id": ids,
            "revenue": revenue,
            "gross_profit": gross_profit,
            "margin": _div(gross_profit, np.where(revenue > 0, revenue, np.nan)),
            "orders": np.asarray(orders, dtype="float64"),
            "units": units,
            "lines": np.asarray(lines, dtype="float64"),
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
            "active_months": np.asarray(active_months, dtype="float64"),
            "months_observed": months_observed.astype("float64"),
            "regularity": _div(active_months, months_observed),
            "monthly_cv": cv,
            "ltv": revenue,
            "prev_revenue": prev_revenue,
        }
    )


# ---------------------------------------------------------------- market (KML)
def _norm_name(values) -> np.ndarray:
    return pd.Series(values, dtype="object").astype(str).str.strip().str.casefold().to_numpy()


def market_metrics(mkt: pd.DataFrame, window: Window, settings: Settings) -> pd.DataFrame:
    """Per client of the Market table: distinct suppliers, HHI of supplier
    shares, total market spend, our amount and SOW, counted over the rows
    inside the window (all rows when the table has no dates).  Suppliers are
    the pairs with a positive net amount; spend is their sum."""
    if "date" in mkt:
        d = mkt["date"].to_numpy(dtype="datetime64[ns]")
        inw = (d >= np.datetime64(window.start, "ns")) & (d < np.datetime64(window.end + pd.Timedelta(days=1), "ns"))
        mkt = mkt.loc[inw]
    c, ids = pd.factorize(mkt["client_id"], sort=False)
    c = c.astype(np.int64, copy=False)
    ids = np.asarray(ids, dtype=object)
    n = len(ids)
    raw_codes, raw_names = pd.factorize(mkt["supplier"], sort=False)
    # spellings that differ only in case or spaces are one supplier
    s_of_raw, sup_names = pd.factorize(_norm_name(np.asarray(raw_names, dtype=object)), sort=False)
    s = s_of_raw[raw_codes].astype(np.int64, copy=False)
    ns = len(sup_names)
    pc, ps, psum = pair_sums(c, s, ns, mkt["amount"].to_numpy(dtype="float64"))
    pos = psum > 0
    pc, ps, psum = pc[pos], ps[pos], psum[pos]
    spend = money_sum(pc, psum, n)
    suppliers = np.bincount(pc, minlength=n)
    share = psum / spend[pc]
    hhi = np.bincount(pc, weights=share * share, minlength=n)
    our_key = settings.our_supplier.strip().casefold()
    ours: np.ndarray = np.zeros(n)
    if our_key:
        hit = np.flatnonzero(sup_names == our_key)
        if hit.size:
            sel = ps == int(hit[0])
            ours = money_sum(pc[sel], psum[sel], n)
    has = spend > 0
    sow = np.where(has, ours / np.where(has, spend, 1), np.nan) if our_key else np.full(n, np.nan)
    out = pd.DataFrame(
        {
            "client_id": ids,
            "suppliers": np.where(has, suppliers, np.nan),
            "hhi": np.where(has, hhi, np.nan),
            "market_spend": np.where(has, spend, np.nan),
            "our_market_amount": np.where(has, ours, np.nan),
            "sow": sow,
        }
    )
    # competitors per client, kept for the KML summary (distinct competitor names)
    comp = pd.DataFrame({"c": pc, "s": ps})
    if our_key and (sup_names == our_key).any():
        comp = comp[comp["s"] != np.flatnonzero(sup_names == our_key)[0]]
    out.attrs["competitor_pairs"] = pd.DataFrame(
        {"client_id": ids[comp["c"].to_numpy()], "supplier": sup_names[comp["s"].to_numpy()]}
    )
    return out
