"""Portfolio scoring ("Скоринг по BCG") and BANT qualification (METHODOLOGY §5).

Flow: :func:`auto_ratings` rates the factors that the data can rate,
:func:`merge_ratings` lays the managers' ratings over them (and reports every
rating it cannot use), :func:`bcg_scores` turns the ratings into the two axis
scores, tiers and the strategy of the matrix.  :func:`bant` qualifies leads.

Ratings are floats 1..5 (5 = best for us), NaN = not rated.  Every frame has a
``client_id`` column and a plain RangeIndex.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.answers import yes_no
from xlb2b.analysis.scores import quantile_score, threshold_score
from xlb2b.errors import ERROR, FATAL, WARNING, InputError, Report
from xlb2b.locale import find_key, label
from xlb2b.settings import BCG_FACTORS, STRATEGY_KEYS, Settings

#: factor keys in the order of BCG_FACTORS
FACTORS: list[str] = [k for k, _ in BCG_FACTORS]
#: factor keys per axis
AXES: dict[str, list[str]] = {
    axis: [k for k, a in BCG_FACTORS if a == axis] for axis in ("relationship", "attractiveness")
}
#: tier codes per axis, top to bottom
TIERS: dict[str, tuple[str, str, str]] = {
    "relationship": ("Strong", "Medium", "Weak"),
    "attractiveness": ("High", "Medium", "Low"),
}
#: factors rated from data by :func:`auto_ratings`
AUTO_FACTORS: tuple[str, ...] = ("sow", "growth", "margin", "competition", "assortment")
#: competition rating from the KML K score: one supplier (K1) is the best case
K_TO_COMPETITION: dict[int, float] = {1: 5.0, 2: 3.0, 3: 1.0}

BCG_COLUMNS = [
    "client_id",
    "relationship",
    "attractiveness",
    "relationship_missing",
    "attractiveness_missing",
    "relationship_tier",
    "attractiveness_tier",
    "strategy_key",
    "strategy",
    "policy",
]

_ID_ALIASES = {
    "client_id",
    "client",
    "client id",
    "customer",
    "customer_id",
    "id",
    "клиент",
    "контрагент",
    "id клиента",
    "код клиента",
}

#: relative tolerance of the tier comparison (ratings are small numbers)
_TOL = 1e-9


# ---------------------------------------------------------------------------
# helpers


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 (non-numbers → NaN); all-NaN if the column is absent."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _ids(frame: pd.DataFrame) -> np.ndarray:
    if "client_id" in frame.columns:
        return frame["client_id"].to_numpy()
    return frame.index.to_numpy()


def _id_key(v):
    if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    t = str(v).strip()
    return t if t else np.nan


def _id_keys(values) -> pd.Series:
    """Comparable text form of client ids: ``1001``, ``1001.0`` and ``"1001"``
    are the same client; blanks become NaN."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object).map(_id_key)


def _py(v):
    """A numpy scalar as the Python value (for problem reports)."""
    return v.item() if isinstance(v, np.generic) else v


def _rescale(scores: np.ndarray, k: int) -> np.ndarray:
    """Quantile classes 1..k onto the 1..5 rating scale (identity for k = 5)."""
    return scores if k == 5 else 1.0 + (scores - 1.0) * 4.0 / (k - 1)


def _frame_ratings(ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ids = _ids(ratings)
    cols = [_num(ratings, k) for k in FACTORS]
    return ids, np.column_stack(cols) if cols else np.empty((len(ratings), 0))


# ---------------------------------------------------------------------------
# automatic ratings


def auto_ratings(clients: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Ratings 1..5 of the factors the data can rate; the others are NaN.

    ``clients`` columns (any may be absent or all-NaN): ``client_id``,
    ``revenue``, ``prev_revenue`` (revenue in the preceding window of the same
    length), ``margin``, ``sow`` (fraction 0..1), ``kml_k`` (K score 1..3),
    ``categories``.

    * sow: ascending threshold score, lower bounds ``settings.bcg_sow_bounds``
      (10 %, 25 %, 50 %, 75 %): a share exactly on a bound goes up.
    * growth = revenue / prev_revenue − 1, quantile classes
      (k = ``settings.bcg_quantile_k``) over the clients that have it; no
      revenue in the preceding window (NaN or ≤ 0) → no rating.
    * margin, assortment (categories): quantile classes likewise.
    * competition: K1 → 5, K2 → 3, K3 → 1.

    Quantile classes 1..k are put on the 1..5 scale by 1 + (s − 1)·4/(k − 1)
    (no change for the default k = 5).

    Returns one row per client: ``client_id`` then one column per factor of
    ``BCG_FACTORS``.  The cut points used are in ``result.attrs["cuts"]``:
    ``{"sow": bounds, "growth": [...], "margin": [...], "assortment": [...]}``
    (lists of k − 1 floats; NaN when no client has the value).
    """
    s = settings or Settings()
    k = int(s.bcg_quantile_k)
    n = len(clients)
    out = pd.DataFrame({"client_id": _ids(clients)})
    for f in FACTORS:
        out[f] = np.full(n, np.nan)

    out["sow"] = threshold_score(_num(clients, "sow"), s.bcg_sow_bounds)

    rev, prev = _num(clients, "revenue"), _num(clients, "prev_revenue")
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(prev > 0, rev / prev - 1.0, np.nan)
    g, g_cuts = quantile_score(growth, k)
    out["growth"] = _rescale(g, k)

    m, m_cuts = quantile_score(_num(clients, "margin"), k)
    out["margin"] = _rescale(m, k)

    kk = _num(clients, "kml_k")
    out["competition"] = np.select([kk == key for key in K_TO_COMPETITION], list(K_TO_COMPETITION.values()), np.nan)

    a, a_cuts = quantile_score(_num(clients, "categories"), k)
    out["assortment"] = _rescale(a, k)

    out.attrs["cuts"] = {
        "sow": [float(b) for b in s.bcg_sow_bounds],
        "growth": [float(c) for c in g_cuts],
        "margin": [float(c) for c in m_cuts],
        "assortment": [float(c) for c in a_cuts],
    }
    return out


# ---------------------------------------------------------------------------
# manual ratings


def merge_ratings(
    auto: pd.DataFrame, manual: pd.DataFrame | None, *, file: str = "", sheet: str = ""
) -> tuple[pd.DataFrame, Report]:
    """Lay managers' ratings over the automatic ones.

    ``manual`` has a client id column (``client_id`` or Клиент / Контрагент /
    Client / Customer) and any factor columns, named by factor key or by the
    factor's English or Russian label ("Контакты с ЛПР", "Client growth"…).
    A manual rating replaces the automatic one where it is not blank.

    Reported, never applied: a client id not in ``auto`` (the whole row), a
    rating that is not a whole number 1..5; a column that is not a factor is
    ignored with a warning.  Rows are numbered as in Excel (header = row 1)
    unless ``manual`` has a ``row`` column.  A client listed twice: the later
    non-blank rating wins (warned).

    Returns ``(merged, report)``; ``merged`` has the rows and columns of
    ``auto`` (``client_id`` + every factor) and keeps ``auto.attrs``.
    """
    report = Report()
    merged = pd.DataFrame({"client_id": _ids(auto)})
    for f in FACTORS:
        merged[f] = _num(auto, f)
    merged.attrs.update(auto.attrs)
    if manual is None or len(manual.columns) == 0:
        return merged, report

    id_col = next((c for c in manual.columns if str(c).strip().casefold() in _ID_ALIASES), None)
    if id_col is None:
        report.add(
            "no client id column (client_id, Клиент, Контрагент, Client, Customer)",
            file=file,
            sheet=sheet,
            severity=FATAL,
        )
        raise InputError("manual ratings: no client id column", report)

    rows = (
        pd.to_numeric(manual["row"], errors="coerce").to_numpy()
        if "row" in manual.columns
        else np.arange(len(manual)) + 2
    )

    def where(i: Any = None, column: str = "") -> dict:
        r = None if i is None or rows[i] != rows[i] else int(rows[i])
        return {"file": file, "sheet": sheet, "row": r, "column": column}

    # columns -> factors
    factor_cols: dict[str, object] = {}
    for c in manual.columns:
        if c == id_col or c == "row":
            continue
        key = find_key(c, "bcg_factor")
        if key is None:
            report.add("not a BCG factor; column ignored", **where(None, str(c)), severity=WARNING)
        elif key in factor_cols:
            report.add(f"second column for factor {key!r}; column ignored", **where(None, str(c)), severity=ERROR)
        else:
            factor_cols[key] = c

    # rows -> positions in auto
    auto_keys = _id_keys(merged["client_id"])
    pos_of = pd.Series(np.arange(len(auto_keys)), index=auto_keys.to_numpy())
    pos_of = pos_of[pos_of.index.notna() & ~pos_of.index.duplicated()]
    man_keys = _id_keys(manual[id_col])
    pos = man_keys.map(pos_of).to_numpy(dtype="float64", na_value=np.nan)

    values = {key: manual[c] for key, c in factor_cols.items()}
    blank = {
        key: (v.isna() | v.map(lambda x: isinstance(x, str) and not x.strip())).to_numpy(dtype=bool)
        for key, v in values.items()
    }
    all_blank = np.ones(len(manual), dtype=bool)
    for b in blank.values():
        all_blank &= b

    no_id = man_keys.isna().to_numpy()
    for i in np.flatnonzero(no_id & ~all_blank):
        report.add("ratings without a client id; row ignored", **where(i, str(id_col)))
    unknown = ~no_id & np.isnan(pos)
    for i in np.flatnonzero(unknown):
        report.add("unknown client id; row ignored", **where(i, str(id_col)), value=_py(manual[id_col].iloc[i]))
    dup = ~np.isnan(pos) & pd.Series(pos).duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(dup & pd.Series(pos).duplicated(keep="first").to_numpy()):
        report.add(
            "client listed more than once; the later ratings win",
            **where(i, str(id_col)),
            value=_py(manual[id_col].iloc[i]),
            severity=WARNING,
        )

    ok_row = ~np.isnan(pos)
    for key, v in values.items():
        text = v.map(lambda x: x.strip().replace(",", ".") if isinstance(x, str) else x)
        is_bool = v.map(lambda x: isinstance(x, (bool, np.bool_))).to_numpy(dtype=bool)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
        num[is_bool] = np.nan
        good = ~np.isnan(num) & (num >= 1) & (num <= 5) & (num == np.round(num))
        bad = ~blank[key] & ~good & ok_row
        for i in np.flatnonzero(bad):
            report.add(
                "rating must be a whole number 1..5; ignored", **where(i, str(factor_cols[key])), value=_py(v.iloc[i])
            )
        use = good & ok_row
        if use.any():
            last = pd.Series(num[use], index=pos[use].astype(np.int64)).groupby(level=0).last()
            col = merged[key].to_numpy(dtype="float64", copy=True)
            col[last.index.to_numpy()] = last.to_numpy()
            merged[key] = col
    return merged, report


# ---------------------------------------------------------------------------
# axis scores, tiers, strategy


def bcg_scores(ratings: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Axis scores, tiers and the strategy of the BCG matrix.

    ``ratings``: ``client_id`` (or the index) and factor columns (absent
    columns count as not rated).  Per axis, over the factors that are rated:
    score = Σ wᵢ·rᵢ / Σ wᵢ (``settings.bcg_weights``).  ``*_missing`` counts
    the factors of the axis with a positive weight and no rating.  Tier:
    top if score ≥ ``bcg_tier_bounds[1]`` (11/3), middle if ≥
    ``bcg_tier_bounds[0]`` (7/3), else bottom; the comparison is made as
    Σ wᵢrᵢ ≥ bound·Σ wᵢ with a 1e-9 relative tolerance, so a score that is
    exactly on a bound (4, 4, 3 → 11/3) goes up.  An axis with no rated factor
    (or only zero weights) has a NaN score and an empty tier ``""``; a client
    with an empty tier has empty ``strategy_key``, ``strategy`` and ``policy``.

    Columns: see ``BCG_COLUMNS``.  ``strategy`` is the label in
    ``settings.locale``; ``policy`` the text of ``settings.bcg_policies``.
    """
    s = settings or Settings()
    ids, R = _frame_ratings(ratings)
    lo, hi = float(s.bcg_tier_bounds[0]), float(s.bcg_tier_bounds[-1])
    out = pd.DataFrame({"client_id": ids})
    tiers = {}
    for axis, keys in AXES.items():
        idx = [FACTORS.index(k) for k in keys]
        r = R[:, idx]
        w = np.array([float(s.bcg_weights.get(k, 1.0)) for k in keys])
        rated = ~np.isnan(r)
        num = np.where(rated, r * w, 0.0).sum(axis=1)
        den = np.where(rated, w, 0.0).sum(axis=1)
        has = den > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(has, num / den, np.nan)
        tol = _TOL * np.maximum(np.abs(num), den)
        top, mid, bottom = TIERS[axis]
        tier = np.select([~has, num >= hi * den - tol, num >= lo * den - tol], ["", top, mid], bottom)
        out[axis] = score
        out[f"{axis}_missing"] = (~rated & (w > 0)).sum(axis=1).astype(np.int64)
        tiers[axis] = tier
    out["relationship_tier"] = tiers["relationship"]
    out["attractiveness_tier"] = tiers["attractiveness"]
    cell = pd.Series(tiers["attractiveness"], dtype=object) + "|" + pd.Series(tiers["relationship"], dtype=object)
    keys = cell.map({f"{a}|{r}": key for (a, r), key in STRATEGY_KEYS.items()}).fillna("")
    names = {key: label(f"strategy.{key}", s.locale) for key in set(STRATEGY_KEYS.values())}
    policies = {key: s.bcg_policies.get(key, "") for key in names}
    out["strategy_key"] = keys.to_numpy(dtype=object)
    out["strategy"] = keys.map(names).fillna("").to_numpy(dtype=object)
    out["policy"] = keys.map(policies).fillna("").to_numpy(dtype=object)
    return out[BCG_COLUMNS]


# ---------------------------------------------------------------------------
# BANT


def bant(budget, account, need, time, threshold: int = 4):
    """BANT qualification (Schiffman): each of Budget, Account (we talk to the
    decision maker), Need, Time is yes/no; score = number of yes; qualified
    when score ≥ ``threshold`` (``settings.bant_threshold``, default 4).

    Vectorised: arrays, Series or scalars (broadcast together).  An answer
    that is not a recognisable yes/no (see :func:`yes_no`) makes the score NaN
    and ``qualified`` False.  Returns ``(score, qualified)``: floats and bools
    of the broadcast shape; Series (index of the first Series argument) if any
    argument is a Series; Python scalars if all arguments are scalars.
    """
    args = (budget, account, need, time)
    parts = np.broadcast_arrays(*[yes_no(a) for a in args])
    score = parts[0] + parts[1] + parts[2] + parts[3]
    qualified = ~np.isnan(score) & (score >= threshold)
    series = next((a for a in args if isinstance(a, pd.Series)), None)
    if series is not None:
        return (
            pd.Series(score, index=series.index, name="bant_score"),
            pd.Series(qualified, index=series.index, name="bant_qualified"),
        )
    if score.ndim == 0:
        return float(score), bool(qualified)
    return score, qualified
