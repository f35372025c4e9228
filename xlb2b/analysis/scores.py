"""Quantile and threshold scores (METHODOLOGY §3).

Every score is an integer 1..k stored in a float array (NaN = not scored).
``k`` is always "more": more expensive, more regular, more units.
"""

from __future__ import annotations

import numpy as np


def _as_float(values) -> np.ndarray:
    return np.asarray(values, dtype="float64").ravel()


def _percentile_sorted(v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Linear interpolation at 0-based ranks ``h`` of the sorted array ``v``.

    Ranks within 1e-9 of a whole number are snapped to it, so that
    PERCENTILE.INC(v, 1/3) on 4 values is exactly the 2nd value (as Excel and
    LibreOffice give it), not a hair below it: a value equal to a cut point
    must stay down."""
    h, lo, hi = _ranks(h, v.size)
    frac = h - lo
    return np.where(frac == 0, v[lo], v[lo] + frac * (v[hi] - v[lo]))


def _ranks(h: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ranks snapped as :func:`_percentile_sorted` takes them, and the two
    0-based positions each interpolates between."""
    r = np.rint(h)
    h = np.where(np.abs(h - r) < 1e-9, r, h)
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, size - 1)
    return h, lo, hi


def _clean_sorted(values) -> np.ndarray:
    v = _as_float(values)
    return np.sort(v[~np.isnan(v)])


def percentile_inc(values, q: float) -> float:
    """Excel's PERCENTILE.INC over the non-NaN values: rank h = (n−1)·q,
    linear interpolation between the two closest ranks."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"percentile must be in [0, 1], got {q}")
    v = _clean_sorted(values)
    if v.size == 0:
        return float("nan")
    return float(_percentile_sorted(v, np.array([(v.size - 1) * q]))[0])


def quantile_cuts(values, k: int = 3, descending: bool = False) -> np.ndarray:
    """The k−1 cut points: PERCENTILE.INC(values, j/k) for j = 1..k−1, or
    PERCENTILE.INC(values, 1 − j/k) for descending metrics."""
    if k < 2:
        raise ValueError("k must be at least 2")
    v = _as_float(values)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.full(k - 1, np.nan)
    j = np.arange(1, k)
    if descending:
        j = k - j
    # rank (n−1)·j/k with the product taken in integers: exact when whole
    h = ((v.size - 1) * j) / k
    # only the values at the ranks read are needed: put those in their sorted places (no full sort)
    _h, lo, hi = _ranks(h, v.size)
    v = np.partition(v, np.unique(np.concatenate([lo, hi])))
    return _percentile_sorted(v, h)


def quantile_score(values, k: int = 3, *, descending: bool = False, cuts=None):
    """Score each value against quantile cut points.

    Ascending: 1 + Σ_j [v > t_j]  (a value exactly on a cut point stays down).
    Descending: 1 + Σ_j [v < t_j] with t_j = PERCENTILE.INC(v, 1 − j/k).
    Returns ``(scores, cuts)``; scores are NaN where the value is NaN.
    """
    v = _as_float(values)
    cuts = quantile_cuts(v, k, descending) if cuts is None else _as_float(cuts)
    if cuts.size != k - 1:
        raise ValueError(f"expected {k - 1} cut points, got {cuts.size}")
    scores = np.ones(v.shape, dtype="float64")
    for t in cuts:
        scores += (v < t) if descending else (v > t)
    scores[np.isnan(v)] = np.nan
    return scores, cuts


def threshold_score(values, bounds, *, descending: bool = False) -> np.ndarray:
    """Fixed bounds.  Ascending lower bounds b_1 < b_2 < …: 1 + Σ [v ≥ b_j]
    (a value exactly on a bound goes up).  Descending upper bounds:
    1 + Σ [v < u_j].  NaN stays NaN."""
    v = _as_float(values)
    b = _as_float(bounds)
    if np.any(np.diff(b) <= 0):
        raise ValueError("bounds must be strictly increasing")
    scores = np.ones(v.shape, dtype="float64")
    for t in b:
        scores += (v < t) if descending else (v >= t)
    scores[np.isnan(v)] = np.nan
    return scores
