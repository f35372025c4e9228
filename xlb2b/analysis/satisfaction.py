"""Satisfaction metrics: NPS, CSI, OTIF (METHODOLOGY §8).

All functions take arrays, lists or Series (one element per answer / pair /
order) and ignore what cannot be used, counting it in the ``*_detail``
results, so nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlb2b.analysis.answers import yes_no


def _numbers(values) -> tuple[np.ndarray, np.ndarray]:
    """``(numbers, blank)``: float64 values (booleans and text that is not a
    number → NaN; decimal comma accepted) and a mask of blank entries (None,
    NaN, empty text)."""
    s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    blank = (s.isna() | s.map(lambda v: isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
    is_bool = s.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    text = s.map(lambda v: v.strip().replace(",", ".") if isinstance(v, str) else v)
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
    num[is_bool] = np.nan
    return num, blank


# --------------------------------------------------------------------------- NPS


def nps_detail(scores) -> dict:
    """NPS with its counts.

    Valid answers are whole numbers 0..10 (numbers or numeric text).
    Promoters 9–10, passives 7–8, detractors 0–6;
    NPS = 100 × (promoters − detractors) / valid, NaN when nothing is valid.
    ``blank`` counts empty answers, ``invalid`` the non-blank answers that
    are not a whole number 0..10 (both are left out).
    """
    v, blank = _numbers(scores)
    valid = ~np.isnan(v) & (v >= 0) & (v <= 10) & (v == np.round(v))
    n = int(valid.sum())
    promoters = int((valid & (v >= 9)).sum())
    detractors = int((valid & (v <= 6)).sum())
    passives = n - promoters - detractors
    value = 100.0 * (promoters - detractors) / n if n else float("nan")
    return {
        "nps": value,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "valid": n,
        "invalid": int((~valid & ~blank).sum()),
        "blank": int(blank.sum()),
    }


def nps(scores) -> float:
    """Net Promoter Score in [−100, 100] over valid 0..10 answers (NaN if none)."""
    return nps_detail(scores)["nps"]


# --------------------------------------------------------------------------- CSI


def _csi_pairs(importance, satisfaction, scale_max: float):
    i, _ = _numbers(importance)
    s, _ = _numbers(satisfaction)
    if i.shape != s.shape:
        raise ValueError(f"importance has {i.size} values, satisfaction {s.size}")
    ok = ~np.isnan(i) & ~np.isnan(s) & (i >= 0) & (s >= 0) & (s <= scale_max)
    return i, s, ok


def csi_detail(importance, satisfaction, scale_max: float = 5) -> dict:
    """CSI = 100 × Σ iₖ·sₖ / (Σ iₖ × scale_max) over the usable pairs.

    A pair is used when both values are numbers, importance ≥ 0 and
    0 ≤ satisfaction ≤ ``scale_max``; the others are counted in ``ignored``.
    NaN when no pair is usable or the importances sum to 0.
    Returns ``dict(csi, pairs, ignored)``.
    """
    i, s, ok = _csi_pairs(importance, satisfaction, scale_max)
    den = float(i[ok].sum()) * scale_max
    value = 100.0 * float((i[ok] * s[ok]).sum()) / den if den > 0 else float("nan")
    return {"csi": value, "pairs": int(ok.sum()), "ignored": int((~ok).sum())}


def csi(importance, satisfaction, scale_max: float = 5) -> float:
    """Customer Satisfaction Index, 0..100 (see :func:`csi_detail`)."""
    return csi_detail(importance, satisfaction, scale_max)["csi"]


def csi_by_client(
    frame: pd.DataFrame,
    *,
    importance: str = "importance",
    satisfaction: str = "satisfaction",
    client: str = "client_id",
    scale_max: float = 5,
) -> pd.DataFrame:
    """CSI per client from a long table (one row per client × criterion).

    Returns columns ``client_id, csi, pairs, ignored``, one row per client in
    order of first appearance; rows without a client id are left out.
    """
    i, s, ok = _csi_pairs(frame[importance], frame[satisfaction], scale_max)
    ids = frame[client].reset_index(drop=True)
    g = (
        pd.DataFrame(
            {
                "client_id": ids,
                "num": np.where(ok, i * s, 0.0),
                "den": np.where(ok, i, 0.0),
                "pairs": ok.astype(np.int64),
                "ignored": (~ok).astype(np.int64),
            }
        )
        .groupby("client_id", sort=False, dropna=True)
        .sum()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(g["den"] > 0, 100.0 * g["num"] / (g["den"] * scale_max), np.nan)
    return pd.DataFrame(
        {
            "client_id": g.index.to_numpy(),
            "csi": value,
            "pairs": g["pairs"].to_numpy(),
            "ignored": g["ignored"].to_numpy(),
        }
    )


# --------------------------------------------------------------------------- OTIF


def otif_detail(on_time, in_full) -> dict:
    """OTIF = orders on time and in full / orders whose outcome is known.

    ``on_time`` and ``in_full`` are yes/no per order (see
    :func:`xlb2b.analysis.answers.yes_no`); an order is known when both are.
    Returns ``dict(otif, on_time_in_full, known, unknown, on_time, in_full)``
    (the last two count the known orders on time, in full).
    """
    t = yes_no(on_time).ravel()
    f = yes_no(in_full).ravel()
    if t.shape != f.shape:
        raise ValueError(f"on_time has {t.size} values, in_full {f.size}")
    known = ~np.isnan(t) & ~np.isnan(f)
    n = int(known.sum())
    hit = int((known & (t == 1) & (f == 1)).sum())
    return {
        "otif": hit / n if n else float("nan"),
        "on_time_in_full": hit,
        "known": n,
        "unknown": int((~known).sum()),
        "on_time": int((known & (t == 1)).sum()),
        "in_full": int((known & (f == 1)).sum()),
    }


def otif(on_time, in_full) -> float:
    """Share 0..1 of the known orders delivered on time and in full."""
    return otif_detail(on_time, in_full)["otif"]
