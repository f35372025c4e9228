"""Parsing one column by its type: text, number, date or flag, with decimal-comma detection per column."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from xlb2b.inputs.columns import DATE, NUMBER, TEXT
from xlb2b.inputs.dates import _parse_dates
from xlb2b.inputs.numbers import _guess_decimal_comma, _parse_numbers
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import (
    _category_codes,
    _factorize,
    _kinds,
    _mostly_distinct,
    _parse_flags,
    _parse_text,
    _Parsed,
    _spread,
    _strings,
    _text_codes,
    _via_uniques,
)


def _parse(ctype: str, s: pd.Series, raw: _Raw) -> _Parsed:
    if isinstance(s.dtype, pd.CategoricalDtype):
        if ctype == TEXT and raw.first_seen:  # the codes stand for the distinct values
            return _spread(*_category_codes(s), lambda u: _parse_direct(ctype, u, raw))
        s = s.astype(object)
    if ctype == TEXT:
        fast = _arrow_text_codes(s)
        if fast is not None:
            return fast
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        if ctype == NUMBER and raw.decimal_comma is None:
            # the decimal separator is decided from the whole column, before
            # the values are parsed one distinct value at a time
            raw = replace(raw, decimal_comma=_column_decimal_comma(s, raw.comma_default))
        if ctype == NUMBER:
            fast = _arrow_numbers(s, raw)
            if fast is not None:
                return fast
        return _via_uniques(s, lambda u: _parse_direct(ctype, u, raw), always=ctype == TEXT)
    return _parse_direct(ctype, s, raw)


#: a number as exports mostly write it; such cells are converted by pyarrow,
#: every other cell goes through :func:`_parse_numbers`
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"


def _arrow_text(s: pd.Series):
    """The pyarrow array behind an arrow-backed text column without missing
    values (what the CSV reader gives), else None."""
    dtype = s.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    try:
        arr = s.array.__arrow_array__()
    except (AttributeError, TypeError, ImportError):
        return None
    return arr if arr.null_count == 0 else None


def _arrow_text_codes(s: pd.Series) -> _Parsed | None:
    """A text column held by pyarrow (pandas' ``str`` dtype) parsed as text by
    pyarrow's dictionary encoding, when no distinct value needs cleaning: what
    :func:`_via_uniques` gives, without a Python string per distinct value.
    None otherwise (the general path then decides)."""
    dtype = s.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or not len(s):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = s.array.__arrow_array__()
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            return None
        _col, parsed = _text_codes(pc.dictionary_encode(arr), pa)
    except (AttributeError, TypeError, ImportError):
        return None
    return parsed


def _arrow_numbers(s: pd.Series, raw: _Raw) -> _Parsed | None:
    """Numbers of an arrow-backed text column: cells written plainly
    (``-1234.5``, or ``-1234,5`` with a decimal comma) are converted by
    pyarrow in one pass; empty cells are empty; every other cell (spaces,
    currency, thousands separators, bad values) goes through the general
    parser, so the result equals :func:`_parse_numbers` on the whole column."""
    arr = _arrow_text(s)
    if arr is None or raw.decimal_comma is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(s)
    t = pc.replace_substring(arr, ",", ".") if raw.decimal_comma else arr
    plain = pc.match_substring_regex(t, _PLAIN_NUMBER)
    v = pc.cast(pc.if_else(plain, t, pa.scalar(None, pa.string())), pa.float64())
    v = v.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    plain = plain.to_numpy(zero_copy_only=False)
    empty = pc.equal(arr, "").to_numpy(zero_copy_only=False)
    reasons = np.full(n, None, dtype=object)
    rest = np.flatnonzero(~plain & ~empty)
    if len(rest):
        pr = _parse_numbers(s.iloc[rest].reset_index(drop=True), raw.decimal_comma, raw.comma_default)
        v[rest] = pr.values.to_numpy(dtype=np.float64)
        empty[rest] = pr.empty
        reasons[rest[pr.bad.index.to_numpy(dtype=np.int64)]] = pr.bad.to_numpy()
    inf = ~empty & ~np.isfinite(v) & (reasons == None)  # noqa: E711 - elementwise
    reasons[inf] = "not a number"  # e.g. a plain number with 400 digits
    v[inf] = np.nan
    v[empty] = np.nan
    idx = np.flatnonzero(reasons != None)  # noqa: E711
    return _Parsed(pd.Series(v), empty, pd.Series(reasons[idx], index=idx, dtype=object))


def _column_decimal_comma(s: pd.Series, default: bool) -> bool:
    arr = _arrow_text(s)
    if arr is not None:
        import pyarrow.compute as pc

        if not pc.any(pc.match_substring(arr, ",")).as_py():
            return default  # no comma anywhere: what _guess_decimal_comma says too
    f = None if _mostly_distinct(s) else _factorize(s)
    u = f[1] if f is not None else s.reset_index(drop=True)
    is_str = _kinds(u)["str"]
    if not is_str.any():
        return default
    t = _strings(u, is_str)
    return _guess_decimal_comma(t[t.ne("")], default)


def _parse_direct(ctype: str, s: pd.Series, raw: _Raw) -> _Parsed:
    if ctype == TEXT:
        return _parse_text(s)
    if ctype == DATE:
        return _parse_dates(s, date1904=raw.date1904)
    if ctype == NUMBER:
        return _parse_numbers(s, raw.decimal_comma, raw.comma_default)
    return _parse_flags(s)
