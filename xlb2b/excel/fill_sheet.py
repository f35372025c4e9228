"""Cell references and one worksheet's XML as the template fill reads and writes them."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlb2b.excel import merge as xm
from xlb2b.io_util import column_letter


class FillError(xm.MergeError):
    """The template cannot be filled; ``.report`` names every name, sheet and cell."""


# =========================================================================== cells

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _addr(r: int, c: int) -> str:
    """0-based (row, col) -> "B5"."""
    return f"{column_letter(c)}{r + 1}"


def _abs_area(r1: int, c1: int, r2: int, c2: int) -> str:
    a = f"${column_letter(c1)}${r1 + 1}"
    return a if (r1, c1) == (r2, c2) else f"{a}:${column_letter(c2)}${r2 + 1}"


def _parse_cell(text: str) -> tuple[int, int] | None:
    m = _CELL.match(text)
    if not m:
        return None
    return int(m.group(2)) - 1, _col_index(m.group(1))


@dataclass
class _Ref:
    """A defined name's target: one rectangular range on one sheet."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def rows(self) -> int:
        return self.r2 - self.r1 + 1

    @property
    def cols(self) -> int:
        return self.c2 - self.c1 + 1

    def text(self) -> str:
        return f"{xm._quote_sheet(self.sheet)}!{_abs_area(self.r1, self.c1, self.r2, self.c2)}"

    def where(self) -> str:
        return _addr(self.r1, self.c1) + (
            "" if (self.r1, self.c1) == (self.r2, self.c2) else ":" + _addr(self.r2, self.c2)
        )


def _parse_ref(text: str) -> _Ref | None:
    """``'My sheet'!$B$4:$C$11`` -> _Ref; None for anything else (several
    areas, functions, whole columns, other workbooks, #REF!)."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    if text.startswith("'"):
        j = xm._closing_quote(text, 0)
        sheet, rest = text[1:j].replace("''", "'"), text[j + 1 :]
    else:
        m = re.match(r"([^!'\[\]:*?/\\]+)(?=!)", text)
        if not m:
            return None
        sheet, rest = m.group(1), text[m.end() :]
    if not rest.startswith("!") or sheet.startswith("["):
        return None
    parts = rest[1:].split(":")
    if len(parts) > 2:
        return None
    cells = [c for c in (_parse_cell(p) for p in parts) if c is not None]
    if len(cells) != len(parts):
        return None
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return _Ref(sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


# =========================================================================== sheet XML


def _esc(text: str) -> str:
    text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
    return xm._esc_text(text)


def _number(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _excel_serial(ts: pd.Timestamp) -> float:
    delta = ts.to_pydatetime().replace(tzinfo=None) - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


@dataclass
class _Cell:
    attrs: dict[str, str]
    inner: str

    @property
    def style(self) -> str | None:
        return self.attrs.get("s")

    def formula(self, p: str) -> bool:
        return re.search(rf"<{re.escape(p)}f[\s/>]", self.inner) is not None


@dataclass
class _Row:
    attrs: dict[str, str]
    cells: dict[int, _Cell] = field(default_factory=dict)
    raw: str | None = None  # the original text while the row is untouched


class _Sheet:
    """A worksheet part held as text: its rows parsed, the rest kept verbatim."""

    def __init__(self, xml: str, strings: list[str], label: str, name: str):
        self.label, self.name, self.strings = label, name, strings
        self.p, _ = xm._root_prefixes(xml, f"{label} ({name})")
        p = re.escape(self.p)
        m = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", xml)
        if m is None:
            raise FillError(f"{label}: sheet {name} has no cell data part")
        if m.group(1):
            self.head, self.tail, body = (
                xml[: m.start()] + f"<{self.p}sheetData>",
                f"</{self.p}sheetData>" + xml[m.end() :],
                "",
            )
        else:
            close = xml.find(f"</{self.p}sheetData>", m.end())
            self.head, self.tail, body = xml[: m.end()], xml[close:], xml[m.end() : close]
        self.rows: dict[int, _Row] = {}
        self.order: list[int] = []
        last = -1
        for rm in re.finditer(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)", body, re.S):
            attrs = dict(_ATTR.findall(rm.group(1)))
            r = int(attrs["r"]) - 1 if attrs.get("r", "").isdigit() else last + 1
            last = r
            row = _Row(attrs, raw=rm.group(0))
            col = -1
            for cm in re.finditer(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", rm.group(2) or "", re.S):
                ca = dict(_ATTR.findall(cm.group(1)))
                pos = _parse_cell(ca.get("r", ""))
                col = pos[1] if pos else col + 1
                row.cells[col] = _Cell(ca, cm.group(2) or "")
            self.rows[r] = row
            self.order.append(r)
        areas = (self._area(a) for a in re.findall(rf'<{p}mergeCell\b[^>]*\sref="([^"]+)"', self.tail))
        self.merges = [a for a in areas if a is not None]
        self.protected = re.search(rf'<{p}sheetProtection\b[^>]*\ssheet="(?:1|true)"', self.tail) is not None
        self.cols = self._col_styles(self.head)

    @staticmethod
    def _area(ref: str) -> tuple[int, int, int, int] | None:
        texts = ref.split(":")
        parts = [x for x in (_parse_cell(t) for t in texts) if x is not None]
        if len(parts) != len(texts):
            return None
        (r1, c1), (r2, c2) = parts[0], parts[-1]
        return r1, c1, r2, c2

    def _col_styles(self, head: str) -> list[tuple[int, int, str]]:
        out = []
        for m in re.finditer(rf"<{re.escape(self.p)}col\b([^>]*)/?>", head):
            a = dict(_ATTR.findall(m.group(1)))
            if "style" in a and a.get("min", "").isdigit() and a.get("max", "").isdigit():
                out.append((int(a["min"]) - 1, int(a["max"]) - 1, a["style"]))
        return out

    # ------------------------------------------------------------ reading
    def cell(self, r: int, c: int) -> _Cell | None:
        row = self.rows.get(r)
        return None if row is None else row.cells.get(c)

    def has_content(self, r: int, c: int) -> bool:
        cell = self.cell(r, c)
        if cell is None:
            return False
        return bool(re.search(rf"<{re.escape(self.p)}(?:f|v|is)\b", cell.inner))

    def value(self, r: int, c: int) -> Any:
        cell = self.cell(r, c)
        if cell is None:
            return None
        p = re.escape(self.p)
        t = cell.attrs.get("t", "n")
        if t == "inlineStr":
            return "".join(xm._unescape(x) for x in re.findall(rf"<{p}t\b[^>]*>(.*?)</{p}t>", cell.inner, re.S))
        m = re.search(rf"<{p}v>(.*?)</{p}v>", cell.inner, re.S)
        if m is None:
            return None
        v = xm._unescape(m.group(1))
        if t == "s":
            k = int(v)
            return self.strings[k] if 0 <= k < len(self.strings) else None
        if t in ("str", "e"):
            return v
        if t == "b":
            return v.strip() in ("1", "true")
        try:
            return float(v)
        except ValueError:
            return None

    def merged_at(self, r: int, c: int) -> tuple[int, int, int, int] | None:
        for a in self.merges:
            if a[0] <= r <= a[2] and a[1] <= c <= a[3]:
                return a
        return None

    def style_at(self, r: int, c: int) -> str | None:
        cell = self.cell(r, c)
        if cell is not None:
            return cell.style
        row = self.rows.get(r)
        if row is not None and row.attrs.get("customFormat") in ("1", "true") and "s" in row.attrs:
            return row.attrs["s"]
        for lo, hi, s in self.cols:
            if lo <= c <= hi:
                return s
        return None

    # ------------------------------------------------------------ writing
    def _row(self, r: int, like: int | None = None) -> _Row:
        row = self.rows.get(r)
        if row is None:
            attrs = {}
            if like is not None and like in self.rows:
                attrs = {k: v for k, v in self.rows[like].attrs.items() if k not in ("r", "spans")}
            row = _Row(attrs)
            self.rows[r] = row
            self.order.append(r)
        row.raw = None
        return row

    def write(self, r: int, c: int, value: Any, style: str | None = None, like_row: int | None = None) -> None:
        """Put ``value`` into the cell (None empties it); the cell keeps its
        style unless ``style`` is given."""
        row = self._row(r, like_row)
        old = row.cells.get(c)
        s = style if style is not None else (old.style if old is not None else self.style_at(r, c))
        attrs = {"r": _addr(r, c)}
        if s is not None and s != "0":
            attrs["s"] = s
        if isinstance(value, pd.Timestamp):
            value = _excel_serial(value)
        if value is None:
            inner = ""
        elif isinstance(value, bool):
            attrs["t"] = "b"
            inner = f"<{self.p}v>{int(value)}</{self.p}v>"
        elif isinstance(value, (int, float)):
            inner = f"<{self.p}v>{_number(value)}</{self.p}v>"
        else:
            attrs["t"] = "inlineStr"
            text = str(value)
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            inner = f"<{self.p}is><{self.p}t{space}>{_esc(text)}</{self.p}t></{self.p}is>"
        row.cells[c] = _Cell(attrs, inner)

    def set_cached(self, r: int, c: int, value: Any) -> None:
        """Store ``value`` as the cached result of the formula in the cell."""
        row = self._row(r)
        cell = row.cells[c]
        p = re.escape(self.p)
        f = re.search(rf"<{p}f\b[^>]*/>|<{p}f\b[^>]*>.*?</{p}f>", cell.inner, re.S)
        attrs = {k: v for k, v in cell.attrs.items() if k not in ("t",)}
        inner = f.group(0) if f else ""
        if isinstance(value, str):
            attrs["t"] = "str"
            inner += f"<{self.p}v>{_esc(value)}</{self.p}v>"
        elif isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
            inner += f"<{self.p}v>{_number(value)}</{self.p}v>"
        row.cells[c] = _Cell(attrs, inner)

    def strip_caches(self, keep: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()) -> int:
        """Drop the cached value of every formula cell but those of ``keep``;
        returns how many were dropped."""
        p = re.escape(self.p)
        n = 0
        for r, row in self.rows.items():
            for c, cell in row.cells.items():
                if (r, c) in keep or not cell.formula(self.p):
                    continue
                if re.search(rf"<{p}v>|<{p}v/>", cell.inner) is None and "t" not in cell.attrs:
                    continue
                new_inner = re.sub(rf"<{p}v>.*?</{p}v>|<{p}v/>", "", cell.inner, flags=re.S)
                attrs = {k: v for k, v in cell.attrs.items() if k != "t"}
                row.cells[c] = _Cell(attrs, new_inner)
                row.raw = None
                n += 1
        return n

    def follow_table(self, r1: int, c1: int, r2: int, c2: int, new_r2: int) -> int:
        """Conditional formats and data validations whose area covers exactly
        the table's rows (within its columns) follow the table to ``new_r2``;
        returns how many areas changed."""
        changed = 0

        def area(text: str) -> str:
            nonlocal changed
            a = self._area(text.replace("$", ""))
            if a is None or (a[0], a[2]) != (r1, r2) or a[1] < c1 or a[3] > c2:
                return text
            changed += 1
            return f"{_addr(a[0], a[1])}:{_addr(new_r2, a[3])}"

        def sqref(m: re.Match) -> str:
            return m.group(1) + " ".join(area(t) for t in m.group(2).split()) + m.group(3)

        p = re.escape(self.p)
        tail = re.sub(rf'(<{p}(?:conditionalFormatting|dataValidation)\b[^>]*\ssqref=")([^"]*)(")', sqref, self.tail)
        tail = re.sub(r"(<(?:\w+:)?sqref>)([^<]*)(</(?:\w+:)?sqref>)", sqref, tail)
        self.tail = tail
        return changed

    def formula_cells(self) -> Iterable[tuple[int, int, str]]:
        p = re.escape(self.p)
        for r, row in self.rows.items():
            for c, cell in row.cells.items():
                m = re.search(rf"<{p}f\b[^>]*>(.*?)</{p}f>", cell.inner, re.S)
                if m:
                    yield r, c, xm._unescape(m.group(1))

    def _row_xml(self, r: int, row: _Row) -> str:
        if row.raw is not None:
            return row.raw
        attrs = {"r": str(r + 1), **{k: v for k, v in row.attrs.items() if k not in ("r", "spans")}}
        head = f"<{self.p}row" + "".join(f' {k}="{v}"' for k, v in attrs.items())
        if not row.cells:
            return head + "/>"
        cells = []
        for c in sorted(row.cells):
            cell = row.cells[c]
            a = {"r": _addr(r, c), **{k: v for k, v in cell.attrs.items() if k != "r"}}
            tag = f"<{self.p}c" + "".join(f' {k}="{v}"' for k, v in a.items())
            cells.append(f"{tag}>{cell.inner}</{self.p}c>" if cell.inner else f"{tag}/>")
        return head + ">" + "".join(cells) + f"</{self.p}row>"

    def xml(self) -> str:
        body = "".join(self._row_xml(r, self.rows[r]) for r in sorted(self.rows))
        head = self.head
        if self.rows:
            rows = [r for r in self.rows if self.rows[r].cells]
            cols = [c for r in rows for c in self.rows[r].cells]
            if rows and cols:
                dim = f"A1:{_addr(max(rows), max(cols))}" if (max(rows), max(cols)) != (0, 0) else "A1"
                first = min(rows), min(cols)
                if first != (0, 0):
                    dim = f"{_addr(*first)}:{_addr(max(rows), max(cols))}"
                head = re.sub(
                    rf'(<{re.escape(self.p)}dimension\b[^>]*\sref=")[^"]*(")',
                    lambda m: m.group(1) + dim + m.group(2),
                    head,
                    count=1,
                )
        return head + body + self.tail
