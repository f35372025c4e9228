"""Header detection and mapping: aliases, the header row of a grid, the source column behind each field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING, InputError
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.raw import HeaderFound, _Raw
from xlb2b.inputs.tables import SCHEMA
from xlb2b.inputs.values import _blank_mask, _cell_text
from xlb2b.io_util import column_letter

#: the header row is looked for among this many first rows (1C reports put a long
#: block of report parameters above the table)
HEADER_SCAN_ROWS = 100
# --------------------------------------------------------------------------
# header aliases (Russian and English); compared after _norm_header()

ALIASES: dict[str, tuple[str, ...]] = {
    "client_id": (
        "Клиент",
        "Контрагент",
        "Покупатель",
        "Заказчик",
        "Код клиента",
        "Код контрагента",
        "ID клиента",
        "Client",
        "Customer",
        "Client ID",
        "Customer ID",
        "ClientID",
        "CustomerID",
        "client_id",
    ),
    "date": ("Дата", "Дата документа", "Дата продажи", "Период", "Date", "Order date", "Sale date", "Transaction date"),
    "amount": (
        "Сумма",
        "Выручка",
        "Сумма продажи",
        "Сумма продаж",
        "Amount",
        "Revenue",
        "Sales",
        "Net amount",
        "Net sales",
        "Sales amount",
    ),
    "quantity": ("Количество", "Кол-во", "Qty", "Quantity", "Units"),
    "sku": ("Номенклатура", "Артикул", "Товар", "SKU", "Product", "Item"),
    "category": (
        "Категория",
        "Группа",
        "Товарная группа",
        "Группа номенклатуры",
        "Group",
        "Category",
        "Product group",
        "Product category",
    ),
    "cost": ("Себестоимость", "Cost", "COGS", "Cost of sales"),
    "gross_profit": ("Валовая прибыль", "Валовый доход", "Валовой доход", "Gross profit", "GP"),
    "region": ("Регион", "Region"),
    "manager": ("Менеджер", "Ответственный", "Manager", "Sales rep", "Account manager", "Sales manager"),
    "order_id": (
        "Номер заказа",
        "Заказ",
        "№ заказа",
        "Документ",
        "Номер документа",
        "№ документа",
        "Order",
        "Order ID",
        "Order number",
        "Order no",
        "Invoice",
        "Invoice number",
        "Invoice no",
    ),
    "name": ("Наименование", "Название", "Наименование клиента", "Name", "Company", "Company name"),
    "industry": ("Отрасль", "Тип клиента", "Industry"),
    "capacity_units": (
        "Кресла",
        "Количество кресел",
        "Кол-во кресел",
        "Парк техники",
        "Ёмкость",
        "Capacity",
        "Capacity units",
        "Slots capacity",
    ),
    "overdue_days": (
        "ПДЗ дней",
        "ПДЗ, дней",
        "Просрочка дней",
        "Просрочка, дней",
        "Дней просрочки",
        "Overdue days",
        "Days overdue",
    ),
    "overdue_amount": ("ПДЗ", "Сумма ПДЗ", "Просроченная задолженность", "Overdue", "Overdue amount"),
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


#: a grouped report's column that holds the client on its group rows and the product on
#: the lines beneath them is headed by both names («Контрагент / Номенклатура»,
#: «Клиент/Товар»): such a header names the client column (the layout step gives the
#: lines' texts to ``sku``)
COMBINED_PARTS: tuple[str, str] = ("client_id", "sku")


def _combined_keys() -> dict[str, str]:
    """Normalised «client / product» headers of the transactions table -> ``client_id``."""
    first, second = COMBINED_PARTS
    out = {}
    for a in ALIASES[first]:
        for b in ALIASES[second]:
            out[f"{_norm_header(a)} {_norm_header(b)}"] = first
    return out


_COMBINED = _combined_keys()


def is_combined(header: Any) -> bool:
    """Whether a header names both the client and the product (a grouped report's column)."""
    return _norm_header(header) in _COMBINED


_LOOKUP = {k: _build_lookup(k, ALIASES) for k in SCHEMA}
for _k, _v in _COMBINED.items():
    if _LOOKUP["transactions"].get(_k, _v) != _v:  # pragma: no cover - guarded by tests
        raise AssertionError(f"combined header {_k!r} is also the alias of {_LOOKUP['transactions'][_k]}")
    _LOOKUP["transactions"][_k] = _v
_LOOKUP2 = {k: _build_lookup(k, SECONDARY_ALIASES) for k in SCHEMA}
_ALL_CANONICAL = frozenset(c for k in SCHEMA for c in _columns_of(k))

# --------------------------------------------------------------------------
# mapping


def _normalise_mapping(kind: str, mapping: Mapping[str, Any] | None, ctx: _Ctx) -> dict[str, str | None]:
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
        ctx.fatal(
            "mapping must map canonical column names to source headers, e.g. "
            f"{{'amount': 'Сумма'}}; canonical names of the {kind} table: "
            f"{', '.join(_columns_of(kind))}",
            value=dict(mapping),
        )
    for c in out:
        if c not in _columns_of(kind):
            ctx.add_fatal(
                f"mapping names {c!r}, which is not a column of the {kind} table "
                f"(columns: {', '.join(_columns_of(kind))})"
            )
    ctx.raise_if_fatal()
    return out


# ---- grid: find the header row, drop the rows above it


def _count_matches(headers: Iterable[str | tuple[str, ...]], kind: str, canon_map: dict) -> int:
    """How many header cells name a column of ``kind``; a cell may be a tuple of
    texts to try (a header over two rows)."""
    lookup = _LOOKUP[kind]
    mapped = {_norm_header(h) for h in canon_map.values() if h is not None}
    n = 0
    for h in headers:
        for t in h if isinstance(h, tuple) else (h,):
            if t:
                key = _norm_header(t)
                if key in lookup or key in mapped or key in _LOOKUP2[kind]:
                    n += 1
                    break
    return n


def _two_row_header(upper: list[str], lower: list[str], lower_values: Iterable[Any]) -> list[tuple[str, ...]] | None:
    """The header texts of a header written over two rows, or None when the
    lower row is not a header row.

    Merged cells keep their text in the first cell only: a group heading over
    several sub-headings ("Продажи" over "Сумма" and "Количество") is spread
    to the right over the empty upper cells that have a sub-heading, and a
    heading merged down ("Клиент" over an empty cell) stays as it is.  Per
    column the texts are the joined "upper / lower", then the lower, then the
    upper one when it is the column's own.  The lower row counts as a header
    row only when it holds text and no numbers or dates and has a sub-heading
    under an empty upper cell, and the upper row has at least two headings (a
    single cell above is a title).
    """
    if any(v is not None and not isinstance(v, str) for v in lower_values):
        return None
    if sum(1 for u in upper if u) < 2:  # a title line above the header, not a header
        return None
    n = len(upper)
    if not any(lower[i] and not upper[i] for i in range(n)) and not _stacked_groupings(upper, lower):
        return None
    spread = list(upper)
    for i in range(n):
        if not upper[i] and lower[i]:
            j = i - 1
            while j >= 0 and not upper[j] and lower[j]:
                j -= 1
            if j >= 0 and upper[j] and lower[j]:
                spread[i] = upper[j]
    out: list[tuple[str, ...]] = []
    for own, u, lo in zip(upper, spread, lower):
        if own and lo and is_combined(u):  # «Контрагент / Номенклатура» over «Номенклатура»
            out.append((u,))
        elif u and lo:
            # a group heading spread over a sub-heading never names the column alone
            out.append((f"{u} / {lo}", lo, u) if own else (f"{u} / {lo}", lo))
        else:
            out.append((u or lo,))
    return out


def _stacked_groupings(upper: list[str], lower: list[str]) -> bool:
    """Whether the lower row holds only the headings of a grouped report's lower grouping
    levels under its upper ones, in the same column (1C: «Контрагент» over «Номенклатура»,
    the other headings merged down over both rows)."""
    pairs = [(u, lo) for u, lo in zip(upper, lower) if lo]
    if not pairs or any(not u for u, _lo in pairs):
        return False
    sku = {_norm_header(a) for a in ALIASES[COMBINED_PARTS[1]]}
    return all(is_combined(f"{u} / {lo}") or (is_combined(u) and _norm_header(lo) in sku) for u, lo in pairs)


def _header_row(
    texts: list[list[str]], grid: pd.DataFrame, ctx: _Ctx, canon_map: dict
) -> tuple[int, int, list[tuple[str, ...]]]:
    """(first header row, number of header rows, header texts per column)
    among the rows of ``texts`` (the first rows of ``grid`` as text)."""
    filled = [sum(1 for t in r if t) for r in texts]
    matches = [_count_matches(r, ctx.kind, canon_map) for r in texts]
    if matches and max(matches) > 0:
        h = matches.index(max(matches))
    elif any(f >= 2 for f in filled):
        h = next(i for i, f in enumerate(filled) if f >= 2)
    elif any(filled):
        h = next(i for i, f in enumerate(filled) if f)
    else:
        ctx.fatal(
            f"no header row found: the first {min(len(grid), HEADER_SCAN_ROWS)} rows are "
            "empty; put the table's headers in one row above the data"
            if len(grid)
            else "the table is empty: the file holds no rows; check that this is the right file or sheet"
        )
    one_row: list[tuple[str, ...]] = [(t,) for t in texts[h]]
    best: tuple[int, int, list[tuple[str, ...]], int] = (h, 1, one_row, matches[h])
    for top in (h - 1, h):
        if top < 0 or top + 1 >= len(texts):
            continue
        keys = _two_row_header(texts[top], texts[top + 1], grid.iloc[top + 1].tolist())
        if keys is not None:
            m = _count_matches(keys, ctx.kind, canon_map)
            # the grouping headings stacked in one column name no more fields, but the lower
            # row is a header row all the same (not a line without a date)
            if m > best[3] or (m == best[3] and m and _stacked_groupings(texts[top], texts[top + 1])):
                best = (top, 2, keys, m)
    return best[0], best[1], best[2]


def _find_header(grid: pd.DataFrame, ctx: _Ctx, canon_map: dict) -> tuple[int, int, list[tuple[str, ...]], int]:
    """(header row index, number of header rows, header texts per column,
    rows scanned) of a grid with columns 0..n-1 and a RangeIndex."""
    head = grid.iloc[:HEADER_SCAN_ROWS]
    texts = [[_cell_text(v) for v in r] for r in head.itertuples(index=False)]
    h, depth, keys = _header_row(texts, grid, ctx, canon_map)
    return h, depth, keys, len(head)


def _from_grid(
    grid: pd.DataFrame,
    rownums: np.ndarray,
    canon_map: dict,
    ctx: _Ctx,
    *,
    letters: bool,
    decimal_comma: bool | None = None,
    comma_default: bool = True,
) -> _Raw:
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    h, depth, keys, scanned = _find_header(grid, ctx, canon_map)
    frame = grid.iloc[h + depth :].reset_index(drop=True)
    rows = np.asarray(rownums[h + depth :], dtype=np.int64)
    return _with_header(
        frame,
        rows,
        keys,
        int(rownums[h]),
        depth,
        scanned,
        canon_map,
        ctx,
        letters=letters,
        decimal_comma=decimal_comma,
        comma_default=comma_default,
    )


def _with_header(
    frame: pd.DataFrame,
    rows: np.ndarray,
    keys: list[tuple[str, ...]],
    header_row: int,
    depth: int,
    scanned: int,
    canon_map: dict,
    ctx: _Ctx,
    *,
    letters: bool,
    decimal_comma: bool | None = None,
    comma_default: bool = True,
    first_seen: bool = False,
) -> _Raw:
    """The raw table of the data rows ``frame`` (columns 0..n-1 by grid
    position) under a header found by :func:`_find_header`."""
    headers = [k[0] for k in keys]
    # columns with neither a header nor any value are not columns
    keep = [i for i, t in enumerate(headers) if t or not _blank_mask(frame[i]).all()]
    frame = frame[keep].set_axis(range(len(keep)), axis=1)
    names = _name_columns([headers[i] for i in keep], frame, letters=letters, positions=keep)
    ctx.header = HeaderFound(header_row, keep, _count_matches(keys, ctx.kind, canon_map), scanned, letters, depth)
    places = [f"column {column_letter(p)}" if letters else f"column {p + 1}" for p in keep]
    return _Raw(
        frame,
        names,
        rows,
        grid=True,
        decimal_comma=decimal_comma,
        comma_default=comma_default,
        keys=[keys[i] for i in keep],
        places=places,
        header_row=header_row,
        first_seen=first_seen,
    )


def _name_columns(
    headers: list[str], frame: pd.DataFrame, *, letters: bool, positions: list[int] | None = None
) -> list[str]:
    """Give unnamed columns a name and make names unique."""
    positions = positions if positions is not None else list(range(len(headers)))
    out: list[str] = []
    used: set[str] = set()
    for h, p in zip(headers, positions):
        if not h:
            h = f"column {column_letter(p)}" if letters else f"column {p + 1}"
        if h == "row":  # our own column of row numbers
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
    place = raw.places[pos] if raw.places else None
    return f"{_keys(raw, pos)[0]!r}" + (f" ({place})" if place else "")


def _later_twin(raw: _Raw, headers: list[str], pos: list[int], c: str) -> str:
    """When columns carry the very same header, how to take the second one with a mapping
    (it is known as 'Amount (2)'); else ''."""
    if len({_keys(raw, p)[0] for p in pos}) != 1 or headers[pos[1]] == _keys(raw, pos[1])[0]:
        return ""
    return (
        f"; or take {_where(raw, pos[1])} with --map {c}={headers[pos[1]]!r} on the command line "
        f"(mapping={{{c!r}: {headers[pos[1]]!r}}} in Python)"
    )


def _keys(raw: _Raw, pos: int) -> tuple[str, ...]:
    """The texts of a column's header to compare with aliases and mappings."""
    return raw.keys[pos] if raw.keys else (raw.headers[pos],)


def _containing(raw: _Raw, c: str, taken: dict[int, str]) -> list[int]:
    """Positions of the free columns whose header holds every word of one of ``c``'s names
    (``Сумма с НДС`` for ``amount``), made by the reader or not."""
    names = [set(_norm_header(a).split()) for a in ALIASES.get(c, ()) + (c,)]
    out = []
    for p in range(len(raw.headers)):
        if p in taken or p in raw.derived:
            continue
        words = {w for k in _keys(raw, p) for w in _norm_header(k).split()}
        if any(n and n <= words for n in names):
            out.append(p)
    return out


def _vat(raw: _Raw, positions: list[int]) -> bool:
    """Whether the headers at ``positions`` tell amounts with VAT from amounts without."""
    words = {w for p in positions for w in _norm_header(raw.headers[p]).split()}
    return len(positions) >= 2 and bool(words & {"ндс", "vat"})


def _match_columns(raw: _Raw, canon_map: dict[str, str | None], ctx: _Ctx) -> dict[str, int]:
    headers = raw.headers
    kind = ctx.kind
    result: dict[str, int] = {}
    taken: dict[int, str] = {}
    for c, h in canon_map.items():
        if h is None:
            continue
        pos = [i for i, x in enumerate(headers) if x == h]
        if len(pos) <= 1:  # two columns written with the same header are both found
            pos = [i for i in range(len(headers)) if headers[i] == h or h in _keys(raw, i)] or pos
        if not pos:
            pos = [
                i
                for i in range(len(headers))
                if any(_norm_header(x) == _norm_header(h) for x in (headers[i],) + _keys(raw, i))
            ]
        if not pos:
            ctx.add_fatal(
                f"the mapping names header {h!r} for {c!r}, but there is no such "
                f"header; headers found: {', '.join(map(repr, headers))}; correct "
                "the header in the mapping",
                column=h,
            )
            continue
        if len(pos) > 1:
            names = " and ".join(_where(raw, p) for p in pos)
            ctx.add_fatal(
                f"the mapping names header {h!r} for {c!r}, but {len(pos)} columns "
                f"have that header: {names}; rename one of them in the file so that "
                f"the headers differ{_later_twin(raw, headers, pos, c)}",
                column=h,
            )
            continue
        if pos[0] in taken:
            ctx.add_fatal(
                f"the mapping sends header {h!r} to both {taken[pos[0]]!r} and {c!r}; map it to one of them only",
                column=h,
            )
            continue
        result[c] = pos[0]
        taken[pos[0]] = c
    ctx.raise_if_fatal()

    for lookup in (_LOOKUP[kind], _LOOKUP2[kind]):
        found: dict[str, list[int]] = {}
        for i in range(len(headers)):
            if i in taken:
                continue
            hit = next((lookup[k] for k in map(_norm_header, _keys(raw, i)) if k in lookup), None)
            if hit is not None and hit not in canon_map and hit not in result:
                found.setdefault(hit, []).append(i)
        for c, pos in found.items():
            if len(pos) > 1:
                names = " and ".join(_where(raw, p) for p in pos)
                twin = _later_twin(raw, headers, pos, c)
                ctx.add_fatal(
                    f"several columns can be {c!r}: {names}; remove or rename one of "
                    + (
                        f"them{twin}"
                        if twin
                        else f"them, or choose one with --map {c}=<header> on the command "
                        f"line (mapping={{{c!r}: {headers[pos[0]]!r}}} in Python)"
                    ),
                    column=headers[pos[1]],
                )
            else:
                result[c] = pos[0]
                taken[pos[0]] = c
        ctx.raise_if_fatal()

    if kind == "transactions" and "date" not in result and "date" not in canon_map:
        from xlb2b.inputs.documents import date_from_documents

        q = date_from_documents(raw, taken)
        if q is not None:
            result["date"] = q
            headers = raw.headers
    for c in SCHEMA[kind][0]:
        if c not in result:
            accepted = ", ".join(dict.fromkeys(ALIASES.get(c, ()) + SECONDARY_ALIASES.get(c, ()) + (c,)))
            where = (
                f" (row {raw.header_row} was taken as the header row, the best match among "
                f"the first {HEADER_SCAN_ROWS} rows)"
                if raw.header_row is not None
                else ""
            )
            near = _containing(raw, c, taken)
            hint = (
                f"; {' and '.join(_where(raw, p) for p in near)} contain{'s' * (len(near) == 1)} a name of this "
                f"field: name the one to use, e.g. --map {c}={' '.join(headers[near[0]].split())!r}"
                + (" (amounts with and without VAT: take the one your figures are kept in)" if _vat(raw, near) else "")
                + (
                    f"; its amounts are in {_scale_of(headers[near[0]])}, and every money figure would be too"
                    if len(near) == 1 and _scale_of(headers[near[0]])
                    else ""
                )
                if near
                else ""
            )
            ctx.add_fatal(
                f"required column {c!r} not found; headers found{where}: "
                f"{', '.join(repr(h) for p, h in enumerate(headers) if p not in raw.derived) or '(none)'}{hint}; "
                f"accepted headers for "
                f"{c!r}: {accepted} (or name yours: --map {c}=<your header> on the command line, "
                f"mapping={{{c!r}: '<your header>'}} in Python)",
                column=c,
            )
    ctx.raise_if_fatal()
    for c in ("amount", "cost", "gross_profit", "overdue_amount"):
        scale = _scale_of(headers[result[c]]) if c in result else None
        if scale is not None:
            raw.notes.append(
                f"{c} is read from {headers[result[c]]!r}, whose header gives its amounts in {scale}: they are "
                f"taken as written, so every money figure of the analysis is in {scale}, and any other table "
                "given in another unit (the market table's amounts against ours for the share of wallet) is "
                "compared wrongly; give every table in one unit"
            )
    return {c: result[c] for c in _columns_of(kind) if c in result}


#: header words that give amounts in thousands or millions («Сумма, тыс. руб.», «Revenue, $000», «Sales, $m»)
_SCALES = {
    "тыс": "thousands",
    "тысячах": "thousands",
    "thousands": "thousands",
    "000": "thousands",
    "k$": "thousands",
    "$k": "thousands",
    "млн": "millions",
    "millions": "millions",
    "mln": "millions",
    "m$": "millions",
    "$m": "millions",
}


def _scale_of(header: str) -> str | None:
    """ "thousands" or "millions" when a money column's header says its unit is such, else None."""
    for w in _norm_header(header).split()[1:]:
        w = w if w in _SCALES else w.strip("$")  # «$000»
        if w in _SCALES:
            return _SCALES[w]
    return None


# --------------------------------------------------------------------------
# which sheet holds the table


def _grid_has_table(rows: list[list[Any]], canon_map: dict, ctx: _Ctx) -> bool:
    """Whether the first rows of a sheet hold a header row naming every
    required column (checked exactly as the reading itself would)."""
    if not rows:
        return False
    width = max(len(r) for r in rows)
    grid = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
    trial = _Ctx(kind=ctx.kind, label=ctx.label)
    try:
        raw = _from_grid(grid, np.arange(1, len(rows) + 1), canon_map, trial, letters=True)
        _match_columns(raw, canon_map, trial)
    except InputError:
        return False
    return True


def hidden_sheet_note(name: str) -> str:
    """What is said when the table was read from a hidden sheet."""
    return (
        f"sheet {name!r} is hidden in the workbook; it was read because no visible sheet holds "
        "the table; use --sheet to choose"
    )


def _other_sheet(
    names: list[str],
    first: str,
    head_of: Callable[[str], list[list[Any]]],
    canon_map: dict,
    ctx: _Ctx,
    hidden: frozenset[str] = frozenset(),
) -> str | None:
    """The sheet to read when the default sheet ``first`` has no usable table:
    the one other sheet whose first rows name every required column (said in
    the report, and that it is hidden when it is one of ``hidden``), None when
    no sheet has them; several: refused, naming them."""
    found = [n for n in names if n != first and _grid_has_table(head_of(n), canon_map, ctx)]
    if not found:
        return None
    if len(found) > 1:
        listing = ", ".join(repr(n) + (" (hidden)" if n in hidden else "") for n in found)
        ctx.fatal(
            f"sheet {first!r} has no table with the required columns, and several other "
            f"sheets have one: {listing}; choose the sheet with --sheet NAME on the command "
            "line (sheet=NAME in Python)"
        )
    ctx.sheet = found[0]
    if found[0] in hidden:
        said = f"sheet {first!r} has no table with the required columns; " + hidden_sheet_note(found[0])
    else:
        said = (
            f"sheet {first!r} has no table with the required columns: read sheet {found[0]!r} "
            "instead (choose another with --sheet NAME)"
        )
    ctx.report.problems.append(ctx.problem(said, severity=WARNING))
    return found[0]
