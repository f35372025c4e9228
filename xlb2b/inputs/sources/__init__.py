"""Sources: every input (file by format, DataFrame, 2-D list) becomes one raw grid of text and values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.sources.csv import _read_csv
from xlb2b.inputs.sources.frame import _from_frame, _from_rows
from xlb2b.inputs.sources.legacy import LEGACY_EXTENSIONS, _read_legacy
from xlb2b.inputs.sources.parquet import _read_parquet
from xlb2b.inputs.sources.xlsx import _read_xlsx

# --------------------------------------------------------------------------
# loading: every source becomes a _Raw table


def _load(source: Any, sheet: Any, canon_map: dict[str, str | None], ctx: _Ctx) -> _Raw:
    if isinstance(source, pd.DataFrame):
        return _from_frame(source, canon_map, ctx)
    if isinstance(source, np.ndarray):
        source = source.tolist()
    if isinstance(source, (list, tuple)):
        return _from_rows(list(source), canon_map, ctx)
    if isinstance(source, (str, os.PathLike)):
        return _from_path(Path(source), sheet, canon_map, ctx)
    raise TypeError(f"cannot read a table from {type(source).__name__}; pass a file path, a DataFrame or a 2-D list")


def _from_path(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not path.exists():
        ctx.fatal(f"file not found: {path}; check the folder and the file name")
    if path.is_dir():
        ctx.fatal(f"{path} is a folder, not a file; give the path of the file inside it")
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        return _read_xlsx(path, sheet, canon_map, ctx)
    if ext in (".csv", ".txt", ".tsv"):
        return _read_csv(path, canon_map, ctx)
    if ext in (".parquet", ".pq"):
        return _read_parquet(path, canon_map, ctx)
    if ext in LEGACY_EXTENSIONS:
        return _read_legacy(path, sheet, canon_map, ctx)
    if ext == ".numbers":
        ctx.fatal(f"{ext} files are not supported: open the file and save it as .xlsx (Excel Workbook) or .csv")
    ctx.fatal(
        f"unsupported file type {ext or '(no extension)'!r}: expected .xlsx, .xlsm, "
        ".xls, .xlsb, .ods, .csv, .txt or .parquet; save the table in one of these formats"
    )
