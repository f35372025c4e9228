"""Summary tables in the consulting layout (METHODOLOGY §9).

One row per segment, a "(not segmented)" row for clients without a code of
that segmentation, and a "Total" row whose ratios are recomputed from the
totals, never averaged from the rows above.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.money import snap_cents

TOTAL = "Total"
NOT_SEGMENTED = "(not segmented)"

#: summary name -> client column holding the segment
SEGMENT_COLUMNS = {
    "psc": "psc_code",
    "psc_group": "psc_group",
    "spl": "spl_code",
    "kml": "kml_code",
    "dsl": "dsl_code",
    "dsl_level": "dsl_level",
    "rfm": "rfm_code",
    "rfm_segment": "rfm_segment",
    "abc": "abc_class",
    "xyz": "xyz_class",
}

BASE_COLUMNS = [
    "segment",
    "revenue",
    "revenue_share",
    "gross_profit",
    "gross_profit_share",
    "clients",
    "clients_share",
    "ltv",
    "avg_check",
    "avg_price",
    "depth",
    "orders_per_client",
    "diversity",
    "slots",
    "capacity_units",
    "revenue_per_capacity",
]
KML_COLUMNS = ["market_spend", "sow", "recency_days", "competitors", "regions"]


def _ratio(a, b):
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=(b != 0) & ~np.isnan(b))
    return out


def _order(name: str, keys: list, grid_order: list[str] | None) -> list:
    present = [k for k in keys if k != NOT_SEGMENTED]
    if name in ("psc", "spl", "kml", "dsl", "rfm"):
        present.sort(reverse=True)
    elif name == "rfm_segment" and grid_order:
        rank = {s: i for i, s in enumerate(grid_order)}
        present.sort(key=lambda s: (rank.get(s, len(rank)), str(s)))
    else:
        present.sort(key=lambda s: (str(type(s)), s))
    return present + ([NOT_SEGMENTED] if NOT_SEGMENTED in keys else [])


#: the sums every ratio is built from (``with_sums=True`` returns them too)
SUM_COLUMNS = ["orders", "units", "skus", "revenue_cap"]


def summary_table(
    clients: pd.DataFrame,
    name: str,
    *,
    competitors: pd.DataFrame | None = None,
    grid_order: list[str] | None = None,
    with_sums: bool = False,
) -> pd.DataFrame:
    col = SEGMENT_COLUMNS[name]
    seg = clients[col].astype(object).where(clients[col].notna(), NOT_SEGMENTED)
    if name == "dsl_level":
        seg = seg.map(lambda v: v if v == NOT_SEGMENTED else int(v))
    f = pd.DataFrame({"segment": seg.to_numpy()})
    num = lambda c: (
        pd.to_numeric(clients[c], errors="coerce").to_numpy(dtype="float64")
        if c in clients
        else np.full(len(clients), np.nan)
    )
    cap = num("capacity_units")
    has_cap = cap > 0
    f["revenue"] = num("revenue")
    f["gross_profit"] = num("gross_profit")
    f["orders"] = num("orders")
    f["units"] = num("units")
    f["skus"] = num("skus")
    f["capacity_units"] = np.where(has_cap, cap, np.nan)
    f["revenue_cap"] = np.where(has_cap, f["revenue"], np.nan)
    kml = name == "kml"
    if kml:
        f["market_spend"] = num("market_spend")
        f["sow"] = num("sow")
        f["recency_days"] = num("recency_days")
        f["client_id"] = clients["client_id"].to_numpy()
        f["region"] = clients["region"].to_numpy() if "region" in clients else np.nan

    sums = ["revenue", "gross_profit", "orders", "units", "skus", "capacity_units", "revenue_cap"]
    means = ["sow", "recency_days"] if kml else []

    money = ("revenue", "gross_profit", "revenue_cap", "market_spend")

    def total(x: pd.Series):
        """Σ, NaN when every value is; money without float noise (a net-zero segment sums to 0)."""
        v = x.sum(min_count=1)
        return float(snap_cents(v, x.abs().sum(), x.count())) if x.name in money and v == v else v

    def block(g: pd.DataFrame) -> dict:
        row = {c: total(g[c]) for c in sums}
        row["clients"] = len(g)
        for c in means:
            row[c] = g[c].mean()
        if kml:
            row["market_spend"] = total(g["market_spend"])
            row["regions"] = g["region"].dropna().nunique()
            if competitors is not None and len(competitors):
                row["competitors"] = competitors.loc[
                    competitors["client_id"].isin(g["client_id"]), "supplier"
                ].nunique()
            else:
                row["competitors"] = np.nan
        return row

    groups = {k: block(g) for k, g in f.groupby("segment", sort=False, dropna=False)}
    keys = _order(name, list(groups), grid_order)
    rows = [dict(segment=k, **groups[k]) for k in keys] + [dict(segment=TOTAL, **block(f))]
    t = pd.DataFrame(rows)
    tot = t.iloc[-1]
    t["revenue_share"] = _ratio(t["revenue"], tot["revenue"])
    t["gross_profit_share"] = _ratio(t["gross_profit"], tot["gross_profit"])
    t["clients_share"] = _ratio(t["clients"], tot["clients"])
    t["ltv"] = _ratio(t["revenue"], t["clients"])
    t["avg_check"] = _ratio(t["revenue"], t["orders"])
    t["avg_price"] = _ratio(t["revenue"], t["units"])
    t["depth"] = _ratio(t["units"], t["orders"])
    t["orders_per_client"] = _ratio(t["orders"], t["clients"])
    t["diversity"] = _ratio(t["skus"], t["clients"])
    t["slots"] = _ratio(t["units"], t["clients"])
    t["revenue_per_capacity"] = _ratio(t["revenue_cap"], t["capacity_units"])
    t["clients"] = t["clients"].astype("int64")
    cols = BASE_COLUMNS + (KML_COLUMNS if kml else []) + (SUM_COLUMNS if with_sums else [])
    return t[cols].reset_index(drop=True)


def abc_curve_points(revenue: Any, limit: int = 1000) -> np.ndarray:
    """The ABC curve as the analysis workbook draws it: (cumulative share of
    clients, cumulative share of revenue) from (0, 0), clients by revenue
    descending, at most ``limit`` + 1 points evenly spread over the clients."""
    rev = np.sort(np.asarray(revenue, dtype=float))[::-1]
    n = len(rev)
    total = rev.sum()
    idx = np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else np.array([], int)
    xs = np.concatenate(([0.0], (idx + 1) / n)) if n else np.array([0.0])
    ys = np.concatenate(([0.0], np.cumsum(rev)[idx] / total)) if n and total > 0 else np.zeros_like(xs)
    return np.column_stack([xs, ys])
