"""Read and validate the input tables: transactions, clients, market.

Every reader returns an :class:`~xlb2b.inputs.tables.InputTable` with canonical
column names and dtypes (see :data:`~xlb2b.inputs.tables.SCHEMA`), the row number a
person sees in the source for every kept row, and a report of every row that
was left out and why.  Nothing is dropped silently.

Sources: an ``.xlsx``/``.xlsm`` workbook, a ``.csv``/``.txt`` file, a
``.parquet`` file, a pandas DataFrame, or a 2-D list whose first row holds the
headers (what an Excel range gives).

>>> import xlb2b.inputs as inputs
>>> t = inputs.read_transactions([["Клиент", "Дата", "Сумма"],
...                               ["1001", "15.03.2024", "1 234,56"]])
>>> float(t.data.loc[0, "amount"]), str(t.data.loc[0, "date"].date()), int(t.data.loc[0, "row"])
(1234.56, '2024-03-15', 2)

Only pandas, numpy, openpyxl and the standard library are imported at import
time (so the module runs under Pyodide); python-calamine and pyarrow are used
when they can be imported.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, NoReturn

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, FATAL, WARNING, InputError, Problem, Report
from xlb2b.io_util import column_letter
from xlb2b.inputs.tables import SCHEMA, InputTable

__all__ = [
    "read_transactions", "read_clients", "read_market", "read_table",
    "ALIASES", "MAX_UNCOMPRESSED_BYTES", "MAX_COMPRESSION_RATIO",
]

# --------------------------------------------------------------------------
# limits

#: a workbook whose members add up to more than this when unpacked is refused
MAX_UNCOMPRESSED_BYTES = 2 * 1024 ** 3
#: a workbook member packed more tightly than this is refused ...
MAX_COMPRESSION_RATIO = 200
#: ... when it unpacks to more than this many bytes
RATIO_CHECK_MIN_BYTES = 10 * 1024 ** 2
#: bytes read from the start of every XML member to look for DTD declarations
XML_HEAD_BYTES = 2048
#: the header row is looked for among this many first rows
HEADER_SCAN_ROWS = 20
#: when a table is refused for too many bad rows, at most this many problems
#: are listed (the first ones, in row order)
MAX_PROBLEMS_WHEN_REFUSED = 200

# --------------------------------------------------------------------------
# canonical columns: type, and whether an empty cell rejects the row

TEXT, DATE, NUMBER, FLAG = "text", "date", "number", "flag"

COLUMN_TYPES: dict[str, str] = {
    "client_id": TEXT, "order_id": TEXT, "sku": TEXT, "category": TEXT,
    "supplier": TEXT, "region": TEXT, "manager": TEXT, "name": TEXT, "industry": TEXT,
    "date": DATE,
    "amount": NUMBER, "quantity": NUMBER, "cost": NUMBER, "gross_profit": NUMBER,
    "capacity_units": NUMBER, "overdue_days": NUMBER, "overdue_amount": NUMBER,
    "overdue_flag": FLAG,
}

#: columns whose empty cell rejects the row, when the column is present.
#: Other optional columns may be empty (the value is then unknown, NaN).
ROW_REQUIRED: dict[str, frozenset[str]] = {
    "transactions": frozenset({"client_id", "date", "amount", "quantity", "cost",
                               "gross_profit", "order_id"}),
    "clients": frozenset({"client_id"}),
    "market": frozenset({"client_id", "supplier", "amount", "date"}),
}

#: words used in messages for canonical columns
_WHAT = {"client_id": "client id", "order_id": "order number", "gross_profit": "gross profit",
         "capacity_units": "capacity", "overdue_days": "overdue days",
         "overdue_amount": "overdue amount", "overdue_flag": "overdue flag"}

# --------------------------------------------------------------------------
# header aliases (Russian and English); compared after _norm_header()

ALIASES: dict[str, tuple[str, ...]] = {
    "client_id": ("Клиент", "Контрагент", "Покупатель", "Заказчик", "Код клиента",
                  "Код контрагента", "ID клиента", "Client", "Customer", "Client ID",
                  "Customer ID", "ClientID", "CustomerID", "client_id"),
    "date": ("Дата", "Дата документа", "Дата продажи", "Период", "Date", "Order date",
             "Sale date", "Transaction date"),
    "amount": ("Сумма", "Выручка", "Сумма продажи", "Сумма продаж", "Amount", "Revenue",
               "Sales", "Net amount", "Net sales", "Sales amount"),
    "quantity": ("Количество", "Кол-во", "Qty", "Quantity", "Units"),
    "sku": ("Номенклатура", "Артикул", "Товар", "SKU", "Product", "Item"),
    "category": ("Категория", "Группа", "Товарная группа", "Группа номенклатуры", "Group",
                 "Category", "Product group", "Product category"),
    "cost": ("Себестоимость", "Cost", "COGS", "Cost of sales"),
    "gross_profit": ("Валовая прибыль", "Валовый доход", "Валовой доход", "Gross profit", "GP"),
    "region": ("Регион", "Region"),
    "manager": ("Менеджер", "Ответственный", "Manager", "Sales rep", "Account manager",
                "Sales manager"),
    "order_id": ("Номер заказа", "Заказ", "№ заказа", "Документ", "Номер документа",
                 "№ документа", "Order", "Order ID", "Order number", "Order no", "Invoice",
                 "Invoice number", "Invoice no"),
    "name": ("Наименование", "Название", "Наименование клиента", "Name", "Company",
             "Company name"),
    "industry": ("Отрасль", "Тип клиента", "Industry"),
    "capacity_units": ("Кресла", "Количество кресел", "Кол-во кресел", "Парк техники",
                       "Ёмкость", "Capacity", "Capacity units", "Slots capacity"),
    "overdue_days": ("ПДЗ дней", "ПДЗ, дней", "Просрочка дней", "Просрочка, дней",
                     "Дней просрочки", "Overdue days", "Days overdue"),
    "overdue_amount": ("ПДЗ", "Сумма ПДЗ", "Просроченная задолженность", "Overdue",
                       "Overdue amount"),
    "overdue_flag": ("Есть ПДЗ", "Overdue flag", "Has overdue"),
    "supplier": ("Поставщик", "Конкурент", "Supplier", "Vendor", "Competitor"),
}

#: used only when no header of the table matches a primary alias of that column
#: (a tax number is often next to the client's name in 1C exports).
SECONDARY_ALIASES: dict[str, tuple[str, ...]] = {
    "client_id": ("ИНН", "INN", "Tax ID"),
}

#: sheet names chosen by default for each kind (otherwise the first sheet)
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "transactions": ("Transactions", "Продажи", "Sales", "Транзакции"),
    "clients": ("Clients", "Клиенты", "Customers"),
    "market": ("Market", "Рынок"),
}

_UNIT_SUFFIX = re.compile(r"\s*[,(]\s*(?:руб|р|rub|usd|eur|\$|€|₽|шт|ед)\.?\s*\)?\s*$")
_HEADER_PUNCT = re.compile(r"[\s_\-–—./\\:;,()\[\]{}'\"?!*#]+")


def _norm_header(h: Any) -> str:
    """Header as compared with aliases: lower case, ё→е, no punctuation,
    single spaces, no trailing unit (``"Сумма, руб."`` → ``"сумма"``)."""
    s = str(h).replace("\u00a0", " ").lower().replace("ё", "е").strip()
    s = _UNIT_SUFFIX.sub("", s)
    return _HEADER_PUNCT.sub(" ", s).strip()


def _columns_of(kind: str) -> tuple[str, ...]:
    req, opt = SCHEMA[kind]
    return req + opt


def _build_lookup(kind: str, table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for col in _columns_of(kind):
        names = table.get(col, ())
        if table is ALIASES:
            names = names + (col,)
        for a in names:
            key = _norm_header(a)
            if out.get(key, col) != col:  # pragma: no cover - guarded by tests
                raise AssertionError(f"alias {a!r} used for {out[key]} and {col}")
            out[key] = col
    return out


_LOOKUP = {k: _build_lookup(k, ALIASES) for k in SCHEMA}
_LOOKUP2 = {k: _build_lookup(k, SECONDARY_ALIASES) for k in SCHEMA}
_ALL_CANONICAL = frozenset(c for k in SCHEMA for c in _columns_of(k))

#: text cells that mark a total line of a report, not a transaction
_TOTAL_WORDS = ("итого", "всего", "общий итог", "total", "grand total", "totals")
_TOTAL_VARIANTS = frozenset(
    v + suffix
    for w in _TOTAL_WORDS
    for v in (w, w.upper(), w.capitalize(), w.title())
    for suffix in ("", ":")
)

#: what Excel shows for an error; python-calamine returns such cells empty,
#: so both readers treat these texts as empty cells.
_EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                           "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!",
                           "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"})

_TRUE_WORDS = ("да", "yes", "y", "1", "1.0", "true", "+", "истина")
_FALSE_WORDS = ("нет", "no", "n", "0", "0.0", "false", "-", "ложь")
_FLAG_WORDS = {**{w: 1.0 for w in _TRUE_WORDS}, **{w: 0.0 for w in _FALSE_WORDS}}

# --------------------------------------------------------------------------
# public API


def read_transactions(source: Any, *, sheet: str | int | None = None,
                      mapping: Mapping[str, str | None] | None = None,
                      name: str | None = None) -> InputTable:
    """Read and validate a transactions table (one row per order line).

    Required columns: ``client_id``, ``date``, ``amount``; see
    :func:`read_table` for sources, ``sheet``, ``mapping`` and ``name``.
    """
    return read_table("transactions", source, sheet=sheet, mapping=mapping, name=name)


def read_clients(source: Any, *, sheet: str | int | None = None,
                 mapping: Mapping[str, str | None] | None = None,
                 name: str | None = None) -> InputTable:
    """Read and validate a clients table (one row per client; a repeated
    client id is rejected, naming the row where it first appears)."""
    return read_table("clients", source, sheet=sheet, mapping=mapping, name=name)


def read_market(source: Any, *, sheet: str | int | None = None,
                mapping: Mapping[str, str | None] | None = None,
                name: str | None = None) -> InputTable:
    """Read and validate a market table (client purchases by supplier)."""
    return read_table("market", source, sheet=sheet, mapping=mapping, name=name)


def read_table(kind: str, source: Any, *, sheet: str | int | None = None,
               mapping: Mapping[str, str | None] | None = None,
               name: str | None = None) -> InputTable:
    """Read ``source`` as a table of ``kind`` ("transactions", "clients",
    "market") and validate it.

    ``source``: path to ``.xlsx``/``.xlsm``/``.csv``/``.txt``/``.parquet``, a
    pandas DataFrame, a 2-D list (first row = headers) or an
    :class:`InputTable` (returned as is).
    ``sheet``: workbook sheet name or 0-based index; by default a sheet named
    after the kind ("Transactions", "Продажи", "Clients", "Клиенты", "Market",
    "Рынок") if there is one, else the first sheet.
    ``mapping``: ``{canonical: source header}`` (or the reverse), which wins
    over the built-in aliases; ``{canonical: None}`` stops a column from being
    recognised by alias.
    ``name``: how the source is named in messages (default: the file name).

    Raises :class:`~xlb2b.errors.InputError` when the table cannot be used at
    all (file missing or unsafe, required column missing, no data, more than
    half of the rows rejected); the error's ``report`` says why.
    """
    if kind not in SCHEMA:
        raise ValueError(f"unknown table kind {kind!r}; expected one of {sorted(SCHEMA)}")
    if isinstance(source, InputTable):
        if source.kind != kind:
            raise ValueError(f"got a {source.kind} table where a {kind} table is expected")
        return source
    ctx = _Ctx(kind=kind, label=name or _default_label(source))
    canon_map = _normalise_mapping(kind, mapping, ctx)
    raw = _load(source, sheet, canon_map, ctx)
    positions = _match_columns(raw, canon_map, ctx)
    data = _validate(raw, positions, ctx)
    src = name or (str(source) if isinstance(source, (str, os.PathLike)) else ctx.label)
    return InputTable(kind=kind, data=data, report=ctx.report, source=src, sheet=ctx.sheet,
                      columns={c: raw.headers[p] for c, p in positions.items()})


# --------------------------------------------------------------------------
# context: where we are, for messages


@dataclass
class _Ctx:
    kind: str
    label: str
    sheet: str = ""
    report: Report = field(default_factory=Report)
    pending_fatal: int = 0

    def problem(self, reason: str, **kw: Any) -> Problem:
        return Problem(reason, file=self.label, sheet=self.sheet, **kw)

    def add_fatal(self, reason: str, **kw: Any) -> None:
        self.report.problems.append(self.problem(reason, severity=FATAL, **kw))
        self.pending_fatal += 1

    def raise_if_fatal(self) -> None:
        if self.pending_fatal:
            raise InputError(f"cannot read the {self.kind} table from {self.label}", self.report)

    def fatal(self, reason: str, **kw: Any) -> NoReturn:
        self.add_fatal(reason, **kw)
        self.raise_if_fatal()
        raise AssertionError("unreachable")  # pragma: no cover


def _default_label(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    if isinstance(source, pd.DataFrame):
        return "data frame"
    return "range"


# --------------------------------------------------------------------------
# mapping


def _normalise_mapping(kind: str, mapping: Mapping[str, Any] | None,
                       ctx: _Ctx) -> dict[str, str | None]:
    """Return ``{canonical: header or None}``; accepts either direction."""
    if not mapping:
        return {}
    if not isinstance(mapping, Mapping):
        ctx.fatal("mapping must be a dict such as {'amount': 'Сумма'}")
    keys = list(mapping)
    values = [v for v in mapping.values() if v is not None]
    if all(k in _ALL_CANONICAL for k in keys):
        out = {str(k): (None if v is None else str(v)) for k, v in mapping.items()}
    elif values and all(v in _ALL_CANONICAL for v in values) and len(values) == len(keys):
        out = {}
        for h, c in mapping.items():
            if c in out:
                ctx.add_fatal(f"mapping sends two headers to {c!r}: {out[c]!r} and {h!r}")
            out[str(c)] = str(h)
        ctx.raise_if_fatal()
    else:
        ctx.fatal("mapping must map canonical column names to source headers, e.g. "
                  f"{{'amount': 'Сумма'}}; canonical names of the {kind} table: "
                  f"{', '.join(_columns_of(kind))}", value=dict(mapping))
    for c in out:
        if c not in _columns_of(kind):
            ctx.add_fatal(f"mapping names {c!r}, which is not a column of the {kind} table "
                          f"(columns: {', '.join(_columns_of(kind))})")
    ctx.raise_if_fatal()
    return out


# --------------------------------------------------------------------------
# loading: every source becomes a _Raw table


@dataclass
class _Raw:
    frame: pd.DataFrame      # columns 0..n-1 by position, RangeIndex rows
    headers: list[str]       # header text per position (never empty)
    rows: np.ndarray         # row number per frame row, as the user sees it
    grid: bool = True        # values came from cells (xlsx/csv/list), not typed columns
    decimal_comma: bool | None = None   # None: decide per column
    comma_default: bool = True          # decision when a column gives no evidence


def _load(source: Any, sheet: Any, canon_map: dict[str, str | None], ctx: _Ctx) -> _Raw:
    if isinstance(source, pd.DataFrame):
        return _from_frame(source, canon_map, ctx)
    if isinstance(source, np.ndarray):
        source = source.tolist()
    if isinstance(source, (list, tuple)):
        return _from_rows(list(source), canon_map, ctx)
    if isinstance(source, (str, os.PathLike)):
        return _from_path(Path(source), sheet, canon_map, ctx)
    raise TypeError(f"cannot read a table from {type(source).__name__}; pass a file path, "
                    "a DataFrame or a 2-D list")


def _from_path(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not path.exists():
        ctx.fatal(f"file not found: {path}")
    if path.is_dir():
        ctx.fatal(f"{path} is a folder, not a file")
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        return _read_xlsx(path, sheet, canon_map, ctx)
    if ext in (".csv", ".txt", ".tsv"):
        return _read_csv(path, canon_map, ctx)
    if ext in (".parquet", ".pq"):
        return _read_parquet(path, canon_map, ctx)
    if ext in (".xls", ".xlt"):
        ctx.fatal("this is an old binary Excel file (.xls), which is not supported: "
                  "open it in Excel and save it as .xlsx (Excel Workbook)")
    if ext in (".xlsb", ".ods", ".numbers"):
        ctx.fatal(f"{ext} files are not supported: open the file and save it as .xlsx "
                  "(Excel Workbook) or .csv")
    ctx.fatal(f"unsupported file type {ext or '(no extension)'!r}: expected .xlsx, .xlsm, "
              ".csv, .txt or .parquet")


# ---- DataFrame, 2-D list


def _from_frame(df: pd.DataFrame, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not isinstance(df.index, pd.RangeIndex) and any(n is not None for n in df.index.names):
        df = df.reset_index()   # xlwings turns the first column into the index by default
    if isinstance(df.columns, pd.MultiIndex):
        df = df.set_axis([" ".join(str(p) for p in t if str(p) != "") for t in df.columns],
                         axis=1)
    labels = list(df.columns)
    n = len(df)
    frame = df.set_axis(range(len(labels)), axis=1).reset_index(drop=True)
    if labels and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                      for c in labels):
        # no headers: the first rows hold them, as in an Excel range
        return _from_grid(frame, np.arange(1, n + 1), canon_map, ctx, letters=False)
    headers = [_cell_text(c) for c in labels]
    if not _count_matches(headers, ctx.kind, canon_map):
        head_rows = frame.iloc[:HEADER_SCAN_ROWS]
        if any(_count_matches([_cell_text(v) for v in r], ctx.kind, canon_map)
               for r in head_rows.itertuples(index=False)):
            grid = pd.concat([pd.DataFrame([labels], columns=frame.columns, dtype=object),
                              frame.astype(object)], ignore_index=True)
            return _from_grid(grid, np.arange(1, n + 2), canon_map, ctx, letters=False)
    rows = np.arange(2, n + 2)
    # a DataFrame that went through us once carries its own row numbers
    if "row" in labels and labels.count("row") == 1 and "row" not in canon_map.values():
        pos = labels.index("row")
        col = frame[pos]
        if pd.api.types.is_integer_dtype(col.dtype):
            rows = col.to_numpy(dtype=np.int64)
            keep = [i for i in range(len(labels)) if i != pos]
            frame = frame[keep].set_axis(range(len(keep)), axis=1)
            headers = [headers[i] for i in keep]
    headers = _name_columns(headers, frame, letters=False)
    return _Raw(frame, headers, rows, grid=False)


def _from_rows(rows: list, canon_map: dict, ctx: _Ctx) -> _Raw:
    if not rows:
        ctx.fatal("the range is empty: no header row and no data")
    if not any(isinstance(r, (list, tuple)) for r in rows):
        rows = [[v] for v in rows]  # a single column comes as a flat list
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    grid = pd.DataFrame(rows, dtype=object)
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=False)


# ---- grid: find the header row, drop the rows above it


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


def _count_matches(headers: Iterable[str], kind: str, canon_map: dict) -> int:
    lookup = _LOOKUP[kind]
    mapped = {_norm_header(h) for h in canon_map.values() if h is not None}
    n = 0
    for h in headers:
        if h:
            key = _norm_header(h)
            n += key in lookup or key in mapped or key in _LOOKUP2[kind]
    return n


def _from_grid(grid: pd.DataFrame, rownums: np.ndarray, canon_map: dict, ctx: _Ctx,
               *, letters: bool, decimal_comma: bool | None = None,
               comma_default: bool = True) -> _Raw:
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    head = grid.iloc[:HEADER_SCAN_ROWS]
    texts = [[_cell_text(v) for v in r] for r in head.itertuples(index=False)]
    filled = [sum(1 for t in r if t) for r in texts]
    matches = [_count_matches(r, ctx.kind, canon_map) for r in texts]
    if matches and max(matches) > 0:
        h = matches.index(max(matches))
    elif any(f >= 2 for f in filled):
        h = next(i for i, f in enumerate(filled) if f >= 2)
    elif any(filled):
        h = next(i for i, f in enumerate(filled) if f)
    else:
        ctx.fatal("no header row found: the first rows are empty" if len(grid)
                  else "the table is empty")
    headers = texts[h]
    frame = grid.iloc[h + 1:].reset_index(drop=True)
    rows = np.asarray(rownums[h + 1:], dtype=np.int64)
    # columns with neither a header nor any value are not columns
    keep = [i for i, t in enumerate(headers) if t or not _blank_mask(frame[i]).all()]
    frame = frame[keep].set_axis(range(len(keep)), axis=1)
    names = _name_columns([headers[i] for i in keep], frame, letters=letters, positions=keep)
    return _Raw(frame, names, rows, grid=True, decimal_comma=decimal_comma,
                comma_default=comma_default)


def _name_columns(headers: list[str], frame: pd.DataFrame, *, letters: bool,
                  positions: list[int] | None = None) -> list[str]:
    """Give unnamed columns a name and make names unique."""
    positions = positions if positions is not None else list(range(len(headers)))
    out: list[str] = []
    used: set[str] = set()
    for h, p in zip(headers, positions):
        if not h:
            h = f"column {column_letter(p)}" if letters else f"column {p + 1}"
        if h == "row":              # our own column of row numbers
            h = "row (source)"
        base, k = h, 1
        while h in used:
            k += 1
            h = f"{base} ({k})"
        used.add(h)
        out.append(h)
    return out


# ---- CSV


def _read_csv(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    data = path.read_bytes()
    text = _decode(data, ctx)
    if not text.strip():
        ctx.fatal("the file is empty")
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")      # old Mac line ends
    if text[:4].lower() == "sep=" and len(text) > 4 and text[4] not in "\r\n":
        delim = text[4]       # Excel's own hint line, e.g. "sep=;"
    else:
        delim = _sniff_delimiter(text)
    grid, rownums = _csv_grid(text, delim, ctx)
    # ';' files come from Russian-locale Excel/1C: the decimal separator is a comma.
    # In ',' files an ambiguous "1,234" is a thousands separator (it had to be quoted).
    return _from_grid(grid, rownums, canon_map, ctx, letters=False,
                      decimal_comma=True if delim == ";" else None,
                      comma_default=delim != ",")


def _decode(data: bytes, ctx: _Ctx) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")        # Excel's "Unicode text"
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")         # Russian accounting exports
    except UnicodeDecodeError:
        ctx.report.problems.append(ctx.problem(
            "the file is neither UTF-8 nor Windows-1251; undecodable bytes were replaced "
            "by \ufffd", severity=WARNING))
        return data.decode("cp1251", errors="replace")


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:200_000].split("\n")[:200] if ln.strip()][:50]
    best, best_score = ",", (-1, -1, -1)
    for prio, cand in enumerate((";", "\t", ",", "|")):
        counts = []
        for ln in lines:
            try:
                counts.append(len(next(csv.reader([ln], delimiter=cand))))
            except (csv.Error, StopIteration):
                counts.append(1)
        multi = [c for c in counts if c >= 2]
        if not multi:
            continue
        mode = max(set(multi), key=lambda c: (multi.count(c), c))
        score = (counts.count(mode), mode, -prio)
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_grid(text: str, delim: str, ctx: _Ctx) -> tuple[pd.DataFrame, np.ndarray]:
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        grid = pd.read_csv(io.StringIO(text), sep=delim, header=None, dtype=str,
                           keep_default_na=False, na_filter=False, skip_blank_lines=False,
                           engine="c", quotechar='"', doublequote=True)
        if len(grid) == n_lines:           # one record per line: line number = index + 1
            return grid, np.arange(1, n_lines + 1)
    except (pd.errors.ParserError, ValueError):
        pass
    # ragged rows or line breaks inside quoted cells: the csv module tracks lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    nums: list[int] = []
    prev = 0
    try:
        for rec in reader:
            rows.append(rec)
            nums.append(prev + 1)
            prev = reader.line_num
    except csv.Error as e:
        ctx.fatal(f"cannot read the CSV file near line {prev + 1}: {e}", row=prev + 1)
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, dtype=object), np.asarray(nums, dtype=np.int64)


# ---- parquet


def _read_parquet(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    try:
        import pyarrow  # noqa: F401  (optional dependency)
    except ImportError:
        ctx.fatal("reading .parquet files needs the pyarrow package: pip install pyarrow")
    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad file
        ctx.fatal(f"cannot read the parquet file: {e}")
    return _from_frame(df, canon_map, ctx)


# ---- xlsx


def _import_calamine():
    """The python-calamine workbook class, or None (e.g. under Pyodide)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    return CalamineWorkbook


def _check_workbook_zip(path: Path, ctx: _Ctx) -> None:
    """Refuse files that are not xlsx zips, zip bombs and XML with DTDs,
    before any XML parser sees them."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        ctx.fatal("not an .xlsx workbook: this is an old binary .xls file or a "
                  "password-protected workbook; open it in Excel and save it as .xlsx "
                  "without a password")
    if not zipfile.is_zipfile(path):
        ctx.fatal(f"{path.name} is not an Excel workbook (.xlsx files are zip archives)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or not any(
                    n.endswith("workbook.xml") for n in names):
                ctx.fatal(f"{path.name} is not an Excel workbook (no workbook part inside)")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                ctx.fatal(f"refused {path.name}: it unpacks to {total / 2 ** 30:.1f} GiB, more "
                          f"than the limit of {MAX_UNCOMPRESSED_BYTES / 2 ** 30:.1f} GiB")
            for i in infos:
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
                    ctx.fatal(f"refused {path.name}: member {i.filename} is compressed "
                              f"{ratio:.0f}:1 (limit {MAX_COMPRESSION_RATIO}:1), "
                              "which is how a zip bomb looks")
            for i in infos:
                if i.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(i) as m:
                        head = m.read(XML_HEAD_BYTES).upper()
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        ctx.fatal(f"refused {path.name}: {i.filename} declares a DTD or "
                                  "entities, which Excel never writes")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as e:
        ctx.fatal(f"{path.name} is not a readable Excel workbook: {e}")


def _pick_sheet(names: list[str], sheet: Any, ctx: _Ctx) -> str:
    if not names:
        ctx.fatal("the workbook has no sheets")
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        wanted = {_norm_header(s) for s in SHEET_NAMES[ctx.kind]}
        return next((n for n in names if _norm_header(n) in wanted), names[0])
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        ctx.fatal(f"sheet index {sheet} is out of range: the workbook has {len(names)} "
                  f"sheet(s) ({listing}); indexes start at 0")
    sheet = str(sheet)
    if sheet in names:
        return sheet
    close = [n for n in names if _norm_header(n) == _norm_header(sheet)]
    if len(close) == 1:
        return close[0]
    ctx.fatal(f"no sheet named {sheet!r}; sheets: {listing}")


def _read_xlsx(path: Path, sheet: Any, canon_map: dict, ctx: _Ctx) -> _Raw:
    _check_workbook_zip(path, ctx)
    calamine = _import_calamine()
    try:
        if calamine is not None:
            wb = calamine.from_path(str(path))
            try:
                ctx.sheet = _pick_sheet(list(wb.sheet_names), sheet, ctx)
                rows = wb.get_sheet_by_name(ctx.sheet).to_python(skip_empty_area=False)
            finally:
                wb.close()
        else:
            import openpyxl
            # openpyxl parses the XML with defusedxml when it is installed (it is a
            # dependency of this package), so entity expansion is refused there too.
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ctx.sheet = _pick_sheet(list(wb.sheetnames), sheet, ctx)
                ws = wb[ctx.sheet]
                if not hasattr(ws, "iter_rows"):
                    ctx.fatal(f"sheet {ctx.sheet!r} is a chart, not a worksheet")
                ws.reset_dimensions()   # some writers store a wrong used range
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
            finally:
                wb.close()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad workbook
        ctx.fatal(f"cannot read the workbook: {type(e).__name__}: {e}")
    if not rows:
        ctx.fatal("the sheet is empty")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) if len(r) < width else r for r in rows]
    grid = pd.DataFrame(rows, dtype=object)
    for c in grid.columns:   # same empties from both readers: None
        s = grid[c]
        grid[c] = s.mask(s.isin(_EXCEL_ERRORS) | s.eq(""), None)
    return _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, ctx, letters=True)


# --------------------------------------------------------------------------
# matching headers to canonical columns


def _where(raw: _Raw, pos: int) -> str:
    return repr(raw.headers[pos])


def _match_columns(raw: _Raw, canon_map: dict[str, str | None], ctx: _Ctx) -> dict[str, int]:
    headers = raw.headers
    kind = ctx.kind
    result: dict[str, int] = {}
    taken: dict[int, str] = {}
    for c, h in canon_map.items():
        if h is None:
            continue
        pos = [i for i, x in enumerate(headers) if x == h]
        if not pos:
            pos = [i for i, x in enumerate(headers) if _norm_header(x) == _norm_header(h)]
        if not pos:
            ctx.add_fatal(f"the mapping names header {h!r} for {c!r}, but there is no such "
                          f"header; headers found: {', '.join(map(repr, headers))}", column=h)
            continue
        if len(pos) > 1:
            ctx.add_fatal(f"the mapping names header {h!r} for {c!r}, but {len(pos)} columns "
                          "have that header", column=h)
            continue
        if pos[0] in taken:
            ctx.add_fatal(f"the mapping sends header {h!r} to both {taken[pos[0]]!r} and {c!r}",
                          column=h)
            continue
        result[c] = pos[0]
        taken[pos[0]] = c
    ctx.raise_if_fatal()

    for lookup in (_LOOKUP[kind], _LOOKUP2[kind]):
        found: dict[str, list[int]] = {}
        for i, h in enumerate(headers):
            if i in taken:
                continue
            c = lookup.get(_norm_header(h))
            if c is not None and c not in canon_map and c not in result:
                found.setdefault(c, []).append(i)
        for c, pos in found.items():
            if len(pos) > 1:
                names = " and ".join(_where(raw, p) for p in pos)
                ctx.add_fatal(f"several columns can be {c!r}: {names}; remove one or choose "
                              f"with mapping={{{c!r}: {headers[pos[0]]!r}}}",
                              column=headers[pos[1]])
            else:
                result[c] = pos[0]
                taken[pos[0]] = c
        ctx.raise_if_fatal()

    for c in SCHEMA[kind][0]:
        if c not in result:
            accepted = ", ".join(dict.fromkeys(ALIASES.get(c, ()) + SECONDARY_ALIASES.get(c, ())
                                               + (c,)))
            ctx.add_fatal(f"required column {c!r} not found; headers found: "
                          f"{', '.join(map(repr, headers)) or '(none)'}; accepted headers for "
                          f"{c!r}: {accepted} (or name yours: --map {c}=<your header> on the command line, "
                          f"mapping={{{c!r}: '<your header>'}} in Python)",
                          column=c)
    ctx.raise_if_fatal()
    return {c: result[c] for c in _columns_of(kind) if c in result}


# --------------------------------------------------------------------------
# value parsing (vectorised)


@dataclass
class _Parsed:
    values: pd.Series          # canonical dtype, NaN/NaT where empty or bad
    empty: np.ndarray          # bool: the source cell is empty
    bad: pd.Series             # reason per bad, non-empty cell (index = positions)
    total: np.ndarray | None = None   # text columns: the cell says "Итого"/"Total"


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
    codes, u = f
    pu = fn(u)
    if pu.values.dtype == object:
        # text: keep it categorical (codes into the distinct cleaned values),
        # so the analysis reuses these codes instead of hashing a million
        # strings again; two raw spellings that clean to one value merge here
        ucodes, cats = pd.factorize(pu.values, use_na_sentinel=True)
        values = pd.Series(pd.Categorical.from_codes(ucodes[codes], categories=pd.Index(cats, dtype=object)))
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


def _blank_mask(s: pd.Series) -> np.ndarray:
    """True where a cell is empty: missing, or text with only spaces."""
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
    if isinstance(v, (dt.date, np.datetime64)):   # datetime and Timestamp are dates too
        return 0 if v is pd.NaT or (isinstance(v, np.datetime64) and np.isnat(v)) else 3
    if v is None or v is pd.NA:
        return 0
    return 5


_KIND_NAMES = {1: "str", 2: "num", 3: "dt", 4: "bool", 5: "other"}
_INFERRED = {"string": "str", "empty": None, "floating": "num", "integer": "num",
             "mixed-integer-float": "num", "decimal": "num", "boolean": "bool",
             "datetime": "dt", "datetime64": "dt", "date": "dt"}


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
    codes = np.fromiter((_elem_kind(v) for v in s.to_numpy(dtype=object)), dtype=np.int8,
                        count=n)
    for code, k in _KIND_NAMES.items():
        out[k] = codes == code
    return out


def _strings(s: pd.Series, mask: np.ndarray) -> pd.Series:
    """The text cells at ``mask``, stripped, as a str Series keeping positions."""
    return s[mask].astype(str).str.strip()


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
        vals = pd.Series(s.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=np.nan),
                         dtype=object)
    else:
        k = _kinds(s)
        if not (k["num"] | k["dt"] | k["bool"] | k["other"]).any():   # text or empty
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


# ---- numbers

_CUR_PREFIX = r"^([+-]?)\s*(?:[$€₽]|руб\.?|р\.)\s*"
_CUR_SUFFIX = r"\s*(?:[$€₽]|руб\.?|р\.?)$"


def _guess_decimal_comma(t: pd.Series, default: bool) -> bool:
    """Whether ``,`` is the decimal separator in this column of text numbers."""
    with_comma = t[t.str.contains(",", regex=False)]
    if with_comma.empty:
        return default
    x = with_comma.str.replace(r"[\s']", "", regex=True)
    dec = (x.str.contains(r"\d,(?:\d{1,2}|\d{4,})\D*$", regex=True)
           | x.str.contains(r"\.\d{3},\d", regex=True)
           | with_comma.str.contains(r"\d\s\d{3},\d", regex=True))
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
    out = out.mask(comma_last & ok, x.str.replace(".", "", regex=False)
                   .str.replace(",", ".", regex=False))
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
        bad = pd.Series("yes/no value where a number is expected", index=np.flatnonzero(~empty),
                        dtype=object)
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
        bad = pd.Series("a date where a number is expected", index=np.flatnonzero(~empty),
                        dtype=object)
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
            dc = decimal_comma if decimal_comma is not None else _guess_decimal_comma(
                t, comma_default)
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
    for key, why in (("dt", "a date where a number is expected"),
                     ("bool", "yes/no value where a number is expected"),
                     ("other", "not a number")):
        reasons[k[key]] = why
    badmask = ~empty & ~np.isfinite(v)
    reasons[badmask & (reasons == None)] = "not a number"  # noqa: E711 - elementwise
    v[badmask] = np.nan
    idx = np.flatnonzero(badmask)
    return _Parsed(pd.Series(v), empty, pd.Series(reasons[idx], index=idx, dtype=object))


# ---- dates

_EXCEL_BASE = np.datetime64("1899-12-30", "D")
_MAX_SERIAL = 2958465                       # 9999-12-31
_NS_MIN = np.datetime64("1677-09-22", "D")  # the range datetime64[ns] can hold
_NS_MAX = np.datetime64("2262-04-11", "D")
_OUT_OF_RANGE = "date out of the supported range 1677-09-22 .. 2262-04-11"
_DATE_HELP = "expected a date, an Excel date number, YYYY-MM-DD or DD.MM.YYYY"

_ISO_RE = (r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})"
           r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_DMY_RE = (r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})"
           r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$")


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
    iso = r.str.extract(_ISO_RE).astype(float)
    dmy = r.str.extract(_DMY_RE).astype(float)
    y = iso[0].to_numpy().copy()
    m = iso[1].to_numpy().copy()
    d = iso[2].to_numpy().copy()
    use = np.isnan(y) & ~np.isnan(dmy[2].to_numpy())
    yy = dmy[2].to_numpy()
    two = r.str.extract(_DMY_RE)[2].str.len().eq(2).to_numpy()
    yy = np.where(use & two, np.where(yy < 30, 2000 + yy, 1900 + yy), yy)  # Excel's rule
    y[use], m[use], d[use] = yy[use], dmy[1].to_numpy()[use], dmy[0].to_numpy()[use]
    matched = ~np.isnan(y)
    sub_days = np.full(len(r), np.datetime64("NaT", "D"))
    sub_reasons = np.full(len(r), None, dtype=object)
    if matched.any():
        in_years = matched & (y >= 1678) & (y <= 2261)
        sub_reasons[matched & ~in_years] = _OUT_OF_RANGE
        if in_years.any():
            got = pd.to_datetime(pd.DataFrame({"year": y[in_years], "month": m[in_years],
                                               "day": d[in_years]}), errors="coerce")
            gd = got.to_numpy().astype("datetime64[D]")
            sub_days[in_years] = gd
            nat = np.zeros(len(r), dtype=bool)
            nat[np.flatnonzero(in_years)[np.isnat(gd)]] = True
            sub_reasons[nat] = "no such calendar date"
    # a number written as text: an Excel date number (not a 4-digit year)
    num = pd.to_numeric(r.where(r.str.fullmatch(r"\d+(?:[.,]\d+)?").fillna(False).astype(bool))
                        .str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
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


def _parse_dates(s: pd.Series) -> _Parsed:
    n = len(s)
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        empty = s.isna().to_numpy()
        if isinstance(dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        if s.dtype == np.dtype("datetime64[ns]"):      # fast path: no per-value work
            return _Parsed(s.dt.normalize().reset_index(drop=True), empty, _no_bad())
        reasons = np.full(n, None, dtype=object)
        vals = _finish_days(s.to_numpy().astype("datetime64[D]"), reasons)
    elif pd.api.types.is_bool_dtype(dtype):
        empty = s.isna().to_numpy()
        reasons = np.where(empty, None, f"not a date ({_DATE_HELP})").astype(object)
        vals = np.full(n, np.datetime64("NaT", "ns"))
    elif pd.api.types.is_numeric_dtype(dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(v)
        days, reasons = _serial_to_days(np.where(empty, 61, v))
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
            d, r = _serial_to_days(np.where(np.isnan(v), 0, v))
            days[k["num"]] = d
            reasons[k["num"]] = r
        if k["str"].any():
            t = _strings(s, k["str"])
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
    bad_nat = ~empty & np.isnat(vals) & (reasons == None)  # noqa: E711
    reasons[bad_nat] = f"not a date ({_DATE_HELP})"
    idx = np.flatnonzero(reasons != None)  # noqa: E711
    return _Parsed(pd.Series(vals), empty, pd.Series(reasons[idx], index=idx, dtype=object))


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

    def same(v: Any) -> Any:   # the two workbook readers differ in int/float, date/datetime
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


# --------------------------------------------------------------------------
# validation: parse every column, reject bad rows, report


def _py(v: Any) -> Any:
    """A cell value as a plain Python object for the report."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v


def _validate(raw: _Raw, positions: dict[str, int], ctx: _Ctx) -> pd.DataFrame:
    kind = ctx.kind
    frame = raw.frame
    n = len(frame)
    parsed = {c: _parse(COLUMN_TYPES[c], frame[p].reset_index(drop=True), raw)
              for c, p in positions.items()}
    extra_pos = [p for p in range(frame.shape[1]) if p not in positions.values()]
    extra_blank = {p: _blank_mask(frame[p]) for p in extra_pos}

    blank_row = np.ones(n, dtype=bool)
    for pr in parsed.values():
        blank_row &= pr.empty
    for b in extra_blank.values():
        blank_row &= b

    total_row = np.zeros(n, dtype=bool)
    for pr in parsed.values():
        if pr.total is not None:
            total_row |= pr.total
    total_row &= ~blank_row
    candidate = ~blank_row & ~total_row
    n_rows = int(candidate.sum())
    if n_rows == 0:
        ctx.fatal("no data rows" + (" (only total lines)" if total_row.any() else "")
                  + ": the table has a header but nothing under it")

    # (position, column order, reason, column) for every bad cell
    cells: list[tuple[int, int, str, str]] = []
    rejected = np.zeros(n, dtype=bool)
    required = ROW_REQUIRED[kind]
    for order, (c, pr) in enumerate(parsed.items()):
        bad_idx = pr.bad.index.to_numpy(dtype=np.int64)
        bad_idx_c = bad_idx[candidate[bad_idx]] if len(bad_idx) else bad_idx
        if len(bad_idx_c):
            rejected[bad_idx_c] = True
            reasons = pr.bad.loc[bad_idx_c].to_numpy()
            cells.extend(zip(bad_idx_c.tolist(), [order] * len(bad_idx_c), reasons.tolist(),
                             [c] * len(bad_idx_c)))
        if c in required:
            miss = np.flatnonzero(pr.empty & candidate)
            if len(miss):
                rejected[miss] = True
                why = f"empty {_WHAT.get(c, c)}"
                cells.extend((int(i), order, why, c) for i in miss)

    dup_first: dict[int, int] = {}
    if kind == "clients":
        ids = parsed["client_id"].values
        alive = np.flatnonzero(candidate & ~rejected)
        sub = ids.iloc[alive]
        dup = sub.duplicated(keep="first").to_numpy()
        if dup.any():
            first_pos = pd.Series(alive, index=sub.to_numpy()).groupby(level=0).first()
            for i in alive[dup]:
                dup_first[int(i)] = int(first_pos[ids.iloc[i]])
            rejected[alive[dup]] = True

    n_rejected = int(rejected.sum())
    refused = n_rejected * 2 > n_rows
    rows = raw.rows
    cells.sort(key=lambda t: (t[0], t[1]))
    dup_items = sorted(dup_first.items())
    limit = MAX_PROBLEMS_WHEN_REFUSED if refused else None
    problems: list[Problem] = []
    for i, _order, why, c in cells[:limit]:
        p = positions[c]
        problems.append(ctx.problem(why, row=int(rows[i]), column=raw.headers[p],
                                    value=_py(frame.iat[i, p]), severity=ERROR))
    for i, first in dup_items[:limit]:
        p = positions["client_id"]
        problems.append(ctx.problem(f"client id repeated: first given in row {int(rows[first])}",
                                    row=int(rows[i]), column=raw.headers[p],
                                    value=_py(frame.iat[i, p]), severity=ERROR))
    problems.sort(key=lambda q: q.row)
    for i in np.flatnonzero(total_row)[:limit]:
        problems.append(ctx.problem("a total line, not data: left out", row=int(rows[i]),
                                    severity=WARNING))
    if refused:
        first = "; ".join(str(q) for q in problems[:3])
        ctx.report.problems.extend(problems)
        ctx.fatal(f"{n_rejected} of {n_rows} rows rejected; more than half usually means a "
                  f"wrong column (check the headers or pass a mapping). First problems: {first}")
    ctx.report.problems.extend(sorted(problems, key=lambda q: (q.row, q.severity != ERROR)))

    keep = candidate & ~rejected
    everything = bool(keep.all())
    out: dict[str, Any] = {}
    for c, pr in parsed.items():
        v = pr.values if everything else pr.values[keep].reset_index(drop=True)
        if COLUMN_TYPES[c] == DATE:
            v = v.astype("datetime64[ns]")
        elif COLUMN_TYPES[c] == TEXT:
            if not isinstance(v.dtype, pd.CategoricalDtype):
                v = v.astype(object)
        else:
            v = v.astype(np.float64)
        out[c] = v
    for p in extra_pos:
        v = _tidy_extra(frame[p], extra_blank[p], raw.grid)
        out[raw.headers[p]] = v if everything else v[keep].reset_index(drop=True)
    out["row"] = pd.Series(rows[keep], dtype=np.int64)
    return pd.DataFrame(out)
