"""The reading report: what was read from an input, from where, how each field was found, and what was left out."""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, WARNING
from xlb2b.inputs import plausibility
from xlb2b.inputs.columns import DATE, NUMBER
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import _LOOKUP, _LOOKUP2, ALIASES, _norm_header, hidden_sheet_note, is_combined
from xlb2b.inputs.parse import _parse
from xlb2b.inputs.parts import SHEET_TAG, attrs, book_and_targets
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.structure import FLAT, GROUPED, Layout, fmt_amount, reconcile
from xlb2b.inputs.values import _blank_mask
from xlb2b.io_util import column_letter

#: non-blank cells of a column looked at to decide whether its values could be a field's
SAMPLE_CELLS = 500
#: share of those cells that must parse for the column to be named as an alternative
ALTERNATIVE_MIN_SHARE = 0.9
#: bytes of a worksheet part scanned for its last row when it records no size
SIZE_SCAN_BYTES = 32 * 1024**2


@dataclass
class FieldSource:
    """One field of the table and the source column it was read from."""

    name: str  # the field (canonical column)
    column: str  # the source header
    where: str  # "column C" / "field 3" / "" (a DataFrame)
    how: str  # why this column
    alternatives: list[tuple[str, str]] = field(default_factory=list)  # (column, why not chosen)


@dataclass
class Reading:
    """Everything a careful analyst checks before trusting what was read from one input."""

    kind: str
    file: str
    sheet: str = ""
    cells: str = ""  # the range read, e.g. "A5:F120"
    other_sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet, size) not read
    sheet_hidden: bool = False  # the sheet read is hidden in the workbook
    header: str = ""  # how the header row was found
    fields: list[FieldSource] = field(default_factory=list)
    layout: str = FLAT
    layout_evidence: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> rows
    left_out: dict[str, int] = field(default_factory=dict)  # what -> rows (totals, subtotals, ...)
    amount_column: str = ""
    amount_accepted: float | None = None
    amount_all: float | None = None  # every number in the amount column
    amount_left_out: float = 0.0
    amount_rejected: float = 0.0
    date_first: pd.Timestamp | None = None
    date_last: pd.Timestamp | None = None
    reconciliation: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    shown: bool = False  # printed already (the command line)

    # ------------------------------------------------------------ views
    def where(self) -> str:
        sheet = f"sheet {self.sheet!r}" + (" (hidden)" if self.sheet_hidden else "")
        parts = [self.file] + ([sheet] if self.sheet else []) + ([self.cells] if self.cells else [])
        return ", ".join(p for p in parts if p)

    def amounts_line(self) -> str:
        if self.amount_accepted is None:
            return ""
        s = f"accepted {fmt_amount(self.amount_accepted)}"
        if self.amount_all is not None:
            s += f"; every number in the column {fmt_amount(self.amount_all)}"
            parts = []
            if self.amount_left_out:
                parts.append(f"{fmt_amount(self.amount_left_out)} in rows left out")
            if self.amount_rejected:
                parts.append(f"{fmt_amount(self.amount_rejected)} in rejected rows")
            if parts:
                s += " (" + ", ".join(parts) + ")"
        return s

    def rows_line(self) -> str:
        s = f"{self.rows_read:,} read, {self.rows_accepted:,} accepted"
        if self.rejected:
            s += ", rejected: " + "; ".join(f"{n:,} {why}" for why, n in self.rejected.items())
        if self.left_out:
            s += ", left out: " + "; ".join(f"{n:,} {why}" for why, n in self.left_out.items())
        return s

    def dates_line(self) -> str:
        if self.date_first is None:
            return ""
        return f"{self.date_first:%Y-%m-%d} to {self.date_last:%Y-%m-%d}"

    def items(self) -> list[tuple[str, str]]:
        """The report as (item, text) pairs, every detail included."""
        out = [("read", self.where())]
        if self.other_sheets:
            out.append(("not read", "; ".join(f"sheet {n!r} ({size})" for n, size in self.other_sheets)))
        out.append(("header", self.header))
        for fs in self.fields:
            src = f"{fs.column!r}" + (f" ({fs.where})" if fs.where else "")
            out.append((f"field {fs.name}", f"{src}: {fs.how}"))
            for col, why in fs.alternatives:
                out.append(("", f"  not {col}: {why}"))
        out.append(("layout", self.layout))
        out.extend(("", f"  {e}") for e in self.layout_evidence)
        out.append(("rows", self.rows_line()))
        if self.amounts_line():
            out.append((f"amount ({self.amount_column})", self.amounts_line()))
        if self.dates_line():
            out.append(("dates accepted", self.dates_line()))
        out.extend(("reconciliation" if i == 0 else "", r) for i, r in enumerate(self.reconciliation))
        out.extend(("warning", w) for w in self.warnings)
        return out

    def lines(self, limit: int = 3) -> list[str]:
        """A compact text for the terminal: the essentials, at most ``limit`` alternatives,
        reconciliation differences and warnings each."""
        out = [f"{self.kind}: {self.where()}"]
        if self.other_sheets:
            out.append("  not read: " + ", ".join(f"{n!r} ({size})" for n, size in self.other_sheets))
        out.append(f"  header: {self.header}")
        out.append("  fields: " + ", ".join(f"{fs.name} ← {fs.column!r}" for fs in self.fields))
        alts = [(fs.name, c, w) for fs in self.fields for c, w in fs.alternatives]
        for f_, c, w in alts[:limit]:
            out.append(f"    {f_} could also be {c}: {w}")
        if len(alts) > limit:
            out.append(f"    ... {len(alts) - limit} more columns that could have been a field")
        if self.layout != FLAT:
            out.append(f"  layout: {self.layout}")
        out.append(f"  rows: {self.rows_line()}")
        if self.amounts_line():
            out.append(f"  amount: {self.amounts_line()}")
        if self.dates_line():
            out.append(f"  dates: {self.dates_line()}")
        rec = self.reconciliation
        if rec:
            out.append(f"  reconciliation: {rec[0]}")
            out.extend(f"    {r}" for r in rec[1 : 1 + limit])
            if len(rec) > 1 + limit:
                out.append(f"    ... and {len(rec) - 1 - limit} more differences")
        for w in self.warnings[:limit]:
            out.append(f"  warning: {w}")
        if len(self.warnings) > limit:
            out.append(f"  ... and {len(self.warnings) - limit} more warnings")
        return out

    def summary(self) -> str:
        """One line: where, rows, amount, dates."""
        s = f"{self.kind}: {self.where()}: {self.rows_accepted:,} of {self.rows_read:,} rows accepted"
        if self.amount_accepted is not None:
            s += f", amount {fmt_amount(self.amount_accepted)}"
        if self.dates_line():
            s += f", {self.dates_line()}"
        if self.warnings:
            s += f"; {len(self.warnings)} warning(s)"
        return s

    def __str__(self) -> str:
        return "\n".join(self.lines())


# --------------------------------------------------------------------------
# the other sheets of a workbook, from its parts (no sheet is parsed)

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_ROW_NUM = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


#: what a hidden sheet's size is prefixed with in the list of sheets not read
HIDDEN = "hidden"


def hidden_sheets(path: Path) -> frozenset[str]:
    """The hidden and very hidden sheets of an .xlsx workbook: the ``state`` attribute of
    its ``sheet`` elements in xl/workbook.xml (ECMA-376 Part 1, §18.2.19: visible, hidden,
    veryHidden); none when the part cannot be read."""
    return frozenset(n for n, _size, hidden in _workbook_sheets(path, sizes=False) if hidden)


def workbook_sheets(path: Path) -> list[tuple[str, str]]:
    """(sheet name, size) of every sheet of an .xlsx workbook, from the size each sheet records
    (or its last row), a hidden sheet's size after "hidden; "; [] when the parts cannot be read."""
    return [(n, f"{HIDDEN}; {size}" if hidden else size) for n, size, hidden in _workbook_sheets(path)]


def _workbook_sheets(path: Path, sizes: bool = True) -> list[tuple[str, str, bool]]:
    """(sheet name, size, hidden) of every sheet of an .xlsx workbook."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            book, target = book_and_targets(zf, names)
            out = []
            for blob in SHEET_TAG.findall(book):
                a = attrs(blob)
                name = a.get("name", "")
                hidden = a.get("state", "visible") != "visible"
                part = target.get(a.get("r:id", ""), "")
                if "chartsheet" in part:
                    out.append((name, "a chart sheet", hidden))
                    continue
                size = "" if not sizes else _part_size(zf, part) if part in names else "size not recorded"
                out.append((name, size, hidden))
            return out
    except Exception:  # noqa: BLE001 - a listing that cannot be made is left out of the report
        return []


def _range_size(r0: int, c0: int, r1: int, c1: int) -> str:
    """A used range as the list of sheets not read gives it (1-based rows and columns)."""
    rows, cols = r1 - r0 + 1, c1 - c0 + 1
    return (
        f"{column_letter(c0 - 1)}{r0}:{column_letter(c1 - 1)}{r1}, "
        f"{rows:,} row{'s' * (rows != 1)} × {cols:,} column{'s' * (cols != 1)}"
    )


def _legacy_sheets(path: Path, read: str) -> list[tuple[str, str]]:
    """(sheet name, size) of every sheet of a .xls/.xlsb/.ods workbook through python-calamine,
    a hidden sheet's size after "hidden; "; [] when it cannot be listed.  The sheets of an
    .xls or .ods are in memory once the file is open; those of an .xlsb would each be parsed,
    so their sizes are not given."""
    from xlb2b.inputs.sources.legacy import sheet_listing

    sizes = path.suffix.lower() != ".xlsb"
    try:
        listing = sheet_listing(path, skip=read, sizes=sizes)
    except Exception:  # noqa: BLE001 - a listing that cannot be made is left out of the report
        return []
    out = []
    for name, used, hidden in listing:
        if isinstance(used, tuple):
            size = _range_size(*used)
        else:
            size = "empty" if used is None else "" if sizes else "size not read"
        if hidden:
            size = f"{HIDDEN}; {size}" if size else HIDDEN
        out.append((name, size))
    return out


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_AUTOFILTER = re.compile(rb"<(?:\w+:)?autoFilter\b")
#: bytes of a worksheet part unpacked at a time when looking for hidden rows
_CHUNK = 1 << 20


def hidden_rows(path: Path, sheet: str) -> tuple[list[int], bool]:
    """(the hidden rows of a worksheet of an .xlsx workbook, in order; whether the sheet has
    an AutoFilter): the ``hidden`` attribute of its ``row`` elements and its ``autoFilter``
    element (ECMA-376 Part 1, §18.3.1.73 and §18.3.1.2).  ([], False) when the parts cannot
    be read."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            book, target = book_and_targets(zf, names)
            part = next(
                (
                    target.get(a.get("r:id", ""), "")
                    for a in map(attrs, SHEET_TAG.findall(book))
                    if a.get("name") == sheet
                ),
                "",
            )
            if part not in names:
                return [], False
            out: list[int] = []
            autofilter = False
            with zf.open(part) as m:
                rest = b""  # the end of the last piece from its last "<" (a tag cut in two)
                while True:
                    chunk = m.read(_CHUNK)
                    edge = rest + chunk[:16]
                    if not any(w in chunk or w in edge for w in (b"hidden", b"utoFilter")):
                        if not chunk:
                            return out, autofilter
                        cut = chunk.rfind(b"<")  # nothing to look at: only the cut tag is kept
                        rest = chunk[cut:] if cut >= 0 else rest + chunk
                        continue
                    blob = rest + chunk
                    cut = blob.rfind(b"<") if chunk else len(blob)
                    cut = len(blob) if cut < 0 else cut
                    piece, rest = blob[:cut], blob[cut:]
                    for tag in _ROW_TAG.findall(piece) if b"hidden" in piece else ():
                        a = attrs(tag)
                        if a.get("hidden") in ("1", "true") and a.get("r", "").isdigit():
                            out.append(int(a["r"]))
                    if b"utoFilter" in piece and _AUTOFILTER.search(piece):
                        autofilter = True
                    if not chunk:
                        return out, autofilter
    except Exception:  # noqa: BLE001 - a sheet that cannot be looked at is read without the note
        return [], False


def hidden_rows_note(source: Any, sheet: str, data: pd.DataFrame, amount: str | None) -> str | None:
    """A warning when accepted lines of an .xlsx/.xlsm sheet are in rows hidden in the workbook
    (filtered out by an AutoFilter, or hidden by hand): they are read like every other row."""
    if not isinstance(source, (str, os.PathLike)) or "row" not in data or not len(data):
        return None
    path = Path(source)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not sheet:
        return None
    rows, autofilter = hidden_rows(path, sheet)
    if not rows:
        return None
    hit = np.isin(data["row"].to_numpy(), np.asarray(rows, dtype=np.int64))
    n = int(hit.sum())
    if not n:
        return None
    listed = [int(r) for r in data["row"].to_numpy()[hit][:10]]
    where = ", ".join(map(str, listed)) + (f" and {n - len(listed)} more" if n > len(listed) else "")
    total = f" (amount {fmt_amount(float(data['amount'][hit].sum()))})" if amount and "amount" in data else ""
    why = "hidden (filtered out by the sheet's AutoFilter, or hidden by hand)" if autofilter else "hidden"
    then = "clear the filter to see them" if autofilter else "unhide them to see them"
    return (
        f"{n} of the {len(data)} lines accepted {'is' if n == 1 else 'are'} in rows {why} in sheet {sheet!r} "
        f"({'row' if n == 1 else 'rows'} {where}){total}: {'it was' if n == 1 else 'they were'} read like every "
        f"other row and count{'s' * (n == 1)} in every figure; to analyse only the rows shown, copy them to a "
        f"sheet of their own (or delete the hidden rows) and read that; {then}"
    )


def _part_size(zf: zipfile.ZipFile, part: str) -> str:
    with zf.open(part) as m:
        head = m.read(8192)
        d = _DIMENSION.search(head)
        if d and d.group(3):
            rows = int(d.group(4)) - int(d.group(2)) + 1
            cols = _col_number(d.group(3)) - _col_number(d.group(1)) + 1
            if rows > 1 or cols > 1:
                return (
                    f"{d.group(1).decode()}{d.group(2).decode()}:{d.group(3).decode()}"
                    f"{d.group(4).decode()}, {rows:,} row{'s' * (rows != 1)} × {cols:,} column{'s' * (cols != 1)}"
                )
        last = None
        blob, seen = head, len(head)
        while True:
            for r in _ROW_NUM.findall(blob):
                last = int(r)
            if seen >= SIZE_SCAN_BYTES:
                return f"at least {last:,} rows" if last else "size not recorded"
            more = m.read(1 << 20)
            if not more:
                break
            blob = blob[-64:] + more
            seen += len(more)
    return f"{last:,} rows" if last else "empty"


# --------------------------------------------------------------------------
# building the report


def _how(fld: str, header: str, kind: str, canon_map: dict) -> str:
    key = _norm_header(header)
    if canon_map.get(fld) is not None:
        return "named by the mapping (--map)"
    if fld == "client_id" and is_combined(header):
        return (
            "its header names the client and the product: a grouped report's column "
            "(the client on the group rows, the product on the lines beneath them)"
        )
    if key in _LOOKUP[kind]:
        return "its header is an accepted name for this field"
    if key in _LOOKUP2[kind]:
        return "its header is a fallback name for this field, used because no column has an accepted name"
    return "found by its values"


def _alias_words(fld: str) -> list[tuple[str, set[str]]]:
    names = ALIASES.get(fld, ()) + (fld,)
    return [(a, set(_norm_header(a).split())) for a in names if _norm_header(a)]


def _sample_share(s: pd.Series, ctype: str, raw: _Raw) -> float:
    sub = s[~_blank_mask(s)]
    if not len(sub):
        return 0.0
    sub = sub.iloc[:SAMPLE_CELLS].reset_index(drop=True)
    if ctype == DATE:
        is_num = sub.map(
            lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        ).to_numpy(dtype=bool)
        if is_num.all():  # plain numbers are not taken for dates here
            return 0.0
    p = _parse(ctype, sub, raw)
    return float((~p.empty & ~np.isin(np.arange(len(sub)), p.bad.index.to_numpy())).mean())


def _alternatives(fld: str, chosen: int, raw: _Raw, taken: dict[int, str], kind: str) -> list[tuple[str, str]]:
    out = []
    words = _alias_words(fld)
    for p, h in enumerate(raw.headers):
        if p == chosen or p in raw.derived:
            continue
        key = _norm_header(h)
        if key in _LOOKUP[kind] and _LOOKUP[kind][key] != fld:
            continue  # the accepted name of another field
        tokens = set(key.split())
        hit = next((a for a, w in words if w and w <= tokens), None)
        use = f"; it is read as {taken[p]}" if p in taken else ""
        if hit is not None:
            out.append((repr(h), f"its header contains {hit!r} but is not an accepted name as a whole{use}"))
            continue
        if _LOOKUP2[kind].get(key) == fld:
            out.append((repr(h), f"a fallback name, used only when no column has an accepted name{use}"))
            continue
        if p in taken or fld not in ("date", "amount"):
            continue
        ctype = DATE if fld == "date" else NUMBER
        share = _sample_share(raw.frame[p], ctype, raw)
        if share >= ALTERNATIVE_MIN_SHARE:
            what = "dates" if ctype == DATE else "numbers"
            out.append(
                (
                    repr(h),
                    f"its values are {what} too ({share:.0%} of the cells looked at), but "
                    "its header is not a known name for this field",
                )
            )
    return out


def _reason_key(reason: str) -> str:
    return re.sub(r"\s+", " ", reason.split(":")[0]).strip()


def build_reading(
    kind: str,
    source: Any,
    raw0: _Raw,
    raw: _Raw,
    positions: dict[str, int],
    canon_map: dict,
    ctx: _Ctx,
    data: pd.DataFrame,
    lay: Layout,
) -> Reading:
    """The reading report of one input table, after validation."""
    r = Reading(
        kind=kind,
        file=ctx.label,
        sheet=ctx.sheet,
        layout=lay.name,
        layout_evidence=list(lay.evidence),
        reconciliation=list(lay.reconciliation),
    )
    hf = ctx.header
    last_row = int(raw0.rows.max()) if len(raw0.rows) else None
    if hf is not None:
        cols = hf.columns or [0]
        if hf.letters:
            r.cells = f"{column_letter(min(cols))}{hf.row}:{column_letter(max(cols))}{last_row or hf.row}"
        elif isinstance(source, (str, os.PathLike)):
            r.cells = f"lines {hf.row}–{last_row or hf.row}, fields {min(cols) + 1}–{max(cols) + 1}"
        else:
            r.cells = f"rows {hf.row}–{last_row or hf.row}, columns {min(cols) + 1}–{max(cols) + 1}"
        rows_h = f"row {hf.row}" if hf.depth == 1 else f"rows {hf.row}–{hf.row + hf.depth - 1} (joined)"
        if hf.matched:
            r.header = (
                f"{rows_h}, the row with the most known column names ({hf.matched}) among the first {hf.scanned} rows"
            )
        else:
            r.header = (
                f"{rows_h}: no known column name in the first {hf.scanned} rows, so the first "
                "row with two or more filled cells"
            )
        if hf.row > 1:
            r.header += "; rows above it were not read"
    else:
        r.cells = f"{len(raw0.frame):,} rows × {raw0.frame.shape[1]:,} columns"
        r.header = "the column labels of the table"
    if isinstance(source, (str, os.PathLike)) and ctx.sheet:
        ext = Path(source).suffix.lower()
        listing = (
            workbook_sheets(Path(source))
            if ext in (".xlsx", ".xlsm", ".xltx", ".xltm")
            else _legacy_sheets(Path(source), ctx.sheet)
            if ext in (".xls", ".xlt", ".xlsb", ".ods")
            else []
        )
        r.other_sheets = [(n, s) for n, s in listing if n != ctx.sheet]
        r.sheet_hidden = any(n == ctx.sheet and s.startswith(HIDDEN) for n, s in listing)
        note = hidden_sheet_note(ctx.sheet)
        if r.sheet_hidden and any(q.reason.endswith(note) for q in ctx.report.problems):
            r.warnings.append(note)

    taken = {p: c for c, p in positions.items() if p < len(raw0.headers)}
    for c, p in positions.items():
        h = raw.headers[p]
        if p >= len(raw0.headers):  # made by the layout step (the grouped report's line texts)
            r.fields.append(
                FieldSource(c, h, "", "the texts of the grouped report's lines, read from the client column")
            )
            continue
        src, made = raw0.derived.get(p, (p, None))  # a column made by the reader from column ``src``
        where = ""
        if hf is not None and src < len(hf.columns):
            where = f"column {column_letter(hf.columns[src])}" if hf.letters else f"column {hf.columns[src] + 1}"
        if made is not None:
            r.fields.append(FieldSource(c, h, where, made))
            continue
        r.fields.append(FieldSource(c, h, where, _how(c, h, kind, canon_map), _alternatives(c, p, raw0, taken, kind)))

    # rows
    mine = [q for q in ctx.report.problems if q.row is not None]
    rejected_rows: dict[int, str] = {}
    left_rows: dict[int, str] = {}
    sums = {s.row: s.kind for s in lay.sums}
    for q in mine:
        if q.row is None:
            continue
        if q.severity == ERROR and q.row not in rejected_rows:
            rejected_rows[q.row] = _reason_key(q.reason)
        elif q.row in sums and q.row not in left_rows:
            left_rows[q.row] = {
                "group": "group rows (client and subtotal)",
                "subtotal": "subtotal rows",
                "total": "total rows",
            }[sums[q.row]]
        elif "total line" in q.reason and q.row not in left_rows:
            left_rows[q.row] = "total rows"
    accepted_rows = data["row"].to_numpy() if "row" in data else np.array([], dtype=np.int64)
    if rejected_rows:
        listed = np.fromiter(rejected_rows, dtype=np.int64, count=len(rejected_rows))
        for q in listed[np.isin(listed, accepted_rows)]:
            del rejected_rows[int(q)]
    r.rows_accepted = len(data)
    r.rejected = dict(Counter(rejected_rows.values()).most_common())
    r.left_out = dict(Counter(left_rows.values()).most_common())
    r.rows_read = r.rows_accepted + len(set(rejected_rows) | set(left_rows))

    # amounts
    if "amount" in data:
        r.amount_column = raw.headers[positions["amount"]]
        r.amount_accepted = float(np.nansum(data["amount"].to_numpy(dtype=np.float64)))
        other = (
            np.flatnonzero(~np.isin(raw0.rows, accepted_rows))
            if len(data) != len(raw0.frame) or not np.array_equal(raw0.rows, accepted_rows)
            else np.array([], dtype=np.int64)
        )
        if len(other):
            if lay.amounts is not None and len(lay.amounts) == len(raw0.rows):
                vals = lay.amounts[other]
            else:
                pa = positions["amount"]
                col = raw0.frame[pa].iloc[other].reset_index(drop=True)
                vals = _parse(NUMBER, col, raw0).values.to_numpy(dtype=np.float64)
            rownums = raw0.rows[other]
            is_left = np.isin(rownums, np.fromiter(left_rows, dtype=np.int64, count=len(left_rows)))
            r.amount_left_out = float(np.nansum(vals[is_left]))
            r.amount_rejected = float(np.nansum(vals[~is_left]))
        r.amount_all = r.amount_accepted + r.amount_left_out + r.amount_rejected
    if "date" in data and len(data):
        d = data["date"]
        r.date_first, r.date_last = d.min(), d.max()
    return r


def describe(
    kind: str,
    source: Any,
    raw0: _Raw,
    raw: _Raw,
    positions: dict[str, int],
    canon_map: dict,
    ctx: _Ctx,
    data: pd.DataFrame,
    lay: Layout,
    columns: dict[str, str],
) -> Reading:
    """After validation: reconcile the lines with the report's own sums, build the reading report,
    add the plausibility warnings; the report is also put in ``ctx.report.readings``."""
    if "amount" in positions:
        reconcile(lay, data, ctx, raw.headers[positions["amount"]])
    reading = build_reading(kind, source, raw0, raw, positions, canon_map, ctx, data, lay)
    reading.reconciliation = list(lay.reconciliation)
    notes = list(raw0.notes) + list(lay.notes)
    pk = positions.get("client_id")
    if pk is not None and pk < len(raw0.headers) and lay.name != GROUPED and is_combined(raw0.headers[pk]):
        notes.append(
            f"the client column {raw0.headers[pk]!r} is headed as holding the client and the product "
            "(a grouped report's column), but no client group rows with their subtotals were found: "
            "every cell of it was read as a client; check that they are clients, or export a flat "
            "list with the client and the product in columns of their own"
        )
    hidden_note = hidden_rows_note(source, ctx.sheet, data, columns.get("amount"))
    if hidden_note is not None:
        notes.append(hidden_note)
    reading.warnings.extend(notes)
    for note in notes:
        ctx.report.problems.append(ctx.problem(note, severity=WARNING))
    cells = (
        raw0.frame[positions["amount"]] if "amount" in positions and positions["amount"] < len(raw0.headers) else None
    )
    plausibility.check(data, ctx, columns, reading, cells, raw0.rows)
    ctx.report.readings.append(reading)
    return reading


def partial(
    kind: str,
    source: Any,
    raw0: _Raw,
    raw: _Raw,
    positions: dict[str, int],
    canon_map: dict,
    ctx: _Ctx,
    lay: Layout | None,
) -> Reading | None:
    """The reading report of a table that was refused: where it was read, its header and fields
    (no rows were accepted); put in ``ctx.report.readings``.  None when it cannot be made."""
    try:
        data = pd.DataFrame({"row": np.array([], dtype=np.int64)})
        reading = build_reading(kind, source, raw0, raw, positions, canon_map, ctx, data, lay or Layout())
    except Exception:  # noqa: BLE001 - the refusal itself must reach the user
        return None
    reading.layout = "refused: " + reading.layout if lay is not None else "refused"
    f = raw.frame
    blank = np.ones(len(f), dtype=bool)
    for p in range(f.shape[1]):
        blank &= _blank_mask(f[p])
    reading.rows_read = int((~blank).sum())  # the table was refused: every non-blank row
    ctx.report.readings.append(reading)
    return reading
