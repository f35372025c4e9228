"""Target-client portrait (METHODOLOGY §4, seed 002 step 1).

Which traits are more common among class-A clients than among all clients:
for each categorical attribute and each of its values, the share of A clients
with that value against the share of all clients with it; lift = the ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlb2b.analysis.scores import quantile_score
from xlb2b.errors import InputError

COLUMNS = ["attribute", "value", "clients_a", "share_a", "clients_all", "share_all", "lift"]
DEFAULT_ATTRIBUTES = ("industry", "region", "manager", "size_band")
#: the value shown for a client without a value of the attribute
BLANK = "(blank)"
SIZE_BANDS = ("Q1 (smallest)", "Q2", "Q3", "Q4 (largest)")


def size_bands(revenue) -> np.ndarray:
    """Revenue quartile band per client: quartile classes of §3 (cut points
    PERCENTILE.INC at 1/4, 2/4, 3/4; a revenue exactly on a cut point stays
    in the lower band) labelled ``SIZE_BANDS``; no revenue → ``""``."""
    scores, _ = quantile_score(pd.to_numeric(pd.Series(revenue), errors="coerce"), 4)
    out = np.full(scores.shape, "", dtype=object)
    ok = ~np.isnan(scores)
    out[ok] = np.array(SIZE_BANDS, dtype=object)[scores[ok].astype(np.int64) - 1]
    return out


def _text(values: pd.Series) -> pd.Series:
    """Values as trimmed text; None / NaN / empty → ``BLANK``.  Whole floats
    print without ``.0`` (region code 77.0 → "77")."""

    def one(v):
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            return BLANK
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        t = str(v).strip()
        return t if t else BLANK

    return values.astype(object).map(one)


def _has_value(values: pd.Series) -> bool:
    return bool((_text(values) != BLANK).any())


def portrait(
    clients: pd.DataFrame, attributes: list[str] | None = None, *, klass: str = "A", class_column: str = "abc_class"
) -> pd.DataFrame:
    """Traits of the target (class ``klass``) clients, by lift.

    ``clients``: one row per client with ``abc_class`` and the attribute
    columns.  Only clients with a class count (clients excluded from ABC,
    e.g. with no revenue in the window, are not in either population).
    ``attributes`` default: those of industry, region, manager, size_band
    present with at least one non-blank value; ``size_band`` is derived from
    ``revenue`` by :func:`size_bands` when the frame has no such column.

    A blank value is a value of its own, ``"(blank)"``, so per attribute the
    shares add up to 1 over all values; it is listed like any other value.

    Per attribute and value: clients_a, share_a = clients_a / A clients,
    clients_all, share_all = clients_all / all classified clients,
    lift = share_a / share_all.  Rows with lift > 1 (decided in whole
    numbers: clients_a·N_all > clients_all·N_a), sorted by lift descending,
    then attribute, then value.  No A clients → an empty frame with
    ``COLUMNS``.
    """
    if class_column not in clients.columns:
        raise InputError(f"the clients table has no {class_column!r} column")
    frame = clients
    if "size_band" not in frame.columns and "revenue" in frame.columns:
        frame = frame.assign(size_band=size_bands(frame["revenue"]))
    if attributes is None:
        attributes = [a for a in DEFAULT_ATTRIBUTES if a in frame.columns and _has_value(frame[a])]
    else:
        missing = [a for a in attributes if a not in frame.columns]
        if missing:
            raise InputError(f"no such attribute column(s): {', '.join(map(str, missing))}")

    cls = _text(frame[class_column])
    classified = (cls != BLANK).to_numpy()
    is_a = (cls == str(klass)).to_numpy()
    n_all = int(classified.sum())
    n_a = int(is_a.sum())
    if n_a == 0 or not attributes:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(COLUMNS, (object, object, "int64", "float64", "int64", "float64", "float64"))
            }
        )

    parts = []
    for attr in attributes:
        vals = _text(frame[attr]).to_numpy()[classified]
        a = is_a[classified]
        g = pd.DataFrame({"value": vals, "a": a.astype(np.int64)}).groupby("value", sort=True)["a"]
        counts = pd.DataFrame({"clients_a": g.sum(), "clients_all": g.size()}).reset_index()
        counts.insert(0, "attribute", attr)
        parts.append(counts)
    t = pd.concat(parts, ignore_index=True)
    ca = t["clients_a"].to_numpy(dtype=np.int64)
    call = t["clients_all"].to_numpy(dtype=np.int64)
    t["share_a"] = ca / n_a
    t["share_all"] = call / n_all
    t["lift"] = (ca * n_all) / (call * n_a)
    t = t[ca * n_all > call * n_a]
    t = t.sort_values(["lift", "attribute", "value"], ascending=[False, True, True], kind="mergesort")
    t = t[COLUMNS].reset_index(drop=True)
    t["attribute"] = t["attribute"].astype(object)
    t["value"] = t["value"].astype(object)
    return t
