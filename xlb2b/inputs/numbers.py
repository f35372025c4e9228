"""Numbers as exported: thousands separators, decimal commas, currency signs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from xlb2b.inputs.values import _kinds, _no_bad, _Parsed, _strings

# ---- numbers

_CUR_PREFIX = r"^([+-]?)\s*(?:[$€₽]|руб\.?|р\.)\s*"
_CUR_SUFFIX = r"\s*(?:[$€₽]|руб\.?|р\.?)$"


def _guess_decimal_comma(t: pd.Series, default: bool) -> bool:
    """Whether ``,`` is the decimal separator in this column of text numbers."""
    with_comma = t[t.str.contains(",", regex=False)]
    if with_comma.empty:
        return default
    x = with_comma.str.replace(r"[\s']", "", regex=True)
    dec = (
        x.str.contains(r"\d,(?:\d{1,2}|\d{4,})\D*$", regex=True)
        | x.str.contains(r"\.\d{3},\d", regex=True)
        | with_comma.str.contains(r"\d\s\d{3},\d", regex=True)
    )
    thou = x.str.contains(r",\d{3}\.\d", regex=True) | x.str.contains(r"\d,\d{3},\d{3}", regex=True)
    if dec.any() and not thou.any():
        return True
    if thou.any() and not dec.any():
        return False
    return default


def _messy_numbers(t: pd.Series, decimal_comma: bool) -> pd.Series:
    """Numbers written by people: currency signs, spaces between thousands,
    decimal comma, ``(123,45)`` for negatives.  NaN where not a number."""
    x = t.str.replace("\u2212", "-", regex=False).str.replace("\u2013", "-", regex=False)
    flags = re.IGNORECASE
    x = x.str.replace(_CUR_PREFIX, r"\1", regex=True, flags=flags)
    x = x.str.replace(_CUR_SUFFIX, "", regex=True, flags=flags)
    paren = x.str.match(r"^\(.*\)$").fillna(False).astype(bool)
    if paren.any():
        x = x.where(~paren, x.str.slice(1, -1))
        x = x.str.replace(_CUR_PREFIX, r"\1", regex=True, flags=flags)
        x = x.str.replace(_CUR_SUFFIX, "", regex=True, flags=flags)
    x = x.str.replace(r"[\s']", "", regex=True)
    bad = paren & x.str.match(r"^[+-]").fillna(False).astype(bool)
    x = x.where(~paren, "-" + x)

    lc = x.str.rfind(",")
    ld = x.str.rfind(".")
    nc = x.str.count(",")
    nd = x.str.count(r"\.")
    comma_last = (lc >= 0) & (ld >= 0) & (lc > ld)
    dot_last = (lc >= 0) & (ld >= 0) & (ld > lc)
    only_c = (lc >= 0) & (ld < 0)
    only_d = (ld >= 0) & (lc < 0)
    thou_c = x.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+").fillna(False).astype(bool)
    thou_d = x.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+").fillna(False).astype(bool)

    out = x.copy()
    # both separators: the last one is the decimal one, the other groups thousands
    ok = x.str.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+,\d*").fillna(False).astype(bool)
    out = out.mask(comma_last & ok, x.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    bad |= comma_last & ~ok
    ok = x.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+\.\d*").fillna(False).astype(bool)
    out = out.mask(dot_last & ok, x.str.replace(",", "", regex=False))
    bad |= dot_last & ~ok
    # comma only
    as_thousands = only_c & thou_c & ((nc > 1) | (not decimal_comma))
    out = out.mask(as_thousands, x.str.replace(",", "", regex=False))
    out = out.mask(only_c & ~as_thousands & (nc == 1), x.str.replace(",", ".", regex=False))
    bad |= only_c & ~as_thousands & (nc > 1)
    # dots only: several dots group thousands
    out = out.mask(only_d & (nd > 1) & thou_d, x.str.replace(".", "", regex=False))
    bad |= only_d & (nd > 1) & ~thou_d
    v = pd.to_numeric(out.where(~bad), errors="coerce").astype(float)
    return v


def _parse_numbers(s: pd.Series, decimal_comma: bool | None, comma_default: bool) -> _Parsed:
    n = len(s)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        empty = s.isna().to_numpy()
        bad = pd.Series("yes/no value where a number is expected", index=np.flatnonzero(~empty), dtype=object)
        return _Parsed(pd.Series(np.full(n, np.nan)), empty, bad)
    if pd.api.types.is_numeric_dtype(dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(v)
        inf = np.isinf(v)
        bad = _no_bad()
        if inf.any():
            v = np.where(inf, np.nan, v)
            bad = pd.Series("not a finite number", index=np.flatnonzero(inf), dtype=object)
        return _Parsed(pd.Series(v), empty, bad)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        empty = s.isna().to_numpy()
        bad = pd.Series("a date where a number is expected", index=np.flatnonzero(~empty), dtype=object)
        return _Parsed(pd.Series(np.full(n, np.nan)), empty, bad)

    s = s.reset_index(drop=True)
    k = _kinds(s)
    v = np.full(n, np.nan)
    empty = ~(k["str"] | k["num"] | k["dt"] | k["bool"] | k["other"])
    reasons = np.full(n, None, dtype=object)
    if k["num"].any():
        v[k["num"]] = pd.to_numeric(s[k["num"]].astype(object), errors="coerce").astype(float)
    if k["str"].any():
        t = _strings(s, k["str"])
        blank = t.eq("").to_numpy()
        empty[np.flatnonzero(k["str"])[blank]] = True
        t = t[~blank]
        if len(t):
            dc = decimal_comma if decimal_comma is not None else _guess_decimal_comma(t, comma_default)
            # the common forms first, with plain (fast) replacements:
            # "1 234,56", "1234.56"; everything else goes to _messy_numbers
            simple = t
            for ch in (" ", "\u00a0", "\u2009", "\u202f") + ((",",) if dc else ()):
                if simple.str.contains(ch, regex=False).any():
                    simple = simple.str.replace(ch, "." if ch == "," else "", regex=False)
            num = pd.to_numeric(simple, errors="coerce").astype(float)
            rest = num.isna()
            if rest.any():
                num[rest] = _messy_numbers(t[rest], dc)
            v[num.index.to_numpy()] = num.to_numpy()
    for key, why in (
        ("dt", "a date where a number is expected"),
        ("bool", "yes/no value where a number is expected"),
        ("other", "not a number"),
    ):
        reasons[k[key]] = why
    badmask = ~empty & ~np.isfinite(v)
    reasons[badmask & (reasons == None)] = "not a number"  # noqa: E711 - elementwise
    v[badmask] = np.nan
    idx = np.flatnonzero(badmask)
    return _Parsed(pd.Series(v), empty, pd.Series(reasons[idx], index=idx, dtype=object))
