"""Validation: parse every column, reject bad rows, report each rejected value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, WARNING, Problem
from xlb2b.inputs.columns import (
    _WHAT,
    COLUMN_TYPES,
    DATE,
    MONEY_COLUMNS,
    MONEY_LIMIT,
    MONEY_TOO_LARGE,
    ROW_REQUIRED,
    TEXT,
    money_sum_too_large,
)
from xlb2b.inputs.context import MAX_PROBLEMS_WHEN_REFUSED, _Ctx
from xlb2b.inputs.ids import _merge_lookalike_ids
from xlb2b.inputs.parse import _parse
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _blank_mask, _tidy_extra

# --------------------------------------------------------------------------
# validation: parse every column, reject bad rows, report


def _py(v: Any) -> Any:
    """A cell value as a plain Python object for the report."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v


def _validate(raw: _Raw, positions: dict[str, int], ctx: _Ctx) -> pd.DataFrame:
    kind = ctx.kind
    frame = raw.frame
    n = len(frame)
    parsed = {
        c: raw.parsed.pop(p, None) or _parse(COLUMN_TYPES[c], frame[p].reset_index(drop=True), raw)
        for c, p in positions.items()
    }  # raw.parsed: columns the layout step parsed already
    extra_pos = [p for p in range(frame.shape[1]) if p not in positions.values()]
    extra_blank = {p: _blank_mask(frame[p]) for p in extra_pos}

    blank_row = np.ones(n, dtype=bool)
    for pr in parsed.values():
        blank_row &= pr.empty
    for b in extra_blank.values():
        blank_row &= b

    total_row = np.zeros(n, dtype=bool)
    for pr in parsed.values():
        if pr.total is not None:
            total_row |= pr.total
    total_row &= ~blank_row
    candidate = ~blank_row & ~total_row
    if "client_id" in parsed:  # "ООО Ромашка" and "OOO РОМАШКА" are one client, and we say so
        pr = parsed["client_id"]
        parsed["client_id"] = replace(
            pr,
            values=_merge_lookalike_ids(
                pr.values, candidate & ~pr.empty, raw.rows, raw.headers[positions["client_id"]], ctx
            ),
        )
    n_rows = int(candidate.sum())
    if n_rows == 0:
        ctx.fatal(
            "no data rows"
            + (" (only total lines)" if total_row.any() else "")
            + ": the table has a header but nothing under it; check that this is the "
            "right file or sheet"
        )

    # (position, column order, reason, column) for every bad cell
    cells: list[tuple[int, int, str, str]] = []
    rejected = np.zeros(n, dtype=bool)
    required = ROW_REQUIRED[kind]
    money: dict[str, np.ndarray] = {}  # absolute values of the money columns
    for order, (c, pr) in enumerate(parsed.items()):
        bad_idx = pr.bad.index.to_numpy(dtype=np.int64)
        bad_idx_c = bad_idx[candidate[bad_idx]] if len(bad_idx) else bad_idx
        if len(bad_idx_c):
            rejected[bad_idx_c] = True
            reasons = pr.bad.loc[bad_idx_c].to_numpy()
            cells.extend(zip(bad_idx_c.tolist(), [order] * len(bad_idx_c), reasons.tolist(), [c] * len(bad_idx_c)))
        if c in MONEY_COLUMNS:  # an amount too large for its cents is not a number we can show
            money[c] = np.abs(pd.to_numeric(pr.values, errors="coerce").to_numpy(dtype="float64"))
            with np.errstate(invalid="ignore"):
                big = money[c] >= MONEY_LIMIT
            big_idx = np.flatnonzero(big & candidate)
            if len(big_idx):
                rejected[big_idx] = True
                cells.extend((int(i), order, MONEY_TOO_LARGE, c) for i in big_idx)
        if c in required:
            miss = np.flatnonzero(pr.empty & candidate)
            if len(miss):
                rejected[miss] = True
                why = f"empty {_WHAT.get(c, c)}"
                cells.extend((int(i), order, why, c) for i in miss)

    dup_first: dict[int, int] = {}
    if kind == "clients":
        ids = parsed["client_id"].values
        alive = np.flatnonzero(candidate & ~rejected)
        sub = ids.iloc[alive]
        dup = sub.duplicated(keep="first").to_numpy()
        if dup.any():
            first_pos = pd.Series(alive, index=sub.to_numpy()).groupby(level=0).first()
            for i in alive[dup]:
                dup_first[int(i)] = int(first_pos[ids.iloc[i]])
            rejected[alive[dup]] = True

    n_rejected = int(rejected.sum())
    refused = n_rejected * 2 > n_rows
    rows = raw.rows
    cells.sort(key=lambda t: (t[0], t[1]))
    dup_items = sorted(dup_first.items())
    limit = MAX_PROBLEMS_WHEN_REFUSED if refused else None
    problems: list[Problem] = []
    for i, _order, why, c in cells[:limit]:
        p = positions[c]
        problems.append(
            ctx.problem(why, row=int(rows[i]), column=raw.headers[p], value=_py(frame.iat[i, p]), severity=ERROR)
        )
    for i, first in dup_items[:limit]:
        p = positions["client_id"]
        problems.append(
            ctx.problem(
                f"client id repeated: first given in row {int(rows[first])}",
                row=int(rows[i]),
                column=raw.headers[p],
                value=_py(frame.iat[i, p]),
                severity=ERROR,
            )
        )
    problems.sort(key=lambda q: q.row or 0)
    for i in np.flatnonzero(total_row)[:limit]:
        problems.append(ctx.problem("a total line, not data: left out", row=int(rows[i]), severity=WARNING))
    if refused:
        shown = "; ".join(str(q) for q in problems[:3])
        ctx.report.problems.extend(problems)
        ctx.fatal(
            f"{n_rejected} of {n_rows} rows rejected; more than half usually means a "
            "wrong column: check the headers, or choose the right one with --map "
            f"COLUMN=<header> (mapping= in Python). First problems: {shown}"
        )
    ctx.report.problems.extend(sorted(problems, key=lambda q: (q.row or 0, q.severity != ERROR)))

    keep = candidate & ~rejected
    for c, v in money.items():
        total = float(np.nansum(v[keep]))
        if total >= MONEY_LIMIT:
            ctx.fatal(money_sum_too_large(_WHAT.get(c, c), total), column=raw.headers[positions[c]])
    everything = bool(keep.all())
    out: dict[str, Any] = {}
    for c, pr in parsed.items():
        v = pr.values if everything else pr.values[keep].reset_index(drop=True)
        if COLUMN_TYPES[c] == DATE:
            v = v.astype("datetime64[ns]")
        elif COLUMN_TYPES[c] == TEXT:
            if not isinstance(v.dtype, pd.CategoricalDtype):
                v = v.astype(object)
        else:
            v = v.astype(np.float64)
        out[c] = v
    for p in extra_pos:
        v = _tidy_extra(frame[p], extra_blank[p], raw.grid)
        out[raw.headers[p]] = v if everything else v[keep].reset_index(drop=True)
    out["row"] = pd.Series(rows[keep], dtype=np.int64)
    return pd.DataFrame(out)
