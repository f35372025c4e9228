"""Money sums without floating-point noise: lines that net to zero sum to 0, not to -2.27e-13.

Amounts are binary floats, so 118.22 + 4504.64 - 3558.40 + 4486.49 - 5550.95
sums to 9.09e-13 instead of 0: a client whose lines net to zero would show a
tiny revenue (and count as a buyer, R > 0), a workbook would show "-0".  The
error of a float sum of n terms is at most about n · ε · Σ|term|
(ε = 2.2e-16), so a sum that lies within four times that of a whole cent is
that cent; a sum that really holds fractions of a cent (lines with them) is
farther from every cent than the bound and stays as it is.
"""

from __future__ import annotations

import numpy as np

#: four times the float64 machine epsilon: the noise bound per summed term
_NOISE = 4 * float(np.finfo(np.float64).eps)


def snap_cents(sums, abs_sums, counts) -> np.ndarray:
    """``sums`` with each value within its summation noise of a whole cent
    replaced by that cent (``abs_sums``: Σ|term|, ``counts``: number of
    terms, per sum).  NaN stays NaN; -0.0 becomes 0.0."""
    s = np.asarray(sums, dtype=np.float64)
    cents = np.round(s, 2)
    tol = _NOISE * np.maximum(np.asarray(counts, dtype=np.float64), 1.0) * np.asarray(abs_sums, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        near = np.abs(s - cents) <= tol
    return np.where(near, cents, s) + 0.0


def money_sum(codes: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``np.bincount(codes, weights, minlength=n)`` for money, with the
    noise removed (:func:`snap_cents`)."""
    w = np.asarray(weights, dtype=np.float64)
    return snap_cents(
        np.bincount(codes, weights=w, minlength=n),
        np.bincount(codes, weights=np.abs(w), minlength=n),
        np.bincount(codes, minlength=n),
    )
