"""The raw table every source becomes: header texts, cell values, row numbers as a person sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class _Raw:
    frame: pd.DataFrame  # columns 0..n-1 by position, RangeIndex rows
    headers: list[str]  # header text per position (never empty)
    rows: np.ndarray  # row number per frame row, as the user sees it
    grid: bool = True  # values came from cells (xlsx/csv/list), not typed columns
    decimal_comma: bool | None = None  # None: decide per column
    comma_default: bool = True  # decision when a column gives no evidence
    parsed: dict = field(default_factory=dict)  # position -> _Parsed already computed for it
    #: per position, the header texts matched against the aliases, best first (the
    #: header as written, before duplicates got " (2)"; a two-row header: the joined
    #: text, then the lower cell, then the upper one).  None: ``headers``.
    keys: list[tuple[str, ...]] | None = None
    #: per position, where the column is for messages ("column C", "column 3"); None: unknown
    places: list[str] | None = None
    #: the row number of the header row as the user sees it (None: not from a grid)
    header_row: int | None = None
    #: categorical columns of ``frame`` have their categories in the order the
    #: values first appear, each one used (the CSV reader's text columns), so
    #: parsing may work on the categories instead of every cell
    first_seen: bool = False
    #: the workbook counts its date numbers from 1904-01-01 (Excel's 1904 date
    #: system, old Mac workbooks): a plain number in a date column is such a serial
    date1904: bool = False
    #: columns made by the reader, not read from the file: position -> (the position it was made
    #: from, how)
    derived: dict = field(default_factory=dict)
    #: warnings about how the table was read, for the reading report
    notes: list = field(default_factory=list)


@dataclass
class HeaderFound:
    """Where a grid's header row was found, for the reading report."""

    row: int  # the header's row number as the user sees it
    columns: list[int]  # grid position (0-based) of every column kept
    matched: int  # headers in that row that are known names (0: first filled row)
    scanned: int  # rows looked at
    letters: bool  # columns are named by letters (a worksheet), else by number
    depth: int = 1  # header rows (2: a header over two rows, joined)
