"""The values the template fill writes for the names of its vocabulary: an ADP's per client, a report's tables."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.excel.adp_sheets import _text
from xlb2b.excel.fill_vocabulary import KEEP
from xlb2b.locale import label

# =========================================================================== values


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _value(v: Any) -> Any:
    """A value as a cell holds it: numbers as float, NaN/None as None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(v)
    s = str(v)
    return s if s else None


def adp_values(analysis, client_ids: Sequence[Any], *, lang: str = "en") -> dict[Any, dict[str, Any]]:
    """{client_id: {name: value or rows}} for the ADP names we write
    (fields: one value; tables: a list of rows, :data:`KEEP` for cells left
    as they are).  Values are the ones our own ADP sheets show."""
    from xlb2b.excel.adp_sheets import FINANCIALS, RATINGS, TRAJECTORY_ROWS, _Context, trajectory_rows
    from xlb2b.excel.labels import _Labels

    ids = list(dict.fromkeys(client_ids))
    ctx = _Context(analysis, ids)
    group_tr, rfm_tr = _Labels(lang).translator("psc_group"), _Labels(lang).translator("rfm_segment")
    out = {}
    for cid in ids:
        row, port = ctx.c.loc[cid], ctx.port.loc[cid]
        at, rt = _text(port.get("attractiveness_tier")), _text(port.get("relationship_tier"))
        strategy = _text(port.get("strategy_key"))
        prev, cur = ctx.fin[ctx.year - 1].loc[cid], ctx.fin[ctx.year].loc[cid]
        dsl = _num(row.get("dsl_level"))
        windows = ctx.windows if ctx.windows is not None and "status" in row else None
        two = windows is not None
        v = {
            "client_id": cid if isinstance(cid, (int, float, np.integer, np.floating)) else str(cid),
            "company": _text(row.get("name")) or str(cid),
            "manager": _text(row.get("manager")),
            "industry": _text(row.get("industry")),
            "years": [[float(ctx.year - 1), float(ctx.year)]],
            "financials": [[_num(prev[k]), _num(cur[k])] for k, _ in FINANCIALS],
            # the trajectory as our ADP sheets show it; empty without two windows
            "trajectory_windows": [[f"W0 {windows[0]}", f"W1 {windows[1]}"]] if windows else [[None, None]],
            "trajectory": (
                [[v0, v1] for _, v0, v1, _ in trajectory_rows(row, lang, group_tr, rfm_tr)]
                if two
                else [[None, None]] * TRAJECTORY_ROWS
            ),
            "psc_group": group_tr(_text(row.get("psc_group"))),
            "psc_code": _text(row.get("psc_code")),
            "dsl_level": dsl,
            "kml_code": _text(row.get("kml_code")),
            "abc_xyz": " / ".join(x for x in (_text(row.get("abc_class")), _text(row.get("xyz_class"))) if x),
            "rfm_code": _text(row.get("rfm_code")),
            "rfm_segment": rfm_tr(_text(row.get("rfm_segment"))),
            "bcg_attractiveness": label(f"tier.attractiveness_{at.lower()}", lang) if at else "",
            "bcg_relationship": label(f"tier.relationship_{rt.lower()}", lang) if rt else "",
            "bcg_strategy": label(f"strategy.{strategy}", lang) if strategy else "",
            "need": _num(row.get("market_spend")),
            "our_revenue": _num(row.get("revenue")),
            "ratings": [[dsl]] + [[KEEP]] * (len(RATINGS) - 1),
        }
        out[cid] = {
            k: ([[_value(c) if c is not KEEP else KEEP for c in r] for r in x] if isinstance(x, list) else _value(x))
            for k, x in v.items()
        }
    return out


def report_values(analysis, *, lang: str = "en") -> dict[str, Any]:
    """{name: value or rows} for every report name of the vocabulary."""
    from xlb2b.analysis.summary import BASE_COLUMNS, KML_COLUMNS, SEGMENT_COLUMNS, abc_curve_points
    from xlb2b.excel.labels import segment_label

    out: dict[str, Any] = {
        "window_start": pd.Timestamp(analysis.window.start),
        "window_end": pd.Timestamp(analysis.window.end),
        "clients_analysed": float(len(analysis.clients)),
    }
    for key in SEGMENT_COLUMNS:
        t = analysis.summary(key)
        cols = BASE_COLUMNS + (KML_COLUMNS if key == "kml" else [])
        rows = []
        for rec in t.reindex(columns=cols).itertuples(index=False):
            rec = list(rec)
            seg = segment_label(key, rec[0], lang)
            rows.append(
                [_value(seg if not isinstance(seg, (int, np.integer)) else float(seg))] + [_value(x) for x in rec[1:]]
            )
        out[f"summary_{key}"] = rows
    out["abc_curve"] = [[float(x), float(y)] for x, y in abc_curve_points(analysis.clients["revenue"])]
    out.update(_bridge_values(analysis, lang))
    return out


def _bridge_values(analysis, lang: str) -> dict[str, Any]:
    """The two-window report names' values, as the Bridge sheet shows them
    (empty cells when the analysis did not compare two windows)."""
    from xlb2b.analysis.dynamics import BRIDGE_ROWS, NOT_SEGMENTED, group_values, revenue_bridge
    from xlb2b.excel.labels import _Labels

    d = analysis.dynamics
    n = len(BRIDGE_ROWS)
    if d is None:
        return {
            "previous_start": None,
            "previous_end": None,
            "bridge": [[None] * 3] * n,
            "bridge_by_psc_group": [[None] * (n + 1)],
            "bridge_by_manager": [[None] * (n + 1)],
            "logo_retention": None,
            "nrr": None,
            "grr": None,
        }
    t = _Labels(lang)
    b = d.bridge().set_index("row")
    out: dict[str, Any] = {
        "previous_start": pd.Timestamp(d.w0.start),
        "previous_end": pd.Timestamp(d.w0.end),
        "bridge": [[t(f"bridge.{k}", k), _value(b.loc[k, "clients"]), _value(b.loc[k, "amount"])] for k in BRIDGE_ROWS],
    }
    c = d.clients
    special = {NOT_SEGMENTED: t("dynamics.not_segmented", NOT_SEGMENTED)}
    group_tr = t.translator("psc_group")
    for key in ("psc_group", "manager"):
        if key == "psc_group":
            g = pd.Series(group_values(c, "psc_group"), dtype=object)
            g = g.map(lambda v: special.get(v) or group_tr(v))
        else:
            m = c["manager"] if "manager" in c else pd.Series([None] * len(c), dtype=object)
            g = m.astype(object).where(m.notna(), special[NOT_SEGMENTED])
        frame = c.copy()
        frame["_g"] = g.to_numpy()
        bt = revenue_bridge(frame, "_g")
        amount = {(gr, k): a for gr, k, a in zip(bt["group"], bt["row"], bt["amount"])}
        groups = list(dict.fromkeys(bt["group"]))
        out[f"bridge_by_{key}"] = [
            [_value(gr)] + [_value(amount.get((gr, k), 0.0)) for k in BRIDGE_ROWS] for gr in groups
        ] or [[None] * (n + 1)]
    ret = d.retention().iloc[0]
    out.update({k: _value(ret[k]) for k in ("logo_retention", "nrr", "grr")})
    return out
