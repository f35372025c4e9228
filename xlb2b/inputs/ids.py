"""Client ids written two ways (case, look-alike letters; lost leading zeros across tables): merged, each listed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING, Problem
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.tables import InputTable
from xlb2b.inputs.values import _arrow_strings

#: Cyrillic letters drawn like Latin ones (after case folding: А/A, В/B, Е/E, К/K, М/M,
#: Н/H, О/O, Р/P, С/C, Т/T, У/Y, Х/X, and the Ukrainian І/I, Ј/J, Ѕ/S)
LOOKALIKES = str.maketrans("авекмнорстухіјѕ", "abekmhopctyxijs")
#: rows of one spelling named in its merge message
ROWS_LISTED = 5


def fold_id(text: str) -> str:
    """The form in which two ids that a person reads as the same compare equal:
    case folded, look-alike Cyrillic letters written as the Latin ones."""
    return text.casefold().translate(LOOKALIKES)


def _fold_all(values) -> np.ndarray:
    """:func:`fold_id` of every value, as an object array.  An ASCII text only
    needs its ASCII letters lowered (that is its case folding, and it holds no
    Cyrillic letter): pyarrow does that for all of them at once when it is
    installed; the other texts are folded one by one."""
    texts = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(texts, skipna=False) != "string":
        texts = np.asarray([str(v) for v in texts], dtype=object)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return np.asarray([t.lower() if t.isascii() else fold_id(t) for t in texts], dtype=object)
    arr = pa.array(texts, type=pa.string())
    out = pc.ascii_lower(arr).to_numpy(zero_copy_only=False).astype(object, copy=True)
    other = np.flatnonzero(~pc.string_is_ascii(arr).to_numpy(zero_copy_only=False))
    if len(other):
        out[other] = [fold_id(t) for t in texts[other]]
    return out


def _repeated(texts: np.ndarray) -> np.ndarray:
    """True where a text occurs more than once (``duplicated(keep=False)``),
    hashed by pyarrow when it is installed."""
    try:
        import pyarrow as pa
    except ImportError:
        return pd.Series(texts, dtype=object).duplicated(keep=False).to_numpy()
    codes = pa.array(texts, type=pa.string()).dictionary_encode().indices
    codes = codes.to_numpy(zero_copy_only=False)
    return np.bincount(codes, minlength=1)[codes] > 1


def _all_distinct_folded(texts: np.ndarray) -> bool:
    """True when the texts are known to stay distinct once folded (ASCII
    texts whose lowered forms pyarrow counts as all distinct); False when that
    takes the full check (no pyarrow, other texts, or a shared folded form)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return False
    if pd.api.types.infer_dtype(texts, skipna=False) != "string":
        return False
    arr = _arrow_strings(texts, pa)
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        return False
    lower = pc.ascii_lower(arr)
    changed = pc.not_equal(lower, arr)
    if not pc.any(changed).as_py():
        return True  # no capital letter: the folded texts are the texts, which are distinct
    return pc.count_distinct(lower).as_py() == len(arr)


def _row_list(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:ROWS_LISTED])
    more = f" and {len(rows) - ROWS_LISTED} more" if len(rows) > ROWS_LISTED else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _merge_lookalike_ids(values: pd.Series, alive: np.ndarray, rows: np.ndarray, column: str, ctx: _Ctx) -> pd.Series:
    """Spellings of one id that differ only in case or look-alike letters become
    the spelling used most (the first one seen on a tie); one warning per
    spelling replaced, naming its rows.  ``alive``: the rows that count."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        cats = np.asarray(values.cat.categories, dtype=object)
    else:
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        cats = np.asarray(uniq, dtype=object)
    if len(cats) < 2 or _all_distinct_folded(cats):
        return values
    folded = pd.Series(_fold_all(cats), dtype=object)
    dup = _repeated(folded.to_numpy())
    if not dup.any():
        return values
    live = codes[alive]
    live = live[live >= 0]
    count = np.bincount(live, minlength=len(cats))
    pos = np.flatnonzero(alive & (codes >= 0))
    first = np.full(len(cats), np.iinfo(np.int64).max)
    np.minimum.at(first, codes[pos], pos)
    target = np.arange(len(cats))
    merged: list[tuple[int, int]] = []
    for key in folded[dup].unique():
        members = [int(i) for i in np.flatnonzero(folded.to_numpy() == key) if count[i] > 0]
        if len(members) < 2:
            continue
        keep = min(members, key=lambda i: (-count[i], first[i]))
        for i in sorted(members, key=lambda i: first[i]):
            if i != keep:
                target[i] = keep
                merged.append((i, keep))
    if not merged:
        return values
    for i, keep in sorted(merged, key=lambda m: first[m[0]]):
        at = np.flatnonzero(alive & (codes == i))
        ctx.report.problems.append(
            ctx.problem(
                f"client id {cats[i]!r} differs from {cats[keep]!r} only in letter case or in "
                f"look-alike Latin/Cyrillic letters: read as the same client {cats[keep]!r} "
                f"({_row_list(rows[at])}); if they are different clients, give them different ids",
                row=int(rows[at[0]]),
                column=column,
                value=cats[i],
                severity=WARNING,
            )
        )
    new_codes = np.where(codes >= 0, target[np.maximum(codes, 0)], -1)
    used = np.unique(new_codes[new_codes >= 0])
    remap = np.full(len(cats), -1)
    remap[used] = np.arange(len(used))
    final = np.where(new_codes >= 0, remap[np.maximum(new_codes, 0)], -1)
    return pd.Series(
        pd.Categorical.from_codes(final, categories=pd.Index(cats[used], dtype=object)), index=values.index
    )


def _zeros_dropped(own, ref, ref_set: set, taken: dict) -> dict:
    """Digit-only ids of ``own`` that are no transaction id but equal exactly one of them
    once its leading zeros are dropped ('123' for '000123'), mapped to that id."""
    by_digits: dict[str, list[Any]] = {}
    for v in ref:
        t = str(v)
        if t.isdigit() and t.startswith("0"):
            by_digits.setdefault(t.lstrip("0") or "0", []).append(v)
    if not by_digits:
        return {}
    out = {}
    for v in own:
        t = str(v)
        if v in ref_set or v in taken or not t.isdigit():
            continue
        hits = by_digits.get(t.lstrip("0") or "0", [])
        if len(hits) == 1 and t.lstrip("0") not in ref_set:
            out[v] = hits[0]
    return out


def align_client_ids(table: InputTable | None, reference: InputTable) -> tuple[InputTable | None, list[Problem]]:
    """``table`` (clients or market) with every client id that is written in
    ``reference`` (the transactions) only with another case or look-alike
    letters replaced by the reference's spelling, and a warning per id replaced."""
    if table is None or "client_id" not in table.data or "client_id" not in reference.data:
        return table, []
    ref = pd.unique(reference.data["client_id"].dropna().astype(object))
    ref_set = set(ref)
    by_fold: dict[str, Any] = {}
    for v in ref:
        by_fold.setdefault(fold_id(str(v)), v)
    col = table.data["client_id"]
    own = pd.unique(col.dropna().astype(object))
    change = {v: by_fold[fold_id(str(v))] for v in own if v not in ref_set and fold_id(str(v)) in by_fold}
    zeros = _zeros_dropped(own, ref, ref_set, change)
    change.update(zeros)
    if not change:
        return table, []
    data = table.data.copy()
    data["client_id"] = col.astype(object).replace(change)
    header = table.columns.get("client_id", "client_id")
    problems = []
    for old, new in change.items():
        at = (
            data.loc[col.astype(object).eq(old).to_numpy(), "row"].to_numpy()
            if "row" in data
            else np.array([], dtype=np.int64)
        )
        why = (
            "it lost the leading zeros, as Excel does to an id stored as a number; format the id "
            "column as Text to keep them"
            if old in zeros
            else "it differs only in letter case or in look-alike Latin/Cyrillic letters"
        )
        problems.append(
            Problem(
                f"client id {old!r} is written {new!r} in the transactions ({why}): read as {new!r}"
                + (f" ({_row_list(at)})" if len(at) else ""),
                file=table.source,
                sheet=table.sheet,
                row=int(at[0]) if len(at) else None,
                column=header,
                value=old,
                severity=WARNING,
            )
        )
    report = type(table.report)(list(table.report.problems) + problems)
    return replace(table, data=data, report=report), problems
