"""CSV and text files: encoding, delimiter and quoted multi-line fields."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import _from_grid
from xlb2b.inputs.raw import _Raw

# ---- CSV


def _read_csv(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    data = path.read_bytes()
    text = _decode(data, ctx)
    if not text.strip():
        ctx.fatal("the file is empty: there is nothing to read; check that this is the right file")
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")      # old Mac line ends
    if text[:4].lower() == "sep=" and len(text) > 4 and text[4] not in "\r\n":
        delim = text[4]       # Excel's own hint line, e.g. "sep=;"
    else:
        delim = _sniff_delimiter(text)
    grid, rownums = _csv_grid(text, delim, ctx)
    # ';' files come from Russian-locale Excel/1C: the decimal separator is a comma.
    # In ',' files an ambiguous "1,234" is a thousands separator (it had to be quoted).
    return _from_grid(grid, rownums, canon_map, ctx, letters=False,
                      decimal_comma=True if delim == ";" else None,
                      comma_default=delim != ",")


def _decode(data: bytes, ctx: _Ctx) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")        # Excel's "Unicode text"
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")         # Russian accounting exports
    except UnicodeDecodeError:
        ctx.report.problems.append(ctx.problem(
            "the file is neither UTF-8 nor Windows-1251; undecodable bytes were replaced "
            "by \ufffd", severity=WARNING))
        return data.decode("cp1251", errors="replace")


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:200_000].split("\n")[:200] if ln.strip()][:50]
    best, best_score = ",", (-1, -1, -1)
    for prio, cand in enumerate((";", "\t", ",", "|")):
        counts = []
        for ln in lines:
            try:
                counts.append(len(next(csv.reader([ln], delimiter=cand))))
            except (csv.Error, StopIteration):
                counts.append(1)
        multi = [c for c in counts if c >= 2]
        if not multi:
            continue
        mode = max(set(multi), key=lambda c: (multi.count(c), c))
        score = (counts.count(mode), mode, -prio)
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_grid(text: str, delim: str, ctx: _Ctx) -> tuple[pd.DataFrame, np.ndarray]:
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        grid = pd.read_csv(io.StringIO(text), sep=delim, header=None, dtype=str,
                           keep_default_na=False, na_filter=False, skip_blank_lines=False,
                           engine="c", quotechar='"', doublequote=True)
        if len(grid) == n_lines:           # one record per line: line number = index + 1
            return grid, np.arange(1, n_lines + 1)
    except (pd.errors.ParserError, ValueError):
        pass
    # ragged rows or line breaks inside quoted cells: the csv module tracks lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    nums: list[int] = []
    prev = 0
    try:
        for rec in reader:
            rows.append(rec)
            nums.append(prev + 1)
            prev = reader.line_num
    except csv.Error:
        ctx.fatal(f"cannot read the CSV file near line {prev + 1}: a field there is not "
                  "closed (a quote mark without its pair) or is far too long; correct that line "
                  "in a text editor, or save the file again as CSV from Excel", row=prev + 1)
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, dtype=object), np.asarray(nums, dtype=np.int64)


