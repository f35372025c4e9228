"""ADP arithmetic (METHODOLOGY §2, §6, §7), vectorised: SOW, slots, LTV, forecast, progress.

The ADP sheet re-expresses these as live formulas; these functions are the
reference the cell functions and the tests use.
"""

from __future__ import annotations

import numpy as np

#: number of steps of the progress-policy checklist (§7)
PROGRESS_STEPS = 23


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def _ratio(a, b) -> np.ndarray:
    a, b = np.broadcast_arrays(_f(a), _f(b))
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=(b != 0) & ~np.isnan(b))
    return out


def share_of_wallet(our_amount, total_amount) -> np.ndarray:
    """SOW = our amount / the client's total spend in the category (§4 KML)."""
    return _ratio(our_amount, total_amount)


def slots(revenue, avg_unit_price) -> np.ndarray:
    """Slots (capacity C) = revenue / average unit price, from the profit
    formula Revenue = P × slots (§2)."""
    return _ratio(revenue, avg_unit_price)


def ltv(avg_unit_price, units) -> np.ndarray:
    """LTV = P × slots (§2)."""
    return _f(avg_unit_price) * _f(units)


def adp_forecast(need, need_growth, target_sow) -> np.ndarray:
    """Next-year revenue = client need × (1 + need growth) × target SOW (§6)."""
    return _f(need) * (1.0 + _f(need_growth)) * _f(target_sow)


def whitespace(need, our_revenue) -> np.ndarray:
    """What the client buys elsewhere: need − our revenue (§6)."""
    return _f(need) - _f(our_revenue)


def progress_level(ratings) -> float:
    """Mean of the six 1..5 ratings (§6, item 4); missing ratings are left
    out; NaN when none is given.  Seed example: 3,4,3,3,4,4 → 3.5."""
    r = _f(ratings).ravel()
    r = r[~np.isnan(r)]
    return float(r.mean()) if r.size else float("nan")


def progress_share(done) -> float:
    """Progress-policy completion = steps done / 23 (§7)."""
    d = np.asarray(done, dtype=bool).ravel()
    return float(d.sum()) / PROGRESS_STEPS
