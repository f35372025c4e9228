"""Two windows side by side: status, revenue bridge, retention, migration, cohorts, lapse (METHODOLOGY §11–§12).

Every definition is one vectorised function over integer client codes (no
per-client Python loop).  The per-client functions have the segmentations'
call shape, ``name(clients, settings) -> Segmentation``, and return the
bounds they used; the tables (bridge, retention, migration, cohorts) are
built from the per-client frame that :func:`two_windows` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis import segments as seg
from xlb2b.analysis.metrics import Window, client_metrics
from xlb2b.analysis.money import money_sum, snap_cents
from xlb2b.analysis.scores import threshold_score
from xlb2b.analysis.segments import Segmentation
from xlb2b.errors import FATAL, InputError, Report
from xlb2b.settings import Settings

#: client statuses W0 -> W1, in the bridge's order
STATUSES = ("new", "returned", "lost", "grown", "shrunk", "flat", "other")
#: rows of the revenue bridge, top to bottom
BRIDGE_ROWS = (
    "start",
    "new",
    "returned",
    "lost",
    "grown_price",
    "grown_volume",
    "shrunk_price",
    "shrunk_volume",
    "flat",
    "no_unit_data",
    "other",
    "end",
)
#: the contribution rows (start + their sum = end)
CONTRIBUTIONS = BRIDGE_ROWS[1:-1]
LAPSE_STATUSES = ("on_track", "late", "lapsing", "too_few_purchases")
#: segmentations with a migration matrix: name -> (segment column, segmentation function)
MIGRATIONS = {
    "psc_group": ("psc_group", seg.psc),
    "abc": ("abc_class", seg.abc),
    "rfm_segment": ("rfm_segment", seg.rfm),
    "dsl_level": ("dsl_level", seg.dsl),
    "xyz": ("xyz_class", seg.xyz),
}
NOT_BUYER_W0 = "(not a buyer in W0)"
LOST = "(lost)"
NOT_SEGMENTED = "(not segmented)"


# ---------------------------------------------------------------- windows
def previous_window(window: Window, settings: Settings) -> Window:
    """W0: explicit ``previous_start``/``previous_end`` when set, else the
    same number of whole months immediately before W1 (the BCG growth rule,
    :meth:`Window.preceding`)."""
    if settings.previous_start is not None:
        w0 = Window(pd.Timestamp(settings.previous_start), pd.Timestamp(settings.previous_end))
        if w0.end >= window.start:
            r = Report()
            r.add(
                f"the preceding window ({w0}) must end before the analysis window starts ({window}): "
                "move previous_end before window start",
                column="previous_end",
                value=str(w0.end.date()),
                severity=FATAL,
            )
            raise InputError("invalid settings: previous window overlaps the analysis window", r)
    else:
        w0 = window.preceding()
    return w0


@dataclass
class DayTotals:
    """The order lines summed per (client, date), sorted by client then date:
    every later step works on these pairs instead of the lines."""

    ids: np.ndarray  # client id per client code
    client: np.ndarray  # client code per pair
    day: np.ndarray  # days since 1970-01-01 per pair
    amount: np.ndarray  # net amount
    units: np.ndarray  # quantity (or ±1 per line, as §2)
    lines: np.ndarray  # number of lines
    buys: np.ndarray  # number of purchase lines (amount > 0)


#: client codes and day spans up to this size are sorted by radix (16-bit keys)
RADIX_LIMIT = 65536


def day_totals(tx: pd.DataFrame, *, _codes: tuple[np.ndarray, Any] | None = None) -> DayTotals:
    """Sum the lines of ``tx`` per (client, date).  The lines are put in
    (client, date) order by two stable 16-bit sorts (numpy sorts 16-bit keys
    by radix, in linear time) when client codes and the span of days fit in
    16 bits, else by hashing the pairs and sorting the distinct ones."""
    cid, ids = _codes if _codes is not None else pd.factorize(tx["client_id"], sort=False)
    cid = cid.astype(np.int64, copy=False)
    day = tx["date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    amount = tx["amount"].to_numpy(dtype="float64")
    units = tx["quantity"].to_numpy(dtype="float64") if "quantity" in tx else np.where(amount < 0, -1.0, 1.0)
    buys = (amount > 0).astype(np.float64)
    ids = np.asarray(ids, dtype=object)
    if cid.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return DayTotals(ids, z, z, z.astype(float), z.astype(float), z, z)
    d0 = int(day.min())
    span = int(day.max()) - d0 + 1
    if len(ids) <= RADIX_LIMIT and span <= RADIX_LIMIT:
        order = np.argsort((day - d0).astype(np.uint16), kind="stable")
        order = order[np.argsort(cid[order].astype(np.uint16), kind="stable")]
        c, d = cid[order], day[order]
        new = np.empty(c.size, dtype=bool)
        new[0] = True
        np.not_equal(c[1:], c[:-1], out=new[1:])
        new[1:] |= d[1:] != d[:-1]
        pair = np.empty(c.size, dtype=np.int64)
        pair[order] = np.cumsum(new) - 1  # each line's pair, in the lines' own order
        k = int(pair.max()) + 1 if pair.size else 0
        return _summed(ids, c[new], d[new], pair, k, amount, units, buys)
    key = cid * np.int64(span) + (day - d0)
    if (key[1:] >= key[:-1]).all():  # lines already in client, then date order: no sort
        new = np.r_[True, key[1:] != key[:-1]]
        pair = np.cumsum(new) - 1
        k = int(pair[-1]) + 1
        uniq = key[new]
        return _summed(ids, uniq // span, uniq % span + d0, pair, k, amount, units, buys)
    codes, uniq = pd.factorize(key, sort=False)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    codes = rank[codes]
    uniq = uniq[order]
    k = len(uniq)
    return _summed(ids, uniq // span, uniq % span + d0, codes, k, amount, units, buys)


def _summed(ids, client, day, pair, k: int, amount, units, buys) -> DayTotals:
    """The day totals of ``k`` (client, day) pairs, ``pair`` giving each line's pair."""
    return DayTotals(
        ids,
        client,
        day,
        money_sum(pair, amount, k),
        _wsum(pair, units, k),
        np.bincount(pair, minlength=k),
        _wsum(pair, buys, k).astype(np.int64),
    )


def _wsum(codes: np.ndarray, weights, n: int) -> np.ndarray:
    """``np.bincount(codes, weights, minlength=n)`` as float64 always: numpy
    gives int64 zeros when there are no codes (an empty window), which would
    change the dtype of every table built on it."""
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64, copy=False)


def _in_window(dates: np.ndarray, w: Window) -> np.ndarray:
    return (dates >= np.datetime64(w.start, "ns")) & (dates < np.datetime64(w.end + pd.Timedelta(days=1), "ns"))


def _days(x) -> DayTotals:
    return x if isinstance(x, DayTotals) else day_totals(x)


def _day(ts) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _first_purchase_day(d: DayTotals) -> np.ndarray:
    """Per client code: the day of its first purchase line (int64 max when none)."""
    n = len(d.ids)
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    sel = d.buys > 0
    c, day = d.client[sel], d.day[sel]
    first = np.r_[True, c[1:] != c[:-1]] if c.size else np.zeros(0, dtype=bool)
    out[c[first]] = day[first]  # pairs are sorted by client, then date
    return out


def _window_totals(d: DayTotals, w1: Window, w0: Window) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The columns of :func:`two_windows` for every client code, and which
    codes have a line in W0 or W1."""
    n = len(d.ids)
    out: dict[str, np.ndarray] = {"client_id": d.ids}
    for tag, w in (("w0", w0), ("w1", w1)):
        sel = (d.day >= _day(w.start)) & (d.day <= _day(w.end))
        c = d.client[sel]
        out[f"revenue_{tag}"] = money_sum(c, d.amount[sel], n)  # net zero is 0, not float noise
        out[f"units_{tag}"] = _wsum(c, d.units[sel], n)
        out[f"lines_{tag}"] = _wsum(c, d.lines[sel], n).astype(np.int64)
    first = _first_purchase_day(d)
    has = first < np.iinfo(np.int64).max
    fd = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    fd[has] = first[has].astype("datetime64[D]").astype("datetime64[ns]")
    out["first_date"] = fd
    keep = (out["lines_w0"] > 0) | (out["lines_w1"] > 0)
    return out, keep


def two_windows(tx, w1: Window, w0: Window) -> pd.DataFrame:
    """One row per client with a line in W0 or W1: net revenue and units per
    window (``revenue_w0``, ``units_w0``, ``revenue_w1``, ``units_w1``), the
    number of lines per window and the first purchase line ever
    (``first_date``).  ``tx``: transactions or their :func:`day_totals`.
    Client order: first appearance in ``tx``."""
    out, keep = _window_totals(_days(tx), w1, w0)
    if keep.all():
        return pd.DataFrame(out)
    return pd.DataFrame({k: v[keep] for k, v in out.items()})


# ---------------------------------------------------------------- status and bridge
def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64")


def client_status(clients: pd.DataFrame, settings: Settings, *, w1: Window) -> Segmentation:
    """Status W0 -> W1 (§11) and each client's contribution to the bridge.

    ``clients``: the frame of :func:`two_windows`.  Columns returned:
    ``status``; ``change`` = R1 − R0; ``price_w0``, ``price_w1`` (P = R / C
    when C > 0); ``price_effect`` = (P1 − P0)(C0 + C1)/2 and
    ``volume_effect`` = (C1 − C0)(P0 + P1)/2 for a retained client with units
    in both windows (else empty); ``bridge_row``: where the change goes when
    it is not split (new, returned, lost, no_unit_data, other; grown, shrunk,
    flat for the split ones)."""
    r0, r1 = _col(clients, "revenue_w0"), _col(clients, "revenue_w1")
    c0, c1 = _col(clients, "units_w0"), _col(clients, "units_w1")
    first = clients["first_date"].to_numpy(dtype="datetime64[ns]")
    b0, b1 = r0 > 0, r1 > 0
    start = np.datetime64(w1.start, "ns")
    end_excl = np.datetime64(w1.end + pd.Timedelta(days=1), "ns")
    known = ~np.isnat(first)
    new = known & (first >= start) & (first < end_excl)
    before = known & (first < start)
    returned = ~new & b1 & ~b0 & before
    lost = ~new & b0 & ~b1
    retained = ~new & b0 & b1
    status = np.full(len(r0), "other", dtype=object)
    status[new] = "new"
    status[returned] = "returned"
    status[lost] = "lost"
    status[retained & (r1 > r0)] = "grown"
    status[retained & (r1 < r0)] = "shrunk"
    status[retained & (r1 == r0)] = "flat"
    p0 = np.where(c0 > 0, r0 / np.where(c0 > 0, c0, 1), np.nan)
    p1 = np.where(c1 > 0, r1 / np.where(c1 > 0, c1, 1), np.nan)
    split = retained & (c0 > 0) & (c1 > 0)
    price = np.where(split, (p1 - p0) * (c0 + c1) / 2, np.nan)
    volume = np.where(split, (c1 - c0) * (p0 + p1) / 2, np.nan)
    row = status.copy()
    row[retained & ~split] = "no_unit_data"
    return Segmentation(
        {
            "status": status,
            # two sums to the cent differ by a cent amount: R1 − R0 without the float noise of the difference
            "change": snap_cents(r1 - r0, np.abs(r1) + np.abs(r0), 2),
            "price_w0": p0,
            "price_w1": p1,
            "price_effect": price,
            "volume_effect": volume,
            "bridge_row": row,
        }
    )


def group_values(clients: pd.DataFrame, by: str) -> np.ndarray:
    """A client's group for the bridge: its W1 value (column ``by``) when it
    is a buyer in W1, else its W0 value (``by + "_w0"``, or the same column
    for attributes that do not depend on the window); missing ->
    "(not segmented)"."""
    v1 = clients[by].astype(object).to_numpy() if by in clients else np.full(len(clients), None, dtype=object)
    v0 = clients[f"{by}_w0"].astype(object).to_numpy() if f"{by}_w0" in clients else v1
    g = np.where(_col(clients, "revenue_w1") > 0, v1, v0)
    g = np.where(pd.isna(g), NOT_SEGMENTED, g).astype(object)
    return g


def _factor_groups(clients: pd.DataFrame, by: str | None):
    if by is None:
        return np.zeros(len(clients), dtype=np.int64), np.array(["Total"], dtype=object)
    g = group_values(clients, by)
    codes, uniq = pd.factorize(pd.Series(g, dtype=object).astype(str), sort=True)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


def revenue_bridge(clients: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The bridge W0 -> W1 (§11): one row per bridge row (and group when
    ``by`` is given) with ``clients`` and ``amount``.  start = Σ R0, end = Σ R1
    and every client's R1 − R0 goes to its row (split into price and volume
    for retained clients with units), so start + Σ contributions = end.
    ``clients`` needs the columns of :func:`two_windows` and
    :func:`client_status`.  Long format: columns [group,] row, clients, amount."""
    g, groups = _factor_groups(clients, by)
    ng = len(groups)
    r0, r1 = _col(clients, "revenue_w0"), _col(clients, "revenue_w1")
    row = clients["bridge_row"].astype(object).to_numpy()
    price = np.nan_to_num(_col(clients, "price_effect"))
    volume = np.nan_to_num(_col(clients, "volume_effect"))
    change = r1 - r0
    amounts, counts = {}, {}
    amounts["start"] = money_sum(g, r0, ng)
    counts["start"] = _wsum(g, (r0 > 0).astype(float), ng)
    for key in ("new", "returned", "lost", "no_unit_data", "other", "flat"):
        m = row == key
        amounts[key] = money_sum(g[m], change[m], ng)
        counts[key] = np.bincount(g[m], minlength=ng).astype(float)
    for st in ("grown", "shrunk"):
        m = row == st
        amounts[f"{st}_price"] = _wsum(g[m], price[m], ng)
        amounts[f"{st}_volume"] = _wsum(g[m], volume[m], ng)
        counts[f"{st}_price"] = counts[f"{st}_volume"] = np.bincount(g[m], minlength=ng).astype(float)
    amounts["end"] = money_sum(g, r1, ng)
    counts["end"] = _wsum(g, (r1 > 0).astype(float), ng)
    parts = []
    for key in BRIDGE_ROWS:
        d = {"row": key, "clients": counts[key].astype(np.int64), "amount": amounts[key]}
        if by is not None:
            d = {"group": groups, **d}
        parts.append(pd.DataFrame(d))
    out = pd.concat(parts, ignore_index=True)
    if by is not None:
        order = {k: i for i, k in enumerate(BRIDGE_ROWS)}
        out = out.sort_values(
            ["group", "row"], key=lambda s: s.map(order) if s.name == "row" else s, kind="stable"
        ).reset_index(drop=True)
    return out


def retention(clients: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Over W0's buyers (§11): buyers_w0, retained (buyers in both), logo
    retention = retained / buyers_w0, NRR = Σ max(R1, 0) / Σ R0, GRR =
    Σ min(max(R1, 0), R0) / Σ R0.  Grouped by the W0 value of ``by`` (the
    population is W0's buyers)."""
    r0, r1 = _col(clients, "revenue_w0"), _col(clients, "revenue_w1")
    b0 = r0 > 0
    sub = clients.loc[b0]
    if by is None:
        g, groups = np.zeros(int(b0.sum()), dtype=np.int64), np.array(["Total"], dtype=object)
    else:
        col = f"{by}_w0" if f"{by}_w0" in sub else by
        v = sub[col].astype(object).to_numpy()
        v = np.where(pd.isna(v), NOT_SEGMENTED, v)
        g, groups = pd.factorize(pd.Series(v, dtype=object).astype(str), sort=True)
        g = g.astype(np.int64)
    ng = len(groups)
    r0, r1 = r0[b0], r1[b0]
    kept = np.maximum(r1, 0)
    base = _wsum(g, r0, ng)
    buyers = np.bincount(g, minlength=ng)
    ret = _wsum(g, (r1 > 0).astype(float), ng)
    nrr = _wsum(g, kept, ng)
    grr = _wsum(g, np.minimum(kept, r0), ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "group": groups,
                "buyers_w0": buyers,
                "retained": ret.astype(np.int64),
                "revenue_w0": base,
                "revenue_kept": nrr,
                "revenue_kept_capped": grr,
                "logo_retention": np.where(buyers > 0, ret / np.maximum(buyers, 1), np.nan),
                "nrr": np.where(base > 0, nrr / np.where(base > 0, base, 1), np.nan),
                "grr": np.where(base > 0, grr / np.where(base > 0, base, 1), np.nan),
            }
        )
    return out if by is not None else out.drop(columns="group")


def nrr_grr(r0, r1) -> tuple[float, float]:
    """NRR and GRR of paired revenue arrays over the pairs with R0 > 0."""
    r0 = np.asarray(r0, dtype="float64").ravel()
    r1 = np.asarray(r1, dtype="float64").ravel()
    m = r0 > 0
    base = r0[m].sum()
    if base <= 0:
        return float("nan"), float("nan")
    kept = np.maximum(np.nan_to_num(r1[m]), 0)
    return float(kept.sum() / base), float(np.minimum(kept, r0[m]).sum() / base)


# ---------------------------------------------------------------- W0 segments and migration
def _abc_current(r0: np.ndarray, w1_revenue: np.ndarray, w1_class: np.ndarray) -> np.ndarray:
    """ABC of W0 on W1's cut points: A when R0 ≥ the smallest W1 revenue of
    class A, B when ≥ the smallest of class B, else C; both to the cent, so a
    W0 revenue equal to the cent to that W1 revenue is on it."""
    r0, w1_revenue = seg.cents(r0), seg.cents(w1_revenue)
    out = np.full(r0.shape, np.nan, dtype=object)
    ok = ~np.isnan(r0)
    a = w1_revenue[w1_class == "A"]
    b = w1_revenue[w1_class == "B"]
    a_min = a.min() if a.size else np.inf
    b_min = b.min() if b.size else a_min
    out[ok] = np.where(r0[ok] >= a_min, "A", np.where(r0[ok] >= b_min, "B", "C"))
    return out


def w0_segments(
    tx: pd.DataFrame,
    w0: Window,
    w1_clients: pd.DataFrame,
    w1_cuts: dict[str, list[float]],
    settings: Settings,
    first_purchase: pd.Series | None = None,
    _ids: np.ndarray | None = None,
    *,
    metrics: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, list[float]]]:
    """W0's own metrics and segments (recency from W0's end, months observed
    and tenure up to W0's end) for W0's buyers, with W0's own cut points
    (``migration_cuts = "own"``) or W1's (``"current"``).  Returns the
    frame (client_id + ``<segment column>_w0``) and the cut points used.
    ``_ids``: when the client ids of ``tx`` are codes, the id of each code
    (the segmentations break ties by the text of the id).  ``metrics``: W0's
    per-client table when it was computed elsewhere (by a database engine,
    :func:`xlb2b.analysis.aggregate.engine_dynamics`); ``tx`` is then not read."""
    if metrics is not None:
        cm = metrics
    else:
        if first_purchase is not None:  # only W0's lines (and the columns the segmentations use) are needed
            dates = tx["date"].to_numpy(dtype="datetime64[ns]")
            used = ["client_id", "date", "amount", "quantity", "order_id", "category", "cost", "gross_profit"]
            if "category" not in tx:
                used.append("sku")  # the category falls back to the SKU
            tx = tx.loc[_in_window(dates, w0), [c for c in used if c in tx]]
        cm = client_metrics(tx, w0, settings, first_purchase=first_purchase).table
    c = cm.loc[cm["revenue"].to_numpy() > 0].reset_index(drop=True)
    current = settings.migration_cuts == "current"
    cuts: dict[str, list[float]] = {}
    out = pd.DataFrame({"client_id": c["client_id"].to_numpy()})
    if _ids is not None:
        c["client_id"] = _ids[c["client_id"].to_numpy(dtype=np.int64)]
    for col, fn in MIGRATIONS.values():
        if fn is seg.abc and current:
            out[col + "_w0"] = _abc_current(
                _col(c, "revenue"), _col(w1_clients, "revenue"), w1_clients["abc_class"].astype(object).to_numpy()
            )
            continue
        given = None
        if current:
            given = {k: w1_cuts[k] for k in w1_cuts if k.startswith(("psc_", "rfm_", "dsl_"))}
        s = fn(c, settings, cuts=given) if fn in (seg.psc, seg.rfm, seg.dsl) else fn(c, settings)
        out[col + "_w0"] = s.columns[col]
        cuts.update(s.cuts)
    # the label columns as text whether W0 has buyers or not (pandas keeps an empty object column object)
    return out.astype({k: "str" for k in out.columns if k != "client_id" and out[k].dtype == object}), cuts


def _text(values: np.ndarray) -> np.ndarray:
    """Segment values as text; whole numbers (DSL levels 1.0) without ".0"."""
    v = pd.Series(values, dtype=object)
    num = pd.to_numeric(v, errors="coerce")
    whole = num.notna() & (num == num.round())
    out = v.astype(str)
    out[whole] = num[whole].astype("int64").astype(str)
    return out.to_numpy(dtype=object)


def migration_labels(clients: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per client: its matrix row (W0 segment, "(not segmented)" or "(not a
    buyer in W0)") and column (W1 segment, "(not segmented)" or "(lost)");
    both "" for a client that is a buyer in neither window."""
    col = MIGRATIONS[name][0]
    b0, b1 = _col(clients, "revenue_w0") > 0, _col(clients, "revenue_w1") > 0
    f = clients[f"{col}_w0"].astype(object).to_numpy()
    t = clients[col].astype(object).to_numpy()
    f = np.where(b0, np.where(pd.isna(f), NOT_SEGMENTED, _text(f)), NOT_BUYER_W0).astype(object)
    t = np.where(b1, np.where(pd.isna(t), NOT_SEGMENTED, _text(t)), LOST).astype(object)
    neither = ~(b0 | b1)
    f[neither] = ""
    t[neither] = ""
    return f, t


def migration(clients: pd.DataFrame, name: str) -> pd.DataFrame:
    """Migration matrix of one segmentation (§11): rows = W0 segment plus
    "(not a buyer in W0)", columns = W1 segment plus "(lost)"; long format,
    one row per non-empty cell: from, to, clients, revenue_w0, revenue_w1.
    A buyer without a segment is "(not segmented)".  Every W0 buyer is in
    one row and every W1 buyer in one column; a client that is a buyer in
    neither window is in no cell."""
    r0, r1 = _col(clients, "revenue_w0"), _col(clients, "revenue_w1")
    f, t = migration_labels(clients, name)
    m = f != ""
    f, t = f[m], t[m]
    fc, fu = pd.factorize(f, sort=True)
    tc, tu = pd.factorize(t, sort=True)
    key = fc.astype(np.int64) * len(tu) + tc
    kc, ku = pd.factorize(key, sort=True)
    out = pd.DataFrame(
        {
            "from": np.asarray(fu, dtype=object)[ku // len(tu)],
            "to": np.asarray(tu, dtype=object)[ku % len(tu)],
            "clients": np.bincount(kc, minlength=len(ku)),
            "revenue_w0": _wsum(kc, r0[m], len(ku)),
            "revenue_w1": _wsum(kc, r1[m], len(ku)),
        }
    )
    return out


def stayed_share(matrix: pd.DataFrame) -> float:
    """Share of W0's buyers on the diagonal (the same segment in W1)."""
    w0 = matrix["from"] != NOT_BUYER_W0
    diag = w0 & (matrix["from"] == matrix["to"]) & (matrix["from"] != NOT_SEGMENTED)
    total = matrix.loc[w0, "clients"].sum()
    return float(matrix.loc[diag, "clients"].sum() / total) if total else float("nan")


def migration_grid(matrix: pd.DataFrame, value: str = "clients", rows=None, cols=None) -> pd.DataFrame:
    """The long matrix as a grid (rows = from, columns = to), empty cells 0."""
    g = matrix.pivot_table(index="from", columns="to", values=value, aggfunc="sum", fill_value=0)
    if rows is not None:
        g = g.reindex(rows, fill_value=0)
    if cols is not None:
        g = g.reindex(columns=cols, fill_value=0)
    return g


# ---------------------------------------------------------------- cohorts
def _period_of_days(days: np.ndarray, period: str) -> np.ndarray:
    days = np.asarray(days)
    if days.size > 1000:  # through a table of the days spanned: numpy's conversion to months is slow per value
        lo, hi = int(days.min()), int(days.max())
        if hi - lo < 400_000:
            return _months_to_period(np.arange(lo, hi + 1), period)[days - lo]
    return _months_to_period(days, period)


def _months_to_period(days: np.ndarray, period: str) -> np.ndarray:
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return m // 12 if period == "year" else m // 3


def period_label(p: int, period: str) -> str:
    return str(int(p)) if period == "year" else f"{int(p) // 4}-Q{int(p) % 4 + 1}"


COHORT_COLUMNS = [
    "cohort",
    "period",
    "age",
    "cohort_size",
    "active",
    "revenue",
    "logo_retention",
    "revenue_index",
    "incomplete",
]


def cohorts(tx, w1: Window, settings: Settings) -> pd.DataFrame:
    """Cohort table (§11): cohort = calendar quarter (``cohort_period =
    "year"``: year) of each client's first purchase line ever, up to W1's
    end.  One row per cohort and period from the cohort's own to W1's last:
    cohort_size, active (clients with a purchase line in the period),
    revenue (net), logo_retention = active / cohort_size, revenue_index =
    revenue / the cohort's first-period revenue, incomplete (W1 ends inside
    the period).  Lines dated before a client's first purchase (returns
    only) fall in no period of its cohort.  ``tx``: transactions or their
    :func:`day_totals`."""
    per = settings.cohort_period
    d = _days(tx)
    end = _day(w1.end)
    upto = d.day <= end
    c, day, amount, buys = d.client[upto], d.day[upto], d.amount[upto], d.buys[upto]
    p = _period_of_days(day, per)
    first_day = _first_purchase_day(d)
    has = first_day <= end
    if not has.any():
        return pd.DataFrame(columns=COHORT_COLUMNS)
    first = np.zeros(len(d.ids), dtype=np.int64)
    first[has] = _period_of_days(first_day[has], per)
    last_p = int(_period_of_days(np.array([end]), per)[0])
    p0 = int(first[has].min())
    ncoh = last_p - p0 + 1
    ok = has[c] & (p >= first[c])
    size = np.bincount(first[has] - p0, minlength=ncoh)
    cell = (first[c] - p0) * ncoh + (p - first[c])  # (cohort, age), dense
    rev = _wsum(cell[ok], amount[ok], ncoh * ncoh)
    # active: distinct (client, period) among purchase pairs (sorted by client, then date)
    sel = ok & (buys > 0)
    cs, ps, cells = c[sel], p[sel], cell[sel]
    distinct = np.r_[True, (cs[1:] != cs[:-1]) | (ps[1:] != ps[:-1])] if cs.size else np.zeros(0, bool)
    active = np.bincount(cells[distinct], minlength=ncoh * ncoh)
    ci, ai = np.divmod(np.arange(ncoh * ncoh), ncoh)
    keep = (size[ci] > 0) & (ci + ai <= ncoh - 1)
    ci, ai = ci[keep], ai[keep]
    idx = ci * ncoh + ai
    first_rev = rev[ci * ncoh]
    incomplete = int(_period_of_days(np.array([end + 1]), per)[0]) == last_p  # W1 ends inside its last period
    labels = np.asarray([period_label(x, per) for x in range(p0, last_p + 1)], dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "cohort": labels[ci],
                "period": labels[ci + ai],
                "age": ai,
                "cohort_size": size[ci],
                "active": active[idx],
                "revenue": rev[idx],
                "logo_retention": active[idx] / size[ci],
                "revenue_index": np.where(first_rev > 0, rev[idx] / np.where(first_rev > 0, first_rev, 1), np.nan),
                "incomplete": (p0 + ci + ai == last_p) & incomplete,
            }
        )
    return out


# ---------------------------------------------------------------- lapse
def typical_gap(tx, end: pd.Timestamp, client_ids, *, codes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per client of ``client_ids``: number of distinct purchase dates up to
    ``end`` (inclusive) and the median gap in days between consecutive ones
    (NaN with fewer than 3 dates).  ``tx``: transactions or their
    :func:`day_totals`; ``codes``: the client code of each of ``client_ids``
    in those day totals when the caller knows them (−1: not there), which
    saves looking the ids up by text."""
    d = _days(tx)
    sel = (d.buys > 0) & (d.day <= _day(end))
    c, day = d.client[sel], d.day[sel]  # sorted by client, then date
    m = len(d.ids)
    ndates = np.bincount(c, minlength=m)
    same = c[1:] == c[:-1]
    gc = c[1:][same]
    gap = (day[1:] - day[:-1])[same]
    many = ndates[gc] >= 3  # the gaps of clients with fewer dates give no median
    gc, gap = gc[many], gap[many]
    top = np.int64(gap.max() + 1) if gap.size else np.int64(1)
    # gaps sorted within each client: the keys are already in client order, so the stable sort
    # (timsort, which merges the runs it finds) is close to linear here
    key = np.sort(gc * top + gap, kind="stable")
    gc, gap = key // top, key % top
    k = np.bincount(gc, minlength=m)
    start = np.concatenate(([0], np.cumsum(k)[:-1]))
    med = np.full(m, np.nan)
    has = ndates >= 3  # at least 2 gaps
    kk, ss = k[has], start[has]
    med[has] = (gap[ss + (kk - 1) // 2] + gap[ss + kk // 2]) / 2
    # from client codes to the order of client_ids
    pos = codes if codes is not None else pd.Index(d.ids).get_indexer(pd.Index(np.asarray(client_ids, dtype=object)))
    found = pos >= 0
    nd = np.where(found, ndates[np.maximum(pos, 0)], 0)
    md = np.where(found, med[np.maximum(pos, 0)], np.nan)
    return nd, md


def lapse(
    clients: pd.DataFrame, settings: Settings, *, tx, w1: Window, codes: np.ndarray | None = None, gaps=None
) -> Segmentation:
    """Lapse ratio and status (§12) for the analysed clients: ratio =
    recency_days / typical gap (median days between distinct purchase dates,
    all history up to W1's end; at least 3 dates, else "too_few_purchases");
    on_track below the first bound, late from it, lapsing from the second
    (a ratio exactly on a bound goes up).  ``codes``: as for :func:`typical_gap`.
    ``gaps``: (purchase dates, typical gap) per client of ``clients`` when
    computed elsewhere (by a database engine); ``tx`` is then not read."""
    if gaps is not None:
        ndates, gap = gaps
    else:
        ids = clients["client_id"].to_numpy() if codes is None else np.zeros(len(clients))
        ndates, gap = typical_gap(tx, w1.end, ids, codes=codes)
    ratio = _col(clients, "recency_days") / gap
    score = threshold_score(ratio, settings.lapse_bounds)
    ok = ~np.isnan(score)
    status = np.array(LAPSE_STATUSES, dtype=object)[np.where(ok, np.nan_to_num(score) - 1, 3).astype(np.int64)]
    return Segmentation(
        {"purchase_dates": ndates.astype(float), "typical_gap": gap, "lapse_ratio": ratio, "lapse_status": status},
        {"lapse": [float(b) for b in settings.lapse_bounds]},
    )


def lapse_ratio_of(dates, end) -> float:
    """Scalar reference: lapse ratio from one client's purchase dates."""
    d = np.unique(np.asarray(pd.to_datetime(pd.Series(dates)).dropna().to_numpy(dtype="datetime64[D]")))
    d = d[d <= np.datetime64(pd.Timestamp(end).date(), "D")]
    if d.size < 3:
        return float("nan")
    g = np.median(np.diff(d).astype(np.int64))
    return float((np.datetime64(pd.Timestamp(end).date(), "D") - d[-1]).astype(np.int64) / g)


def watch_list(clients: pd.DataFrame) -> pd.DataFrame:
    """Lapsing, then late clients, each by revenue at stake (W1 revenue)
    descending, ties by client id."""
    st = clients["lapse_status"].astype(object).to_numpy()
    m = (st == "lapsing") | (st == "late")
    w = clients.loc[m]
    rank = np.where(w["lapse_status"].to_numpy() == "lapsing", 0, 1)
    order = np.lexsort((w["client_id"].astype(str).to_numpy(), -_col(w, "revenue"), rank))
    cols = [
        c
        for c in (
            "client_id",
            "name",
            "manager",
            "lapse_status",
            "lapse_ratio",
            "recency_days",
            "typical_gap",
            "purchase_dates",
            "last_date",
            "revenue",
        )
        if c in w
    ]
    out = w.iloc[order][cols].rename(columns={"revenue": "revenue_at_stake"}).reset_index(drop=True)
    return out


# ---------------------------------------------------------------- everything together
@dataclass
class Dynamics:
    """The two-window results of one analysis."""

    w0: Window
    w1: Window
    clients: pd.DataFrame  # one row per client with a line in W0 or W1
    cut_points: dict[str, Any]  # "w0", "w1": {score: cut points}; "lapse": the two bounds
    cohort_table: pd.DataFrame
    settings: Settings
    _cache: dict = field(default_factory=dict, repr=False)

    def bridge(self, by: str | None = None) -> pd.DataFrame:
        return revenue_bridge(self.clients, by)

    def retention(self, by: str | None = None) -> pd.DataFrame:
        return retention(self.clients, by)

    def migration(self, name: str) -> pd.DataFrame:
        if name not in MIGRATIONS:
            raise ValueError(f"unknown segmentation {name!r}; choose from {', '.join(MIGRATIONS)}")
        return migration(self.clients, name)

    def cohorts(self) -> pd.DataFrame:
        return self.cohort_table


#: the W1 columns the per-client frame carries for grouping and migration
W1_COLUMNS = ("psc_group", "abc_class", "rfm_segment", "dsl_level", "xyz_class", "psc_code")
#: client attributes carried for every client (lost ones included)
ATTRIBUTES = ("manager", "region", "industry", "name")


def _spot_check(ids: np.ndarray, values: pd.Series) -> bool:
    """Whether ``values`` (client ids) equal ``ids`` at a few evenly spaced
    places and both ends: the cheap check that a caller's client codes
    belong to these day totals."""
    if len(values) != len(ids):
        return False
    if not len(ids):
        return True
    at = np.unique(np.linspace(0, len(ids) - 1, min(len(ids), 65)).astype(np.int64))
    got = values.iloc[at].to_numpy(dtype=object)
    return all(a == b for a, b in zip(ids[at], got))


def _inverse(codes: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` client codes, the position that holds it in ``codes`` (−1: none)."""
    out = np.full(n, -1, dtype=np.int64)
    ok = codes >= 0
    out[codes[ok]] = np.flatnonzero(ok)
    return out


def _as_text(values: np.ndarray) -> Any:
    """A column of a few labels (statuses) as the text column pandas would
    make of it, built from its distinct labels: pandas would otherwise copy
    every Python string into its text storage one by one.  Other columns
    are returned as they are."""
    if values.dtype != object or not len(values) or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return values
    codes, uniq = pd.factorize(values, sort=False)
    if len(uniq) > 64:
        return values
    labels = pd.Series(np.asarray(uniq, dtype=object))  # the dtype pandas gives these texts
    return labels.take(codes).reset_index(drop=True)


def _take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame``'s rows at ``rows`` (−1: a row of missing values), as a
    reindex by client id would give them (the same fill and dtypes), but
    looked up by position: no hashing of text ids."""
    return frame.reset_index(drop=True).reindex(rows).reset_index(drop=True)


def _w0_by_code(
    tx: pd.DataFrame,
    days: DayTotals,
    line_codes: np.ndarray,
    w0: Window,
    w1_clients: pd.DataFrame,
    w1_cuts: dict[str, list[float]],
    settings: Settings,
    first_date: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, list[float]], np.ndarray]:
    """:func:`w0_segments` on W0's lines, with the clients as their codes in
    ``days`` while the metrics are computed (no lookup of text ids); returns
    the frame, the cut points and the client code of each row."""
    dates = tx["date"].to_numpy(dtype="datetime64[ns]")
    inw = _in_window(dates, w0)
    used = ["date", "amount", "quantity", "order_id", "category", "cost", "gross_profit"]
    if "category" not in tx:
        used.append("sku")
    sub = tx.loc[inw, [c for c in used if c in tx]]
    sub.insert(0, "client_id", line_codes[inw])
    n = len(days.ids)
    first = pd.Series(first_date, index=pd.RangeIndex(n))
    seg0, cuts = w0_segments(sub, w0, w1_clients, w1_cuts, settings, first_purchase=first, _ids=days.ids)
    codes = seg0["client_id"].to_numpy(dtype=np.int64)
    seg0["client_id"] = days.ids[codes]
    return seg0, cuts, codes


def dynamics(
    tx: pd.DataFrame,
    w1: Window,
    w1_clients: pd.DataFrame,
    w1_cuts: dict[str, list[float]],
    attributes: pd.DataFrame,
    settings: Settings,
    *,
    codes: np.ndarray | None = None,
) -> Dynamics:
    """Everything of §11–§12 for one analysis.  ``w1_clients``: the analysed
    clients (W1 metrics and segments); ``attributes``: client_id plus
    attributes of every client (manager, region, …), so lost clients keep
    theirs.  ``codes`` (optional): the position of each of ``w1_clients``
    among the clients of ``tx`` in order of first appearance, when
    ``attributes`` holds exactly those clients in that order (as the
    pipeline's per-client table does); then no id is looked up by text."""
    w0 = previous_window(w1, settings)
    line_codes, ids = pd.factorize(tx["client_id"], sort=False)
    days = day_totals(tx, _codes=(line_codes, ids))
    n = len(days.ids)
    cols, keep = _window_totals(days, w1, w0)
    row_code = np.flatnonzero(keep)  # the client code of each row of the per-client frame
    if codes is not None and _spot_check(days.ids, attributes["client_id"]):
        # the attributes hold every client in code order: their id column gives the ids as they
        # are stored (no conversion of Python strings)
        ids_col = attributes["client_id"].reset_index(drop=True)
        cols["client_id"] = ids_col if keep.all() else ids_col.take(row_code).reset_index(drop=True)
        d = pd.DataFrame({k: v if k == "client_id" or keep.all() else v[keep] for k, v in cols.items()})
    else:
        codes = None
        d = pd.DataFrame(cols if keep.all() else {k: v[keep] for k, v in cols.items()})
    st = client_status(d, settings, w1=w1)
    d = pd.concat([d, pd.DataFrame({k: _as_text(v) for k, v in st.columns.items()})], axis=1)
    if codes is not None:
        codes = np.asarray(codes, dtype=np.int64)
        ok = len(codes) == len(w1_clients) and (not len(codes) or (codes.min() >= 0 and codes.max() < n))
        if not (ok and _spot_check(days.ids[codes], w1_clients["client_id"])):
            codes = None
    if codes is None:  # look the ids up by text
        index = pd.Index(days.ids)
        codes = index.get_indexer(pd.Index(w1_clients["client_id"].to_numpy(dtype=object)))
        attributes = attributes.drop_duplicates("client_id")
        attr_rows = _inverse(index.get_indexer(pd.Index(attributes["client_id"].to_numpy(dtype=object))), n)
    else:
        attr_rows = np.arange(n)
    w0_day = (days.day >= _day(w0.start)) & (days.day <= _day(w0.end))
    if w0_day.any():
        seg0, cuts0, seg0_codes = _w0_by_code(
            tx, days, line_codes.astype(np.int64, copy=False), w0, w1_clients, w1_cuts, settings, cols["first_date"]
        )
    else:  # W0 holds no line: no W0 buyer (the empty frame still gives the columns and cut points)
        seg0, cuts0 = w0_segments(
            tx.iloc[:0], w0, w1_clients, w1_cuts, settings, first_purchase=pd.Series([], dtype="datetime64[ns]")
        )
        seg0_codes = np.zeros(0, dtype=np.int64)
    lp = lapse(w1_clients, settings, tx=days, w1=w1, codes=codes)
    w1_cols = [c for c in W1_COLUMNS if c in w1_clients and c not in ATTRIBUTES]
    w1_rows = _inverse(codes, n)
    parts = [
        _take_rows(seg0.drop(columns="client_id"), _inverse(seg0_codes, n)[row_code]),
        _take_rows(w1_clients[w1_cols], w1_rows[row_code]),
        _take_rows(attributes[[c for c in ATTRIBUTES if c in attributes]], attr_rows[row_code]),
        _take_rows(pd.DataFrame({k: _as_text(v) for k, v in lp.columns.items()}), w1_rows[row_code]),
    ]
    d = pd.concat([d, *parts], axis=1)
    coh = cohorts(days, w1, settings)
    out = Dynamics(
        w0, w1, d, {"w0": cuts0, "w1": dict(w1_cuts), "lapse": [float(b) for b in settings.lapse_bounds]}, coh, settings
    )
    # the row of each analysed client in the per-client frame (−1: not there)
    out._cache["w1_rows"] = np.where(codes >= 0, _inverse(row_code, n)[np.maximum(codes, 0)], -1)
    return out
