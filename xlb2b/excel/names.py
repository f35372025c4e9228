"""Excel sheet names: valid and unique names for new sheets, quoted for formulas."""

from __future__ import annotations

import re
from collections.abc import Iterable

BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def sheet_names(titles: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, unique (case-insensitively) Excel sheet names for ``titles``:
    no ``[]:*?/\\``, at most 31 characters, a number added to repeats."""
    used = {t.lower() for t in taken}
    out = []
    for title in titles:
        base = BAD_SHEET_CHARS.sub("_", title).strip().strip("'") or "ADP"
        base = base[:31]
        name, i = base, 2
        while name.lower() in used:
            suffix = f" ({i})"
            name = base[: 31 - len(suffix)] + suffix
            i += 1
        used.add(name.lower())
        out.append(name)
    return out
