"""Parquet files (through pyarrow, when installed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.sources.frame import _from_frame

# ---- parquet


def _read_parquet(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    try:
        import pyarrow  # noqa: F401  (optional dependency)
    except ImportError:
        ctx.fatal("reading .parquet files needs the pyarrow package: pip install pyarrow")
    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except Exception:  # noqa: BLE001 - any reader failure is a bad file
        ctx.fatal(
            "the parquet file cannot be read: it is damaged or not a parquet file; "
            "write it again, or export the data as .csv"
        )
    return _from_frame(df, canon_map, ctx)
