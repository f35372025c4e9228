"""Workbooks in Excel's 1904 date system: plain date numbers count from 1904-01-01, not from 1900."""

import datetime as dt

import pytest
import xlsxwriter

from xlb2b.inputs import read_table

# 2025-04-01 is 45748 days after 1899-12-30 (the 1900 system's day 0) and
# 1462 days fewer after 1904-01-01: 45748 - 1462 = 44286
SERIAL_1900 = 45748
SERIAL_1904 = 44286


def _book(path, *, date1904: bool, rows: int, formatted_too: bool):
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    ws = wb.add_worksheet("Transactions")
    fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, ["client_id", "date", "order_id", "amount"])
    for r in range(1, rows + 1):
        ws.write(r, 0, f"K{r % 7}")
        if formatted_too and r % 2:
            ws.write_datetime(r, 1, dt.datetime(2025, 4, 1), fmt)   # a date cell: the reader converts it
        else:
            ws.write_number(r, 1, SERIAL_1904 if date1904 else SERIAL_1900)  # a plain number
        ws.write(r, 2, f"o{r}")
        ws.write(r, 3, 10.0)
    wb.close()
    return path


@pytest.mark.parametrize("rows", [6, 400])          # the cell-by-cell readers and the columnar one
@pytest.mark.parametrize("formatted_too", [False, True])
def test_plain_date_numbers_of_a_1904_workbook_are_read_in_its_system(tmp_path, rows, formatted_too):
    p = _book(tmp_path / "mac.xlsx", date1904=True, rows=rows, formatted_too=formatted_too)
    t = read_table("transactions", p)
    assert len(t.data) == rows
    assert set(t.data["date"]) == {pd_ts("2025-04-01")}


@pytest.mark.parametrize("rows", [6, 400])
def test_a_1900_workbook_keeps_its_serials(tmp_path, rows):
    p = _book(tmp_path / "win.xlsx", date1904=False, rows=rows, formatted_too=True)
    t = read_table("transactions", p)
    assert set(t.data["date"]) == {pd_ts("2025-04-01")}


def pd_ts(text):
    import pandas as pd

    return pd.Timestamp(text)
