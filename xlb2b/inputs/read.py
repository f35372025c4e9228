"""The public readers: read_transactions, read_clients, read_market, read_table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlb2b.errors import InputError
from xlb2b.inputs.context import _Ctx, _default_label
from xlb2b.inputs.headers import _match_columns, _normalise_mapping
from xlb2b.inputs.reading import describe, partial
from xlb2b.inputs.sources import _load
from xlb2b.inputs.structure import find_layout
from xlb2b.inputs.tables import SCHEMA, InputTable
from xlb2b.inputs.validate import _validate

# --------------------------------------------------------------------------
# public API


def read_transactions(
    source: Any,
    *,
    sheet: str | int | None = None,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
) -> InputTable:
    """Read and validate a transactions table (one row per order line).

    Required columns: ``client_id``, ``date``, ``amount``; see
    :func:`read_table` for sources, ``sheet``, ``mapping`` and ``name``.
    """
    return read_table("transactions", source, sheet=sheet, mapping=mapping, name=name)


def read_clients(
    source: Any,
    *,
    sheet: str | int | None = None,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
) -> InputTable:
    """Read and validate a clients table (one row per client; a repeated
    client id is rejected, naming the row where it first appears)."""
    return read_table("clients", source, sheet=sheet, mapping=mapping, name=name)


def read_market(
    source: Any,
    *,
    sheet: str | int | None = None,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
) -> InputTable:
    """Read and validate a market table (client purchases by supplier)."""
    return read_table("market", source, sheet=sheet, mapping=mapping, name=name)


def read_table(
    kind: str,
    source: Any,
    *,
    sheet: str | int | None = None,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
) -> InputTable:
    """Read ``source`` as a table of ``kind`` ("transactions", "clients",
    "market") and validate it.

    ``source``: path to ``.xlsx``/``.xlsm``/``.xls``/``.xlsb``/``.ods``/``.csv``/``.txt``/``.parquet``, a
    pandas DataFrame, a 2-D list (first row = headers) or an
    :class:`InputTable` (returned as is).
    ``sheet``: workbook sheet name or 0-based index; by default a sheet named
    after the kind ("Transactions", "Продажи", "Clients", "Клиенты", "Market",
    "Рынок") if there is one, else the first sheet; when that sheet has no table
    with the required columns and exactly one other sheet has, that one (the
    report says so; several: refused, naming them).
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
    raw0 = _load(source, sheet, canon_map, ctx)
    positions0 = _match_columns(raw0, canon_map, ctx)
    # subtotal/total/group rows out, the client filled in where the layout says so
    raw, positions, layout = raw0, positions0, None
    try:
        raw, positions, layout = find_layout(raw0, positions0, ctx)
        data = _validate(raw, positions, ctx)
    except InputError as e:  # refused: what was read so far still goes with the refusal
        partial(kind, source, raw0, raw, positions, canon_map, ctx, layout)
        e.report = ctx.report
        raise
    columns = {c: raw.headers[p] for c, p in positions.items()}
    reading = describe(kind, source, raw0, raw, positions, canon_map, ctx, data, layout, columns)
    return InputTable(
        kind=kind, data=data, report=ctx.report, source=ctx.label, sheet=ctx.sheet, columns=columns, reading=reading
    )
