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

#: the money columns that are summed (per client, per segment, in total)
MONEY_COLUMNS = frozenset({"amount", "cost", "gross_profit"})

#: 2**46: below it a 64-bit float is finer than 1/128 of a unit, so every amount
#: given to the cent reads back as that cent; at and above it the spacing of
#: floats reaches 1/64 and cents are lost (0.01 reads as 0.016 at 7.5e13)
MONEY_LIMIT = float(2**46)

#: why a line amount at or above MONEY_LIMIT is rejected (one text, so the
#: engine path counts these rows under one reason)
MONEY_TOO_LARGE = (
    f"amount of {MONEY_LIMIT:,.0f} or more: too large to keep its cents; "
    "give the amounts in thousands (divide the column by 1000) or check the column"
)


def money_sum_too_large(what: str, total: float) -> str:
    """The message for a money column whose absolute values add up to
    MONEY_LIMIT or more: its per-client and total sums could lose cents."""
    return (
        f"the {what} values add up to {total:,.0f} (absolute values); sums of "
        f"{MONEY_LIMIT:,.0f} or more cannot keep their cents, so totals would be wrong: "
        "give the amounts in thousands (divide the column by 1000), or split the file "
        "(by period or by client) and analyse the parts"
    )
