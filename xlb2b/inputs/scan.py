"""Inputs too big for memory: parquet globs, large CSVs and database tables, validated in the engine.

The pandas readers load a table whole; these open it where it lies (embedded
DuckDB for files, the database itself for ``--db``) and express every check
of the readers as engine expressions, so nothing but counts and a few example
rows comes back.  The result is an :class:`EngineInput`: an ibis table with
the canonical columns and dtypes (text, date, float64) holding only the rows
that passed, plus a report that gives, for every column and reason, the count
of rejected rows and the first examples (file or table, key, column, value).

The checks are written with portable ibis operations only (regular
expressions and CASE before every cast, no engine-specific TRY_CAST), so the
same validation runs on DuckDB, PostgreSQL and Spark.  Needs the ``scale``
extra (ibis, DuckDB); nothing here is imported by the core.
"""

from __future__ import annotations

import atexit
import datetime as dt
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, INFO, WARNING, InputError, Report
from xlb2b.inputs.columns import (
    _WHAT,
    COLUMN_TYPES,
    DATE,
    MONEY_COLUMNS,
    MONEY_LIMIT,
    MONEY_TOO_LARGE,
    NUMBER,
    ROW_REQUIRED,
    TEXT,
)
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import _match_columns, _normalise_mapping
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.sources.csv import _delimiter, _separators
from xlb2b.inputs.tables import SCHEMA
from xlb2b.inputs.values import _TOTAL_VARIANTS

#: examples listed per column and reason
EXAMPLES = 5
#: DuckDB's memory limit for file inputs (it spills to a temporary folder beyond it)
DUCKDB_MEMORY_LIMIT = os.environ.get("XLB2B_DUCKDB_MEMORY", "1GB")
#: files at least this big go through DuckDB when the engine is chosen automatically
LARGE_FILE_BYTES = 256 * 2**20

_FIRST_REAL_DAY = dt.date(1900, 3, 1)
_SOURCE_COLUMNS = ("_file", "_line")


@dataclass
class EngineInput:
    """A validated input table that stays in its engine."""

    kind: str
    table: Any  # ibis table: canonical columns, validated rows only
    report: Report = field(default_factory=Report)
    source: str = ""
    sheet: str = ""  # always empty (files and tables have no sheets); as InputTable
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0  # rows kept
    rejected: int = 0
    con: Any = None
    #: earliest and latest date of the rows kept (from the counting query), or None
    date_range: tuple[Any, Any] | None = None

    def has(self, column: str) -> bool:
        return column in self.table.columns


def _ibis():
    try:
        import ibis
    except ImportError:
        raise InputError("large inputs and databases need the scale extra: pip install 'xlb2b[scale]'") from None
    return ibis


def is_pattern(path: str) -> bool:
    return any(ch in str(path) for ch in "*?[")


def wants_engine(path: str | os.PathLike) -> bool:
    """Automatic choice: a glob, a folder, or a file of at least LARGE_FILE_BYTES."""
    p = str(path)
    if is_pattern(p) or os.path.isdir(p):
        return True
    try:
        return os.path.getsize(p) >= LARGE_FILE_BYTES and Path(p).suffix.lower() in (".csv", ".txt", ".parquet")
    except OSError:
        return False


def duckdb_connection(temp_dir: str | None = None):
    """An embedded DuckDB with a memory limit and a spill folder."""
    ibis = _ibis()
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise InputError("large inputs need DuckDB: pip install 'xlb2b[scale]'") from None
    spill = temp_dir or tempfile.mkdtemp(prefix="xlb2b-duckdb-")
    if temp_dir is None:  # the folder (and any copy of CSV lines) goes when the process ends
        atexit.register(shutil.rmtree, spill, True)
    # a database file in the temporary folder: parsed CSV lines are stored there once
    # (DuckDB's compressed columns, on disk), so the aggregation does not parse the files again
    con = ibis.duckdb.connect(
        os.path.join(spill, "work.duckdb"),
        memory_limit=DUCKDB_MEMORY_LIMIT,
        temp_directory=os.path.join(spill, "spill"),
        preserve_insertion_order=False,
    )
    return con


def _files(pattern: str, kind: str) -> list[str]:
    p = str(pattern)
    if os.path.isdir(p):
        files = sorted(
            glob.glob(os.path.join(p, "**", "*.parquet"), recursive=True)
            + glob.glob(os.path.join(p, "**", "*.csv"), recursive=True)
        )
    elif is_pattern(p):
        files = sorted(glob.glob(p, recursive=True))
    else:
        files = [p] if os.path.exists(p) else []
    if not files:
        raise InputError(f"{pattern}: no file matches (the {kind} table)")
    suffixes = {Path(f).suffix.lower() for f in files}
    if len(suffixes - {".csv", ".txt"}) and not suffixes <= {".parquet"}:
        raise InputError(f"{pattern}: mixes {', '.join(sorted(suffixes))} files; give parquet or CSV files, not both")
    return files


#: bytes at the start of a CSV file looked at for its encoding
ENCODING_PROBE_BYTES = 1 << 16


def _require_utf8(path: str, kind: str) -> str:
    """The text of the start of a CSV file; refuse, saying what to do, one whose start is not
    UTF-8: DuckDB reads UTF-8 only (the file readers also take Windows-1251 and UTF-16, as
    Excel and 1C save them)."""
    with open(path, "rb") as fh:
        head = fh.read(ENCODING_PROBE_BYTES)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        found, code = 'UTF-16 (Excel\'s "Unicode text")', "utf-16"
    else:
        for cut in range(4 if len(head) == ENCODING_PROBE_BYTES else 1):
            try:
                return head[: len(head) - cut].decode("utf-8-sig")
            except UnicodeDecodeError:
                continue
        found, code = "Windows-1251 or another single-byte encoding", "cp1251"
    raise InputError(
        f"{path}: the {kind} file is in {found}, and the out-of-core reader (DuckDB) reads UTF-8 only; "
        f"save it as UTF-8 (Excel: Save As → CSV UTF-8; or iconv -f {code} -t utf-8), or, if it fits in "
        "memory, read it with --engine pandas, which takes this encoding"
    )


def open_files(
    kind: str,
    pattern: str | os.PathLike,
    *,
    mapping: Mapping[str, Any] | None = None,
    con=None,
    name: str | None = None,
) -> EngineInput:
    """Parquet or CSV files (a path, a folder or a glob) through DuckDB, out of core."""
    files = _files(str(pattern), kind)
    con = con or duckdb_connection()
    label = name or str(pattern)
    seps: dict[str, Any] = {}
    try:
        if Path(files[0]).suffix.lower() == ".parquet":
            t = con.read_parquet(files, union_by_name=True, filename=True, file_row_number=True)
            t = t.rename(_file="filename", _line="file_row_number")
            t = t.mutate(_line=t._line + 1)  # the n-th data row of the file
        else:
            delim, hint_line = _csv_delimiter(files, kind)
            extra = {"skip": 1} if hint_line else {}
            t = con.read_csv(
                files, all_varchar=True, header=True, filename=True, union_by_name=True, delim=delim, **extra
            )
            t = t.rename(_file="filename")
            t = t.mutate(_line=_ibis().null("int64"))
            seps = _separators(delim)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - the engine's own message, shortened
        raise InputError(f"{label}: cannot read the {kind} files: {str(e).splitlines()[0]}") from None
    return validate(kind, t, mapping=mapping, label=label, con=con, store=f"{kind}_lines", **seps)


def _csv_delimiter(files: list[str], kind: str) -> tuple[str, bool]:
    """The delimiter of the CSV files, found as the file reader finds it (Excel's
    ``sep=`` line, else the sniffer), and whether the files start with that line;
    files written with different delimiters are refused."""
    found = {}
    for f in files:
        head = _require_utf8(f, kind)
        found[f] = (_delimiter(head), head[:4].lower() == "sep=")
    if len(set(found.values())) > 1:
        by = ", ".join(f"{os.path.basename(f)}: {d!r}" for f, (d, _h) in list(found.items())[:5])
        raise InputError(
            f"the {kind} files are not all written alike ({by}); save them with one delimiter "
            "(and all with or all without a sep= line) and run again"
        )
    return next(iter(found.values()))


def open_database(
    kind: str, url: str, *, table: str | None = None, query: str | None = None, mapping: Mapping[str, Any] | None = None
) -> EngineInput:
    """A table or a query of a database that ibis can connect to (``postgres://…``,
    ``duckdb://file.db``, ``clickhouse://…``, ``mssql://…`` …)."""
    ibis = _ibis()
    if (table is None) == (query is None):
        raise InputError("give the database table (--table NAME) or a query (--query SQL), one of them")
    try:
        con = ibis.connect(url)
    except ImportError as e:
        raise InputError(
            f"the driver for {url.split(':', 1)[0]} is not installed ({e.name}); see docs/big-data.md"
        ) from None
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot connect to the database: {str(e).splitlines()[0]}") from None
    try:
        t = con.table(table) if table else con.sql(query)
    except Exception as e:  # noqa: BLE001
        what = f"table {table!r}" if table else "the query"
        raise InputError(f"cannot read {what}: {str(e).splitlines()[0]}") from None
    label = table or "query"
    t = t.mutate(_file=ibis.literal(label), _line=ibis.null("int64"))
    return validate(kind, t, mapping=mapping, label=label, con=con)


# ---------------------------------------------------------------- parsing in the engine
# The rules below are those of the file readers (xlb2b/inputs/numbers.py and dates.py),
# written as portable regular expressions: [0-9] for Python's \d, an explicit class for
# Python's Unicode \s (RE2, PostgreSQL and Java read \s as ASCII whitespace only),
# spelled-out letter cases for IGNORECASE, and no back-references in replacements
# (Spark writes them $1, the others \1).
_WS = " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_S = f"[{_WS}]"
_CUR_BODY = f"{_S}*([$€₽]|[рР][уУ][бБ][.]?|[рР][.]){_S}*"  # after the sign, if any
_CUR_SUFFIX = f"{_S}*([$€₽]|[рР][уУ][бБ][.]?|[рР][.]?)$"
_NUMBER_RE = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_ISO_RE = (
    r"^([0-9]{4})[-./]([0-9]{1,2})[-./]([0-9]{1,2})"
    rf"([T ]+[0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}([.,][0-9]+)?)?)?{_S}*(Z|[+-][0-9]{{2}}:?[0-9]{{2}})?$"
)
_DMY_RE = r"^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4}|[0-9]{2})([ T]+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?$"
_SLASH_RE = r"^[0-9]{1,2}/"
_SERIAL_TEXT_RE = r"^[0-9]+([.,][0-9]+)?$"
#: a number written as text is an Excel date number from this one on (smaller ones are
#: years or typing errors), as in the file readers
_FIRST_TEXT_SERIAL = 10000
_DATE_HELP = "expected a date, an Excel date number, YYYY-MM-DD or DD.MM.YYYY"


def _stripped(col):
    """Text with Python's ``str.strip`` (every Unicode space, also the no-break one), as
    the file readers strip a cell; empty as null."""
    return col.cast("string").re_replace(f"^{_S}+|{_S}+$", "").nullif("")


_text = _stripped


def _without_currency(x):
    """The sign and the number of ``x`` without a currency sign before or after it."""
    # one replacement per sign, each reading ``x`` once (no back-reference needed)
    x = x.re_replace(f"^[+]{_CUR_BODY}", "+").re_replace(f"^-{_CUR_BODY}", "-").re_replace(f"^{_CUR_BODY}", "")
    return x.re_replace(_CUR_SUFFIX, "")


def _decimal_comma_evidence(col):
    """(decimal, thousands): whether this cell shows a decimal comma (``12,5``,
    ``1.234,5``, ``1 234,5``) or a thousands comma (``1,234.5``, ``1,234,567``);
    the column's decision is :func:`xlb2b.inputs.numbers._guess_decimal_comma`'s."""
    s = _stripped(col)
    x = s.re_replace(f"[{_WS}']", "")
    has = s.contains(",")
    dec = has & (
        x.re_search(r"[0-9],([0-9]{1,2}|[0-9]{4,})[^0-9]*$")
        | x.re_search(r"[.][0-9]{3},[0-9]")
        | s.re_search(f"[0-9]{_S}[0-9]{{3}},[0-9]")
    )
    thou = has & (x.re_search(r",[0-9]{3}[.][0-9]") | x.re_search(r"[0-9],[0-9]{3},[0-9]{3}"))
    return dec.fill_null(False), thou.fill_null(False)


def _same(e):
    return e


class _Stager:
    """Intermediate values of the parsing kept as columns of a projection, one after
    the other: an expression used several times is then computed once per row, and
    the SQL stays the size of the rules (written inline, every use would repeat the
    whole expression it depends on, and the text of the query would grow with each
    step).  ``stage(e)`` adds ``e`` to :attr:`t` and returns that column."""

    def __init__(self, t):
        self.t = t
        self.n = 0

    def __call__(self, e):
        name = f"_k{self.n}"
        self.n += 1
        self.t = self.t.mutate(**{name: e})
        return self.t[name]


def _number(col, decimal_comma: bool = True, stage=_same):
    """(value, bad) for a number column: typed numbers as they are (NaN/inf bad); text
    as the file readers take it: spaces (also no-break and thin ones) or ``'`` between
    thousands, a decimal comma or point (``decimal_comma``: this column's decision for
    a lone comma such as ``1,234``), a currency sign (``$ € ₽ руб. р.``) before or after,
    ``(200,00)`` for a negative, the minus signs ``−`` and ``–``."""
    ibis = _ibis()
    if col.type().is_numeric():
        v = col.cast("float64")
        bad_nonfinite = v.notnull() & (v.isnan() | v.isinf())
        return v, bad_nonfinite, "not a finite number"
    s = stage(_stripped(col))
    x = stage(s.re_replace("[\u2212\u2013]", "-"))
    x = stage(_without_currency(x))
    paren = stage(x.re_search(r"^[(].*[)]$"))
    x = stage(paren.ifelse(_without_currency(x.re_replace(r"^[(]|[)]$", "")), x))
    x = stage(x.re_replace(f"[{_WS}']", ""))
    bad = paren & x.re_search("^[+-]")
    x = stage(paren.ifelse(ibis.literal("-").concat(x), x))

    has_c, has_d = x.contains(","), x.contains(".")
    comma_last = has_c & has_d & x.re_search(r",[^.]*$")
    dot_last = has_c & has_d & x.re_search(r"[.][^,]*$")
    only_c = has_c & ~has_d
    only_d = has_d & ~has_c
    many_c = x.re_search(",.*,")
    many_d = x.re_search(r"[.].*[.]")
    thou_c = x.re_search(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+$")
    thou_d = x.re_search(r"^[+-]?[0-9]{1,3}([.][0-9]{3})+$")
    ok_comma = x.re_search(r"^[+-]?[0-9]{1,3}([.][0-9]{3})+,[0-9]*$")
    ok_dot = x.re_search(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+[.][0-9]*$")
    as_thousands = only_c & thou_c & (many_c | ibis.literal(not decimal_comma))
    comma_last, dot_last, only_c, only_d = stage(comma_last), stage(dot_last), stage(only_c), stage(only_d)
    many_c, many_d, thou_d = stage(many_c), stage(many_d), stage(thou_d)
    ok_comma, ok_dot, as_thousands = stage(ok_comma), stage(ok_dot), stage(as_thousands)
    out = ibis.cases(
        (comma_last & ok_comma, x.replace(".", "").replace(",", ".")),
        (dot_last & ok_dot, x.replace(",", "")),
        (as_thousands, x.replace(",", "")),
        (only_c & ~many_c, x.replace(",", ".")),
        (only_d & many_d & thou_d, x.replace(".", "")),
        else_=x,
    )
    bad = (
        bad
        | (comma_last & ~ok_comma)
        | (dot_last & ~ok_dot)
        | (only_c & ~as_thousands & many_c)
        | (only_d & many_d & ~thou_d)
    ).fill_null(False)
    out = stage(out)
    ok = stage(~bad & out.re_search(_NUMBER_RE).fill_null(False))
    v = ok.ifelse(out.cast("float64"), ibis.null("float64"))
    return v, s.notnull() & ~ok, "not a number"


def _days_in_month(y, m):
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    return (m == 2).ifelse(leap.ifelse(29, 28), m.isin([4, 6, 9, 11]).ifelse(30, 31))


def _slash_evidence(col):
    """(day above 12 first, above 12 second) of a slash date in this cell; a column
    is read month first when some cell has the second and none the first (02/13/2025),
    as :func:`xlb2b.inputs.dates._text_to_days` decides it."""
    ibis = _ibis()
    s = _stripped(col)
    slash = ~s.re_search(_ISO_RE) & s.re_search(_DMY_RE) & s.re_search(_SLASH_RE)

    def part(i):
        return slash.ifelse(s.re_extract(_DMY_RE, i), ibis.literal("0")).cast("int32")

    return (slash & (part(1) > 12)).fill_null(False), (slash & (part(2) > 12)).fill_null(False)


def _serial_date(n):
    """The day of an Excel 1900-system date number from 61 on (the time of day dropped)."""
    ibis = _ibis()
    return ibis.date(1899, 12, 30) + n.floor().cast("int32").as_interval("D")


def _date(col, month_first: bool = False, stage=_same):
    """(value, bad) for a date column: dates and timestamps as they are; numbers as
    Excel date numbers; text as the file readers take it: YYYY-MM-DD (also with
    ``/`` or ``.``, a time and a zone), DD.MM.YYYY (also ``/`` and ``-``, two-digit
    years as Excel reads them: below 30 is 20xx), slash dates month first when
    ``month_first`` (the column's decision), an Excel date number from 10000 on."""
    ibis = _ibis()
    ty = col.type()
    if ty.is_date():
        return col, ibis.literal(False), ""
    if ty.is_timestamp():
        return col.cast("date"), ibis.literal(False), ""
    if ty.is_numeric():
        n = col.cast("float64")
        serial = n.notnull() & (n >= 61) & (n <= 2958465)
        v = serial.ifelse(_serial_date(n), ibis.null("date"))
        return v, n.notnull() & ~serial, f"a number, not a date ({_DATE_HELP})"
    # stripped as a text, and a leading apostrophe (Excel's mark of a cell kept as text) with it
    s = stage(col.cast("string").re_replace(f"^[{_WS}']+|{_S}+$", "").nullif(""))
    iso = stage(s.re_search(_ISO_RE).fill_null(False))
    dmy = stage((~iso & s.re_search(_DMY_RE)).fill_null(False))
    swap = stage((dmy & s.re_search(_SLASH_RE)).fill_null(False)) if month_first else ibis.literal(False)

    def group(cond, pattern, i):  # digits only where the pattern matched, so every cast succeeds
        return cond.ifelse(s.re_extract(pattern, i), ibis.literal("0")).cast("int32")

    dmy_year = stage(group(dmy, _DMY_RE, 3))
    two_digits = dmy & (s.re_extract(_DMY_RE, 3).length().fill_null(0) == 2)
    dmy_year = two_digits.ifelse((dmy_year < 30).ifelse(dmy_year + 2000, dmy_year + 1900), dmy_year)
    first, second = stage(group(dmy, _DMY_RE, 1)), stage(group(dmy, _DMY_RE, 2))
    y = stage(iso.ifelse(group(iso, _ISO_RE, 1), dmy_year))
    m = stage(iso.ifelse(group(iso, _ISO_RE, 2), swap.ifelse(first, second)))
    d = stage(iso.ifelse(group(iso, _ISO_RE, 3), swap.ifelse(second, first)))
    real = stage((iso | dmy) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m)))
    serial_txt = stage((~iso & ~dmy & s.re_search(_SERIAL_TEXT_RE)).fill_null(False))
    num = stage(serial_txt.ifelse(s.replace(",", "."), ibis.literal("0")).cast("float64"))
    serial_ok = serial_txt & (num >= _FIRST_TEXT_SERIAL) & (num < 2958466)
    v = ibis.cases(
        (real, ibis.date(y, m, d)),
        (serial_ok, _serial_date(num)),
        else_=ibis.null("date"),
    )
    v = stage(v)
    return v, s.notnull() & v.isnull(), f"not a date ({_DATE_HELP})"


def _column_rules(t, src: Mapping[str, str], decimal_comma: bool | None, comma_default: bool, label: str) -> dict:
    """Per text column, what the file readers decide from the whole column before
    reading a cell: the decimal separator of a number column (``decimal_comma`` when
    the source fixes it, else the evidence of its cells, else ``comma_default``) and
    whether a date column's slash dates are month first.  One query for all of them."""
    sums: dict[str, Any] = {}
    for c, h in src.items():
        col = t[h]
        if not col.type().is_string():
            continue
        if COLUMN_TYPES[c] == NUMBER and decimal_comma is None:
            dec, thou = _decimal_comma_evidence(col)
            sums[f"_dec_{c}"], sums[f"_thou_{c}"] = dec.any(), thou.any()
        elif COLUMN_TYPES[c] == DATE:
            big_first, big_second = _slash_evidence(col)
            sums[f"_sf_{c}"], sums[f"_ss_{c}"] = big_first.any(), big_second.any()
    rules: dict[str, bool] = {}
    got: Any = {}
    if sums:
        try:
            got = t.aggregate(**sums).to_pandas().iloc[0]
        except Exception as e:  # noqa: BLE001
            raise InputError(f"{label}: the engine could not read the table: {str(e).splitlines()[0]}") from None
    for c in src:
        if COLUMN_TYPES[c] == NUMBER:
            rules[c] = comma_default if decimal_comma is None else decimal_comma
            if f"_dec_{c}" in got:
                dec, thou = bool(got[f"_dec_{c}"]), bool(got[f"_thou_{c}"])
                if dec != thou:
                    rules[c] = dec
        elif COLUMN_TYPES[c] == DATE:
            rules[c] = f"_sf_{c}" in got and not bool(got[f"_sf_{c}"]) and bool(got[f"_ss_{c}"])
    return rules


def validate(
    kind: str,
    t,
    *,
    mapping: Mapping[str, Any] | None,
    label: str,
    con=None,
    today: dt.date | None = None,
    store: str | None = None,
    decimal_comma: bool | None = None,
    comma_default: bool = True,
) -> EngineInput:
    """Match the headers, parse and check every canonical column in the engine,
    count the rejected rows per column and reason, fetch the first examples.
    ``store``: a table name in ``con`` to keep the parsed lines in when some number or
    date column is text (CSV files: the text is parsed once, the later queries read
    the engine's own storage); typed columns (parquet, database tables) are checked
    by the counting query alone and the result stays a view over ``t`` (nothing is
    copied, and later filters on the date reach the scan).  ``decimal_comma`` and
    ``comma_default``: as the file readers take them (a CSV file's delimiter decides)."""
    ibis = _ibis()
    ctx = _Ctx(kind=kind, label=label)
    headers = [c for c in t.columns if c not in _SOURCE_COLUMNS]
    canon_map = _normalise_mapping(kind, mapping, ctx)
    raw = _Raw(frame=pd.DataFrame(), headers=headers, rows=np.array([], dtype=np.int64))
    positions = _match_columns(raw, canon_map, ctx)
    src = {c: headers[p] for c, p in positions.items()}

    parsed: dict[str, Any] = {}
    checks: list[tuple[str, str, Any]] = []  # (canonical column, reason, bad expression)
    empty_row = ibis.literal(True)
    total_row = ibis.literal(False)
    required = ROW_REQUIRED[kind]
    today = today or dt.date.today()
    rules = _column_rules(t, src, decimal_comma, comma_default, label)
    text_to_parse = any(COLUMN_TYPES[c] in (NUMBER, DATE) and t[h].type().is_string() for c, h in src.items())
    stored = store is not None and text_to_parse
    # a view (nothing stored): what the text columns hold is surveyed over their distinct
    # values first, so the per-row checks read a column that needs no trimming as it is
    survey = None if stored else _survey_text(t, src, label)
    stage = _Stager(t)
    for c, h in src.items():
        col = t[h]
        ctype = COLUMN_TYPES[c]
        if ctype == TEXT:
            clean = survey is not None and c in survey.clean
            # a number or a date read as text is never empty or padded: no trimming
            v = col if clean else (_text(col) if col.type().is_string() else col.cast("string"))
            if c == "client_id":
                # spelled-out variants rather than lower(): a database in the C locale lowers ASCII only
                if survey is not None and survey.ids is not None and clean:
                    found = sorted(survey.totals)  # the totals among the column's own values
                    total_row = v.isin(found) if found else ibis.literal(False)
                else:
                    total_row = v.isin(sorted(_TOTAL_VARIANTS))
        elif ctype == NUMBER:
            v, bad, why = _number(col, rules[c], stage)
            checks.append((c, why, bad))
            if c in MONEY_COLUMNS:
                checks.append((c, MONEY_TOO_LARGE, v.notnull() & (v.abs() >= MONEY_LIMIT)))
        elif ctype == DATE:
            v, bad, why = _date(col, rules[c], stage)
            if why:
                checks.append((c, why, bad))
            tomorrow = today + dt.timedelta(days=1)
            checks.append(
                (
                    c,
                    f"date before {_FIRST_REAL_DAY:%Y-%m-%d} or after {tomorrow:%Y-%m-%d}: "
                    "cannot be a real transaction date",
                    v.notnull()
                    & ((v < ibis.date(1900, 3, 1)) | (v > ibis.date(tomorrow.year, tomorrow.month, tomorrow.day))),
                )
            )
        else:
            raise InputError(f"{label}: column {c!r} ({ctype}) is not supported for database inputs")
        parsed[c] = v
        # empty: after trimming for text; a typed value only when missing (a number or a
        # date read as text is never empty, and its text need not be made to say so)
        raw_empty = (
            v.isnull()
            if ctype == TEXT and col.type().is_string()
            else (_stripped(col).isnull() if col.type().is_string() else col.isnull())
        )
        empty_row = empty_row & raw_empty
        if c in required:
            checks.append((c, f"empty {_WHAT.get(c, c)}", raw_empty))

    # one projection parses every value once per row, the next computes the checks on
    # its columns and the last their summary flags; the counts, the examples and the
    # clean table read those columns
    t = stage.t
    bad_cols = {f"_b{i}": bad.fill_null(False) for i, (_c, _why, bad) in enumerate(checks)}
    blank = empty_row.fill_null(False)
    p = t.mutate(**{f"_v_{c}": v for c, v in parsed.items()})
    p = p.mutate(**bad_cols, _blank=blank, _total=total_row.fill_null(False) & ~blank)
    any_bad = ibis.literal(False)
    for b in bad_cols:
        any_bad = any_bad | p[b]
    p = p.mutate(_any=any_bad, _candidate=~p._blank & ~p._total)
    raw_p = p  # with the source columns, for the examples
    if stored:
        # only the parsed values and the flags are kept (the source text is not copied)
        keep = ["_file", "_line", *(f"_v_{c}" for c in parsed), *bad_cols, "_blank", "_total", "_any", "_candidate"]
        try:
            p = con.create_table(store, p.select(*keep), overwrite=True)
        except Exception as e:  # noqa: BLE001
            raise InputError(f"{label}: the engine could not read the {kind} table: {str(e).splitlines()[0]}") from None

    def flag(e):
        return e.ifelse(1, 0)

    sums = {
        "_rows": p.count(),
        "_blank": flag(p._blank).sum(),
        "_total": flag(p._total).sum(),
        "_rejected": flag(p._candidate & p._any).sum(),
    }
    for i in range(len(checks)):
        sums[f"_c{i}"] = flag(p._candidate & p[f"_b{i}"]).sum()
    kept = p._candidate & ~p._any
    # text columns whose every value is already clean (no surrounding spaces, no empty
    # text) are read as they are by the later queries: the trimming is done once, here
    untrimmed = {}
    if survey is not None:  # a view (nothing stored)
        for c, h in src.items():
            if COLUMN_TYPES[c] == TEXT and t[h].type().is_string() and c not in survey.clean:
                untrimmed[c] = f"_n_{c}"
                sums[f"_n_{c}"] = flag(t[h].notnull() & (parsed[c].isnull() | (parsed[c] != t[h]))).sum()
    if "date" in parsed:  # the window's ends come with the counts: no pass of their own
        sums["_lo"] = p._v_date.min(where=kept)
        sums["_hi"] = p._v_date.max(where=kept)
    try:
        counts = p.aggregate(**sums).to_pandas().iloc[0]
    except Exception as e:  # noqa: BLE001
        raise InputError(f"{label}: the engine could not read the {kind} table: {str(e).splitlines()[0]}") from None
    n_rows = int(counts["_rows"]) - int(counts["_blank"] or 0) - int(counts["_total"] or 0)
    n_rejected = int(counts["_rejected"] or 0)
    report = ctx.report
    key_cols = [src[c] for c in ("client_id", "order_id", "date") if c in src]
    for i, (c, why, _bad) in enumerate(checks):
        k = int(counts[f"_c{i}"] or 0)
        if not k:
            continue
        report.add(f"{why}: {k} row(s) rejected", file=label, column=src[c], severity=ERROR)
        ex = raw_p.filter(raw_p._candidate & raw_p[f"_b{i}"]).select(
            "_file", "_line", *dict.fromkeys(key_cols + [src[c]])
        )
        for _, r in ex.limit(EXAMPLES).to_pandas().iterrows():
            key = ", ".join(f"{h}={r[h]!r}" for h in key_cols if h != src[c])
            line = None if pd.isna(r["_line"]) else int(r["_line"])
            value = r[src[c]]
            report.add(
                f"{why} (example; {key})" if key else f"{why} (example)",
                file=os.path.basename(str(r["_file"])),
                row=line,
                column=src[c],
                value=None if pd.isna(value) else (value if isinstance(value, str) else str(value)),
                severity=ERROR,
            )
    if int(counts["_total"] or 0):
        report.add(
            f"{int(counts['_total'])} total line(s) (the client column says Total/Итого), not data: left out",
            file=label,
            column=src.get("client_id", ""),
            severity=WARNING,
        )
    if int(counts["_blank"] or 0):
        report.add(f"{int(counts['_blank'])} empty row(s) skipped", file=label, severity=INFO)
    if n_rows <= 0:
        ctx.fatal("no data rows: the table has headers but nothing under them")
    if n_rejected * 2 > n_rows:
        ctx.fatal(
            f"{n_rejected} of {n_rows} rows rejected; more than half usually means a wrong column "
            "(check the headers or pass a mapping); the counts and first examples are listed above"
        )
    if stored:
        clean = p.filter(kept).select(**{c: p[f"_v_{c}"] for c in positions})
    else:
        clean = _clean_view(t, src, parsed, counts, untrimmed, checks, bad_cols, blank, total_row)
    if "client_id" in parsed:  # "ООО Ромашка" and "OOO РОМАШКА" are one client, and we say so
        by_id = survey.ids if survey is not None and survey.ids is not None else _ids_of(p, label)
        merge = _lookalike_ids(by_id, label, src["client_id"], report)
        if merge:
            clean = clean.mutate(client_id=clean.client_id.substitute(merge))
    date_range = None
    if "_lo" in counts and not pd.isna(counts["_lo"]):
        date_range = (pd.Timestamp(counts["_lo"]), pd.Timestamp(counts["_hi"]))
    return EngineInput(
        kind=kind,
        table=clean,
        report=report,
        source=label,
        columns=src,
        rows=n_rows - n_rejected,
        rejected=n_rejected,
        con=con,
        date_range=date_range,
    )


def _ids_of(p, label: str) -> pd.DataFrame:
    """The distinct client ids of the lines that count (not empty, not total lines) in
    the parsed table ``p``, with their line counts and first file and row."""
    ids = p.filter(p._candidate & p._v_client_id.notnull())
    by_id = ids.group_by(id=ids._v_client_id).aggregate(n=ids.count(), file=ids._file.min(), line=ids._line.min())
    try:
        return by_id.to_pandas()
    except Exception as e:  # noqa: BLE001
        raise InputError(f"{label}: the engine could not read the client ids: {str(e).splitlines()[0]}") from None


_STRIP = re.compile(f"^{_S}+|{_S}+$")


@dataclass
class _TextSurvey:
    """What the text columns of a view hold, from their distinct values."""

    #: the canonical text columns none of whose values is empty or padded (read as they are)
    clean: set[str]
    #: the client ids as :func:`_ids_of` gives them (trimmed, totals left out), or None
    ids: pd.DataFrame | None = None
    #: the client column's values that are total lines ("Итого", "Total")
    totals: set[str] = field(default_factory=set)


def _survey_text(t, src: Mapping[str, str], label: str) -> _TextSurvey:
    """For the text columns of a typed source, whether some value needs trimming or is
    empty, decided on the distinct values (a per-row trimming of every value is the
    costliest part of the checks, and almost always finds nothing).  The client
    column's distinct values come back with their line counts and first file and row
    (what :func:`_lookalike_ids` needs) and are trimmed here, with the rule of
    :func:`_stripped`; the other columns are surveyed in the engine, one row each."""
    ibis = _ibis()
    out = _TextSurvey(clean=set())
    checks = []
    for c, h in src.items():
        if COLUMN_TYPES[c] != TEXT or not t[h].type().is_string():
            continue
        if c == "client_id":
            continue
        d = t.select(v=t[h]).filter(t[h].notnull()).distinct()
        sv = _stripped(d.v)
        checks.append(d.aggregate(c=ibis.literal(c), k=(sv.isnull() | (sv != d.v)).ifelse(1, 0).sum()))
    try:
        if checks:
            got = (checks[0] if len(checks) == 1 else ibis.union(*checks)).to_pandas()
            out.clean |= {str(r.c) for r in got.itertuples() if not int(r.k or 0)}
        if "client_id" in src:
            col = t[src["client_id"]]
            key = col if col.type().is_string() else col.cast("string")
            f = t.filter(col.notnull())
            by = f.group_by(id=key).aggregate(n=f.count(), file=f._file.min(), line=f._line.min()).to_pandas()
    except Exception as e:  # noqa: BLE001
        raise InputError(f"{label}: the engine could not read the table: {str(e).splitlines()[0]}") from None
    if "client_id" in src:
        raw = by["id"].astype(object).to_numpy()
        trimmed = np.asarray([_STRIP.sub("", str(v)) for v in raw], dtype=object)
        is_total = np.fromiter(map(_TOTAL_VARIANTS.__contains__, trimmed), dtype=bool, count=len(trimmed))
        if t[src["client_id"]].type().is_string() and (trimmed == raw).all() and (trimmed != "").all():
            out.clean.add("client_id")
            out.totals = {str(v) for v in raw[is_total]}
        keep = (trimmed != "") & ~is_total
        by = by.assign(id=trimmed)[keep]
        if len(by) and (by["id"].duplicated().any()):  # spellings that differ only in padding
            by = by.groupby("id", sort=False, as_index=False).agg(
                n=("n", "sum"), file=("file", "min"), line=("line", "min")
            )
        out.ids = by.reset_index(drop=True)
    return out


def _lookalike_ids(got: pd.DataFrame, label: str, header: str, report: Report) -> dict[str, str]:
    """Spellings of one client id that differ only in case or look-alike letters
    (:func:`xlb2b.inputs.ids.fold_id`), mapped to the spelling used on most lines, as
    the file readers merge them: the distinct ids of the lines that count (not empty,
    not total lines) come back with their line counts and are folded here, in Python,
    because the engines' ``lower`` differs from ``casefold`` (a database in the C locale
    lowers ASCII only).  On a tie the file readers keep the spelling seen first; the
    engine knows the order only from row numbers (parquet files), else it keeps the
    spelling that sorts first and says so."""
    from xlb2b.inputs.ids import _fold_all, _repeated

    if len(got) < 2:
        return {}
    texts = got["id"].astype(object).to_numpy()
    folded = _fold_all(texts)
    dup = _repeated(folded)
    if not dup.any():
        return {}
    got = got.assign(fold=folded)[dup]
    merge: dict[str, str] = {}
    for _key, group in got.groupby("fold", sort=False):
        known = group["line"].notna().all() and group["file"].nunique() == 1
        order = ["n", "line", "id"] if known else ["n", "id"]
        group = group.sort_values(order, ascending=[False] + [True] * (len(order) - 1), kind="stable")
        keep = str(group["id"].iloc[0])
        tie = len(group) > 1 and group["n"].iloc[0] == group["n"].iloc[1]
        for _, r in group.iloc[1:].iterrows():
            merge[str(r["id"])] = keep
            line = None if pd.isna(r["line"]) else int(r["line"])
            report.add(
                f"client id {r['id']!r} differs from {keep!r} only in letter case or in look-alike "
                f"Latin/Cyrillic letters: read as the same client {keep!r} ({int(r['n'])} line(s)); "
                "if they are different clients, give them different ids",
                file=os.path.basename(str(r["file"])),
                row=line,
                column=header,
                value=str(r["id"]),
                severity=WARNING,
            )
        if tie and not known:
            report.add(
                f"client ids {', '.join(repr(str(v)) for v in group['id'])} are on as many lines each; the "
                f"out-of-core reader cannot tell which came first and names the client {keep!r} (the in-memory "
                "reader, --engine pandas, names it by the first line); the figures are the same",
                file=label,
                column=header,
                value=keep,
                severity=WARNING,
            )
    return merge


def _clean_view(t, src, parsed, counts, untrimmed, checks, bad_cols, blank, total_row):
    """The rows that passed, as a view over ``t`` that the later queries read: only
    the checks that rejected some row are repeated (a check that found nothing
    cannot remove a row), and a text column that needed no trimming is read as it
    is, so a clean typed source is read at the speed of the source itself."""
    keep = []
    if int(counts["_blank"] or 0):
        keep.append(~blank)
    if int(counts["_total"] or 0):
        keep.append(~total_row.fill_null(False))
    for i in range(len(checks)):
        if int(counts[f"_c{i}"] or 0):
            keep.append(~bad_cols[f"_b{i}"])
    out = t
    if keep:
        cond = keep[0]
        for k in keep[1:]:
            cond = cond & k
        out = t.filter(cond)
    values = {}
    for c, h in src.items():
        if c in untrimmed and not int(counts[untrimmed[c]] or 0):
            values[c] = out[h]
        elif COLUMN_TYPES[c] == TEXT and not t[h].type().is_string():
            values[c] = out[h].cast("string")  # a number or date as text: never empty, never padded
        else:
            values[c] = parsed[c]
    return out.select(**values)


def kinds() -> tuple[str, ...]:
    return tuple(SCHEMA)
