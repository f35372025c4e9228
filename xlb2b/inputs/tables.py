"""The canonical shape of every input table after reading and validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlb2b.errors import Report

#: canonical columns per kind: (required, optional).  Readers rename aliases
#: to these names; unknown headers are kept under their own names.
SCHEMA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transactions": (
        ("client_id", "date", "amount"),
        ("order_id", "sku", "category", "quantity", "cost", "gross_profit", "region", "manager"),
    ),
    "clients": (
        ("client_id",),
        ("name", "industry", "manager", "region", "capacity_units", "overdue_days", "overdue_amount", "overdue_flag"),
    ),
    "market": (
        ("client_id", "supplier", "amount"),
        ("date", "region"),
    ),
}


@dataclass
class InputTable:
    """A validated input table.

    ``data`` has the canonical columns with these dtypes: ``client_id``,
    ``order_id``, ``sku``, ``category``, ``supplier``, text attributes:
    categorical over cleaned str values (object when built by hand; both work); ``date``:
    datetime64[ns] (midnight); ``amount``, ``quantity``,
    ``cost``, ``gross_profit``, ``capacity_units``, ``overdue_*``: float64
    (``overdue_flag``: float 1.0/0.0).  Rows rejected by validation are not in
    ``data``; each is in ``report``.  ``row`` (int column) holds the row number
    a person sees in the source (Excel row, CSV line) for later messages.
    ``columns`` maps canonical names to the source header they came from.
    """

    kind: str
    data: pd.DataFrame
    report: Report = field(default_factory=Report)
    source: str = ""
    sheet: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    #: what was read and how (:class:`xlb2b.inputs.reading.Reading`); also in ``report.readings``
    reading: Any = None

    def has(self, column: str) -> bool:
        return column in self.data.columns
