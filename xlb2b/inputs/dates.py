"""Dates: Excel serials (1900 and 1904 systems), ISO and dd.mm.yyyy text, timestamps."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.inputs.values import _kinds, _no_bad, _Parsed, _strings

# ---- dates

_EXCEL_BASE = np.datetime64("1899-12-30", "D")
_MAX_SERIAL = 2958465  # 9999-12-31
_NS_MIN = np.datetime64("1677-09-22", "D")  # the range datetime64[ns] can hold
_NS_MAX = np.datetime64("2262-04-11", "D")
_OUT_OF_RANGE = "date out of the supported range 1677-09-22 .. 2262-04-11"
_DATE_HELP = "expected a date, an Excel date number, YYYY-MM-DD or DD.MM.YYYY"

#: dates before this day are not real (30.12.1899 / 31.12.1899 are the "empty date"
#: of many accounting exports; Excel's serials before 61 are not real days either)
EARLIEST_DATE = np.datetime64("1900-03-01", "D")
#: a date up to this many days after the day of the run is accepted (time zones)
FUTURE_GRACE_DAYS = 1


def _run_day() -> np.datetime64:
    """The day of the run (local calendar)."""
    return np.datetime64(_dt.date.today(), "D")


def _implausible(vals: np.ndarray, empty: np.ndarray, reasons: np.ndarray | None) -> np.ndarray | None:
    """Mark dates that cannot be real (METHODOLOGY §13): before 1900-03-01 or
    after the day of the run plus the grace day.  ``vals`` are datetime64
    values; returns ``reasons`` (created when needed), or None when every
    date is plausible."""
    days = np.asarray(vals).astype("datetime64[D]")
    ok = ~np.isnat(days) & ~empty
    if not ok.any():
        return reasons
    today = _run_day()
    latest = today + np.timedelta64(FUTURE_GRACE_DAYS, "D")
    early = ok & (days < EARLIEST_DATE)
    late = ok & (days > latest)
    if not (early.any() or late.any()):
        return reasons
    if reasons is None:
        reasons = np.full(len(days), None, dtype=object)
    reasons[early] = (
        "date before 1900-03-01, not a real date (30.12.1899 and 31.12.1899 are "
        "how many programs write an empty date): the row is left out; enter the "
        "real date or remove the row"
    )
    reasons[late] = (
        f"date after the day of the run ({today}), not a real transaction date: "
        "the row is left out; correct the date or remove the row"
    )
    return reasons


_ISO_RE = (
    r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})"
    r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
_DMY_RE = (
    r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$"
)
#: the year mark 1C writes after a date («12.03.2025 г.», «12 марта 2025 г.»)
_YEAR_MARK = r"(?<=\d)\s*г\.?$"
#: a Russian month in the genitive, as 1C's long date format writes it («12 марта 2025»)
_MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_LONG_RU = r"^(\d{1,2})\s+(" + "|".join(_MONTHS_RU) + r")\s+(\d{4})$"


def _long_to_dotted(m) -> str:
    return f"{m.group(1)}.{_MONTHS_RU.index(m.group(2).lower()) + 1}.{m.group(3)}"


def _serial_to_days(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel 1900-system serial numbers → datetime64[D] and a reason per value
    (None when fine).  Serial 1 is 1900-01-01; 60 is Excel's 1900-02-29, a day
    that never was; 61 is 1900-03-01.  The time of day is dropped."""
    reasons = np.full(len(v), None, dtype=object)
    day = np.floor(v)
    out_of_range = ~((day >= 1) & (day <= _MAX_SERIAL))
    reasons[out_of_range] = f"Excel date number out of range 1..{_MAX_SERIAL}"
    reasons[day == 60] = "Excel date number 60 is 1900-02-29, a day that does not exist"
    ok = reasons == None  # noqa: E711
    d = np.where(ok, day, 61).astype(np.int64)
    d = np.where(d < 60, d + 1, d)
    dates = _EXCEL_BASE + d.astype("timedelta64[D]")
    dates = np.where(ok, dates, np.datetime64("NaT", "D"))
    return dates, reasons


def _finish_days(days: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """Reject days outside what datetime64[ns] holds; return ns values."""
    valid = ~np.isnat(days)
    far = valid & ((days < _NS_MIN) | (days > _NS_MAX))
    reasons[far] = _OUT_OF_RANGE
    days = np.where(far, np.datetime64("NaT", "D"), days)
    return days.astype("datetime64[ns]")


def _text_to_days(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Date texts → datetime64[D] and reasons (None where fine)."""
    n = len(t)
    days = np.full(n, np.datetime64("NaT", "D"))
    reasons = np.full(n, None, dtype=object)
    # fast exact formats first (the common case), regexes for the rest
    len10 = t.str.len().eq(10)
    done = np.zeros(n, dtype=bool)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        cand = len10 & ~done
        if not cand.any():
            break
        got = pd.to_datetime(t.where(cand), format=fmt, errors="coerce")
        hit = got.notna().to_numpy()
        if hit.any():
            days[hit] = got[hit].to_numpy().astype("datetime64[D]")
            done |= hit
    if done.all():
        return days, reasons
    rest_idx = np.flatnonzero(~done)
    r = t.iloc[rest_idx]
    if r.str.contains("г", regex=False).any():  # 1C's «12.03.2025 г.» and «12 марта 2025 г.»
        r = r.str.replace(_YEAR_MARK, "", regex=True).str.replace(_LONG_RU, _long_to_dotted, regex=True, case=False)
    iso = r.str.extract(_ISO_RE).astype(float)
    dmy = r.str.extract(_DMY_RE).astype(float)
    y = iso[0].to_numpy().copy()
    m = iso[1].to_numpy().copy()
    d = iso[2].to_numpy().copy()
    use = np.isnan(y) & ~np.isnan(dmy[2].to_numpy())
    yy = dmy[2].to_numpy()
    two = r.str.extract(_DMY_RE)[2].str.len().eq(2).to_numpy()
    yy = np.where(use & two, np.where(yy < 30, 2000 + yy, 1900 + yy), yy)  # Excel's rule
    first, second = dmy[0].to_numpy(), dmy[1].to_numpy()
    # slashes: day first unless the column shows month first (a second part above 12 and
    # no first part above 12, as in 02/13/2025 of a US export); dots and dashes are day first
    slash = use & r.str.match(r"^\d{1,2}/").fillna(False).to_numpy(dtype=bool)
    if slash.any() and not (first[slash] > 12).any() and (second[slash] > 12).any():
        first, second = np.where(slash, second, first), np.where(slash, first, second)
    y[use], m[use], d[use] = yy[use], second[use], first[use]
    matched = ~np.isnan(y)
    sub_days = np.full(len(r), np.datetime64("NaT", "D"))
    sub_reasons = np.full(len(r), None, dtype=object)
    if matched.any():
        in_years = matched & (y >= 1678) & (y <= 2261)
        sub_reasons[matched & ~in_years] = _OUT_OF_RANGE
        if in_years.any():
            got = pd.to_datetime(
                pd.DataFrame({"year": y[in_years], "month": m[in_years], "day": d[in_years]}), errors="coerce"
            )
            gd = got.to_numpy().astype("datetime64[D]")
            sub_days[in_years] = gd
            nat = np.zeros(len(r), dtype=bool)
            nat[np.flatnonzero(in_years)[np.isnat(gd)]] = True
            sub_reasons[nat] = "no such calendar date"
    # a number written as text: an Excel date number (not a 4-digit year)
    num = pd.to_numeric(
        r.where(r.str.fullmatch(r"\d+(?:[.,]\d+)?").fillna(False).astype(bool)).str.replace(",", ".", regex=False),
        errors="coerce",
    ).to_numpy(dtype=float)
    is_num = ~matched & ~np.isnan(num)
    if is_num.any():
        serial_ok = is_num & (num >= 10000)
        sd, sr = _serial_to_days(num[serial_ok])
        sub_days[serial_ok] = sd
        sub_reasons[serial_ok] = sr
        sub_reasons[is_num & ~serial_ok] = f"a number, not a date ({_DATE_HELP})"
    sub_reasons[~matched & ~is_num] = f"not a date ({_DATE_HELP})"
    days[rest_idx] = sub_days
    reasons[rest_idx] = sub_reasons
    return days, reasons


def _objects_to_days(x: pd.Series) -> np.ndarray:
    """datetime/date/Timestamp/np.datetime64 objects → datetime64[D]."""
    try:
        ts = pd.to_datetime(x.astype(object), errors="coerce")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)
    except (ValueError, TypeError, OverflowError):
        ts = pd.Series([_one_timestamp(v) for v in x], dtype="datetime64[us]")
    return ts.to_numpy().astype("datetime64[D]")


def _one_timestamp(v: Any) -> Any:
    try:
        t = pd.Timestamp(v)
        return t.tz_localize(None) if t.tzinfo is not None else t
    except (ValueError, TypeError, OverflowError):
        return pd.NaT


#: days from Excel's 1900-system serial 0 to the 1904 system's: serial 0 of a
#: 1904 workbook is 1904-01-01, serial 1462 of the 1900 system
_SHIFT_1904 = 1462


def _parse_dates(s: pd.Series, *, date1904: bool = False) -> _Parsed:
    """Dates of one column; ``date1904``: plain numbers are serials of Excel's
    1904 date system (their workbook says so), not of the 1900 one."""
    shift = _SHIFT_1904 if date1904 else 0
    n = len(s)
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        empty = s.isna().to_numpy()
        if isinstance(dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        whole_days = False
        if s.dtype != np.dtype("datetime64[ns]"):
            # another unit (pandas 3 reads and parses dates as datetime64[us] or [s]): to whole days,
            # then the fast path below when every day fits datetime64[ns]
            days = s.to_numpy().astype("datetime64[D]")
            if not (~np.isnat(days) & ((days < _NS_MIN) | (days > _NS_MAX))).any():
                s, whole_days = pd.Series(days.astype("datetime64[ns]")), True
        if s.dtype == np.dtype("datetime64[ns]"):  # fast path: no per-value work
            vals = s if whole_days else s.dt.normalize().reset_index(drop=True)
            why = _implausible(vals.to_numpy(), empty, None)
            if why is None:
                return _Parsed(vals, empty, _no_bad())
            idx = np.flatnonzero(why != None)  # noqa: E711
            return _Parsed(
                vals.where(why == None),  # noqa: E711
                empty,
                pd.Series(why[idx], index=idx, dtype=object),
            )
        reasons = np.full(n, None, dtype=object)
        vals = _finish_days(s.to_numpy().astype("datetime64[D]"), reasons)
    elif pd.api.types.is_bool_dtype(dtype):
        empty = s.isna().to_numpy()
        reasons = np.full(n, f"not a date ({_DATE_HELP})", dtype=object)
        reasons[empty] = None
        vals = np.full(n, np.datetime64("NaT", "ns"))
    elif pd.api.types.is_numeric_dtype(dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(v)
        days, reasons = _serial_to_days(np.where(empty, 61, v + shift))
        reasons[empty] = None
        vals = _finish_days(days, reasons)
    else:
        s = s.reset_index(drop=True)
        k = _kinds(s)
        empty = ~(k["str"] | k["num"] | k["dt"] | k["bool"] | k["other"])
        days = np.full(n, np.datetime64("NaT", "D"))
        reasons = np.full(n, None, dtype=object)
        if k["dt"].any():
            days[k["dt"]] = _objects_to_days(s[k["dt"]])
        if k["num"].any():
            v = pd.to_numeric(s[k["num"]].astype(object), errors="coerce").to_numpy(dtype=float)
            d, r = _serial_to_days(np.where(np.isnan(v), 0, v + shift))
            days[k["num"]] = d
            reasons[k["num"]] = r
        if k["str"].any():
            # a leading apostrophe is Excel's mark of a cell kept as text, carried into some exports
            t = _strings(s, k["str"]).str.replace(r"^[\s']+", "", regex=True)
            blank = t.eq("").to_numpy()
            pos = np.flatnonzero(k["str"])
            empty[pos[blank]] = True
            if (~blank).any():
                d, r = _text_to_days(t[~blank].reset_index(drop=True))
                days[pos[~blank]] = d
                reasons[pos[~blank]] = r
        reasons[k["bool"] | k["other"]] = f"not a date ({_DATE_HELP})"
        vals = _finish_days(days, reasons)
    reasons[empty] = None
    ok_so_far = reasons == None  # noqa: E711
    _implausible(np.where(ok_so_far, vals, np.datetime64("NaT", "ns")), empty, reasons)
    vals = np.where(reasons == None, vals, np.datetime64("NaT", "ns"))  # noqa: E711
    bad_nat = ~empty & np.isnat(vals) & (reasons == None)  # noqa: E711
    reasons[bad_nat] = f"not a date ({_DATE_HELP})"
    idx = np.flatnonzero(reasons != None)  # noqa: E711
    return _Parsed(pd.Series(vals), empty, pd.Series(reasons[idx], index=idx, dtype=object))
