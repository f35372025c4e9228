"""Parsing one column by its type: text, number, date or flag, with decimal-comma detection per column."""
from __future__ import annotations

import pandas as pd

from xlb2b.inputs.columns import DATE, NUMBER, TEXT
from xlb2b.inputs.dates import _parse_dates
from xlb2b.inputs.numbers import _guess_decimal_comma, _parse_numbers
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import (
    _factorize,
    _kinds,
    _mostly_distinct,
    _parse_flags,
    _parse_text,
    _Parsed,
    _strings,
    _via_uniques,
)


def _parse(ctype: str, s: pd.Series, raw: _Raw) -> _Parsed:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        if ctype == NUMBER and raw.decimal_comma is None:
            # the decimal separator is decided from the whole column, before
            # the values are parsed one distinct value at a time
            raw = _Raw(raw.frame, raw.headers, raw.rows, raw.grid,
                       _column_decimal_comma(s, raw.comma_default), raw.comma_default)
        return _via_uniques(s, lambda u: _parse_direct(ctype, u, raw), always=ctype == TEXT)
    return _parse_direct(ctype, s, raw)



def _column_decimal_comma(s: pd.Series, default: bool) -> bool:
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
        return _parse_dates(s)
    if ctype == NUMBER:
        return _parse_numbers(s, raw.decimal_comma, raw.comma_default)
    return _parse_flags(s)

