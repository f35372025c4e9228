"""DataFrames and 2-D lists (what an Excel range becomes) as raw tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import (
    HEADER_SCAN_ROWS,
    _count_matches,
    _from_grid,
    _name_columns,
)
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _cell_text

# ---- DataFrame, 2-D list


def _from_frame(df: pd.DataFrame, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not isinstance(df.index, pd.RangeIndex) and any(n is not None for n in df.index.names):
        df = df.reset_index()  # xlwings turns the first column into the index by default
    if isinstance(df.columns, pd.MultiIndex):
        df = df.set_axis([" ".join(str(p) for p in t if str(p) != "") for t in df.columns], axis=1)
    labels = list(df.columns)
    n = len(df)
    frame = df.set_axis(range(len(labels)), axis=1).reset_index(drop=True)
    if labels and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in labels):
        # no headers: the first rows hold them, as in an Excel range
        return _from_grid(frame, np.arange(1, n + 1), canon_map, ctx, letters=False)
    headers = [_cell_text(c) for c in labels]
    if not _count_matches(headers, ctx.kind, canon_map):
        head_rows = frame.iloc[:HEADER_SCAN_ROWS]
        if any(
            _count_matches([_cell_text(v) for v in r], ctx.kind, canon_map) for r in head_rows.itertuples(index=False)
        ):
            grid = pd.concat(
                [pd.DataFrame([labels], columns=frame.columns, dtype=object), frame.astype(object)], ignore_index=True
            )
            return _from_grid(grid, np.arange(1, n + 2), canon_map, ctx, letters=False)
    rows = np.arange(2, n + 2)
    # a DataFrame that went through us once carries its own row numbers
    if "row" in labels and labels.count("row") == 1 and "row" not in canon_map.values():
        pos = labels.index("row")
        col = frame[pos]
        if pd.api.types.is_integer_dtype(col.dtype):
            rows = col.to_numpy(dtype=np.int64)
            keep = [i for i in range(len(labels)) if i != pos]
            frame = frame[keep].set_axis(range(len(keep)), axis=1)
            headers = [headers[i] for i in keep]
    keys: list[tuple[str, ...]] = [(h,) for h in headers]  # as written: two alike stay alike
    headers = _name_columns(headers, frame, letters=False)
    return _Raw(frame, headers, rows, grid=False, keys=keys)


def _from_rows(rows: list, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not rows:
        ctx.fatal("the range is empty: no header row and no data; select the table with its header row")
    if not any(isinstance(r, (list, tuple)) for r in rows):
        rows = [[v] for v in rows]  # a single column comes as a flat list
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    grid = pd.DataFrame(rows, dtype=object)
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=False)
