"""Segmentations (METHODOLOGY §4), all with one call shape that returns codes and cut points.

Segmentations (METHODOLOGY §4): every one has the same call shape,
``name(clients, settings) -> Segmentation`` with its score columns, its code
and the cut points it used, so the workbook can show them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlb2b.analysis.scores import quantile_score, threshold_score
from xlb2b.settings import Settings


@dataclass
class Segmentation:
    columns: dict[str, np.ndarray]  # new client columns
    cuts: dict[str, list[float]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _f(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")


def join_code(parts: list[tuple[str, np.ndarray]], sep: str = "_") -> np.ndarray:
    """('P', [3, 1]), ('S', [2, 2]) -> ['P3_S2', 'P1_S2']; missing if any part is.

    Scores are small integers, so every possible code is built once and the
    clients index into that table (no per-client string work)."""
    n = len(parts[0][1])
    ok = np.ones(n, dtype=bool)
    for _, s in parts:
        ok &= ~np.isnan(s)
    out = np.full(n, np.nan, dtype=object)
    if not ok.any():
        return out
    ints = [s[ok].astype(np.int64) for _, s in parts]
    top = max(int(i.max()) for i in ints) + 1
    idx = np.zeros(int(ok.sum()), dtype=np.int64)
    for i in ints:
        idx = idx * top + i
    grids = np.meshgrid(*[np.arange(top)] * len(parts), indexing="ij")
    table = np.array(
        [
            sep.join(f"{letter}{g}" for (letter, _), g in zip(parts, combo))
            for combo in zip(*(g.ravel() for g in grids))
        ],
        dtype=object,
    )
    out[ok] = table[idx]
    return out


def cents(values) -> np.ndarray:
    """Money rounded to the cent (NaN stays NaN, -0.0 becomes 0.0): clients are
    ranked and scored on this, so two sums equal to the cent are equal however
    their lines were added up."""
    return np.round(np.asarray(values, dtype="float64"), 2) + 0.0


def _qscore(values: np.ndarray, mask: np.ndarray, k: int, descending: bool = False, cuts=None):
    """Quantile score over the values where ``mask`` (the scored clients);
    ``cuts`` given: score on those cut points instead of the values' own."""
    v = np.where(mask, values, np.nan)
    scores, cuts = quantile_score(v, k, descending=descending, cuts=cuts)
    return scores, [float(t) for t in cuts]


# ---------------------------------------------------------------- PSC
def psc_groups(p: np.ndarray, s: np.ndarray, c: np.ndarray, tenure: np.ndarray, rules: list[dict]) -> np.ndarray:
    """The named-group rule table, top-down, first match wins (vectorised)."""
    n = len(p)
    out = np.full(n, np.nan, dtype=object)
    todo = ~(np.isnan(p) | np.isnan(s) | np.isnan(c))
    vals = {"p": p, "s": s, "c": c, "tenure": tenure}
    for rule in rules:
        hit = todo.copy()
        for key, bound in rule.items():
            if key == "group" or bound is None:
                continue
            dim, side = key.rsplit("_", 1)
            v = vals[dim]
            hit &= (v >= bound) if side == "min" else (v <= bound)
        out[hit] = rule["group"]
        todo &= ~hit
    return out


def psc_basis(clients: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The values P and C are scored on: price (or margin) and units of the
    clients with positive net units and a known price; NaN elsewhere."""
    units = _f(clients, "units")
    price = _f(clients, "margin" if settings.psc_price_basis == "margin" else "avg_unit_price")
    scored = (units > 0) & ~np.isnan(price)
    return np.where(scored, price, np.nan), np.where(scored, units, np.nan)


def psc(clients: pd.DataFrame, settings: Settings, cuts: dict[str, list[float]] | None = None) -> Segmentation:
    """PSC scores, codes and named groups.  ``cuts`` ({"psc_p": [...],
    "psc_c": [...]}) scores these clients on cut points computed elsewhere
    (another population) instead of their own quantiles."""
    k = settings.quantile_k
    cuts = cuts or {}
    basis = "margin" if settings.psc_price_basis == "margin" else "avg_unit_price"
    p_basis, c_basis = psc_basis(clients, settings)
    scored = ~np.isnan(p_basis)
    p, p_cuts = quantile_score(p_basis, k, cuts=cuts.get("psc_p"))
    p_cuts = [float(t) for t in p_cuts]
    s = threshold_score(_f(clients, "regularity"), settings.psc_s_bounds)
    c, c_cuts = quantile_score(c_basis, k, cuts=cuts.get("psc_c"))
    c_cuts = [float(t) for t in c_cuts]
    s_scored = np.where(scored, s, np.nan)
    code = join_code([("P", p), ("S", s_scored), ("C", c)])
    group = psc_groups(p, s_scored, c, _f(clients, "tenure_months"), settings.psc_groups)
    msgs = []
    if (~scored).any():
        msgs.append(
            f"{int((~scored).sum())} client(s) have no {'margin' if basis == 'margin' else 'positive net units'}"
            " and get no PSC code"
        )
    return Segmentation(
        {"psc_p": p, "psc_s": s, "psc_c": c, "psc_code": code, "psc_group": group},
        {"psc_p": p_cuts, "psc_c": c_cuts},
        msgs,
    )


# ---------------------------------------------------------------- SPL
def payment_score(clients: pd.DataFrame, settings: Settings) -> np.ndarray:
    """P3 no overdue, P2 overdue ≤ N days, P1 above or flagged."""
    n = len(clients)
    out = np.full(n, np.nan)
    days, amount, flag = _f(clients, "overdue_days"), _f(clients, "overdue_amount"), _f(clients, "overdue_flag")
    # least specific first, most specific last: days win over amount over flag
    out = np.where(~np.isnan(flag), np.where(flag > 0, 1.0, 3.0), out)
    out = np.where(~np.isnan(amount), np.where(amount > 0, 1.0, 3.0), out)
    by_days = np.where(days <= 0, 3.0, np.where(days <= settings.spl_overdue_days, 2.0, 1.0))
    out = np.where(~np.isnan(days), by_days, out)
    return out


def spl(clients: pd.DataFrame, settings: Settings, cuts: dict[str, list[float]] | None = None) -> Segmentation:
    n = len(clients)
    s = threshold_score(_f(clients, "regularity"), settings.psc_s_bounds)
    p = payment_score(clients, settings)
    gp = _f(clients, "gross_profit")
    l, l_cuts = _qscore(cents(gp), ~np.isnan(gp), settings.quantile_k, cuts=(cuts or {}).get("spl_l"))
    msgs = []
    if np.isnan(p).all():
        msgs.append(
            "SPL not computed: no payment data (overdue_days, overdue_amount or overdue_flag in the Clients table)"
        )
        nan = np.full(n, np.nan)
        # the L cut points are still shown (the workbook's Settings sheet computes them)
        return Segmentation(
            {"spl_s": nan, "spl_p": nan, "spl_l": nan, "spl_code": np.full(n, np.nan, dtype=object)},
            {"spl_l": l_cuts},
            msgs,
        )
    elif np.isnan(p).any():
        msgs.append(f"{int(np.isnan(p).sum())} client(s) have no payment data and get no SPL code")
    if np.isnan(gp).all():
        msgs.append("SPL L not computed: gross profit unknown (no cost or gross_profit column)")
    code = join_code([("S", s), ("P", p), ("L", l)])
    return Segmentation({"spl_s": s, "spl_p": p, "spl_l": l, "spl_code": code}, {"spl_l": l_cuts}, msgs)


# ---------------------------------------------------------------- KML
def kml(clients: pd.DataFrame, settings: Settings, cuts: dict[str, list[float]] | None = None) -> Segmentation:
    k = threshold_score(_f(clients, "suppliers"), settings.kml_k_bounds)
    m = threshold_score(_f(clients, "hhi"), settings.kml_m_bounds)
    spend = _f(clients, "market_spend")
    l, l_cuts = _qscore(cents(spend), spend > 0, settings.quantile_k, cuts=(cuts or {}).get("kml_l"))
    code = join_code([("K", k), ("M", m), ("L", l)])
    return Segmentation({"kml_k": k, "kml_m": m, "kml_l": l, "kml_code": code}, {"kml_l": l_cuts})


# ---------------------------------------------------------------- DSL
def dsl_level(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    lvl = np.where(d == 1, 1.0, np.where(s == 1, 2.0, 3.0))
    return np.where(np.isnan(d) | np.isnan(s), np.nan, lvl)


def dsl(clients: pd.DataFrame, settings: Settings, cuts: dict[str, list[float]] | None = None) -> Segmentation:
    d = threshold_score(_f(clients, "categories"), settings.dsl_d_bounds)
    s = threshold_score(_f(clients, "top_category_share"), settings.dsl_s_bounds, descending=True)
    gp = _f(clients, "gross_profit")
    l, l_cuts = _qscore(cents(gp), ~np.isnan(gp), settings.quantile_k, cuts=(cuts or {}).get("dsl_l"))
    msgs = []
    if np.isnan(gp).all():
        msgs.append("DSL L not computed: gross profit unknown (no cost or gross_profit column)")
    code = join_code([("D", d), ("S", s), ("L", l)])
    return Segmentation(
        {"dsl_d": d, "dsl_s": s, "dsl_l": l, "dsl_code": code, "dsl_level": dsl_level(d, s)}, {"dsl_l": l_cuts}, msgs
    )


# ---------------------------------------------------------------- RFM
def round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(x, dtype="float64") + 0.5)


def rfm_segment(r, f, m, grid: list[list[str]]) -> np.ndarray:
    """Grid lookup: row R (5 at the top), column FM = round-half-up((F+M)/2)."""
    r, f, m = (np.asarray(a, dtype="float64") for a in (r, f, m))
    fm = round_half_up((f + m) / 2)
    ok = ~(np.isnan(r) | np.isnan(fm))
    table = np.asarray(grid, dtype=object)
    out = np.full(r.shape, np.nan, dtype=object)
    out[ok] = table[5 - r[ok].astype(int), fm[ok].astype(int) - 1]
    return out


def rfm(clients: pd.DataFrame, settings: Settings, cuts: dict[str, list[float]] | None = None) -> Segmentation:
    k = settings.rfm_k
    cuts = cuts or {}
    rec, orders, rev = _f(clients, "recency_days"), _f(clients, "orders"), _f(clients, "revenue")
    r, r_cuts = _qscore(rec, ~np.isnan(rec), k, descending=True, cuts=cuts.get("rfm_r"))
    f, f_cuts = _qscore(orders, ~np.isnan(orders), k, cuts=cuts.get("rfm_f"))
    m, m_cuts = _qscore(cents(rev), ~np.isnan(rev), k, cuts=cuts.get("rfm_m"))
    code = join_code([("R", r), ("F", f), ("M", m)], sep="")
    seg = rfm_segment(r, f, m, settings.rfm_grid) if k == 5 else np.full(len(r), np.nan, dtype=object)
    return Segmentation(
        {"rfm_r": r, "rfm_f": f, "rfm_m": m, "rfm_code": code, "rfm_segment": seg},
        {"rfm_r": r_cuts, "rfm_f": f_cuts, "rfm_m": m_cuts},
    )


# ---------------------------------------------------------------- ABC / XYZ
def _text_order(ids) -> np.ndarray | None:
    """The positions of the ids in text order, when the ids are a text column
    stored by pyarrow (sorted there, without making a Python string per id);
    None otherwise.  pyarrow compares UTF-8 bytes, which orders texts by
    code point, as numpy's comparison of texts does."""
    arr = getattr(ids, "array", ids)
    if not (isinstance(getattr(arr, "dtype", None), pd.StringDtype) and arr.dtype.storage == "pyarrow"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    data = pa.array(arr)
    if data.null_count:
        return None
    packed = _packed_order(data, pa)
    if packed is not None:
        return packed
    return pc.sort_indices(data).to_numpy().astype(np.int64, copy=False)


def _packed_order(data, pa) -> np.ndarray | None:
    """The text order of texts of at most 8 UTF-8 bytes without a NUL byte (the
    usual client codes), from their bytes packed into one big-endian integer
    each: the order of the bytes, which is pyarrow's, at the cost of sorting
    integers.  None for other texts."""
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if not (pa.types.is_large_string(data.type) or pa.types.is_string(data.type)):
        return None
    width = np.int64 if pa.types.is_large_string(data.type) else np.int32
    n = len(data)
    if not n or data.buffers()[2] is None:
        return None
    off = np.frombuffer(data.buffers()[1], dtype=width)[data.offset : data.offset + n + 1].astype(np.int64)
    lens = np.diff(off)
    if lens.max() > 8:
        return None
    raw = np.frombuffer(data.buffers()[2], dtype=np.uint8)[off[0] : off[-1]]
    if not raw.all():  # a NUL byte would sort like the padding
        return None
    packed = np.zeros((n, 8), dtype=np.uint8)
    w = int(lens[0])
    if (lens == w).all():
        packed[:, :w] = raw.reshape(n, w)
    else:
        row = np.repeat(np.arange(n), lens)
        packed[row, np.arange(len(raw)) - (off[:-1] - off[0])[row]] = raw
    return np.argsort(packed.view(">u8").ravel(), kind="stable").astype(np.int64, copy=False)


def abc_share_before(values, ids) -> np.ndarray:
    """Sort by value to the cent descending (ties: id ascending, as text); the
    share of the total held by the clients before each one, added up in whole
    cents (exact), so neither the order nor the shares depend on float noise
    below a cent.  NaN stays NaN."""
    v = cents(values)
    out = np.full(v.shape, np.nan)
    ok = ~np.isnan(v)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    text_order = _text_order(ids)
    if text_order is not None:
        by_text = text_order[ok[text_order]]  # then a stable sort by value keeps text order among ties
        order = by_text[np.argsort(-v[by_text], kind="stable")]
    else:
        ids_ok = np.asarray(ids, dtype=object)[idx].astype(str)
        order = idx[np.lexsort((ids_ok, -v[idx]))]
    sv = np.rint(v[order] * 100.0)  # whole cents: their sums are exact below 2**53 cents
    total = sv.sum()
    cum_before = np.concatenate(([0.0], np.cumsum(sv)[:-1]))
    out[order] = cum_before / total if total > 0 else 0.0
    return out


def abc_from_share(before, cuts=(0.80, 0.95)) -> np.ndarray:
    """A if share_before < cuts[0], B if < cuts[1], else C (missing stays missing)."""
    before = np.asarray(before, dtype="float64")
    out = np.full(before.shape, np.nan, dtype=object)
    ok = ~np.isnan(before)
    letters = np.array(["A", "B", "C"], dtype=object)
    out[ok] = letters[(before[ok] >= cuts[0]).astype(int) + (before[ok] >= cuts[1]).astype(int)]
    return out


def abc_classes(values, ids, cuts=(0.80, 0.95)) -> np.ndarray:
    """ABC classes: the client that crosses cuts[0] is still A."""
    return abc_from_share(abc_share_before(values, ids), cuts)


def abc(clients: pd.DataFrame, settings: Settings) -> Segmentation:
    before = abc_share_before(_f(clients, "revenue"), clients["client_id"])
    return Segmentation({"share_before": before, "abc_class": abc_from_share(before, settings.abc_cuts)})


def xyz_classes(cv, cuts=(0.10, 0.25)) -> np.ndarray:
    cv = np.asarray(cv, dtype="float64")
    out = np.where(cv <= cuts[0], "X", np.where(cv <= cuts[1], "Y", "Z")).astype(object)
    return out  # NaN cv (mean 0) compares False everywhere -> Z


def xyz(clients: pd.DataFrame, settings: Settings) -> Segmentation:
    return Segmentation({"xyz_class": xyz_classes(_f(clients, "monthly_cv"), settings.xyz_cuts)})


ALL = (psc, spl, kml, dsl, rfm, abc, xyz)
