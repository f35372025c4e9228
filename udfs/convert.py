"""The one converter layer between Excel's shapes and the core's arrays.

Excel (classic COM, xlwings Lite, xlwings Server) hands a function a scalar,
a 1-D list (one row or one column) or a 2-D list (rows of cells); an empty
cell arrives as ``None`` (Office.js also sends ``""``).  Everything here turns
those shapes into flat numpy arrays, checks them, and turns the core's results
back into a column (a 2-D list that spills in Excel).

Every function returns a 2-D list (a single value as ``[[value]]``), handed
to Excel as it is (``@xw.ret("raw")``): xlwings' per-cell conversion would
cost more than the computation on long columns.  Arguments arrive raw as
well (``@xw.arg(..., "raw")``) and are converted here.

Errors: a bad argument raises :class:`UdfError`; the :func:`guard` wrapper
turns it (and any other exception) into the text ``"#VALUE! <reason>"``.
There is no error value shared by the classic COM path and the Office.js path
(classic xlwings writes a string as text; Office.js turns exactly ``"#VALUE!"``
into a real error but drops any reason), so a function returns that text in
every runtime: the reason stays readable and ``LEFT(cell, 7) = "#VALUE!"``
finds it.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

ERROR_PREFIX = "#VALUE!"


class UdfError(ValueError):
    """A bad argument; the message is the reason shown in the cell."""


def error(reason: str) -> str:
    """The error value a function returns: ``"#VALUE! <reason>"``."""
    return f"{ERROR_PREFIX} {reason}"


def is_error(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ERROR_PREFIX)


def guard(fn: Callable) -> Callable:
    """Never raise into a cell: a :class:`UdfError` (or anything else)
    becomes an error value with its reason."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UdfError as e:
            return [[error(str(e))]]
        except Exception as e:  # noqa: BLE001 - a cell must never show a traceback
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            return [[error(f"{type(e).__name__}: {msg}")]]
    return wrapper


# --------------------------------------------------------------------- shapes
def _blank(v: Any) -> bool:
    # Pyodide (xlwings Lite) hands empty cells of raw arguments over as JsNull
    return v is None or (isinstance(v, str) and not v.strip()) or type(v).__name__ == "JsNull"


def grid(x: Any) -> list[list[Any]]:
    """Any Excel shape as a list of rows (a 1-D list is one column)."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        if not x:
            return []
        if all(isinstance(r, (list, tuple, np.ndarray)) for r in x):
            return [list(r) for r in x]
        return [[v] for v in x]
    return [[x]]


def rows(x: Any) -> list[list[Any]]:
    """A table-shaped argument as a list of rows: here a 1-D list is one row
    (Excel hands a single-row range over as a 1-D list)."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)) and x and not any(isinstance(r, (list, tuple, np.ndarray)) for r in x):
        return [list(x)]
    return grid(x)


def cells(x: Any) -> list[Any]:
    """Every cell, row by row (a single row or column keeps its order)."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)) and x and all(type(r) in (list, tuple) and len(r) == 1 for r in x):
        return [r[0] for r in x]                       # a column: the common case, kept fast
    return [v for row in grid(x) for v in row]


_PLAIN = {float, int, type(None), str}


def _fast_numbers(flat: list[Any]) -> np.ndarray | None:
    """Numbers and empty cells only (no text, no NaN): the vectorised path.
    None when a slower look at each cell is needed."""
    kinds = set(map(type, flat))
    if not kinds <= _PLAIN:
        return None
    if str in kinds:
        if any(v.strip() for v in flat if type(v) is str):
            return None
        flat = [None if type(v) is str else v for v in flat]
    out = np.array(flat, dtype="float64")
    if int(np.isnan(out).sum()) != flat.count(None) or np.isinf(out).any():
        return None
    return out


def is_missing(x: Any) -> bool:
    """An omitted optional argument: nothing, or only empty cells."""
    return all(_blank(v) for v in cells(x))


def _where(i: int, n: int) -> str:
    return f"value {i + 1}" if n > 1 else "the value"


def numbers(x: Any, name: str, *, min_value: float | None = None, allow_empty: bool = False,
            positive: bool = False) -> np.ndarray:
    """Numbers as float64, NaN for empty cells.  Text (also a number stored as
    text), booleans, NaN and infinities are refused with the position."""
    flat = cells(x)
    fast = _fast_numbers(flat)
    out = fast if fast is not None else np.full(len(flat), np.nan)
    for i, v in enumerate(flat if fast is None else ()):
        if _blank(v):
            continue
        if isinstance(v, (bool, np.bool_)):
            raise UdfError(f"{name}: {_where(i, len(flat))} is TRUE/FALSE, not a number")
        if isinstance(v, str):
            try:
                float(v.strip().replace(",", "."))
                hint = " (a number stored as text)"
            except ValueError:
                hint = ""
            raise UdfError(f"{name}: {_where(i, len(flat))} is text {v!r}{hint}, not a number")
        if isinstance(v, (dt.date, dt.datetime)):
            raise UdfError(f"{name}: {_where(i, len(flat))} is a date, not a number")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise UdfError(f"{name}: {_where(i, len(flat))} is not a number") from None
        if not math.isfinite(f):
            raise UdfError(f"{name}: {_where(i, len(flat))} is not a finite number")
        out[i] = f
    if not allow_empty and (out.size == 0 or np.isnan(out).all()):
        raise UdfError(f"{name}: the range is empty")
    if min_value is not None:
        bad = np.flatnonzero(out < min_value)
        if bad.size:
            raise UdfError(f"{name}: {_where(int(bad[0]), out.size)} is {out[bad[0]]:g}; "
                           f"must be ≥ {min_value:g}")
    if positive:
        bad = np.flatnonzero(out <= 0)
        if bad.size:
            raise UdfError(f"{name}: {_where(int(bad[0]), out.size)} is {out[bad[0]]:g}; must be > 0")
    return out


def number(x: Any, name: str, default: float | None = None) -> float | None:
    """One optional number (an omitted argument gives ``default``)."""
    if is_missing(x):
        return default
    v = numbers(x, name)
    if v.size != 1:
        raise UdfError(f"{name}: expected one cell, got {v.size}")
    return float(v[0])


def integer(x: Any, name: str, default: int, min_value: int) -> int:
    v = number(x, name, default)
    if v is None:
        raise UdfError(f"{name}: a whole number ≥ {min_value} is needed")
    if v != int(v) or v < min_value:
        raise UdfError(f"{name}: must be a whole number ≥ {min_value}, got {v:g}")
    return int(v)


def flag(x: Any, name: str, default: bool) -> bool:
    if is_missing(x):
        return default
    v = cells(x)[0]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().casefold() in ("true", "false", "yes", "no"):
        return v.strip().casefold() in ("true", "yes")
    raise UdfError(f"{name}: must be TRUE or FALSE")


def texts(x: Any, name: str) -> np.ndarray:
    """Text cells as an object array (numbers as text), NaN for empty."""
    flat = cells(x)
    out = np.full(len(flat), np.nan, dtype=object)
    for i, v in enumerate(flat):
        if not _blank(v):
            out[i] = v.strip() if isinstance(v, str) else str(v)
    if out.size == 0 or pd.isna(out).all():
        raise UdfError(f"{name}: the range is empty")
    return out


def text(x: Any, name: str, default: str) -> str:
    if is_missing(x):
        return default
    return str(cells(x)[0]).strip()


def raw(x: Any, name: str) -> np.ndarray:
    """Cells as they are (for yes/no answers the core reads itself)."""
    flat = cells(x)
    if not flat or all(_blank(v) for v in flat):
        raise UdfError(f"{name}: the range is empty")
    for i, v in enumerate(flat):
        if isinstance(v, float) and not math.isfinite(v):
            raise UdfError(f"{name}: {_where(i, len(flat))} is not a finite number")
    return np.array([None if _blank(v) else v for v in flat], dtype=object)


def dates(x: Any, name: str) -> np.ndarray:
    """Dates (date objects, or Excel serial numbers as Office.js sends them)
    as datetime64[ns]; empty cells are dropped."""
    out = []
    for i, v in enumerate(cells(x)):
        if _blank(v):
            continue
        if isinstance(v, (dt.date, dt.datetime, pd.Timestamp, np.datetime64)):
            out.append(pd.Timestamp(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0:
            out.append(pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(v)))
        else:
            raise UdfError(f"{name}: value {i + 1} ({v!r}) is not a date")
    if not out:
        raise UdfError(f"{name}: the range is empty")
    return np.array(out, dtype="datetime64[ns]")


def date(x: Any, name: str) -> pd.Timestamp | None:
    if is_missing(x):
        return None
    d = dates(x, name)
    if d.size != 1:
        raise UdfError(f"{name}: expected one date, got {d.size}")
    return pd.Timestamp(d[0])


def same_length(**arrays: np.ndarray) -> int:
    """All arguments cover the same number of rows (a single cell is fine
    when everything is a single cell)."""
    sizes = {k: len(v) for k, v in arrays.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{k} {n}" for k, n in sizes.items())
        raise UdfError(f"the ranges have different lengths ({listed})")
    return next(iter(sizes.values()))


def not_all_equal(values: np.ndarray, name: str) -> None:
    """Quantile cut points need at least two different values."""
    v = values[~np.isnan(values)]
    if v.size and (v == v[0]).all():
        raise UdfError(f"{name}: all {v.size} value(s) are equal, so quantile cut points cannot "
                       "separate them; pass more rows or explicit cut points")


# --------------------------------------------------------------------- results
def py(v: Any) -> Any:
    """A core value as a plain cell value: missing → "" (an empty cell in
    every runtime; results are returned raw), numpy → Python."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (float, np.floating)) and math.isnan(v):
        return ""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return v
    return v


def column(values: Any) -> list[list[Any]]:
    """A column that spills: one row per value, empty cells for missing."""
    a = np.asarray(values)
    if a.dtype.kind == "f":                              # numbers: NaN -> empty cell
        return [["" if v != v else v] for v in a.ravel().tolist()]
    values = a.astype(object).ravel().tolist()
    if set(map(type, values)) <= {str}:
        return [[v] for v in values]                      # codes: nothing to convert
    return [[py(v)] for v in values]


def scalar(value: Any, reason: str) -> list[list[Any]]:
    """One result (as a 1×1 range: results are returned raw, and Office.js
    wants a matrix); a missing result is an error value with ``reason``."""
    v = py(value)
    if v == "":
        raise UdfError(reason)
    return [[v]]


def table(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as rows with a header row."""
    cols = list(frame.columns)
    rows = [[str(c) for c in cols]]
    data = frame.astype(object).to_numpy()
    rows += [[py(v) for v in r] for r in data]
    return rows


def excel_description(fn: Callable) -> Callable:
    """Excel shows the first paragraph of the docstring as the function's
    description (the whole docstring is for the reference docs)."""
    meta = getattr(fn, "__xlfunc__", None)
    if meta is not None and fn.__doc__:
        meta.setdefault("ret", {})["doc"] = fn.__doc__.strip().split("\n\n")[0].replace("\n", " ")
    return fn
