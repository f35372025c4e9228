"""The CSV reader's typed columns: pyarrow converts plain numbers, ISO dates and text keys itself,
and any column where that would lose a problem is read as text, so every bad cell is still reported
with its row, column and value as written."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlb2b.errors import ERROR
from xlb2b.inputs import read_transactions
from xlb2b.inputs.sources import csv as csv_source

pytest.importorskip("pyarrow")


def problems(t):
    return [(p.row, p.column, p.reason, p.value, p.severity) for p in t.report]


@pytest.fixture
def reads(monkeypatch) -> list:
    """The column types of every pyarrow read (name -> type text, text columns left out)."""
    seen: list = []
    real = csv_source._arrow_read

    def spy(pa_csv, pa, data, delim, types, seps, on_invalid):
        seen.append({k: str(v) for k, v in types.items() if str(v) != "string"})
        return real(pa_csv, pa, data, delim, types, seps, on_invalid)

    monkeypatch.setattr(csv_source, "_arrow_read", spy)
    monkeypatch.setattr(csv_source, "HEAD_LINES", 1)
    return seen


@pytest.fixture(params=["pyarrow", "python"])
def csv_engine(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(csv_source, "_import_arrow_csv", lambda: None)
    else:
        monkeypatch.setattr(csv_source, "HEAD_LINES", 1)
    return request.param


DICT = "dictionary<values=string, indices=int32, ordered=0>"


def test_plain_columns_are_typed_by_pyarrow(tmp_path, reads):
    path = tmp_path / "plain.csv"
    path.write_text("client,date,amount,note\nA,2024-03-15,1.5,x\nB,2024-03-16,2,y\nA,2024-03-17,-3.25,z\n")
    t = read_transactions(path)
    assert reads == [{"f0": DICT, "f1": "date32[day]", "f2": "double"}]
    assert t.data["client_id"].tolist() == ["A", "B", "A"]
    assert isinstance(t.data["client_id"].dtype, pd.CategoricalDtype)
    assert t.data["date"].tolist() == [pd.Timestamp("2024-03-15"), pd.Timestamp("2024-03-16"),
                                       pd.Timestamp("2024-03-17")]
    assert t.data["amount"].tolist() == [1.5, 2.0, -3.25]
    assert t.data["note"].tolist() == ["x", "y", "z"]         # an extra column stays text
    assert t.data["row"].tolist() == [2, 3, 4]
    assert problems(t) == []


def test_one_bad_cell_at_row_900000_of_a_typed_column(tmp_path, reads):
    """pyarrow refuses the amount column for one cell near the end: that column
    alone is read again as text and the cell is reported on its own line."""
    n = 900_000
    lines = ["client,date,amount"] + [f"C{i % 97},2024-03-{i % 28 + 1:02d},{i}.5" for i in range(n)]
    bad = n - 2  # data line index: file line bad + 2
    lines[bad + 1] = f"C{bad % 97},2024-03-{bad % 28 + 1:02d},12O.5"
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    t = read_transactions(path)
    assert reads[0] == {"f0": DICT, "f1": "date32[day]", "f2": "double"}
    assert reads[-1] == {"f0": DICT, "f1": "date32[day]"}      # the amounts as text, the rest typed
    assert problems(t) == [(900_000, "amount", "not a number", "12O.5", ERROR)]
    assert len(t.data) == n - 1
    expected = np.array([i + 0.5 for i in range(n) if i != bad])
    assert np.array_equal(t.data["amount"].to_numpy(), expected)
    assert t.data["row"].iloc[-1] == n + 1


def test_decimal_comma_in_a_semicolon_file(tmp_path, reads, csv_engine):
    path = tmp_path / "ru.csv"
    path.write_text("Клиент;Дата;Сумма\nА;2024-03-15;1234,5\nБ;2024-03-16;-0,25\nВ;2024-03-16;7\n",
                    encoding="utf-8")
    t = read_transactions(path)
    if csv_engine == "pyarrow":
        assert reads == [{"f0": DICT, "f1": "date32[day]", "f2": "double"}]
    assert t.data["amount"].tolist() == [1234.5, -0.25, 7.0]
    assert t.data["client_id"].tolist() == ["А", "Б", "В"]


def test_decimal_point_in_a_semicolon_file_falls_back_to_text(tmp_path, reads, csv_engine):
    """A ';' file takes the comma as the decimal separator; a "1234.5" there
    is not plain for pyarrow, so the column is parsed as text, as before."""
    path = tmp_path / "dot.csv"
    path.write_text("client;date;amount\nA;2024-03-15;1234.5\nB;2024-03-16;1 000,5\n")
    t = read_transactions(path)
    if csv_engine == "pyarrow":
        assert reads[-1] == {"f0": DICT, "f1": "date32[day]"}
    assert t.data["amount"].tolist() == [1234.5, 1000.5]


def test_quoted_multiline_field_before_a_bad_cell(tmp_path, reads, csv_engine):
    path = tmp_path / "notes.csv"
    path.write_text('client,date,amount,note\n'         # line 1
                    'A,2024-03-15,1,"first\nsecond\nthird"\n'  # lines 2-4
                    'B,2024-03-16,2,\n'                 # line 5
                    'C,2024-03-17,bad,\n'               # line 6
                    'D,2024-03-18,4,"x\ny"\n'           # lines 7-8
                    'E,2024-13-01,5,\n')                # line 9: no such date
    t = read_transactions(path)
    assert t.data["row"].tolist() == [2, 5, 7]
    assert t.data["note"].tolist()[0] == "first\nsecond\nthird"
    assert problems(t) == [(6, "amount", "not a number", "bad", ERROR),
                           (9, "date", "no such calendar date", "2024-13-01", ERROR)]


def test_text_key_with_multiline_value_counts_its_lines(tmp_path, reads):
    """A line break inside a text key column (read as codes) moves later rows down too."""
    path = tmp_path / "keys.csv"
    path.write_text('client,date,amount\n"A\nB",2024-03-15,1\nC,2024-03-16,x\n')
    t = read_transactions(path)
    assert reads[0]["f0"] == DICT
    assert problems(t) == [(4, "amount", "not a number", "x", ERROR)]


def test_bom_is_not_part_of_the_first_header(tmp_path, reads, csv_engine):
    path = tmp_path / "bom.csv"
    path.write_bytes("client,date,amount\nA,2024-03-15,1.5\nB,2024-03-16,2\n".encode("utf-8-sig"))
    t = read_transactions(path)
    assert t.columns["client_id"] == "client"
    assert t.data["client_id"].tolist() == ["A", "B"]
    assert t.data["amount"].tolist() == [1.5, 2.0]


def test_cp1251_file(tmp_path, reads, csv_engine):
    path = tmp_path / "cp.csv"
    path.write_bytes("Клиент;Дата;Сумма\nРомашка;15.03.2024;1 234,50\nЛютик;2024-03-16;10\n".encode("cp1251"))
    t = read_transactions(path)
    assert t.data["client_id"].tolist() == ["Ромашка", "Лютик"]
    assert t.data["date"].tolist() == [pd.Timestamp("2024-03-15"), pd.Timestamp("2024-03-16")]
    assert t.data["amount"].tolist() == [1234.5, 10.0]


def test_empty_cell_in_a_plain_column_is_reported_as_written(tmp_path, reads, csv_engine):
    path = tmp_path / "empty.csv"
    path.write_text("client,date,amount\nA,2024-03-15,1\nB,2024-03-16,\nC,2024-03-17,3\nD,2024-03-18,4\n")
    t = read_transactions(path)
    if csv_engine == "pyarrow":
        assert reads[-1] == {"f0": DICT, "f1": "date32[day]"}
    assert problems(t) == [(3, "amount", "empty amount", "", ERROR)]
    assert t.data["client_id"].tolist() == ["A", "C", "D"]


def test_implausible_and_infinite_values_in_plain_columns_keep_their_text(tmp_path, reads, csv_engine):
    path = tmp_path / "odd.csv"
    path.write_text("client,date,amount\nA,2024-03-15,1\nB,1899-12-30,2\nC,2024-03-17,inf\nD,2024-03-18,4\n")
    t = read_transactions(path)
    if csv_engine == "pyarrow":
        assert reads[-1] == {"f0": DICT}
    got = problems(t)
    assert [(r, c, v) for r, c, _why, v, _s in got] == [(3, "date", "1899-12-30"), (4, "amount", "inf")]
    assert got[1][2] == "not a number"
    assert t.data["client_id"].tolist() == ["A", "D"]


def test_spaces_and_totals_in_a_text_key(tmp_path, reads, csv_engine):
    """Codes into distinct values still go through the text rules: spaces cut,
    a blank id rejected, a total line left out."""
    path = tmp_path / "keys.csv"
    path.write_text("client,date,amount\n A ,2024-03-15,1\nA,2024-03-16,2\n  ,2024-03-17,3\n"
                    "Итого,2024-03-18,100\nB,2024-03-19,4\n")
    t = read_transactions(path)
    assert t.data["client_id"].tolist() == ["A", "A", "B"]
    assert t.data["row"].tolist() == [2, 3, 6]
    got = [(p.row, p.reason) for p in t.report]
    assert got[:2] == [(4, "empty client id"), (5, "a total line, not data: left out")]
    assert got[2][1].startswith("does not reconcile: total (row 5)")


def test_future_date_in_a_plain_column(tmp_path, reads, csv_engine):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    path = tmp_path / "future.csv"
    path.write_text(f"client,date,amount\nA,2024-03-15,1\nB,{later},2\nC,2024-03-17,3\n")
    t = read_transactions(path)
    assert [(p.row, p.column, p.value) for p in t.report] == [(3, "date", later)]
    assert t.data["client_id"].tolist() == ["A", "C"]
