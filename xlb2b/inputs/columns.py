"""Canonical columns of the input tables: their value types and which empty cells reject a row."""

from __future__ import annotations

# --------------------------------------------------------------------------
# canonical columns: type, and whether an empty cell rejects the row

TEXT, DATE, NUMBER, FLAG = "text", "date", "number", "flag"

COLUMN_TYPES: dict[str, str] = {
    "client_id": TEXT,
    "order_id": TEXT,
    "sku": TEXT,
    "category": TEXT,
    "supplier": TEXT,
    "region": TEXT,
    "manager": TEXT,
    "name": TEXT,
    "industry": TEXT,
    "date": DATE,
    "amount": NUMBER,
    "quantity": NUMBER,
    "cost": NUMBER,
    "gross_profit": NUMBER,
    "capacity_units": NUMBER,
    "overdue_days": NUMBER,
    "overdue_amount": NUMBER,
    "overdue_flag": FLAG,
}

#: columns whose empty cell rejects the row, when the column is present.
#: Other optional columns may be empty (the value is then unknown, NaN).
ROW_REQUIRED: dict[str, frozenset[str]] = {
    "transactions": frozenset({"client_id", "date", "amount", "quantity", "cost", "gross_profit", "order_id"}),
    "clients": frozenset({"client_id"}),
    "market": frozenset({"client_id", "supplier", "amount", "date"}),
}

#: words used in messages for canonical columns
_WHAT = {
    "client_id": "client id",
    "order_id": "order number",
    "gross_profit": "gross profit",
    "capacity_units": "capacity",
    "overdue_days": "overdue days",
    "overdue_amount": "overdue amount",
    "overdue_flag": "overdue flag",
}
