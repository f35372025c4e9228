"""Toolkit arithmetic (METHODOLOGY §10), vectorised: TCO calculator and segment-priority plan."""

from __future__ import annotations

import numpy as np

from xlb2b.planning.forecast import _f, _ratio

# ---------------------------------------------------------------- TCO (§10)

#: the cost items of the TCO calculator, in the sheet's order; the first is the price
TCO_ITEMS: tuple[str, ...] = ("price", "delivery", "installation", "training", "maintenance", "downtime", "disposal")
#: verdicts of :func:`tco_approach` ("" when a price is missing)
TCO_APPROACHES: tuple[str, ...] = ("healthy", "unhealthy", "neither")


def tco_total(costs, axis: int = -1) -> np.ndarray:
    """Total cost of ownership = Σ cost items along ``axis`` (§10); a missing
    item counts as 0, and the total is NaN only when every item is missing.
    ``tco_total([100, 10, np.nan]) == 110``."""
    c = _f(costs)
    total = np.nansum(c, axis=axis)
    return np.where(np.all(np.isnan(c), axis=axis), np.nan, total)


def tco_advantage(our_tco, competitor_tco) -> np.ndarray:
    """Our TCO advantage = (competitor's TCO − ours) / competitor's TCO (§10):
    positive when owning ours costs less; NaN when the competitor's TCO is 0
    or missing."""
    return _ratio(_f(competitor_tco) - _f(our_tco), competitor_tco)


def tco_approach(our_price, competitor_price, our_additional, competitor_additional) -> np.ndarray:
    """Which approach to the economic buyer the comparison shows (§10, seed
    001), as codes:

    * ``"healthy"`` — our price is higher, our additional costs (every item
      but the price) are lower and our TCO is lower;
    * ``"unhealthy"`` — our price is lower and our additional costs are not
      lower (the advantage is the price cut alone);
    * ``"neither"`` — any other comparison (equal prices, a higher price that
      the savings do not pay back, lower price and lower costs);
    * ``""`` — a price is missing.

    Missing additional costs count as 0.  Comparisons are exact."""
    p1, p2, a1, a2 = np.broadcast_arrays(
        _f(our_price), _f(competitor_price), np.nan_to_num(_f(our_additional)), np.nan_to_num(_f(competitor_additional))
    )
    healthy = (p1 > p2) & (a1 < a2) & (p1 + a1 < p2 + a2)
    unhealthy = (p1 < p2) & (a1 >= a2)
    out = np.where(healthy, "healthy", np.where(unhealthy, "unhealthy", "neither")).astype(object)
    out[np.isnan(p1) | np.isnan(p2)] = ""
    return out


# ---------------------------------------------------------------- segment priority (§10)

#: the criteria of the segment-priority plan (seed 002, step 2), in the seed's order
PRIORITY_CRITERIA: tuple[str, ...] = ("worked_satisfied", "know_us", "buy_similar", "have_budget", "resemble_ab")
#: the six keys to profit (seed 002, step 5)
PROFIT_KEYS: tuple[str, ...] = (
    "new_clients",
    "deals_per_client",
    "goods_per_client",
    "higher_prices",
    "repeat_sales",
    "lower_costs",
)


def priority_score(ratings, weights=None) -> np.ndarray:
    """Priority score of each segment = Σ wᵢ·rᵢ / Σ wᵢ over the rated criteria
    (ratings 1..5, one row per segment, one column per criterion); missing
    ratings are left out, NaN when none is given or the weights of the given
    ones sum to 0.  Default weights are equal."""
    r = np.atleast_2d(_f(ratings))
    w = np.ones(r.shape[1]) if weights is None else _f(weights).ravel()
    given = ~np.isnan(r)
    num = np.where(given, r, 0.0) @ w
    den = given.astype("float64") @ w
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=given.any(axis=1) & (den != 0))
    return out


def priority_rank(scores) -> np.ndarray:
    """Rank of each segment by score, highest first (1 = work with it first);
    equal scores keep the order of the rows (the earlier segment goes first,
    as the seed's numbered segments do); NaN for a segment without a score.
    The workbook's formula is ``RANK(s, scores, 0) + COUNTIF(scores above and s, s) − 1``."""
    s = _f(scores).ravel()
    out = np.full(s.shape, np.nan)
    ok = ~np.isnan(s)
    v = s[ok]
    higher = (v[None, :] > v[:, None]).sum(axis=1)
    idx = np.arange(v.size)
    same_before = ((v[None, :] == v[:, None]) & (idx[None, :] < idx[:, None])).sum(axis=1)
    out[ok] = 1 + higher + same_before
    return out
