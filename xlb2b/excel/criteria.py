"""Exact text matches in workbook formulas (SUMIFS/COUNTIFS read some texts as operators or wildcards).

Microsoft's SUMIFS documentation
(https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.sumifs):
a criterion is "a number, expression, cell reference, or text" — ``">32"``
is a comparison, so a text that starts with ``<``, ``>`` or ``=`` is read as
one — and ``?`` matches any one character, ``*`` any run of characters,
``~`` before them makes them literal.  The match also ignores letter case,
and a text that reads as a number is compared as that number.  A client's
manager, a PSC group or an RFM segment named by a user may be any text, so:

* a criterion cell holding such a name is compared with ``EXACT`` inside
  ``SUMPRODUCT`` (:func:`sum_exact`): text equality, letter case included,
  which is what the engine's grouping does (Excel 2016 and LibreOffice
  evaluate ``EXACT`` over a range inside ``SUMPRODUCT`` without an array
  formula; non-numeric cells of the summed range count as 0, as SUMIFS
  leaves them out);
* a text of our own written into a formula (a status label) goes through
  :func:`literal`: ``"="`` first and ``~`` before ``* ? ~``, so it matches
  only itself;
* codes built by our own formulas from letters, digits and ``_`` (``P3_S2_C1``,
  ``R5F4M3``, ``A``/``B``/``C``) keep SUMIFS: :func:`is_plain` says which
  texts are safe that way.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_plain(key: object) -> bool:
    """True when SUMIFS matches ``key`` as a criterion only to cells equal to
    it: a whole number, or letters, digits and ``_`` starting with a letter
    or ``_`` (no operator, no wildcard, not read as a number); letter case
    is ignored by SUMIFS, so a set of such keys must also differ in more
    than case."""
    if isinstance(key, int) and not isinstance(key, bool):
        return True
    return isinstance(key, str) and len(key) <= 255 and _PLAIN.fullmatch(key) is not None


def literal(text: str) -> str:
    """``text`` as a SUMIFS/COUNTIFS criterion constant that matches only
    cells equal to it (apart from letter case): ``"="`` first, so a leading
    ``<``, ``>`` or ``=`` is part of the text, and ``~`` before ``*``, ``?``
    and ``~``; quotes doubled for the formula."""
    escaped = str(text).replace("~", "~~").replace("*", "~*").replace("?", "~?")
    return '"' + ("=" + escaped).replace('"', '""') + '"'


def text_constant(text: str) -> str:
    """``text`` as a formula's text constant (quotes doubled)."""
    return '"' + str(text).replace('"', '""') + '"'


def sum_exact(values: str | None, exact: list[tuple[str, str]], positive: tuple[str, ...] = ()) -> str:
    """Σ ``values`` (or the count when ``values`` is None) over the rows
    where each ``(range, criterion)`` of ``exact`` is EXACT-equal (the
    criterion a cell reference or a :func:`text_constant`) and each range of
    ``positive`` holds a number > 0 — SUMIFS/COUNTIFS with exact text
    matches."""
    parts = [f"--EXACT({rng},{crit})" for rng, crit in exact]
    # a text in a compared range would be > 0 in Excel: ISNUMBER keeps it out, as SUMIFS does
    parts += [f"ISNUMBER({rng})*({rng}>0)" for rng in positive]
    if values is not None:
        parts.append(values)
    return f"SUMPRODUCT({','.join(parts)})"
