"""Tests of xlb2b.inputs: reading and validating transactions, clients, market.

Every file is built here, in tmp_path, so a reader can see exactly what goes
in and what must come out.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlb2b.errors import ERROR, FATAL, WARNING, InputError
from xlb2b.inputs import headers, read_clients, read_market, read_table, read_transactions
from xlb2b.inputs.sources import csv as csv_source
from xlb2b.inputs.sources import xlsx as xlsx_source

ROOT = Path(__file__).resolve().parents[1]


def excel_serial(d: dt.date) -> int:
    """Excel 1900-system serial of a date after 1900-02-28, computed
    independently of the code under test: days since 1899-12-30."""
    return (d - dt.date(1899, 12, 30)).days


def problems(table_or_error):
    rep = table_or_error.report
    return [(p.row, p.column, p.reason, p.value, p.severity) for p in rep]


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


@pytest.fixture(params=["fastexcel", "calamine", "openpyxl"])
def engine(request, monkeypatch):
    """Run a test through each workbook reader (fastexcel with a short head, so
    that it reads the rows of small test sheets too, where their columns allow)."""
    if request.param == "fastexcel":
        if xlsx_source._import_fastexcel() is None:
            pytest.skip("fastexcel is not installed")
        monkeypatch.setattr(xlsx_source, "HEAD_ROWS", 4)
        monkeypatch.setattr(xlsx_source, "OVERLAP_ROWS", 1)
    else:
        monkeypatch.setattr(xlsx_source, "_import_fastexcel", lambda: None)
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    else:
        assert xlsx_source._import_calamine() is not None
    return request.param


@pytest.fixture(params=["pyarrow", "python"])
def csv_engine(request, monkeypatch):
    """Run a test through both CSV readers: pyarrow's for all lines after the
    first three, or the line-tracking reader for the whole file."""
    if request.param == "pyarrow":
        if csv_source._import_arrow_csv() is None:
            pytest.skip("pyarrow is not installed")
        monkeypatch.setattr(csv_source, "HEAD_LINES", 3)
    else:
        monkeypatch.setattr(csv_source, "_import_arrow_csv", lambda: None)
    return request.param


def arrow_grids(monkeypatch) -> list:
    """A list that records each grid pyarrow's CSV reader gave (None when it
    left the file to the line-tracking reader)."""
    seen: list = []
    real = csv_source._csv_grid_arrow

    def spy(*a, **k):
        seen.append(real(*a, **k))
        return seen[-1]

    monkeypatch.setattr(csv_source, "_csv_grid_arrow", spy)
    return seen


def fast_grids(monkeypatch) -> list:
    """The same for fastexcel's part of a workbook (read after the first 30
    rows here, so that small test sheets have such a part)."""
    monkeypatch.setattr(xlsx_source, "HEAD_ROWS", 30)
    seen: list = []
    real = xlsx_source._fast_grid

    def spy(*a, **k):
        seen.append(real(*a, **k))
        return seen[-1]

    monkeypatch.setattr(xlsx_source, "_fast_grid", spy)
    return seen


# --------------------------------------------------------------------------
# workbooks


def russian_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Лист1"
    ws["A1"] = "Отчет о продажах за март 2024"          # title above the header
    ws.append([])                                        # row 2 empty
    ws.append(["Контрагент", "Дата", "Сумма, руб.", "Кол-во", "Номенклатура",
               "Комментарий"])                           # header: row 3
    ws.append([1001, dt.datetime(2024, 3, 15, 10, 30), 1234.56, 2, "Кресло", "срочно"])   # 4
    ws.append(["ООО Ромашка", 45000, "1 234,56", 1, "Бор", None])                       # 5
    ws.append([None] * 6)                                                                # 6
    ws.append(["ИП Иванов", "31.02.2024", "abc", 1, "Бор", None])                       # 7
    ws.append([None, dt.date(2024, 3, 1), 10, 1, "Бор", None])                          # 8
    ws.append(["ИП Петров", "15.03.2024", 500, 3, "Кресло", 7])                        # 9
    wb.create_sheet("Прочее").append(["a", "b"])
    wb.save(path)
    return path


def test_xlsx_russian_headers_title_row(tmp_path, engine):
    t = read_transactions(russian_workbook(tmp_path / "sales.xlsx"))
    d = t.data
    assert t.kind == "transactions" and t.sheet == "Лист1"
    assert t.source == "sales.xlsx"           # as every problem of the table names it
    assert t.columns == {"client_id": "Контрагент", "date": "Дата", "amount": "Сумма, руб.",
                         "sku": "Номенклатура", "quantity": "Кол-во"}
    assert d["client_id"].tolist() == ["1001", "ООО Ромашка", "ИП Петров"]
    assert d["date"].tolist() == [ts("2024-03-15"), ts("2023-03-15"), ts("2024-03-15")]
    assert d["amount"].tolist() == [1234.56, 1234.56, 500.0]
    assert d["quantity"].tolist() == [2.0, 1.0, 3.0]
    assert d["row"].tolist() == [4, 5, 9]                    # Excel row numbers
    assert d["Комментарий"].tolist()[0] == "срочно"
    assert d.dtypes["date"] == np.dtype("datetime64[ns]")
    assert d.dtypes["amount"] == np.float64
    # text keys are categorical over the cleaned strings
    assert isinstance(d.dtypes["client_id"], pd.CategoricalDtype)
    assert d.dtypes["client_id"].categories.dtype == object
    assert problems(t) == [
        (7, "Дата", "no such calendar date", "31.02.2024", ERROR),
        (7, "Сумма, руб.", "not a number", "abc", ERROR),
        (8, "Контрагент", "empty client id", None, ERROR),
    ]
    p = t.report.problems[0]
    assert p.file == "sales.xlsx" and p.sheet == "Лист1"


def mixed_workbook(path: Path) -> Path:
    """Written with XlsxWriter: cached error values, dates, ints, bools."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    dfmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(1, 1, ["Client", "Date", "Amount", "Qty", "Note", "Code", "When"])
    rows = [
        ["A", dt.date(2024, 1, 5), 10.5, 1, "x", 7, dt.date(2024, 2, 1)],
        ["B", dt.datetime(2024, 1, 6, 18, 0), 20, 2, True, 8.5, "later"],
        [1001.0, 45000, "1 000,5", 3, None, None, dt.date(2024, 2, 2)],
    ]
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row, start=1):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, v if isinstance(v, dt.datetime)
                                  else dt.datetime(v.year, v.month, v.day), dfmt)
            else:
                ws.write(r, c, v)
    ws.write_formula(5, 1, "=NA()", None, "#N/A")
    ws.write_row(5, 2, [None])
    ws.write_datetime(5, 2, dt.datetime(2024, 1, 7), dfmt)
    ws.write(5, 3, 5)
    ws.write(5, 4, 1)
    ws.write(6, 4, 1)
    ws.write_formula(6, 1, "=\"C\"", None, "C")
    ws.write_datetime(6, 2, dt.datetime(2024, 1, 8), dfmt)
    ws.write_formula(6, 3, "=1/0", None, "#DIV/0!")
    ws.write_formula(6, 5, "=1/0", None, "#DIV/0!")
    wb.close()
    return path


def test_calamine_and_openpyxl_give_equal_results(tmp_path, monkeypatch):
    path = mixed_workbook(tmp_path / "mixed.xlsx")
    fast = read_transactions(path)
    monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    slow = read_transactions(path)
    pd.testing.assert_frame_equal(fast.data, slow.data)
    assert problems(fast) == problems(slow)
    assert fast.columns == slow.columns and fast.sheet == slow.sheet == "Data"
    d = fast.data
    assert d["client_id"].tolist() == ["A", "B", "1001"]
    assert d["date"].tolist() == [ts("2024-01-05"), ts("2024-01-06"), ts("2023-03-15")]
    assert d["amount"].tolist() == [10.5, 20.0, 1000.5]
    assert d["row"].tolist() == [3, 4, 5]                  # header in row 2, column B
    # error cells (#N/A, #DIV/0!) count as empty in both readers
    assert problems(fast) == [(6, "Client", "empty client id", None, ERROR),
                              (7, "Amount", "empty amount", None, ERROR)]


def test_sheet_selection(tmp_path, engine):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["nothing", "here"])
    ws = wb.create_sheet("Продажи")
    ws.append(["Клиент", "Дата", "Сумма"])
    ws.append(["A", "2024-03-15", 1])
    ws = wb.create_sheet("Other")
    ws.append(["Client", "Date", "Amount"])
    ws.append(["B", "2024-03-16", 2])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert read_transactions(path).data["client_id"].tolist() == ["A"]   # by kind name
    assert read_transactions(path, sheet="Other").data["client_id"].tolist() == ["B"]
    assert read_transactions(path, sheet=2).data["client_id"].tolist() == ["B"]
    assert read_transactions(path, sheet="other").sheet == "Other"
    with pytest.raises(InputError) as e:
        read_transactions(path, sheet="Missing")
    assert "no sheet named 'Missing'" in str(e.value) and "'Продажи'" in str(e.value)
    with pytest.raises(InputError, match="out of range"):
        read_transactions(path, sheet=5)


def long_workbook(path: Path, *, mixed_at: int | None = None) -> Path:
    """A title row, the header in row 2, then 60 order lines whose columns
    each hold one type (dates, numbers, whole numbers, text with gaps, an
    error cell); ``mixed_at``: that line's client id is a number instead."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sales")
    dfmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write(0, 0, "Sales report")
    ws.write_row(1, 0, ["Client", "Date", "Amount", "Qty", "Note"])
    for i in range(60):
        r = i + 2
        if i == mixed_at:
            ws.write_number(r, 0, 1001)
        else:
            ws.write_string(r, 0, f"C{i % 7}")
        ws.write_datetime(r, 1, dt.datetime(2024, 1, 1) + dt.timedelta(days=i), dfmt)
        ws.write_number(r, 2, 10.25 * (i + 1))
        ws.write_number(r, 3, i % 4 + 1)
        if i % 3 == 0:
            ws.write_string(r, 4, f"note {i}")
    ws.write_formula(50, 4, "=NA()", None, "#N/A")          # line 49, row 51
    wb.close()
    return path


def test_three_workbook_readers_give_equal_values(tmp_path, monkeypatch):
    path = long_workbook(tmp_path / "long.xlsx")
    seen = fast_grids(monkeypatch)
    fast = read_transactions(path)
    assert seen and seen[0] is not None                 # fastexcel read the rows below the head
    monkeypatch.setattr(xlsx_source, "_import_fastexcel", lambda: None)
    cala = read_transactions(path)
    monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    slow = read_transactions(path)
    for other in (cala, slow):
        pd.testing.assert_frame_equal(fast.data, other.data)
        assert problems(fast) == problems(other) == []
    d = fast.data
    assert len(d) == 60 and d["row"].tolist() == list(range(3, 63))
    last = d.iloc[59]                                     # line 59: row 62
    assert (last["client_id"], last["date"], last["amount"], last["quantity"]) == \
        ("C3", ts("2024-02-29"), 615.0, 4.0)
    assert [None if pd.isna(v) else v for v in d["Note"].tolist()[:4]] == ["note 0", None, None, "note 3"]
    assert pd.isna(d["Note"].iloc[48])                    # the #N/A cell counts as empty


def test_fastexcel_leaves_a_mixed_column_to_the_cell_by_cell_reader(tmp_path, monkeypatch):
    path = long_workbook(tmp_path / "mixed.xlsx", mixed_at=40)
    seen = fast_grids(monkeypatch)
    fast = read_transactions(path)
    assert seen == [None]
    monkeypatch.setattr(xlsx_source, "_import_fastexcel", lambda: None)
    pd.testing.assert_frame_equal(fast.data, read_transactions(path).data)
    assert fast.data["client_id"].tolist()[40] == "1001"


def test_fastexcel_rows_line_up_when_the_table_starts_lower_right(tmp_path, monkeypatch):
    """fastexcel counts rows and columns from the first used cell; row
    numbers must still be the sheet's."""
    import xlsxwriter

    path = tmp_path / "offset.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_row(3, 2, ["Client", "Date", "Amount"])             # header in C4
    for i in range(50):
        ws.write_row(4 + i, 2, [f"K{i}", "2024-03-01", i + 0.5])
    ws.write_string(40, 3, "31.02.2024")                            # D41
    wb.close()
    seen = fast_grids(monkeypatch)
    t = read_transactions(path)
    assert seen and seen[0] is not None
    assert t.data["row"].tolist()[:2] == [5, 6] and t.data["row"].tolist()[-1] == 54
    assert problems(t) == [(41, "Date", "no such calendar date", "31.02.2024", ERROR)]


# --------------------------------------------------------------------------
# CSV


def test_csv_cp1251_semicolon_decimal_comma(tmp_path, csv_engine):
    text = ("Выгрузка из 1С\r\n"
            "\r\n"
            "Контрагент;Дата;Сумма;Количество;Себестоимость\r\n"       # line 3
            "ООО Ромашка;15.03.2024;1 234,56;2;1 000,00\r\n"           # 4
            "ИП Иванов;16.03.2024 0:00:00;\u00a0987\u00a0654,3;1;5,5\r\n"  # 5
            ";17.03.2024;5;1;1\r\n"                                     # 6 empty client
            ";;;;\r\n"                                                  # 7 empty row
            "ООО Ромашка;18.03.2024;-1 234,56;-2;-1 000\r\n"           # 8 a return
            "ИП Иванов;19.03.2024;10;;1\r\n"                            # 9 empty quantity
            "Итого;;987 664,3;2;\r\n")                                  # 10 total line
    path = tmp_path / "sales.csv"
    path.write_bytes(text.encode("cp1251"))
    t = read_transactions(path)
    d = t.data
    assert d["client_id"].tolist() == ["ООО Ромашка", "ИП Иванов", "ООО Ромашка"]
    assert d["amount"].tolist() == [1234.56, 987654.3, -1234.56]
    assert d["cost"].tolist() == [1000.0, 5.5, -1000.0]
    assert d["quantity"].tolist() == [2.0, 1.0, -2.0]
    assert d["date"].tolist() == [ts("2024-03-15"), ts("2024-03-16"), ts("2024-03-18")]
    assert d["row"].tolist() == [4, 5, 8]                  # line numbers in the file
    assert problems(t) == [
        (6, "Контрагент", "empty client id", "", ERROR),
        (9, "Количество", "empty quantity", "", ERROR),
        (10, "", "a total line, not data: left out", None, WARNING),
        # the total line says 987 664,30; the accepted lines add up to 987 654,30
        (10, "Сумма", "does not reconcile: total (row 10): the report says 987 664.30, the "
         "accepted lines add up to 987 654.30, difference 10.00; rejected among its lines: "
         "rows 6, 9 (see above)", 987664.3, WARNING),
    ]


def test_csv_utf8_comma(tmp_path, csv_engine):
    path = tmp_path / "sales.csv"
    path.write_text("\ufeffCustomer,Order date,Net amount,Qty,Product,Region\n"
                    'A,2024-03-15,"1,234.50",2,P1,North\n'
                    "B,2024-03-16T13:45:00,12.5,1,P2,\n"
                    "C,2024-03-17,(7.25),1,P3,South\n", encoding="utf-8")
    t = read_transactions(path)
    d = t.data
    assert d["client_id"].tolist() == ["A", "B", "C"]
    assert d["amount"].tolist() == [1234.5, 12.5, -7.25]
    assert d["date"].tolist() == [ts("2024-03-15"), ts("2024-03-16"), ts("2024-03-17")]
    assert d["region"].tolist()[0] == "North" and pd.isna(d["region"].tolist()[1])
    assert d["row"].tolist() == [2, 3, 4]
    assert len(t.report) == 0


def test_csv_line_numbers_with_line_breaks_in_cells(tmp_path, csv_engine):
    path = tmp_path / "notes.csv"
    path.write_text('client;date;amount;note\n'
                    'A;2024-03-15;1;"two\nlines"\n'
                    'B;2024-03-16;x;\n'
                    'C;2024-03-17;3;"one"\n', encoding="utf-8")
    t = read_transactions(path)
    assert t.data["row"].tolist() == [2, 5]
    assert t.data["note"].tolist()[0] == "two\nlines"
    assert problems(t) == [(4, "amount", "not a number", "x", ERROR)]


def test_csv_tab_and_pipe(tmp_path, csv_engine):
    for sep in ("\t", "|"):
        path = tmp_path / "t.txt"
        path.write_text(sep.join(["Клиент", "Дата", "Выручка"]) + "\n"
                        + sep.join(["A", "15/03/2024", "12,5"]) + "\n", encoding="utf-8")
        d = read_transactions(path).data
        assert d["amount"].tolist() == [12.5]
        assert d["date"].tolist() == [ts("2024-03-15")]


def test_csv_bulk_line_numbers_with_line_breaks_in_cells(tmp_path, monkeypatch):
    """Line breaks inside quoted cells below the head: every later record's
    line number moves down, in pyarrow's part of the file too."""
    monkeypatch.setattr(csv_source, "HEAD_LINES", 1)
    seen = arrow_grids(monkeypatch)
    path = tmp_path / "notes.csv"
    path.write_text('client;date;amount;note\r\n'            # line 1
                    'A;2024-03-15;1;"two\r\nlines"\r\n'      # lines 2-3
                    'B;2024-03-16;x;\r\n'                     # line 4
                    'C;2024-03-17;3;"three\nshort\nlines"\r\n'  # lines 5-7
                    'D;2024-03-18;y;""\r\n'                   # line 8
                    'E;2024-03-19;5;\r\n', encoding="utf-8")  # line 9
    t = read_transactions(path)
    assert seen and seen[0] is not None
    assert t.data["row"].tolist() == [2, 5, 9]
    assert t.data["note"].tolist()[1] == "three\nshort\nlines"
    assert problems(t) == [(4, "amount", "not a number", "x", ERROR),
                           (8, "amount", "not a number", "y", ERROR)]


def test_csv_big_file_decodes_only_its_head_and_keeps_the_encoding_rules(tmp_path, monkeypatch):
    """A big file has only its start decoded; a character cut at that point,
    and Windows-1251 bytes further on, still read as the whole-file rule says."""
    monkeypatch.setattr(csv_source, "HEAD_BYTES", 36)   # ends inside the "ж" of line 2
    monkeypatch.setattr(csv_source, "HEAD_LINES", 1)
    seen = arrow_grids(monkeypatch)
    text = "Клиент;Дата;Сумма\n" + "".join(f"Ёж{i};2024-03-{i + 1:02d};{i},5\n" for i in range(9))
    path = tmp_path / "utf8.csv"
    path.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8")[35:37] == "ж".encode()
    t = read_transactions(path)
    assert seen[0] is not None
    assert t.data["client_id"].tolist() == [f"Ёж{i}" for i in range(9)]
    assert t.data["amount"].tolist() == [i + 0.5 for i in range(9)]
    assert t.data["row"].tolist() == list(range(2, 11))
    path = tmp_path / "cp1251.csv"                      # ASCII head, Cyrillic further on
    path.write_bytes(("client;date;amount\n" + "A;2024-03-01;1\n" * 3
                      + "Ёж;2024-03-02;2,5\n").encode("cp1251"))
    t = read_transactions(path)
    assert seen[1] is None and seen[2] is not None     # pyarrow refused the bytes: decoded whole
    assert t.data["client_id"].tolist() == ["A", "A", "A", "Ёж"]
    assert t.data["amount"].tolist() == [1.0, 1.0, 1.0, 2.5]


def test_csv_ragged_row_in_the_bulk_goes_to_the_line_tracking_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "HEAD_LINES", 1)
    seen = arrow_grids(monkeypatch)
    path = tmp_path / "ragged.csv"
    path.write_text("client,date,amount\nA,2024-03-15,1\nB,2024-03-16\nC,2024-03-17,3\n",
                    encoding="utf-8")
    t = read_transactions(path)
    assert seen == [None]
    assert t.data["client_id"].tolist() == ["A", "C"]
    assert problems(t) == [(3, "amount", "empty amount", "", ERROR)]


def test_csv_bulk_keeps_text_as_written(tmp_path, monkeypatch, csv_engine):
    """Leading zeros, spaces and numbers in text columns reach validation as
    written: pyarrow guesses no types."""
    seen = arrow_grids(monkeypatch)
    path = tmp_path / "ids.csv"
    path.write_text("client;date;amount;quantity\n" + "".join(
        f"{cid};2024-03-{d:02d};{amt};{q}\n" for cid, d, amt, q in
        [("007", 1, "1,5", "2"), (" 0042 ", 2, "1 234,5", "1"), ("1e3", 3, "-7", " 3 "),
         ("007", 4, "(2,25)", "1"), ("9", 5, "12", "x")]), encoding="utf-8")
    t = read_transactions(path)
    if csv_engine == "pyarrow":
        assert seen and seen[0] is not None
    assert t.data["client_id"].tolist() == ["007", "0042", "1e3", "007"]
    assert t.data["amount"].tolist() == [1.5, 1234.5, -7.0, -2.25]
    assert t.data["quantity"].tolist() == [2.0, 1.0, 3.0, 1.0]
    assert problems(t) == [(6, "quantity", "not a number", "x", ERROR)]


# --------------------------------------------------------------------------
# parquet, DataFrame, 2-D list, InputTable


def test_parquet(tmp_path):
    df = pd.DataFrame({"Client": ["A", "B"], "Date": pd.to_datetime(["2024-03-15", "2024-03-16"]),
                       "Amount": [1.5, 2.5]})
    path = tmp_path / "s.parquet"
    df.to_parquet(path)
    t = read_transactions(path)
    assert t.data["amount"].tolist() == [1.5, 2.5]
    assert t.data["row"].tolist() == [2, 3]


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "s.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(InputError, match="pip install pyarrow"):
        read_transactions(path)


def test_dataframe_with_headers():
    df = pd.DataFrame({"Клиент": ["A", " B ", "C"], "Дата": ["15.03.2024", "16.03.2024", "?"],
                       "Сумма": ["1 234,56", "10", "3"]})
    t = read_transactions(df, name="Excel range")
    assert t.data["client_id"].tolist() == ["A", "B"]
    assert t.data["amount"].tolist() == [1234.56, 10.0]
    assert t.data["row"].tolist() == [2, 3]                # index position + 2
    assert t.source == "Excel range"
    assert [(p.file, p.row, p.column) for p in t.report] == [("Excel range", 4, "Дата")]


def test_dataframe_headers_in_first_row_and_index_column():
    raw = pd.DataFrame([["Client", "Date", "Amount"], ["A", "2024-03-15", 5.0]])
    t = read_transactions(raw)
    assert t.data["client_id"].tolist() == ["A"] and t.data["row"].tolist() == [2]
    # xlwings makes the first column the index by default
    df = pd.DataFrame({"Date": [dt.datetime(2024, 3, 15)], "Amount": [7.0]},
                      index=pd.Index(["A"], name="Client"))
    t = read_transactions(df)
    assert t.data["client_id"].tolist() == ["A"] and t.data["amount"].tolist() == [7.0]


def test_two_d_list_like_xlwings():
    rows = [["Клиент", "Дата", "Сумма", "Категория"],
            [1001.0, dt.datetime(2024, 3, 15), 100.0, "Кресла"],
            [None, None, None, None],
            ["1002", 45000.0, 50.0, None]]
    t = read_transactions(rows)
    assert t.data["client_id"].tolist() == ["1001", "1002"]
    assert t.data["date"].tolist() == [ts("2024-03-15"), ts("2023-03-15")]
    assert t.data["row"].tolist() == [2, 4]
    assert t.data["category"].tolist()[0] == "Кресла"
    assert len(t.report) == 0


def test_input_table_returned_as_is():
    t = read_transactions([["Client", "Date", "Amount"], ["A", "2024-03-15", 1]])
    assert read_transactions(t) is t
    with pytest.raises(ValueError):
        read_clients(t)


def test_canonical_dataframe_fast_path_does_no_per_value_work(monkeypatch):
    n = 200_000
    df = pd.DataFrame({
        "client_id": pd.Series([f"C{i % 997}" for i in range(n)], dtype=object),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 300, unit="D"),
        "amount": np.linspace(1, 1000, n),
    })
    calls = []
    from xlb2b.inputs import dates, numbers, values
    for mod, fn in ((values, "_elem_kind"), (values, "_one_text"), (dates, "_one_timestamp"),
                    (numbers, "_messy_numbers"), (dates, "_text_to_days")):
        monkeypatch.setattr(mod, fn, lambda *a, _f=fn, **k: calls.append(_f))
    t = read_transactions(df)
    assert calls == []
    assert len(t.data) == n and t.data["row"].iloc[-1] == n + 1
    assert t.data["amount"].iloc[-1] == 1000.0
    # a missing date is still found
    df.loc[5, "date"] = pd.NaT
    t = read_transactions(df)
    assert problems(t) == [(7, "date", "empty date", None, ERROR)]


def test_microsecond_dates_read_as_whole_days_with_range_checks():
    # pandas 3 parses dates as datetime64[us]; each cell is judged as a datetime64[ns] one would be
    df = pd.DataFrame({
        "client_id": ["A", "B", "C", "D", "E", "F", "G"],
        "date": np.array(["2024-03-15T23:59", "2024-03-16", "1969-12-31T12:00", "2024-03-17", "1850-01-01",
                          "1500-01-01", "NaT"], dtype="datetime64[us]"),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })
    t = read_transactions(df)
    # the time of day dropped, also before 1970
    assert t.data["date"].tolist() == [ts("2024-03-15"), ts("2024-03-16"), ts("1969-12-31"), ts("2024-03-17")]
    assert t.data["date"].dtype == np.dtype("datetime64[ns]")
    got = [(row, column, severity) for row, column, _reason, _value, severity in problems(t)]
    assert got == [(6, "date", ERROR), (7, "date", ERROR), (8, "date", ERROR)]
    reasons = [p.reason for p in t.report]
    assert reasons[0].startswith("date before 1900-03-01")
    assert reasons[1] == "date out of the supported range 1677-09-22 .. 2262-04-11"
    assert reasons[2] == "empty date"


def test_pandas_text_and_microsecond_columns_do_no_per_value_work(monkeypatch):
    n = 200_000
    df = pd.DataFrame({
        "client_id": pd.Series([f"C{i % 997}" for i in range(n)], dtype="str"),
        "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 300, unit="D")).astype("datetime64[us]"),
        "amount": np.linspace(1, 1000, n),
    })
    calls = []
    from xlb2b.inputs import dates, numbers, values
    for mod, fn in ((values, "_elem_kind"), (values, "_one_text"), (values, "_strip_objects"),
                    (dates, "_one_timestamp"), (numbers, "_messy_numbers"), (dates, "_text_to_days")):
        monkeypatch.setattr(mod, fn, lambda *a, _f=fn, **k: calls.append(_f))
    t = read_transactions(df)
    assert calls == []
    assert len(t.data) == n and t.data["client_id"].iloc[998] == "C1"   # 998 % 997
    assert t.data["date"].iloc[301] == ts("2024-01-02")                 # 301 % 300 days after
    assert t.data["client_id"].nunique() == 997


def test_text_column_of_str_dtype_reads_like_an_object_column():
    cells = ["B", "A", None, "B", "Итого"]
    read = {dtype: read_transactions(pd.DataFrame({
        "client_id": pd.Series(cells, dtype=dtype),
        "date": [ts("2024-03-01")] * 5, "amount": [1.0, 2.0, 3.0, 4.0, 7.0]})) for dtype in ("str", object)}
    for t in read.values():
        assert t.data["client_id"].astype(object).tolist() == ["B", "A", "B"]
        assert t.data["row"].tolist() == [2, 3, 5]                       # the empty id and the total row left out
    assert problems(read["str"]) == problems(read[object])
    # distinct ids in order of first appearance (the total row's text stays among them, as it was read)
    for t in read.values():
        assert list(t.data["client_id"].cat.categories) == ["B", "A", "Итого"]


# --------------------------------------------------------------------------
# values


def test_every_date_form():
    d = dt.date
    cells = [
        dt.datetime(2024, 3, 15, 23, 59),        # time dropped
        d(2024, 3, 15),
        pd.Timestamp("2024-03-15 08:00"),
        np.datetime64("2024-03-15T10:00"),
        45000,                                     # Excel serial
        45000.75,                                  # serial with a time of day
        61,                                        # 1900-03-01, the first day taken as real
        "2024-03-15", "2024-03-15 13:45:00", "2024-03-15T13:45",
        "15.03.2024", "15/03/2024", "15.03.24", "5.3.2024", "15.03.2024 0:00:00",
        "45000",                                   # a serial written as text
    ]
    rows = [["client", "date", "amount"]] + [["A", c, 1] for c in cells]
    t = read_transactions(rows)
    got = t.data["date"].tolist()
    # every value is a date; the only remark is that 1900-03-01 lies far before the others
    assert [p.reason.split(" lie ")[0] for p in t.report] == ["1 line(s) dated 1900-03-01 (row 8)"]
    expect = ([ts("2024-03-15")] * 4
              + [pd.Timestamp(d(1899, 12, 30) + dt.timedelta(days=45000))] * 2
              + [ts("1900-03-01")]
              + [ts("2024-03-15")] * 3
              + [ts("2024-03-15")] * 3 + [ts("2024-03-05"), ts("2024-03-15")]
              + [ts("2023-03-15")])
    assert got == expect
    assert expect[4] == ts("2023-03-15") and excel_serial(d(2023, 3, 15)) == 45000


def test_bad_dates_are_reported_with_row_and_column():
    rows = [["Клиент", "Дата", "Сумма"],
            ["A", "31.02.2024", 1],        # row 2
            ["A", "hello", 1],             # 3
            ["A", 60, 1],                  # 4: Excel's 1900-02-29
            ["A", 0, 1],                   # 5
            ["A", "2024", 1],              # 6: a year is not a date
            ["A", True, 1],                # 7
            ["A", "15.03.2024", 1],        # 8 fine
            ["A", "16.03.2024", 1],        # 9 fine
            ["A", "17.03.2024", 1],        # 10 fine
            ["A", "18.03.2024", 1],        # 11 fine
            ["A", "19.03.2024", 1],        # 12 fine
            ["A", "20.03.2024", 1],        # 13 fine
            ["A", "", 1]]                  # 14 empty
    rows += [["A", "21.03.2024", 1]] * 3   # 15..17 fine: fewer than half are bad
    t = read_transactions(rows)
    got = [(r, c, why.split(" (")[0]) for r, c, why, _v, _s in problems(t)]
    assert got == [(2, "Дата", "no such calendar date"),
                   (3, "Дата", "not a date"),
                   (4, "Дата", "Excel date number 60 is 1900-02-29, a day that does not exist"),
                   (5, "Дата", "Excel date number out of range 1..2958465"),
                   (6, "Дата", "a number, not a date"),
                   (7, "Дата", "not a date"),
                   (14, "Дата", "empty date")]
    assert t.data["row"].tolist() == list(range(8, 14)) + [15, 16, 17]


def test_every_number_form():
    cells = {
        "1 234,56": 1234.56, "1\u00a0234,56": 1234.56, "1\u2009234,56": 1234.56,
        "1\u202f234,56": 1234.56, "1234.56": 1234.56, "1,234.56": 1234.56,
        "1.234,56": 1234.56, "(123,45)": -123.45, "\u22125": -5.0, "-5": -5.0,
        "₽ 100": 100.0, "100 ₽": 100.0, "100 руб.": 100.0, "100 р.": 100.0,
        "$1,234.50": 1234.5, "€ 7": 7.0, "12,5": 12.5, "1 000 000": 1e6,
        "-$3": -3.0, "(1 234,56 ₽)": -1234.56, 42: 42.0, 2.5: 2.5,
    }
    rows = [["Client", "Date", "Amount"]] + [["A", "2024-01-01", c] for c in cells]
    t = read_transactions(rows)
    assert len(t.report) == 0
    assert t.data["amount"].tolist() == list(cells.values())


def test_bad_numbers_are_reported_with_the_value():
    rows = [["Client", "Date", "Amount"],
            ["A", "2024-01-01", "abc"],
            ["A", "2024-01-01", "1,2,3"],
            ["A", "2024-01-01", dt.datetime(2024, 1, 1)],
            ["A", "2024-01-01", "1.2.3"]] + [["A", "2024-01-01", i] for i in range(5)]
    t = read_transactions(rows)
    assert [(r, c, v) for r, c, _w, v, _s in problems(t)] == [
        (2, "Amount", "abc"), (3, "Amount", "1,2,3"),
        (4, "Amount", dt.datetime(2024, 1, 1)), (5, "Amount", "1.2.3")]
    assert all(s == ERROR for *_x, s in problems(t))


def test_text_ids_whole_numbers_lose_point_zero():
    rows = [["Client", "Date", "Amount", "Order"],
            [1001.0, "2024-01-01", 1, 77.0],
            [" 1002 ", "2024-01-01", 1, "A-1"],
            [1003, "2024-01-01", 1, 7.5]]
    d = read_transactions(rows).data
    assert d["client_id"].tolist() == ["1001", "1002", "1003"]
    assert d["order_id"].tolist() == ["77", "A-1", "7.5"]


def test_empty_client_rejected():
    rows = [["Client", "Date", "Amount"], ["A", "2024-01-01", 1], ["  ", "2024-01-02", 2],
            ["B", "2024-01-03", 3]]
    t = read_transactions(rows)
    assert problems(t) == [(3, "Client", "empty client id", "  ", ERROR)]
    assert t.data["client_id"].tolist() == ["A", "B"]


def test_optional_numeric_columns():
    base = [["Client", "Date", "Amount"], ["A", "2024-01-01", 1]]
    assert "quantity" not in read_transactions(base).data      # absent: not added
    rows = [["Client", "Date", "Amount", "Qty", "Cost", "GP"],
            ["A", "2024-01-01", 10, 2, 6, 4],
            ["A", "2024-01-02", 10, None, 6, 4],
            ["A", "2024-01-03", 10, 1, None, 4],
            ["A", "2024-01-04", 10, 1, 6, ""],
            ["A", "2024-01-05", 10, 1, 6, 4],
            ["A", "2024-01-06", 10, 1, 6, 4],
            ["A", "2024-01-07", 10, 1, 6, 4]]
    t = read_transactions(rows)
    assert {"cost", "gross_profit", "quantity"} <= set(t.data.columns)
    assert [(r, c, w) for r, c, w, _v, _s in problems(t)] == [
        (3, "Qty", "empty quantity"), (4, "Cost", "empty cost"), (5, "GP", "empty gross profit")]
    assert t.data["gross_profit"].tolist() == [4.0] * 4


# --------------------------------------------------------------------------
# headers


def test_aliases_case_space_punctuation_insensitive():
    rows = [["  КЛИЕНТ: ", "дата документа.", "Сумма продажи", "Кол-во", "Артикул",
             "Товарная  группа", "Себестоимость", "Регион", "Ответственный", "№ заказа",
             "Мой столбец"],
            ["A", "2024-01-01", 1, 1, "S1", "G1", 0.5, "Юг", "Иванов", "З-1", "x"]]
    t = read_transactions(rows)
    assert list(t.data.columns) == ["client_id", "date", "amount", "order_id", "sku", "category",
                                    "quantity", "cost", "region", "manager", "Мой столбец", "row"]
    assert t.columns["client_id"] == "КЛИЕНТ:"
    en = [["Customer ID", "Order Date", "Revenue", "Units", "Item", "Category", "COGS",
           "Gross profit", "Region", "Sales rep", "Invoice"],
          ["A", "2024-01-01", 1, 1, "S1", "G1", 0.5, 0.5, "S", "Ann", "I-1"]]
    assert set(read_transactions(en).columns) == set(headers._columns_of("transactions"))


def test_clients_aliases_and_flags():
    rows = [["Код клиента", "Наименование", "Отрасль", "Ёмкость", "ПДЗ дней", "Сумма ПДЗ",
             "Есть ПДЗ", "Менеджер"]]
    flags = ["да", "нет", "Yes", "no", "Y", "n", 1, 0, "TRUE", "false", "+", "-", True, False]
    for i, f in enumerate(flags):
        rows.append([f"K{i}", f"Клиника {i}", "стоматология", "4", "10", "1 500,00", f, "Анна"])
    rows.append(["K99", "Клиника 99", "", "", "", "", "может быть", ""])
    t = read_clients(rows)
    assert t.data["overdue_flag"].tolist() == [1.0, 0.0] * 7
    assert t.data["capacity_units"].iloc[0] == 4.0 and t.data["overdue_amount"].iloc[0] == 1500.0
    assert problems(t)[0][:2] == (len(flags) + 2, "Есть ПДЗ")
    assert problems(t)[0][2].startswith("not a yes/no value")
    assert set(t.columns) == {"client_id", "name", "industry", "capacity_units", "overdue_days",
                              "overdue_amount", "overdue_flag", "manager"}


def test_unit_suffix_and_yo():
    rows = [["Клиент", "Дата", "Выручка, руб.", "Количество, шт."], ["A", "2024-01-01", 1, 2]]
    t = read_transactions(rows)
    assert t.columns["amount"] == "Выручка, руб." and t.columns["quantity"] == "Количество, шт."


def test_mapping_override_both_directions():
    rows = [["Кто", "Когда", "Сумма", "Выручка"], ["A", "2024-01-01", 1, 2]]
    with pytest.raises(InputError) as e:
        read_transactions(rows, mapping={"client_id": "Кто", "date": "Когда"})
    assert "'Сумма'" in str(e.value) and "'Выручка'" in str(e.value)   # both named
    t = read_transactions(rows, mapping={"client_id": "Кто", "date": "Когда", "amount": "Выручка"})
    assert t.data["amount"].tolist() == [2.0]
    assert t.data["Сумма"].tolist() == [1]                 # the other one is an extra column
    t2 = read_transactions(rows, mapping={"Кто": "client_id", "Когда": "date",
                                          "Выручка": "amount"})
    pd.testing.assert_frame_equal(t.data, t2.data)
    assert t2.columns == {"client_id": "Кто", "date": "Когда", "amount": "Выручка"}


def test_mapping_none_stops_an_alias():
    rows = [["Client", "Date", "Amount", "Product"], ["A", "2024-01-01", 1, "P"]]
    t = read_transactions(rows, mapping={"sku": None})
    assert "sku" not in t.data and t.data["Product"].tolist() == ["P"]


def test_csv_with_excel_sep_line(tmp_path, csv_engine):
    path = tmp_path / "s.csv"
    path.write_text("sep=,\nClient,Date,Amount\nA,2024-01-01,\"1,5\"\n", encoding="utf-8")
    t = read_transactions(path)
    assert t.data["amount"].tolist() == [1.5] and t.data["row"].tolist() == [3]


def test_mapping_errors():
    rows = [["Client", "Date", "Amount"], ["A", "2024-01-01", 1]]
    with pytest.raises(InputError) as e:
        read_transactions(rows, mapping={"amount": "Сумма"})
    assert "no such header" in str(e.value)
    assert e.value.report.fatal[0].column == "Сумма"
    with pytest.raises(InputError, match="not a column of the transactions table"):
        read_transactions(rows, mapping={"supplier": "Amount"})
    with pytest.raises(InputError, match="canonical column names"):
        read_transactions(rows, mapping={"foo": "bar"})


def test_missing_required_column():
    rows = [["Клиент", "Дата", "Примечание"], ["A", "2024-01-01", "x"]]
    with pytest.raises(InputError) as e:
        read_transactions(rows, name="Excel range")
    fatal = e.value.report.fatal
    assert len(fatal) == 1 and fatal[0].severity == FATAL
    assert fatal[0].column == "amount"
    assert "'Клиент', 'Дата', 'Примечание'" in fatal[0].reason      # headers found
    assert "Сумма" in fatal[0].reason and "Revenue" in fatal[0].reason   # aliases accepted
    assert "Excel range" in str(e.value)


def test_secondary_alias_inn():
    only_inn = [["ИНН", "Дата", "Сумма"], ["7707083893", "2024-01-01", 1]]
    assert read_transactions(only_inn).columns["client_id"] == "ИНН"
    both = [["Клиент", "ИНН", "Дата", "Сумма"], ["A", "7707083893", "2024-01-01", 1]]
    t = read_transactions(both)
    assert t.columns["client_id"] == "Клиент" and t.data["ИНН"].tolist() == ["7707083893"]


def test_empty_table_is_fatal(tmp_path, csv_engine):
    with pytest.raises(InputError, match="no data rows"):
        read_transactions([["Client", "Date", "Amount"], [None, None, None]])
    path = tmp_path / "e.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_transactions(path)


def test_more_than_half_rejected_is_fatal():
    rows = [["Client", "Date", "Amount"]] + [["A", "2024-01-01", "n/a"]] * 3 + \
        [["A", "2024-01-01", 1]] * 2
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    assert "3 of 5 rows rejected" in str(e.value)
    errs = [p for p in e.value.report if p.severity == ERROR]
    assert [p.row for p in errs] == [2, 3, 4]
    # exactly half is still accepted
    rows = rows[:3] + rows[4:]
    assert len(read_transactions(rows).data) == 2


# --------------------------------------------------------------------------
# clients and market


def test_clients_duplicate_id_names_the_first_row():
    rows = [["Клиент", "Название"], ["K1", "Первая"], ["K2", "Вторая"], ["K1", "Дубль"],
            ["K3", "Третья"]]
    t = read_clients(rows)
    assert t.data["client_id"].tolist() == ["K1", "K2", "K3"]
    assert t.data["name"].tolist() == ["Первая", "Вторая", "Третья"]
    assert problems(t) == [(4, "Клиент", "client id repeated: first given in row 2", "K1", ERROR)]


def test_market():
    rows = [["Клиент", "Поставщик", "Сумма", "Дата", "Регион"],
            ["K1", "Мы", "1 000", "01.02.2024", "Юг"],
            ["K1", "Конкурент А", "500", "02.02.2024", None],
            ["K2", "", "100", "03.02.2024", None],
            ["K2", "Конкурент Б", "200", "04.02.2024", None]]
    t = read_market(rows)
    assert t.data["supplier"].tolist() == ["Мы", "Конкурент А", "Конкурент Б"]
    assert t.data["amount"].tolist() == [1000.0, 500.0, 200.0]
    assert problems(t) == [(4, "Поставщик", "empty supplier", "", ERROR)]
    with pytest.raises(InputError, match="'supplier'"):
        read_market([["Клиент", "Сумма"], ["K1", 1]])


def test_read_table_rejects_unknown_kind():
    with pytest.raises(ValueError):
        read_table("orders", [["a"]])


# --------------------------------------------------------------------------
# unsafe or wrong files


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


XLSX_SKELETON = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def test_zip_bomb_refused(tmp_path, engine):
    big = b"<worksheet>" + b"0" * (20 * 1024 * 1024) + b"</worksheet>"
    path = _zip(tmp_path / "bomb.xlsx", {**XLSX_SKELETON, "xl/worksheets/sheet1.xml": big})
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(InputError) as e:
        read_transactions(path)
    assert "bomb.xlsx" in str(e.value) and "zip bomb" in str(e.value)


def test_total_size_limit(tmp_path, monkeypatch, engine):
    path = russian_workbook(tmp_path / "ok.xlsx")
    from xlb2b.inputs import guards
    monkeypatch.setattr(guards, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to"):
        read_transactions(path)


def test_dtd_refused(tmp_path, engine):
    sheet = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet>&a;</worksheet>'
    path = _zip(tmp_path / "dtd.xlsx", {**XLSX_SKELETON, "xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(InputError, match="DTD"):
        read_transactions(path)


def test_not_a_workbook(tmp_path, engine):
    path = tmp_path / "fake.xlsx"
    path.write_text("Client,Date,Amount\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_transactions(path)
    assert "fake.xlsx is not an Excel workbook" in str(e.value)
    path = _zip(tmp_path / "doc.xlsx", {"word/document.xml": b"<w/>"})
    with pytest.raises(InputError, match="not an Excel workbook"):
        read_transactions(path)
    ole = tmp_path / "old.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InputError, match="save it as .xlsx"):
        read_transactions(ole)


def test_xls_and_missing_files(tmp_path, engine):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"save it as \.xlsx"):
        read_transactions(xls)
    with pytest.raises(InputError, match="file not found"):
        read_transactions(tmp_path / "nope.xlsx")
    docx = tmp_path / "letter.docx"
    docx.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported file type"):
        read_transactions(docx)


# --------------------------------------------------------------------------
# properties


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-10 ** 9, max_value=10 ** 9), st.integers(min_value=0, max_value=99))
def test_russian_number_format_round_trip(units, cents):
    value = units + (cents / 100 if units >= 0 else -cents / 100)
    text = f"{abs(units):,}".replace(",", "\u00a0") + f",{cents:02d}"
    text = ("-" if value < 0 else "") + text
    d = read_transactions([["Client", "Date", "Amount"], ["A", "2024-01-01", text]]).data
    assert d["amount"].iloc[0] == pytest.approx(value, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date.today()))
def test_serial_and_text_dates_agree(day):
    serial = excel_serial(day)
    rows = [["Client", "Date", "Amount"], ["A", serial, 1], ["A", float(serial) + 0.5, 1],
            ["A", day.strftime("%d.%m.%Y"), 1], ["A", day.isoformat(), 1]]
    d = read_transactions(rows).data
    assert d["date"].tolist() == [pd.Timestamp(day)] * 4


def test_imports_and_reads_without_optional_packages(tmp_path):
    """As under Pyodide: no python-calamine, no fastexcel, no pyarrow."""
    path = russian_workbook(tmp_path / "p.xlsx")
    code = textwrap.dedent(f"""
        import sys
        sys.modules["python_calamine"] = None
        sys.modules["pyarrow"] = None
        sys.modules["fastexcel"] = None
        from xlb2b import inputs
        from xlb2b.inputs.sources import csv as csv_source, xlsx as xlsx_source
        assert xlsx_source._import_calamine() is None and xlsx_source._import_fastexcel() is None
        assert csv_source._import_arrow_csv() is None
        t = inputs.read_transactions({str(path)!r})
        assert t.data["amount"].tolist() == [1234.56, 1234.56, 500.0], t.data
        assert t.data["row"].tolist() == [4, 5, 9]
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_bulk_id_folding_equals_fold_id_one_by_one():
    from xlb2b.inputs.ids import _fold_all, _repeated, fold_id
    ids = [chr(i) for i in range(128)] + ["C00967", "AbC-1", "ООО Ромашка", "OOO РОМАШКА",
                                          "Straße", "İ", "ǅ", 1001, 12.5]
    assert _fold_all(ids).tolist() == [fold_id(str(v)) for v in ids]
    assert _fold_all(["ABC"]).tolist() == ["abc"] and _fold_all(["РОМ"]).tolist() == ["pom"]
    texts = np.array(["a", "b", "a", "c", "b", "d"], dtype=object)
    assert _repeated(texts).tolist() == [True, True, True, False, True, False]


def test_ids_without_capitals_stay_distinct_and_capitals_are_checked():
    from xlb2b.inputs.ids import _all_distinct_folded
    assert _all_distinct_folded(np.array(["00-001", "00-002", "abc"], dtype=object))
    assert not _all_distinct_folded(np.array(["abc", "ABC", "x"], dtype=object))   # one id once folded
    assert _all_distinct_folded(np.array(["abc", "ABD", "x"], dtype=object))       # capitals, still distinct
    assert not _all_distinct_folded(np.array(["ромашка", "x"], dtype=object))      # not ASCII: the full check
