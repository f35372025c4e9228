"""Vectorised value parsing: cell kinds, text, yes/no flags and extra columns."""

from __future__ import annotations

import datetime as dt
import decimal
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: what Excel shows for an error; python-calamine returns such cells empty,
#: so both readers treat these texts as empty cells.
_EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)

_TRUE_WORDS = ("да", "yes", "y", "1", "1.0", "true", "+", "истина")
_FALSE_WORDS = ("нет", "no", "n", "0", "0.0", "false", "-", "ложь")
_FLAG_WORDS = {**{w: 1.0 for w in _TRUE_WORDS}, **{w: 0.0 for w in _FALSE_WORDS}}

# --------------------------------------------------------------------------
# value parsing (vectorised)


@dataclass
class _Parsed:
    values: pd.Series  # canonical dtype, NaN/NaT where empty or bad
    empty: np.ndarray  # bool: the source cell is empty
    bad: pd.Series  # reason per bad, non-empty cell (index = positions)
    total: np.ndarray | None = None  # text columns: the cell says "Итого"/"Total"


def _no_bad() -> pd.Series:
    return pd.Series([], dtype=object, index=pd.Index([], dtype=np.int64))


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Codes and distinct values of an object/str column, the missing value
    last: ``uniques.iloc[codes]`` is the column.  Columns repeat values a lot
    (clients, dates, products), so parsing the distinct values once is much
    faster than parsing every cell.  None when the values cannot be hashed."""
    try:
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
    except TypeError:
        return None
    u = np.empty(len(uniq) + 1, dtype=object)
    u[:-1] = np.asarray(uniq, dtype=object)
    u[-1] = None
    codes = np.where(codes < 0, len(uniq), codes)
    return codes, pd.Series(u, dtype=object)


def _mostly_distinct(s: pd.Series) -> bool:
    """Whether most values of a long column differ (order numbers, amounts):
    then parsing every cell is cheaper than finding the distinct values."""
    n = len(s)
    if n < 50_000:
        return False
    sample = s.iloc[:: n // 5000]
    return sample.nunique(dropna=True) > 0.5 * max(int(sample.notna().sum()), 1)


def _via_uniques(s: pd.Series, fn, *, always: bool = False) -> _Parsed:
    """Apply a parser to the distinct values of ``s`` and spread the result
    (``always``: even when most values differ, as for order numbers)."""
    f = None if (not always and _mostly_distinct(s)) else _factorize(s)
    if f is None:
        return fn(s.reset_index(drop=True))
    return _spread(*f, fn)


def _category_codes(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The codes and distinct values of a categorical column in the form
    :func:`_factorize` gives them (the missing value last)."""
    cats = np.asarray(s.cat.categories, dtype=object)
    u = np.empty(len(cats) + 1, dtype=object)
    u[:-1] = cats
    u[-1] = None
    codes = s.cat.codes.to_numpy()
    if (codes < 0).any():
        codes = np.where(codes < 0, len(cats), codes)
    return codes, pd.Series(u, dtype=object)


def _spread(codes: np.ndarray, u: pd.Series, fn) -> _Parsed:
    """A parser applied to the distinct values ``u``, spread over ``codes``."""
    pu = fn(u)
    if pu.values.dtype == object:
        # text: keep it categorical (codes into the distinct cleaned values),
        # so the analysis reuses these codes instead of hashing a million
        # strings again; two raw spellings that clean to one value merge here
        ucodes, cats = _distinct_codes(pu.values, u)
        values = pd.Series(_categorical(ucodes[codes], cats))
    else:
        arr = pu.values.to_numpy()[codes]
        values = pd.Series(arr, dtype=arr.dtype)
    empty = pu.empty[codes]
    bad = _no_bad()
    if len(pu.bad):
        is_bad = np.zeros(len(u), dtype=bool)
        is_bad[pu.bad.index.to_numpy()] = True
        why = np.full(len(u), None, dtype=object)
        why[pu.bad.index.to_numpy()] = pu.bad.to_numpy()
        idx = np.flatnonzero(is_bad[codes])
        bad = pd.Series(why[codes[idx]], index=idx, dtype=object)
    total = pu.total[codes] if pu.total is not None else None
    return _Parsed(values, empty, bad, total)


def _categorical(codes: np.ndarray, cats: np.ndarray) -> pd.Categorical:
    """A categorical from codes into distinct categories.  Both are built
    distinct and in range here, so pandas' checks (a hash of every category,
    a scan of every code) are skipped where this pandas allows it."""
    index = pd.Index(cats, dtype=object)
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fast is not None:
        try:
            return pd.Categorical.from_codes(codes, dtype=fast(index, False), validate=False)
        except TypeError:  # another pandas: the checked way below
            pass
    return pd.Categorical.from_codes(codes, categories=index)


def _distinct_codes(cleaned: pd.Series, raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the cleaned distinct values into their own distinct values
    (-1 where empty).  When cleaning changed nothing but blanks, the cleaned
    values are still distinct and keep their order: no second hashing."""
    v = cleaned.to_numpy(dtype=object)
    filled = pd.notna(v)
    same = np.zeros(len(v), dtype=bool)
    same[filled] = v[filled] == raw.to_numpy(dtype=object)[filled]
    if not (same | ~filled).all():
        return pd.factorize(cleaned, use_na_sentinel=True)
    codes = np.full(len(v), -1, dtype=np.int64)
    codes[filled] = np.arange(int(filled.sum()))
    return codes, v[filled]


#: the characters ``str.strip`` takes off, as a regular-expression class
_SPACES = "".join(f"\\x{{{i:04x}}}" for i in range(0x3001) if chr(i).isspace())
_EDGE_SPACE = f"^[{_SPACES}]|[{_SPACES}]$"


#: the bytes ``str.isspace`` is true of, among the ASCII ones
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_ASCII_SPACE[128:] = True  # not ASCII: never looked up (such texts take the regular expression)
#: the first bytes of the ASCII texts among the total words ("total", "grand total")
_TOTAL_FIRST = np.zeros(256, dtype=bool)
_TOTAL_FIRST[[ord(w[0]) for w in ("t", "T", "g", "G")]] = True


def _ascii_ends(arr) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(length, first byte, last byte) of every text of a pyarrow string array
    without nulls or empty texts whose texts are all ASCII, read from its
    buffers; None for any other array."""
    import pyarrow as pa

    if not pa.types.is_string(arr.type) or arr.null_count or not len(arr) or arr.buffers()[2] is None:
        return None
    off = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    lens = np.diff(off)
    if not lens.all():
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[off[0] : off[-1]]
    whole = len(data) // 8 * 8  # eight bytes at a time: any byte of 128 or more is not ASCII
    if (data[:whole].view(np.uint64) & np.uint64(0x8080808080808080)).any() or (data[whole:] >= 128).any():
        return None
    start = off[:-1] - off[0]
    return lens, data[start], data[start + lens - 1]


def _text_codes(d, pa) -> tuple[pd.Series, _Parsed | None]:
    """An Arrow dictionary array (codes into distinct texts, null where
    empty) as a categorical column, and the column parsed as text when no
    distinct value needs cleaning (no spaces around it, not empty): what the
    text parser gives on the distinct values, spread over the codes."""
    import pyarrow.compute as pc

    cats = d.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
    idx = d.indices
    if idx.null_count:
        idx = pc.fill_null(idx, -1)
    codes = idx.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    s = pd.Series(_categorical(codes, cats), copy=False)
    texts = d.dictionary
    if pa.types.is_large_string(texts.type):  # pandas' str dtype: 64-bit offsets
        try:
            texts = texts.cast(pa.string())  # what the checks on the distinct ids expect
        except pa.ArrowInvalid:  # over 2 GiB of text: the slower general checks
            pass
    _keep_arrow(np.asarray(s.cat.categories, dtype=object), texts)
    ends = _ascii_ends(texts)
    if ends is not None:  # ASCII texts (the usual ids and codes): their first and last bytes say it
        _lens, first, last = ends
        if _ASCII_SPACE[first].any() or _ASCII_SPACE[last].any():
            return s, None
        maybe_total = bool(_TOTAL_FIRST[first].any())
    elif (
        pc.any(pc.equal(d.dictionary, "")).as_py()
        or pc.any(pc.match_substring_regex(d.dictionary, _EDGE_SPACE)).as_py()
    ):
        return s, None
    else:
        maybe_total = True
    if maybe_total:
        total = pc.is_in(d.dictionary, value_set=pa.array(sorted(_TOTAL_VARIANTS))).to_numpy(zero_copy_only=False)
        total = np.append(np.asarray(total, dtype=bool), False)  # code -1 (empty): not a total
    else:
        total = np.zeros(len(cats) + 1, dtype=bool)
    return s, _Parsed(s, codes < 0, _no_bad(), total[codes])


#: the pyarrow texts of object arrays that back a categorical's categories (an Index never
#: changes), by the array's id while it lives: the checks on the distinct ids that run after
#: the reading (look-alike letters, spelling variants) then do not convert them again
_ARROW_TEXTS: dict[int, tuple[Any, Any]] = {}


def _keep_arrow(texts: np.ndarray, arr: Any) -> None:
    """Remember ``arr`` as the pyarrow form of ``texts`` (an Index's object array) while ``texts`` lives."""
    key = id(texts)

    def forget(_ref: Any, key: int = key) -> None:
        _ARROW_TEXTS.pop(key, None)

    _ARROW_TEXTS[key] = (weakref.ref(texts, forget), arr)


def _arrow_strings(texts: np.ndarray, pa: Any) -> Any:
    """``texts`` (an object array of str) as a pyarrow string array: the one
    remembered for it when there is one (see :func:`_keep_arrow`)."""
    hit = _ARROW_TEXTS.get(id(texts))
    if hit is not None and hit[0]() is texts and len(hit[1]) == len(texts):
        return hit[1]
    return pa.array(texts, type=pa.string())


def _blank_mask(s: pd.Series) -> np.ndarray:
    """True where a cell is empty: missing, or text with only spaces."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, u = _category_codes(s)
        return _blank_direct(u)[codes]
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        f = None if _mostly_distinct(s) else _factorize(s)
        if f is not None:
            codes, u = f
            return _blank_direct(u)[codes]
    return _blank_direct(s)


def _blank_direct(s: pd.Series) -> np.ndarray:
    na = s.isna().to_numpy()
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        is_str = _kinds(s)["str"]
        if is_str.any():
            sub = s[is_str].astype(str).str.strip().eq("").to_numpy()
            na = na.copy()
            na[np.flatnonzero(is_str)[sub]] = True
    return na


def _elem_kind(v: Any) -> int:
    if isinstance(v, str):
        return 1
    if isinstance(v, (bool, np.bool_)):
        return 4
    if isinstance(v, (int, float, np.integer, np.floating, decimal.Decimal)):
        return 0 if isinstance(v, (float, np.floating)) and np.isnan(v) else 2
    if isinstance(v, (dt.date, np.datetime64)):  # datetime and Timestamp are dates too
        return 0 if v is pd.NaT or (isinstance(v, np.datetime64) and np.isnat(v)) else 3
    if v is None or v is pd.NA:
        return 0
    return 5


_KIND_NAMES = {1: "str", 2: "num", 3: "dt", 4: "bool", 5: "other"}
_INFERRED = {
    "string": "str",
    "empty": None,
    "floating": "num",
    "integer": "num",
    "mixed-integer-float": "num",
    "decimal": "num",
    "boolean": "bool",
    "datetime": "dt",
    "datetime64": "dt",
    "date": "dt",
}


def _kinds(s: pd.Series) -> dict[str, np.ndarray]:
    """Boolean masks of the Python types in an object/str column."""
    n = len(s)
    out = {k: np.zeros(n, dtype=bool) for k in _KIND_NAMES.values()}
    if isinstance(s.dtype, pd.StringDtype):
        out["str"] = s.notna().to_numpy()
        return out
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred in _INFERRED:
        k = _INFERRED[inferred]
        if k is not None:
            out[k] = s.notna().to_numpy()
        return out
    codes = np.fromiter((_elem_kind(v) for v in s.to_numpy(dtype=object)), dtype=np.int8, count=n)
    for code, k in _KIND_NAMES.items():
        out[k] = codes == code
    return out


def _strings(s: pd.Series, mask: np.ndarray) -> pd.Series:
    """The text cells at ``mask``, stripped, as a str Series keeping positions."""
    return s[mask].astype(str).str.strip()


# ---- text


def _float_text(v: np.ndarray) -> np.ndarray:
    """Numbers as text, whole ones without ``.0`` (1001.0 from Excel → "1001")."""
    out = np.empty(len(v), dtype=object)
    whole = np.isfinite(v) & (np.floor(v) == v) & (np.abs(v) < 1e15)
    out[whole] = [str(i) for i in v[whole].astype(np.int64).tolist()]
    out[~whole] = [repr(f) for f in v[~whole].tolist()]
    return out


def _one_text(v: Any) -> Any:
    k = _elem_kind(v)
    if k == 0:
        return None
    if k == 1:
        return v.strip() or None
    if k == 2:
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return _float_text(np.array([float(v)]))[0]
    if k == 3:
        return _cell_text(pd.Timestamp(v))
    if k == 4:
        return "TRUE" if v else "FALSE"
    return str(v).strip() or None


def _parse_text(s: pd.Series) -> _Parsed:
    n = len(s)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        vals = pd.Series(np.where(s.to_numpy(dtype=bool), "TRUE", "FALSE"), dtype=object)
    elif pd.api.types.is_integer_dtype(dtype) and not s.hasnans:
        vals = s.astype(np.int64).astype(str).astype(object)
    elif pd.api.types.is_numeric_dtype(dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        out = np.full(n, np.nan, dtype=object)
        ok = ~np.isnan(v)
        out[ok] = _float_text(v[ok])
        vals = pd.Series(out, dtype=object)
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        vals = pd.Series(s.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=np.nan), dtype=object)
    else:
        k = _kinds(s)
        if not (k["num"] | k["dt"] | k["bool"] | k["other"]).any():  # text or empty
            if s.dtype == object:
                return _strip_objects(s.to_numpy(dtype=object), k["str"])
            if k["str"].any():
                vals = s.str.strip().astype(object)
            else:
                vals = pd.Series(np.full(n, np.nan, dtype=object), dtype=object)
        else:
            vals = pd.Series(s.astype(object).map(_one_text), dtype=object)
        empty = (vals.isna() | vals.eq("")).to_numpy()
        if empty.any():
            vals = vals.where(~empty, np.nan)
    vals = vals.reset_index(drop=True)
    total = vals.isin(list(_TOTAL_VARIANTS)).to_numpy()
    return _Parsed(vals, vals.isna().to_numpy(), _no_bad(), total)


def _strip_objects(arr: np.ndarray, is_str: np.ndarray) -> _Parsed:
    """Text cells of an object column stripped (the rest missing), in one
    pass of ``str.strip`` over the text cells."""
    out = np.full(len(arr), np.nan, dtype=object)
    texts = arr[is_str]
    out[is_str] = np.fromiter(map(str.strip, texts), dtype=object, count=len(texts))
    empty = ~is_str
    empty[is_str] = out[is_str] == ""
    out[empty] = np.nan
    total = np.zeros(len(arr), dtype=bool)
    total[is_str] = np.fromiter(map(_TOTAL_VARIANTS.__contains__, out[is_str]), dtype=bool, count=len(texts))
    return _Parsed(pd.Series(out, dtype=object), empty, _no_bad(), total)


# ---- yes/no flags


def _parse_flags(s: pd.Series) -> _Parsed:
    n = len(s)
    why = "not a yes/no value (expected да/нет, yes/no, y/n, 1/0, true/false, +/-)"
    if pd.api.types.is_bool_dtype(s.dtype):
        empty = s.isna().to_numpy()
        v = np.where(empty, np.nan, s.to_numpy(dtype=float, na_value=np.nan))
        return _Parsed(pd.Series(v), empty, _no_bad())
    s = s.reset_index(drop=True).astype(object)
    k = _kinds(s)
    v = np.full(n, np.nan)
    empty = ~(k["str"] | k["num"] | k["dt"] | k["bool"] | k["other"])
    if k["bool"].any():
        v[k["bool"]] = s[k["bool"]].astype(bool).astype(float).to_numpy()
    if k["num"].any():
        x = pd.to_numeric(s[k["num"]], errors="coerce").to_numpy(dtype=float)
        v[k["num"]] = np.where((x == 0) | (x == 1), x, np.nan)
    if k["str"].any():
        t = _strings(s, k["str"])
        blank = t.eq("").to_numpy()
        pos = np.flatnonzero(k["str"])
        empty[pos[blank]] = True
        v[pos] = t.str.lower().map(_FLAG_WORDS).to_numpy(dtype=float, na_value=np.nan)
    badmask = ~empty & np.isnan(v)
    idx = np.flatnonzero(badmask)
    return _Parsed(pd.Series(v), empty, pd.Series(why, index=idx, dtype=object))


# ---- extra columns


def _tidy_extra(s: pd.Series, blank: np.ndarray, grid: bool) -> pd.Series:
    """An unknown column, kept as it came; cells from a workbook get one type
    per column where they agree (numbers → float, dates → datetime)."""
    s = s.reset_index(drop=True)
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return s
    s = s.astype(object).where(~blank, np.nan)
    if not grid:
        return s
    k = _kinds(s)
    filled = ~blank
    if k["num"][filled].all() and filled.any():
        return pd.to_numeric(s, errors="coerce").astype(float)
    if k["dt"][filled].all() and filled.any():
        try:
            return pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        except (ValueError, TypeError, OverflowError):
            return s

    def same(v: Any) -> Any:  # the two workbook readers differ in int/float, date/datetime
        if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            return float(v)
        if isinstance(v, dt.date) and not isinstance(v, pd.Timestamp):
            return pd.Timestamp(v)
        if isinstance(v, str):
            return v.strip()
        return v

    if (k["num"] | k["dt"]).any():
        return s.map(same)
    return s.where(~k["str"], s.astype(str).str.strip() if k["str"].all() else s.map(same))


#: text cells that mark a total line of a report, not a transaction
_TOTAL_WORDS = ("итого", "всего", "общий итог", "total", "grand total", "totals")


_TOTAL_VARIANTS = frozenset(
    v + suffix for w in _TOTAL_WORDS for v in (w, w.upper(), w.capitalize(), w.title()) for suffix in ("", ":")
)


def _cell_text(v: Any) -> str:
    """A header cell as text (whole numbers without ``.0``)."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()
