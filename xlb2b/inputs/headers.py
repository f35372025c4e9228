"""Header detection and mapping: aliases, the header row of a grid, the source column behind each field."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.tables import SCHEMA
from xlb2b.inputs.values import _blank_mask, _cell_text
from xlb2b.io_util import column_letter

#: the header row is looked for among this many first rows
HEADER_SCAN_ROWS = 20
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


# ---- grid: find the header row, drop the rows above it




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
            hit = lookup.get(_norm_header(h))
            if hit is not None and hit not in canon_map and hit not in result:
                found.setdefault(hit, []).append(i)
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


