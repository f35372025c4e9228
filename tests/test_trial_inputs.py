"""Inputs a user brings that the other tests never made: each case checks the exit status, the message
and the numbers against figures worked out by hand."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from xlb2b.inputs import read_transactions

ROOT = Path(__file__).resolve().parents[1]


def _run_module(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "xlb2b", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_python_dash_m_runs_the_command_line():
    done = _run_module("--help")
    assert done.returncode == 0
    assert "analyze" in done.stdout and "Traceback" not in done.stderr


def _dates(table) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in table.data["date"]]


def test_us_slash_dates_are_read_month_first_when_a_day_above_12_shows_it(tmp_path):
    p = tmp_path / "us.csv"
    p.write_text("Client,Date,Amount\nA,02/01/2025,100\nA,02/13/2025,200\nB,03/05/2025,300\nB,12/31/2024,50\n")
    t = read_transactions(str(p))
    # 02/13 and 12/31 only exist month first, so 02/01 is 1 February and 03/05 is 5 March
    assert _dates(t) == ["2025-02-01", "2025-02-13", "2025-03-05", "2024-12-31"]


def test_slash_dates_stay_day_first_when_a_day_above_12_comes_first(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text("Client,Date,Amount\nA,02/01/2025,100\nA,13/02/2025,200\n")
    t = read_transactions(str(p))
    assert _dates(t) == ["2025-01-02", "2025-02-13"]


def test_dotted_dates_are_always_day_first(tmp_path):
    p = tmp_path / "ru.csv"
    p.write_text("Client;Date;Amount\nA;02.01.2025;100\nA;05.02.2025;200\n", encoding="cp1251")
    t = read_transactions(str(p))
    assert _dates(t) == ["2025-01-02", "2025-02-05"]


def test_ids_differing_only_in_leading_zeros_are_warned_about():
    t = read_transactions([["Client", "Date", "Amount"], ["000123", "01.02.2025", 10], [123, "02.02.2025", 5]])
    # two clients stay (nothing is merged), and the warning names both spellings with their rows
    assert sorted(t.data["client_id"].astype(str).unique()) == ["000123", "123"]
    texts = [p.reason for p in t.report.problems if "leading zeros" in p.reason]
    assert len(texts) == 1 and "'000123' (first in row 2)" in texts[0] and "'123' (first in row 3)" in texts[0]


def test_a_clients_id_that_lost_its_leading_zeros_joins_the_transactions_id(tmp_path):
    import openpyxl

    from xlb2b import analyze

    tx = [["Client", "Date", "Amount"], ["000123", "01.02.2025", 100.0], ["000456", "02.02.2025", 200.0],
          ["000123", "03.02.2025", 50.0]]
    wb = openpyxl.Workbook()
    wb.active.append(["Client", "Name"])
    wb.active.append([123, "Alpha"])       # a number cell: the zeros are gone
    wb.active.append(["000456", "Beta"])
    path = tmp_path / "clients.xlsx"
    wb.save(path)
    a = analyze(tx, clients=str(path))
    names = dict(zip(a.clients["client_id"].astype(str), a.clients["name"]))
    assert names == {"000123": "Alpha", "000456": "Beta"}
    assert float(a.clients.set_index("client_id").loc["000123", "revenue"]) == 150.0
    assert any("lost the leading zeros" in p.reason and p.row == 2 for p in a.report.problems)


def test_leading_zeros_are_not_aligned_when_two_transaction_ids_fit():
    from xlb2b import analyze

    tx = [["Client", "Date", "Amount"], ["0123", "01.02.2025", 100.0], ["00123", "02.02.2025", 200.0]]
    a = analyze(tx, clients=[["Client", "Name"], [123, "Alpha"]])
    assert a.clients["name"].isna().all()
    assert not any("lost the leading zeros" in p.reason for p in a.report.problems)


def _tiny_transactions(tmp_path: Path) -> Path:
    p = tmp_path / "t.csv"
    p.write_text("Client,Date,Amount\nA,2025-02-01,100\nB,2025-02-02,50\n")
    return p


def test_a_missing_into_workbook_is_an_input_error_with_status_2(tmp_path, capsys):
    from xlb2b.cli import main

    tx = _tiny_transactions(tmp_path)
    assert main(["adp", str(tx), "--top", "1", "--into", str(tmp_path / "none.xlsx"), "-q"]) == 2
    assert "none.xlsx: no such workbook" in capsys.readouterr().err


def test_an_into_workbook_of_another_type_is_an_input_error_with_status_2(tmp_path, capsys):
    from xlb2b.cli import main

    tx = _tiny_transactions(tmp_path)
    old = tmp_path / "old.xls"
    old.write_bytes(b"not read")
    assert main(["adp", str(tx), "--top", "1", "--into", str(old), "-q"]) == 2
    assert "--into needs an .xlsx or .xlsm workbook" in capsys.readouterr().err


def test_options_that_cannot_go_together_give_status_2(tmp_path, capsys):
    from xlb2b.cli import main

    tx = _tiny_transactions(tmp_path)
    assert main(["adp", str(tx), "--top", "1", "--template-sheet", "Plan", "-q"]) == 2
    assert "give --template too" in capsys.readouterr().err


def test_an_existing_output_still_gives_status_1(tmp_path):
    from xlb2b.cli import main

    tx = _tiny_transactions(tmp_path)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"mine")
    assert main(["analyze", str(tx), "--all", "-o", str(out), "-q"]) == 1
    assert out.read_bytes() == b"mine"


def test_two_columns_with_the_same_header_say_which_mapping_takes_the_second(tmp_path):
    import pytest

    from xlb2b.errors import InputError

    p = tmp_path / "dup.csv"
    p.write_text("Client;Date;Amount;Amount\nA;01.02.2025;10;11\nB;02.02.2025;20;21\n")
    with pytest.raises(InputError) as e:
        read_transactions(str(p))
    assert "--map amount='Amount (2)'" in str(e.value.report.problems[0].reason)
    # and the mapping the message gives does take the second column: 11 + 21
    t = read_transactions(str(p), mapping={"amount": "Amount (2)"})
    assert float(t.data["amount"].sum()) == 32.0


def test_an_unknown_our_supplier_names_the_suppliers_of_the_market_table():
    from xlb2b import Settings, analyze

    tx = [["Client", "Date", "Amount"], ["A", "2025-02-01", 100.0], ["B", "2025-02-02", 50.0]]
    mk = [["Client", "Supplier", "Amount"], ["A", "Our company", 100.0], ["A", "Rival", 300.0],
          ["B", "Rival", 70.0], ["B", "Other", 5.0]]
    a = analyze(tx, market=mk, settings=Settings(our_supplier="Our company LLC", window="all"))
    text = next(p.reason for p in a.report.problems if "not found in the Market table" in p.reason)
    # Rival is named twice, the other two once each
    assert "there: 'Rival', " in text and "'Our company'" in text and "'Other'" in text
    assert "--our-supplier" in text


def test_the_out_of_core_reader_refuses_a_windows_1251_csv_saying_what_to_do(tmp_path):
    import pytest

    pytest.importorskip("duckdb")
    pytest.importorskip("ibis")
    from xlb2b.errors import InputError
    from xlb2b.inputs import scan

    p = tmp_path / "1c.csv"
    p.write_bytes("Клиент;Дата;Сумма\r\nООО Альфа;01.02.2025;1 234,50\r\n".encode("cp1251"))
    with pytest.raises(InputError) as e:
        scan.open_files("transactions", str(p))
    text = str(e.value)
    assert "Windows-1251" in text and "iconv -f cp1251 -t utf-8" in text and "--engine pandas" in text
    assert "CSV Error" not in text


def test_the_out_of_core_reader_refuses_a_utf16_csv_saying_what_to_do(tmp_path):
    import pytest

    pytest.importorskip("duckdb")
    pytest.importorskip("ibis")
    from xlb2b.errors import InputError
    from xlb2b.inputs import scan

    p = tmp_path / "u16.csv"
    p.write_bytes(b"\xff\xfe" + "Client\tDate\tAmount\r\nA\t2025-02-01\t10\r\n".encode("utf-16-le"))
    with pytest.raises(InputError) as e:
        scan.open_files("transactions", str(p))
    assert "UTF-16" in str(e.value) and "iconv -f utf-16 -t utf-8" in str(e.value)


def _settings_problems(tmp_path, text: str) -> list[tuple[str | None, str]]:
    import pytest

    from xlb2b.errors import InputError
    from xlb2b.settings import Settings

    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        Settings.load(p)
    return [(q.column, q.reason) for q in e.value.report.problems]


def test_a_class_count_that_is_not_a_whole_number_is_refused_by_name(tmp_path):
    assert _settings_problems(tmp_path, 'quantile_k = "five"\n') == [
        ("quantile_k", "must be a whole number of classes (at least 2)")]
    # 2.5 classes used to become 2 without a word
    assert _settings_problems(tmp_path, "rfm_k = 2.5\n") == [
        ("rfm_k", "must be a whole number of classes (at least 2)")
    ]


def test_settings_of_the_wrong_shape_are_refused_by_name(tmp_path):
    assert _settings_problems(tmp_path, "psc_groups = 5\n") == [("psc_groups", "must be a list of rules")]
    assert _settings_problems(tmp_path, 'bcg_weights = "x"\n') == [
        ("bcg_weights", "must be a table of factor = weight")
    ]
    assert _settings_problems(tmp_path, "rfm_grid = 5\n") == [("rfm_grid", "must be 5 rows of 5 names")]


def test_a_bad_setting_on_the_command_line_exits_2_without_an_internal_error(tmp_path, capsys):
    from xlb2b.cli import main

    tx = _tiny_transactions(tmp_path)
    s = tmp_path / "bad.toml"
    s.write_text('window = "all"\nquantile_k = "five"\n', encoding="utf-8")
    assert main(["analyze", str(tx), "--settings", str(s), "-o", str(tmp_path / "o.xlsx"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "quantile_k" in err and "internal error" not in err


def test_a_date_written_after_a_leading_apostrophe_is_read_like_the_amounts_beside_it():
    t = read_transactions([["Client", "Date", "Amount"], ["A", "'12.04.2025", "'500,00"], ["B", "'2025-03-01", 10]])
    assert _dates(t) == ["2025-04-12", "2025-03-01"] and t.data["amount"].tolist() == [500.0, 10.0]


def test_dates_in_1c_long_format_and_with_the_year_mark_are_read():
    rows = [["Клиент", "Дата", "Сумма"], ["A", "12.03.2025 г.", 1], ["A", "12 марта 2025 г.", 2],
            ["B", "1 Января 2025", 3], ["B", "05.04.2025г", 4]]
    assert _dates(read_transactions(rows)) == ["2025-03-12", "2025-03-12", "2025-01-01", "2025-04-05"]


def test_an_impossible_long_date_is_rejected_as_such():
    rows = [["Клиент", "Дата", "Сумма"], ["A", "31 февраля 2025 г.", 1]] + [["B", "01.01.2025", 1]] * 3
    t = read_transactions(rows)
    assert [(p.row, p.reason) for p in t.report.problems if p.severity == "error"] == [(2, "no such calendar date")]
