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

Errors: a function raises :class:`UdfError` with a reason and a kind; the
:func:`guard` wrapper turns it into a real Excel error value the way each
runtime allows (:data:`ERRORS` is the one mapping, :func:`fail` the one place
that applies it):

- Office.js (xlwings Server and Lite): ``#VALUE!`` is raised as
  ``xlwings.XlwingsError(reason)``.  xlwings Server answers it with HTTP 400
  and the message, Lite's runtime returns ``{"error": message}``; in both the
  add-in's JavaScript then throws ``CustomFunctions.Error(invalidValue,
  message)``: the cell shows ``#VALUE!`` and the reason on the error flag.
  ``#N/A`` and ``#NUM!`` are returned as the error cell value
  ``{"type": "Error", "errorType": ...}`` that xlwings' own Office.js engine
  writes for those errors (CustomFunctionsRuntime 1.4); Excel shows no
  message for them (Microsoft: ``#NUM!`` takes no custom message, and
  xlwings' JavaScript throws only ``invalidValue``).
- Classic COM and plain Python: the text ``"#VALUE! <reason>"`` (``#N/A``,
  ``#NUM!`` likewise).  Classic xlwings cannot hand a VBA error value back
  from Python (a string stays text, a ``VT_ERROR`` variant does not arrive),
  so the wrappers in ``xlb2b.xlam`` turn that text into ``CVErr(...)``.

Every runtime: ``B2B_EXPLAIN("PSC_SEGMENT", …)`` returns the reason as text
(:func:`explain`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


# --------------------------------------------------------------------- errors
@dataclass(frozen=True)
class ExcelError:
    """One Excel error value, as each runtime spells it."""

    kind: str  # "value", "na", "num": what UdfError(kind=...) says
    text: str  # as Excel shows it (and the prefix of the classic text)
    officejs: str  # errorType of an Office.js error cell value
    vba: int  # the XlCVError number that CVErr(...) takes
    when: str  # which of our failures give it

    @property
    def com(self) -> int:
        """The ``VT_ERROR`` code COM reads from a cell (what xlwings sees on Windows)."""
        return -2146828288 + self.vba  # 0x800A0000 + the XlCVError number


#: the one mapping: kind -> the error value every runtime gets
ERRORS: dict[str, ExcelError] = {
    "value": ExcelError(
        "value",
        "#VALUE!",
        "Value",
        2015,
        "a bad argument: text where a number belongs, a wrong shape or length, "
        "a value out of its range, an unknown code or option",
    ),
    "na": ExcelError(
        "na",
        "#N/A",
        "NotAvailable",
        2042,
        "nothing to return: no answer, no purchase in the window, no order with both "
        "answers, no criterion with both values",
    ),
    "num": ExcelError(
        "num",
        "#NUM!",
        "Num",
        2036,
        "an impossible number: a total of 0, importances that sum to 0, values that are "
        "all equal so that quantile cut points cannot separate them",
    ),
}
ERROR_PREFIX = ERRORS["value"].text


class UdfError(ValueError):
    """A failure of a cell function: the message is the reason, ``kind`` a key of :data:`ERRORS`."""

    def __init__(self, reason: str, kind: str = "value"):
        if kind not in ERRORS:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(reason)
        self.kind = kind


def error(reason: str, kind: str = "value") -> str:
    """The classic (and plain Python) error text, e.g. ``"#VALUE! <reason>"``."""
    return f"{ERRORS[kind].text} {reason}"


def error_kind(value: Any) -> str | None:
    """The kind of a classic error text (``"#N/A no answer"`` -> ``"na"``), else None."""
    if isinstance(value, str):
        for kind, e in ERRORS.items():
            if value.startswith(e.text + " "):
                return kind
    return None


def is_error(value: Any) -> bool:
    return error_kind(value) is not None


def runtime() -> str:
    """``"officejs"`` under xlwings Server and Lite (xlwings imported in its
    server mode, or Pyodide), else ``"classic"`` (COM, or plain Python)."""
    xw = sys.modules.get("xlwings")
    if sys.platform == "emscripten" or getattr(xw, "on_server", False):
        return "officejs"
    return "classic"


def fail(kind: str, reason: str) -> list[list[Any]]:
    """The result of a failed call in the current runtime (see the module docstring)."""
    e = ERRORS[kind]
    if runtime() == "officejs":
        if kind == "value":
            import xlwings

            raise xlwings.XlwingsError(reason)
        return [[{"type": "Error", "errorType": e.officejs}]]
    return [[error(reason, kind)]]


def _reason(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, UdfError):
        return exc.kind, str(exc)
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return "value", f"{type(exc).__name__}: {msg}"


def guard(fn: Callable) -> Callable:
    """Never raise into a cell unless the runtime wants it: a :class:`UdfError`
    (or anything else, as ``#VALUE!``) becomes the runtime's error value."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - a cell must never show a traceback
            return fail(*_reason(e))

    return wrapper


def explain(fn: Callable, args: list[Any]) -> str:
    """Why ``fn`` fails for ``args``: ``"<reason> (#VALUE!)"``, or ``"OK"``."""
    body = getattr(fn, "__wrapped__", fn)
    try:
        body(*args)
    except Exception as e:  # noqa: BLE001
        kind, reason = _reason(e)
        return f"{reason} ({ERRORS[kind].text})"
    return "OK"


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
        return [r[0] for r in x]  # a column: the common case, kept fast
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


def numbers(
    x: Any, name: str, *, min_value: float | None = None, allow_empty: bool = False, positive: bool = False
) -> np.ndarray:
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
            raise UdfError(f"{name}: {_where(int(bad[0]), out.size)} is {out[bad[0]]:g}; must be ≥ {min_value:g}")
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
        raise UdfError(
            f"{name}: all {v.size} value(s) are equal, so quantile cut points cannot "
            "separate them; pass more rows or explicit cut points",
            "num",
        )


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
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v
    return v


def column(values: Any) -> list[list[Any]]:
    """A column that spills: one row per value, empty cells for missing."""
    a = np.asarray(values)
    if a.dtype.kind == "f":  # numbers: NaN -> empty cell
        return [["" if v != v else v] for v in a.ravel().tolist()]
    values = a.astype(object).ravel().tolist()
    if set(map(type, values)) <= {str}:
        return [[v] for v in values]  # codes: nothing to convert
    return [[py(v)] for v in values]


def scalar(value: Any, reason: str, kind: str = "na") -> list[list[Any]]:
    """One result (as a 1×1 range: results are returned raw, and Office.js
    wants a matrix); a missing result is an error of ``kind`` (``#N/A``:
    nothing to return) with ``reason``."""
    v = py(value)
    if v == "":
        raise UdfError(reason, kind)
    return [[v]]


def table(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as rows with a header row."""
    cols = list(frame.columns)
    rows = [[str(c) for c in cols]]
    data = frame.astype(object).to_numpy()
    rows += [[py(v) for v in r] for r in data]
    return rows


# --------------------------------------------------------------------- metadata
def english_doc(fn: Callable) -> str:
    """The docstring without its Russian lines (``RU: …``, ``RU <argument>: …``
    and their indented continuations)."""
    rows, indent = [], None
    for row in (fn.__doc__ or "").split("\n"):
        m = re.match(r"(\s*)RU(?:\s+\w+)?:", row)
        if m:
            indent = len(m.group(1))
        elif indent is not None and row.strip() and len(row) - len(row.lstrip()) > indent:
            pass  # a Russian line goes on
        else:
            indent = None
            rows.append(row)
    return "\n".join(rows)


def russian_doc(fn: Callable) -> dict[str, str]:
    """The Russian texts of a docstring: ``""`` the description, one key per
    argument (lines ``RU: …`` and ``RU <argument>: …``), ``"note"`` an
    explanation for the reference (``RU note: …``); a line may go on in the
    next lines, indented further."""
    out: dict[str, str] = {}
    key, indent = None, 0
    for row in (fn.__doc__ or "").split("\n"):
        m = re.match(r"(\s*)RU(?:\s+(\w+))?:\s*(.*)$", row)
        if m:
            key, indent = m.group(2) or "", len(m.group(1))
            out[key] = m.group(3).strip()
        elif key is not None and row.strip() and len(row) - len(row.lstrip()) > indent:
            out[key] += " " + row.strip()
        else:
            key = None
    return out


def excel_description(fn: Callable) -> Callable:
    """Excel shows the first paragraph of the docstring as the function's
    description (the whole docstring is for the reference docs)."""
    meta = getattr(fn, "__xlfunc__", None)
    if meta is not None and fn.__doc__:
        meta.setdefault("ret", {})["doc"] = english_doc(fn).strip().split("\n\n")[0].replace("\n", " ")
    return fn


def localized_meta(meta: dict, module: Any, lang: str = "ru") -> dict:
    """xlwings' custom-functions metadata (``custom_functions_meta(module)``)
    with the descriptions of ``lang``: the JSON an Office.js add-in's manifest
    names for that locale (``<bt:Override Locale="ru-RU" …>``)."""
    if lang != "ru":
        raise ValueError("only Russian texts are kept in the docstrings")
    import copy

    out = copy.deepcopy(meta)
    for f in out["functions"]:
        texts = russian_doc(getattr(module, f["id"]))
        if "" in texts:
            f["description"] = texts[""]
        for p in f.get("parameters", []):
            if p["name"] in texts and p["name"] != "note":
                p["description"] = texts[p["name"]]
    return out
