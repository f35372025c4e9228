"""Excel sheet names: valid and unique names for new sheets, quoted for formulas."""

from __future__ import annotations

import re
from collections.abc import Iterable

BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: control characters (a tab, a line break): an XML attribute turns them into spaces, so a formula or
#: a defined name written with them would miss the sheet; they become a space
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]+")
#: invisible format characters (zero-width space, byte-order mark): dropped
_INVISIBLE_CHARS = re.compile("[\u200b-\u200f\u2060\ufeff]")


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def sheet_names(titles: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, unique (case-insensitively) Excel sheet names for ``titles``:
    no ``[]:*?/\\``, no control or invisible characters, at most 31 characters, a number added to repeats."""
    used = {t.lower() for t in taken}
    out = []
    for title in titles:
        base = _CONTROL_CHARS.sub(" ", _INVISIBLE_CHARS.sub("", BAD_SHEET_CHARS.sub("_", title)))
        base = base.strip().strip("'").strip() or "ADP"
        base = base[:31]
        name, i = base, 2
        while name.lower() in used:
            suffix = f" ({i})"
            name = base[: 31 - len(suffix)] + suffix
            i += 1
        used.add(name.lower())
        out.append(name)
    return out
