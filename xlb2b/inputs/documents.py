"""The date of a line read from the name of its 1C document («Реализация товаров и услуг … от 12.03.2025 14:22:05»)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _blank_mask

#: a 1C document as it names itself: its kind and number, «от», the date, the time
DOCUMENT = re.compile(r"\S.*\sот\s+(\d{1,2}\.\d{1,2}\.\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
#: filled cells of a column looked at, and the share of them that must be documents
SAMPLE_CELLS = 500
MIN_SHARE = 0.9


def date_from_documents(raw: _Raw, taken: dict[int, str]) -> int | None:
    """When the table has no date column: the position of a new column holding the date of
    each line's document, from the first column (not taken by another field than ``order_id``)
    whose filled cells are mostly 1C document names; None when there is none (said in ``raw.notes``)."""
    f = raw.frame
    for p in range(len(raw.headers)):
        if taken.get(p, "order_id") != "order_id" or p >= f.shape[1]:
            continue
        col = f[p]
        filled = col[~_blank_mask(col)]
        if not len(filled):
            continue
        head = filled.iloc[:SAMPLE_CELLS].astype(str).str.strip()
        if head.str.match(DOCUMENT).mean() < MIN_SHARE:
            continue
        text = col.astype(object).where(~_blank_mask(col)).astype("string").str.strip()
        dates = text.str.extract(DOCUMENT, expand=False).astype(object)
        dates = dates.where(dates.notna(), None)
        # a filled cell that names no document keeps its text: validation rejects it as not a date
        dates = np.where(text.notna().to_numpy() & pd.isna(dates).to_numpy(), text.astype(object), dates)
        q = len(raw.headers)
        header = f"{raw.headers[p]} (date)"
        raw.frame[q] = pd.Series(dates, dtype=object, index=f.index)
        raw.headers.append(header)
        if raw.keys is not None:
            raw.keys.append((header,))
        if raw.places is not None:
            raw.places.append(raw.places[p])
        example = str(head[head.str.match(DOCUMENT)].iloc[0])
        day = DOCUMENT.match(example)
        raw.derived[q] = (p, f"the date of the document named in {raw.headers[p]!r}, no column having a date's name")
        raw.notes.append(
            f"no date column: the date of each line is taken from the document named in {raw.headers[p]!r} "
            f"(e.g. {example!r} → {day.group(1) if day else ''}, day first); if the file has a date column, "
            "name it with --map date=<header>"
        )
        return q
    return None
