"""Inputs: read and validate the transactions, clients and market tables.

Every reader returns an :class:`~xlb2b.inputs.tables.InputTable` with canonical
column names and dtypes (see :data:`~xlb2b.inputs.tables.SCHEMA`), the row number a
person sees in the source for every kept row, and a report of every row that
was left out and why.  Nothing is dropped silently.

Sources: an ``.xlsx``/``.xlsm`` workbook, an ``.xls``/``.xlsb``/``.ods`` workbook
(through python-calamine), a ``.csv``/``.txt`` file, a ``.parquet`` file, a
pandas DataFrame, or a 2-D list whose first row holds the headers (what an
Excel range gives).

>>> import xlb2b.inputs as inputs
>>> t = inputs.read_transactions([["Клиент", "Дата", "Сумма"],
...                               ["1001", "15.03.2024", "1 234,56"]])
>>> float(t.data.loc[0, "amount"]), str(t.data.loc[0, "date"].date()), int(t.data.loc[0, "row"])
(1234.56, '2024-03-15', 2)

Only pandas, numpy, openpyxl and the standard library are imported at import
time (so the package runs under Pyodide); fastexcel, python-calamine and pyarrow
are used when they can be imported (the fastest first) and give the same tables.

Modules: ``read`` (the public readers), ``sources`` (one module per format:
csv, xlsx, legacy, parquet, frame), ``headers`` (aliases, header row over one
or two rows, column matching, the sheet holding the table), ``values``/
``numbers``/``dates``/``parse`` (vectorised value parsing), ``ids`` (look-alike
client ids merged), ``validate`` (row rejection and the report), ``guards``
(archive checks, formulas without values), ``tables`` (the result type and schema).
"""

from xlb2b.inputs.guards import MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES
from xlb2b.inputs.headers import ALIASES, SHEET_NAMES
from xlb2b.inputs.read import read_clients, read_market, read_table, read_transactions

__all__ = [
    "read_transactions",
    "read_clients",
    "read_market",
    "read_table",
    "ALIASES",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_COMPRESSION_RATIO",
    "SHEET_NAMES",
]
