"""Sheet and table references inside formulas, renamed when sheets move between workbooks; XML text escapes."""

from __future__ import annotations

import re

#: elements whose text is a formula (cells, validations, conditional formats,
#: charts, tables, x14 extensions)
_FORMULA_ELEMENTS = re.compile(
    r"(<(?:\w+:)?(?:f|formula|formula1|formula2|calculatedColumnFormula|totalsRowFormula)\b[^>]*(?<!/)>)"
    r"([^<]*)(</)"
)


# =========================================================================== formulas

_IDENT = re.compile(r"[A-Za-z_\\\u00A1-\uFFFF][A-Za-z0-9_.\u00A1-\uFFFF]*")


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


#: the "new name" of a sheet that a copied formula cannot follow: the reference becomes ``#REF!``,
#: as Excel writes a reference to a deleted sheet
DELETED_SHEET = "\x00#REF"


def _map_sheet(name: str, sheets: dict[str, str]) -> str | None:
    """The new name of a sheet reference (``A`` or a 3-D ``A:B``), or None."""
    if name.startswith("["):
        return None  # another workbook's sheet
    parts = name.split(":")
    if len(parts) > 2:
        return None
    mapped = [sheets.get(p.lower()) for p in parts]
    if all(m is None for m in mapped):
        return None
    if DELETED_SHEET in mapped:
        return DELETED_SHEET
    return ":".join(m if m is not None else p for m, p in zip(mapped, parts))


def _sheet_ref(new: str) -> str:
    return "#REF" if new == DELETED_SHEET else _quote_sheet(new)


def _skip_brackets(f: str, i: int) -> int:
    """Index just past the ``[...]`` (nested, ``'``-escaped) starting at ``i``."""
    depth, n = 0, len(f)
    while i < n:
        ch = f[i]
        if ch == "'":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _closing_quote(formula: str, i: int) -> int:
    """Index of the quote that closes the one at ``i`` (a doubled quote is
    part of the text); ``len(formula)`` when it is never closed."""
    q, j, n = formula[i], i + 1, len(formula)
    while j < n:
        if formula[j] == q:
            if j + 1 < n and formula[j + 1] == q:
                j += 2
                continue
            return j
        j += 1
    return n


def rename_references(formula: str, sheets: dict[str, str], tables: dict[str, str] | None = None) -> str:
    """``formula`` with its references to the sheets of ``sheets`` (lower-cased
    old name -> new name) and the tables of ``tables`` (lower-cased old name ->
    new name) renamed, in structured references (``Sales[Amount]``) and as
    bare names (``ROWS(Sales)``).  Text constants, external references
    (``[1]Sheet!A1``) and structured-reference brackets are left alone; renamed sheets are
    quoted (``'ADP Acme (2)'!B5``); a sheet mapped to :data:`DELETED_SHEET` becomes ``#REF!``."""
    tables = tables or {}
    out: list[str] = []
    i, n = 0, len(formula)
    while i < n:
        ch = formula[i]
        if ch == '"':
            j = _closing_quote(formula, i)
            out.append(formula[i : j + 1])
            i = j + 1
            continue
        if ch == "'":
            j = _closing_quote(formula, i)
            quoted = formula[i : j + 1]
            if j + 1 < n and formula[j + 1] == "!":
                new = _map_sheet(formula[i + 1 : j].replace("''", "'"), sheets)
                if new is not None:
                    quoted = _sheet_ref(new)
            out.append(quoted)
            i = j + 1
            continue
        if ch == "[":
            j = _skip_brackets(formula, i)
            out.append(formula[i:j])
            i = j
            continue
        prev = formula[i - 1] if i else ""
        m = _IDENT.match(formula, i) if not (prev.isalnum() or prev in ("_", ".")) else None
        if m:
            end = m.end()
            word = m.group(0)
            # a 3-D reference written without quotes: Sheet1:Sheet3!A1
            if end < n and formula[end] == ":":
                m2 = _IDENT.match(formula, end + 1)
                if m2 and m2.end() < n and formula[m2.end()] == "!":
                    end = m2.end()
                    word = formula[i:end]
            if end < n and formula[end] == "!" and prev not in ("]", "#"):
                new = _map_sheet(word, sheets)
                out.append(_sheet_ref(new) if new is not None else word)
            elif word.lower() in tables and prev != "!" and not (end < n and formula[end] == "("):
                # a table's structured reference: Sales[Amount], or the bare name (its data rows)
                out.append(tables[word.lower()])
            else:
                out.append(word)
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _esc_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(text: str) -> str:
    return _esc_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def _rename_in_xml(xml: str, sheets: dict[str, str], tables: dict[str, str]) -> str:
    """Rename sheet and table references in every formula element of a part
    (and in hyperlink locations)."""
    if not sheets and not tables:
        return xml

    def fix(m: re.Match) -> str:
        text = m.group(2)
        if not text:
            return m.group(0)
        new = rename_references(_unescape(text), sheets, tables)
        if new == _unescape(text):
            return m.group(0)
        return m.group(1) + _esc_text(new) + m.group(3)

    xml = _FORMULA_ELEMENTS.sub(fix, xml)

    def fix_location(m: re.Match) -> str:
        old = _unescape(m.group(2))
        new = rename_references(old, sheets, tables)
        return m.group(0) if new == old else m.group(1) + _esc_attr(new) + '"'

    return re.sub(r'(<(?:\w+:)?hyperlink\b[^>]*?\slocation=")([^"]*)"', fix_location, xml)
