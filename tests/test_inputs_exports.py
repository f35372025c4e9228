"""Exports as people really have them: headers over two rows, deep headers, data on another
sheet, ambiguous columns and look-alike ids, impossible dates, damaged and legacy workbooks,
plain-language refusals, and CSV outputs that a spreadsheet cannot run as formulas.

Every file is built here (or committed under tests/data/) and every expected total is worked
out by hand in a comment next to it.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlb2b.cli import main
from xlb2b.errors import FATAL, WARNING, InputError
from xlb2b.inputs import read_clients, read_transactions

DATA = Path(__file__).resolve().parent / "data"


def run(capsys, *argv):
    """main(argv) in-process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return rc, out.out, out.err


def fatal_reasons(err: InputError) -> str:
    return " | ".join(p.reason for p in err.report if p.severity == FATAL)


def workbook(path: Path, rows, title: str = "Лист1", extra: dict | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    for name, more in (extra or {}).items():
        ws2 = wb.create_sheet(name)
        for r in more:
            ws2.append(list(r))
    wb.save(path)
    return path


# --------------------------------------------------------------------------
# CSV outputs cannot run formulas (OWASP CSV injection)


def test_csv_output_neutralises_formula_text_and_keeps_numbers(tmp_path, capsys):
    src = tmp_path / "sales.csv"
    src.write_text('Client;Date;Amount\n'
                   '"=HYPERLINK(""http://x"",""y"")";2025-03-03;100\n'
                   '+1+1;2025-03-04;40,5\n'
                   '@SUM(1);2025-03-05;7\n'
                   '-neg;2025-03-06;3\n'
                   'plain;2025-03-07;1\n', encoding="utf-8")
    out = tmp_path / "c.csv"
    rc, _, err = run(capsys, "analyze", src, "-o", tmp_path / "o.xlsx", "--csv", out, "-q")
    assert rc == 0, err
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={"client_id": str}).set_index("client_id")
    # every text cell beginning with = + - @ starts with a quote; the others are untouched
    assert sorted(got.index) == sorted(["'=HYPERLINK(\"http://x\",\"y\")", "'+1+1", "'@SUM(1)",
                                        "'-neg", "plain"])
    # revenue stays a number: 100 + 40.5 + 7 + 3 + 1 = 151.5
    assert got["revenue"].dtype.kind == "f" and got["revenue"].sum() == 151.5
    assert got.loc["'+1+1", "revenue"] == 40.5


def test_csv_safe_frame_touches_only_text_cells():
    from xlb2b.io_util import csv_safe_frame
    df = pd.DataFrame({"t": ["\tx", "\ry", "ok", None], "n": [-1.0, 2.0, -3.0, 4.0],
                       "c": pd.Categorical(["=a", "b", "b", "b"]), "m": [-5, "-5", "@", 1.5]})
    safe = csv_safe_frame(df)
    assert safe["t"].tolist()[:3] == ["'\tx", "'\ry", "ok"] and pd.isna(safe["t"].iloc[3])
    assert safe["n"].tolist() == [-1.0, 2.0, -3.0, 4.0]          # a negative number is a number
    assert list(safe["c"].astype(str)) == ["'=a", "b", "b", "b"]
    assert safe["m"].tolist() == [-5, "'-5", "'@", 1.5]
    assert df["t"].iloc[0] == "\tx"                               # the input is not changed


# --------------------------------------------------------------------------
# dates that cannot be real (METHODOLOGY §13)


def test_future_date_is_rejected_and_does_not_move_the_window(tmp_path):
    from xlb2b import analyze
    src = tmp_path / "sales.csv"
    src.write_text("Client,Date,Amount\nA,2025-03-03,100\nB,2025-03-10,50\nC,2099-01-01,1000\n",
                   encoding="utf-8")
    a = analyze(str(src))
    # the window ends with the month of the latest real date, March 2025 (not 2099)
    assert (str(a.window.start.date()), str(a.window.end.date())) == ("2024-04-01", "2025-03-31")
    assert sorted(a.clients["client_id"]) == ["A", "B"]
    assert a.clients["revenue"].sum() == 150.0                  # 100 + 50; the 1000 is out
    bad = [p for p in a.report if p.row == 4]
    assert len(bad) == 1 and bad[0].column == "Date" and bad[0].value == "2099-01-01"
    assert bad[0].reason.startswith("date after the day of the run")


def test_empty_date_of_accounting_exports_is_rejected():
    rows = [["Клиент", "Дата", "Сумма"],
            ["A", "30.12.1899", 5],                 # row 2: the "empty date" of 1C
            ["A", "31.12.1899", 5],                 # 3
            ["A", dt.datetime(1899, 12, 30), 5],    # 4: the same as a date cell
            ["A", 1, 5],                            # 5: Excel serial 1 = 1900-01-01
            ["A", "28.02.1900", 5],                 # 6
            ["A", "01.03.1900", 7]]                 # 7: the first day taken as real
    rows += [["B", "15.03.2024", 10]] * 6           # 8..13
    t = read_transactions(rows)
    bad = sorted(p.row for p in t.report)
    assert bad == [2, 3, 4, 5, 6]
    assert all(p.reason.startswith("date before 1900-03-01") for p in t.report)
    # kept: 7 (A, 1900-03-01) and 6 × 10 for B → 67
    assert t.data["amount"].sum() == 67.0 and t.data["row"].tolist() == list(range(7, 14))


def test_one_day_of_grace_after_the_day_of_the_run(monkeypatch):
    from xlb2b.inputs import dates
    monkeypatch.setattr(dates, "_run_day", lambda: __import__("numpy").datetime64("2025-06-10", "D"))
    rows = [["Client", "Date", "Amount"],
            ["A", "2025-06-10", 1],     # the day of the run
            ["A", "2025-06-11", 2],     # + 1 day: accepted (time zones)
            ["A", "2025-06-12", 4],     # + 2 days: rejected
            ["A", "2025-06-01", 8]]
    t = read_transactions(rows)
    assert [p.row for p in t.report] == [4]
    assert "(2025-06-10)" in t.report.problems[0].reason
    assert t.data["amount"].sum() == 11.0            # 1 + 2 + 8


def test_future_dates_in_a_dataframe_column_are_rejected_too(monkeypatch):
    from xlb2b.inputs import dates
    monkeypatch.setattr(dates, "_run_day", lambda: __import__("numpy").datetime64("2025-06-10", "D"))
    df = pd.DataFrame({"client_id": ["A", "A", "B"], "amount": [1.0, 2.0, 4.0],
                       "date": pd.to_datetime(["2025-01-01", "2030-01-01", "2025-02-01"])})
    t = read_transactions(df)
    assert [p.row for p in t.report] == [3]           # the DataFrame's second row is row 3
    assert t.data["amount"].sum() == 5.0              # 1 + 4


# --------------------------------------------------------------------------
# ambiguity is an error


def test_two_columns_with_the_same_header_are_refused_naming_both(tmp_path):
    path = workbook(tmp_path / "two.xlsx", [["Клиент", "Дата", "Сумма", "Сумма"],
                                            ["A", "15.03.2024", 100, 120]])
    with pytest.raises(InputError) as e:
        read_transactions(path)
    why = fatal_reasons(e.value)
    assert "several columns can be 'amount'" in why
    assert "'Сумма' (column C) and 'Сумма' (column D)" in why
    # choosing one by its header is refused as well: both columns have it
    with pytest.raises(InputError) as e:
        read_transactions(path, mapping={"amount": "Сумма"})
    assert "2 columns have that header: 'Сумма' (column C) and 'Сумма' (column D)" in fatal_reasons(e.value)
    # the name given to the second one in messages chooses it: 120
    t = read_transactions(path, mapping={"amount": "Сумма (2)"})
    assert t.data["amount"].tolist() == [120.0]


def test_two_dataframe_columns_with_the_same_name_are_refused():
    df = pd.DataFrame([["A", "2024-03-15", 1, 2]], columns=["client", "date", "amount", "amount"])
    with pytest.raises(InputError) as e:
        read_transactions(df)
    assert "several columns can be 'amount'" in fatal_reasons(e.value)


def test_ids_differing_in_case_or_lookalike_letters_are_merged_and_listed():
    rows = [["Клиент", "Дата", "Сумма"],
            ["ООО Ромашка", "01.03.2024", 100],     # row 2: Cyrillic
            ["ООО Ромашка", "02.03.2024", 50],      # 3
            ["OOO Ромашка", "03.03.2024", 20],      # 4: three Latin O's
            ["ооо ромашка", "04.03.2024", 5],       # 5: lower case
            ["Береза", "05.03.2024", 7],            # 6: another client
            ["KM-1", "06.03.2024", 1],              # 7: Latin K and M
            ["КМ-1", "07.03.2024", 2]]              # 8: Cyrillic К and М (1 row each: first wins)
    t = read_transactions(rows)
    rev = t.data.groupby("client_id", observed=True)["amount"].sum().to_dict()
    # the most used spelling wins: 100 + 50 + 20 + 5 = 175; KM-1 (first seen): 1 + 2 = 3
    assert rev == {"ООО Ромашка": 175.0, "Береза": 7.0, "KM-1": 3.0}
    merges = [(p.row, p.value, p.severity) for p in t.report]
    assert merges == [(4, "OOO Ромашка", WARNING), (5, "ооо ромашка", WARNING), (8, "КМ-1", WARNING)]
    assert "read as the same client 'ООО Ромашка' (row 4)" in t.report.problems[0].reason


def test_lookalike_ids_in_the_clients_table_follow_the_transactions_spelling():
    from xlb2b import analyze
    tx = [["Client", "Date", "Amount", "Qty"], ["KOPA", "2024-03-01", 30, 1],
          ["Bera", "2024-03-02", 10, 1]]
    clients = [["Client", "Name", "Region"], ["КОРА", "Кора ООО", "Север"],   # Cyrillic К О Р А
               ["Bera", "Бера", "Юг"]]
    a = analyze(tx, clients)
    got = a.clients.set_index("client_id")
    assert got.loc["KOPA", "name"] == "Кора ООО" and got.loc["KOPA", "revenue"] == 30.0
    assert len(a.excluded) == 0                                   # nobody "without transactions"
    notes = [p for p in a.report if p.value == "КОРА"]
    assert len(notes) == 1 and notes[0].row == 2 and notes[0].severity == WARNING


def test_clients_table_lookalike_duplicates_are_a_repeated_id():
    t = read_clients([["Client", "Name"], ["ab1", "first"], ["AB1", "second"], ["c", "x"]])
    assert t.data["client_id"].tolist() == ["ab1", "c"]
    assert [(p.row, p.severity) for p in t.report] == [(3, WARNING), (3, "error")]


# --------------------------------------------------------------------------
# headers and sheets


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch):
    """Run a test through both workbook readers."""
    from xlb2b.inputs.sources import xlsx as xlsx_source
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    return request.param


def test_header_over_two_rows_with_merged_cells(tmp_path, engine):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Клиент", "Дата", "Продажи", None, "Примечание"])      # row 1
    ws.append([None, None, "Сумма", "Количество", None])               # row 2
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("C1:D1")
    ws.merge_cells("E1:E2")
    ws.append(["A", "01.03.2024", 100, 2, "x"])                       # row 3
    ws.append(["B", "02.03.2024", 40.5, 1, None])                     # row 4
    ws.append(["A", "03.03.2024", 9.5, 3, None])                      # row 5
    wb.save(tmp_path / "two-rows.xlsx")
    t = read_transactions(tmp_path / "two-rows.xlsx")
    assert t.columns["amount"] == "Продажи / Сумма" and t.columns["quantity"] == "Продажи / Количество"
    assert t.data["row"].tolist() == [3, 4, 5]
    assert t.data["amount"].sum() == 150.0                 # 100 + 40.5 + 9.5
    assert t.data["quantity"].sum() == 6.0                 # 2 + 1 + 3
    assert "Примечание" in t.data.columns


def test_two_row_header_in_a_csv_file(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("Контрагент;Период;Выручка;\n;;Сумма;Себестоимость\n"
                    "A;01.03.2024;10;4\nB;01.03.2024;20;5\n", encoding="utf-8")
    t = read_transactions(path)
    # GP = (10 - 4) + (20 - 5) = 21: both sub-columns are read under the group heading
    assert (t.data["amount"] - t.data["cost"]).sum() == 21.0
    assert t.columns["cost"] == "Выручка / Себестоимость"


def test_header_under_a_long_parameter_block(tmp_path, engine):
    params = [[f"Параметр {i}:", f"значение {i}"] for i in range(1, 27)]     # rows 1..26
    rows = params + [["Контрагент", "Дата", "Сумма"],                         # row 27
                     ["A", "01.03.2024", 5], ["B", "02.03.2024", 6]]
    t = read_transactions(workbook(tmp_path / "deep.xlsx", rows))
    assert t.data["row"].tolist() == [28, 29] and t.data["amount"].sum() == 11.0


def test_missing_column_message_says_how_deep_it_looked(tmp_path):
    rows = [["Отчет"], ["Клиент", "Дата", "Итог"], ["A", "01.03.2024", 5]]
    with pytest.raises(InputError) as e:
        read_transactions(workbook(tmp_path / "no-amount.xlsx", rows))
    why = fatal_reasons(e.value)
    assert "required column 'amount' not found" in why
    assert "row 2 was taken as the header row, the best match among the first 100 rows" in why


def test_data_on_the_second_sheet_is_found_and_named(tmp_path, engine):
    path = workbook(tmp_path / "report.xlsx", [["Параметры отчета"], ["Период", "март 2024"]],
                    title="Параметры",
                    extra={"Данные": [["Клиент", "Дата", "Сумма"], ["A", "01.03.2024", 70],
                                      ["B", "02.03.2024", 30]]})
    t = read_transactions(path)
    assert t.sheet == "Данные" and t.data["amount"].sum() == 100.0        # 70 + 30
    note = [p for p in t.report if p.severity == WARNING]
    assert len(note) == 1 and "read sheet 'Данные' instead" in note[0].reason
    assert note[0].sheet == "Данные"


def test_several_sheets_with_the_table_are_listed_and_sheet_is_asked_for(tmp_path, capsys):
    table = [["Клиент", "Дата", "Сумма"], ["A", "01.03.2024", 1]]
    path = workbook(tmp_path / "many.xlsx", [["Параметры"]], title="Параметры",
                    extra={"2023": table, "2024": table})
    with pytest.raises(InputError) as e:
        read_transactions(path)
    assert "several other sheets have one: '2023', '2024'; choose the sheet with --sheet" \
        in fatal_reasons(e.value)
    rc, _, err = run(capsys, "analyze", path, "-o", tmp_path / "o.xlsx", "-q")
    assert rc == 2 and "--sheet" in err
    assert read_transactions(path, sheet="2024").data["amount"].sum() == 1.0


# --------------------------------------------------------------------------
# refusals in plain words


def _good_workbook(path: Path, n: int = 2000) -> Path:
    rows = [["Клиент", "Дата", "Сумма"]] + [[f"K{i % 7}", "01.03.2024", i] for i in range(n)]
    return workbook(path, rows)


def _rewrite(src: Path, dst: Path, member: str, change) -> Path:
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info)
            zo.writestr(info, change(data) if info.filename == member else data)
    return dst


def refusal(capsys, path: Path, tmp_path: Path) -> str:
    rc, out, err = run(capsys, "analyze", path, "-o", tmp_path / "out.xlsx", "-q")
    assert rc == 2 and (out == "" or out.startswith("Read "))     # at most the reading report
    assert "internal error" not in err and "Error -3" not in err and "XmlError" not in err
    return " ".join(err.split())


def test_damaged_compressed_sheet_data_says_the_workbook_is_damaged(tmp_path, capsys):
    good = _good_workbook(tmp_path / "good.xlsx")
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(200, 260):                 # scramble compressed bytes inside the sheet
        data[start + k] ^= 0x5A
    bad = tmp_path / "damaged.xlsx"
    bad.write_bytes(bytes(data))
    err = refusal(capsys, bad, tmp_path)
    assert "the workbook is damaged" in err and "open it in Excel or LibreOffice" in err


def test_cut_short_workbook_says_the_workbook_is_damaged(tmp_path, capsys):
    good = _good_workbook(tmp_path / "good.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    err = refusal(capsys, cut, tmp_path)
    assert "the workbook is damaged: the file is cut short" in err


def test_broken_sheet_xml_is_damaged_without_library_text(tmp_path, capsys, engine):
    good = _good_workbook(tmp_path / "good.xlsx", 50)
    bad = _rewrite(good, tmp_path / "badxml.xlsx", "xl/worksheets/sheet1.xml",
                   lambda b: b[: len(b) // 2] + b'<c r="Z9" t="s')
    with pytest.raises(InputError) as e:
        read_transactions(bad)
    why = fatal_reasons(e.value)
    assert why.startswith("the workbook is damaged: its contents cannot be read")
    assert "Error" not in why and "xml" not in why.lower()


@pytest.mark.parametrize("chunk", [None, 4096])
def test_dtd_after_a_long_comment_is_refused(tmp_path, monkeypatch, chunk):
    from xlb2b.inputs import guards
    if chunk:                                      # the declaration straddles two pieces
        monkeypatch.setattr(guards, "XML_CHUNK_BYTES", chunk)
    good = _good_workbook(tmp_path / "good.xlsx", 20)
    pad = b"x" * (3 * 4096 - 40)
    bad = _rewrite(good, tmp_path / "dtd.xlsx", "xl/worksheets/sheet1.xml",
                   lambda b: b'<?xml version="1.0"?><!--' + pad + b'--><!doctype w [<!ENTITY a "b">]>' + b)
    with pytest.raises(InputError) as e:
        read_transactions(bad)
    assert "declares a DTD or entities" in fatal_reasons(e.value)


def test_formulas_saved_without_values_are_named_with_the_fix(tmp_path, capsys):
    rows = [["Клиент", "Дата", "Сумма"]] + [[f"K{i}", "01.03.2024", f"={i}*2"] for i in range(5)]
    path = workbook(tmp_path / "formulas.xlsx", rows)      # openpyxl stores no computed values
    err = refusal(capsys, path, tmp_path)
    assert "holds 5 formula(s) saved without their computed values (the first in cell C2)" in err
    assert "Open it in Excel or LibreOffice Calc, save it, and run again" in err


def test_formulas_with_cached_values_are_read(tmp_path):
    import xlsxwriter
    path = tmp_path / "cached.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Клиент", "Дата", "Сумма", "Примечание"])
    ws.write_row(1, 0, ["A", "01.03.2024"])
    ws.write_formula(1, 2, "=20+5", None, 25)
    ws.write_formula(1, 3, '=""', None, "")             # an empty text result is a value
    ws.write_row(2, 0, ["B", "02.03.2024", 5])
    wb.close()
    t = read_transactions(path)
    assert t.data["amount"].sum() == 30.0                # 25 + 5


def test_every_amount_zero_is_said_as_such(tmp_path, capsys):
    path = tmp_path / "zero.csv"
    path.write_text("Client,Date,Amount\nA,2025-03-01,0\nB,2025-03-02,0\nA,2025-03-03,0\n",
                    encoding="utf-8")
    err = refusal(capsys, path, tmp_path)
    assert "every amount in column 'Amount' is 0 (3 rows)" in err
    assert "returns exceed purchases" not in err


def test_zero_revenue_client_is_not_said_to_have_returns(tmp_path):
    from xlb2b import analyze
    a = analyze([["Client", "Date", "Amount"], ["A", "2025-03-01", 10], ["B", "2025-03-02", 0],
                 ["C", "2025-03-03", 5], ["C", "2025-03-04", -8]])
    why = dict(zip(a.excluded["client_id"], a.excluded["reason"]))
    assert why == {"B": "net revenue in the window is 0",
                   "C": "net revenue in the window is negative (returns exceed purchases)"}


def test_row_and_column_problems_name_the_file_alike(tmp_path):
    from xlb2b import analyze
    path = tmp_path / "sales.csv"
    path.write_text("Client,Date,Amount\nA,2025-03-01,10\nB,oops,5\nA,2025-03-02,1\n", encoding="utf-8")
    a = analyze(str(path))
    files = {p.file for p in a.report if p.file}
    assert files == {"sales.csv"}
    assert any(p.row == 3 for p in a.report) and any(p.column == "cost" for p in a.report)


def test_unclosed_quote_in_csv_is_explained(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('Client,Date,Amount\nA,2025-03-01,1\n"B,2025-03-02,' + "x" * 200_000 + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_transactions(path)
    [p] = [p for p in e.value.report if p.severity == FATAL]
    assert p.row == 3 and "a field there is not closed (a quote mark without its pair)" in p.reason
    assert "field larger than field limit" not in p.reason           # no csv module text


# --------------------------------------------------------------------------
# .xls, .xlsb, .ods through python-calamine


def _legacy_reader(monkeypatch, present: bool):
    from xlb2b.inputs.sources import legacy
    if not present:
        monkeypatch.setattr(legacy, "_import_calamine", lambda: None)
    elif legacy._import_calamine() is None:
        pytest.skip("python-calamine is not installed")


@pytest.mark.parametrize("name", ["legacy.xls", "legacy.ods"])
def test_xls_and_ods_are_read_with_the_same_validation(name, monkeypatch):
    _legacy_reader(monkeypatch, True)
    t = read_transactions(DATA / name)
    assert t.sheet == "Данные"                                  # found behind «Параметры»
    assert t.data["amount"].sum() == 1600.0                     # 1250.5 + 300 + 49.5
    assert t.data.groupby("client_id", observed=True)["amount"].sum().to_dict() == \
        {"ООО Ромашка": 1300.0, "ИП Петров": 300.0}
    assert t.data["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-15"),
                                       pd.Timestamp("2024-03-20")]
    bad = [p for p in t.report if p.row is not None]
    assert [(p.row, p.column) for p in bad] == [(5, "Дата")]     # the 2099 line
    assert bad[0].reason.startswith("date after the day of the run")


def _record(typ: int, body: bytes = b"") -> bytes:
    """One BIFF12 record (MS-XLSB 2.1.4): type and size in 7-bit groups."""
    head = bytearray()
    head.append((typ & 0x7F) | (0x80 if typ > 0x7F else 0))
    if typ > 0x7F:
        head.append(typ >> 7)
    n = len(body)
    while True:
        b = n & 0x7F
        n >>= 7
        head.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(head) + body


def _wide(text: str) -> bytes:
    return len(text).to_bytes(4, "little") + text.encode("utf-16-le")


def write_xlsb(path: Path, sheet: str, rows) -> Path:
    """A minimal .xlsb: one worksheet of text (BrtCellSt) and number (BrtCellReal) cells."""
    import struct
    book = (_record(0x83) + _record(0x8F)
            + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide(sheet))
            + _record(0x90) + _record(0x84))
    data = bytearray(_record(0x81))
    data += _record(0x94, struct.pack("<IIII", 0, len(rows) - 1, 0, max(map(len, rows)) - 1))
    data += _record(0x91)
    for r, row in enumerate(rows):
        data += _record(0x00, struct.pack("<IIHBBB", r, 0, 300, 0, 0, 0))
        for c, v in enumerate(row):
            if isinstance(v, str):
                data += _record(0x06, struct.pack("<II", c, 0) + _wide(v))
            elif v is not None:
                data += _record(0x05, struct.pack("<IId", c, 0, float(v)))
    data += _record(0x92) + _record(0x82)
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Default Extension="bin" ContentType="application/'
          'vnd.ms-excel.sheet.binary.macroEnabled.main"/><Default Extension="rels" ContentType='
          '"application/vnd.openxmlformats-package.relationships+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/{t}" Target="{p}"/>'
            '</Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels.format(t="officeDocument", p="xl/workbook.bin"))
        zf.writestr("xl/_rels/workbook.bin.rels", rels.format(t="worksheet", p="worksheets/sheet1.bin"))
        zf.writestr("xl/workbook.bin", book)
        zf.writestr("xl/worksheets/sheet1.bin", bytes(data))
    return path


def test_xlsb_is_read_with_the_same_validation(tmp_path, monkeypatch):
    _legacy_reader(monkeypatch, True)
    path = write_xlsb(tmp_path / "sales.xlsb", "Продажи", [
        ["Отчет о продажах"],                           # row 1: a title
        ["Клиент", "Дата", "Сумма"],                    # row 2
        ["A", "01.03.2024", 120.25],                     # 3
        ["B", "02.03.2024", 79.75],                      # 4
        ["A", "31.12.1899", 500],                        # 5: the empty date of 1C
        ["Итого", None, 700]])                           # 6: a total line
    t = read_transactions(path)
    assert t.sheet == "Продажи" and t.data["amount"].sum() == 200.0     # 120.25 + 79.75
    assert t.data["row"].tolist() == [3, 4]
    assert sorted((p.row, p.severity) for p in t.report) == [(5, "error"), (6, WARNING), (6, WARNING)]
    # the total line (700) is the sum of rows 3-5; row 5 was rejected, and the reconciliation says so
    assert any(p.reason.startswith("does not reconcile: total (row 6): the report says 700.00, the accepted "
                                   "lines add up to 200.00") and "row 5" in p.reason for p in t.report)


@pytest.mark.parametrize("name", ["legacy.xls", "legacy.ods"])
def test_legacy_formats_without_calamine_ask_for_xlsx(name, monkeypatch):
    _legacy_reader(monkeypatch, False)
    with pytest.raises(InputError) as e:
        read_transactions(DATA / name)
    assert "save it as .xlsx" in fatal_reasons(e.value)


def test_damaged_xls_and_renamed_web_page_are_explained(tmp_path, monkeypatch):
    _legacy_reader(monkeypatch, True)
    broken = tmp_path / "broken.xls"
    broken.write_bytes((DATA / "legacy.xls").read_bytes()[:3000])
    with pytest.raises(InputError) as e:
        read_transactions(broken)
    assert fatal_reasons(e.value).startswith("the workbook is damaged")
    page = tmp_path / "report.xls"
    page.write_text("<html><table><tr><td>Клиент</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_transactions(page)
    assert "probably a web page or text saved under the .xls extension" in fatal_reasons(e.value)


def test_a_title_above_the_header_is_not_a_header_row():
    # "Sales" is an alias of amount; as a title it must not name column C
    rows = [["Sales"], ["Client", "Date", "Sum", "Note"], ["A", "2024-03-01", 5, "x"]]
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    assert "required column 'amount' not found" in fatal_reasons(e.value)
    t = read_transactions(rows, mapping={"amount": "Sum"})
    assert t.data["amount"].tolist() == [5.0] and t.data["row"].tolist() == [3]
