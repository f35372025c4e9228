"""The raw table every source becomes: header texts, cell values, row numbers as a person sees them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class _Raw:
    frame: pd.DataFrame      # columns 0..n-1 by position, RangeIndex rows
    headers: list[str]       # header text per position (never empty)
    rows: np.ndarray         # row number per frame row, as the user sees it
    grid: bool = True        # values came from cells (xlsx/csv/list), not typed columns
    decimal_comma: bool | None = None   # None: decide per column
    comma_default: bool = True          # decision when a column gives no evidence
    #: per position, the header texts matched against the aliases, best first (the
    #: header as written, before duplicates got " (2)"; a two-row header: the joined
    #: text, then the lower cell, then the upper one).  None: ``headers``.
    keys: list[tuple[str, ...]] | None = None
    #: per position, where the column is for messages ("column C", "column 3"); None: unknown
    places: list[str] | None = None
    #: the row number of the header row as the user sees it (None: not from a grid)
    header_row: int | None = None

