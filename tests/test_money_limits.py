"""Amounts too large for a 64-bit float to keep their cents are refused with a message, never shown wrong."""

from __future__ import annotations

import pytest

from xlb2b import InputError, read_transactions

HEAD = "Клиент;Дата;Сумма\n"


def _csv(tmp_path, lines: list[str], name: str = "t.csv"):
    p = tmp_path / name
    p.write_text(HEAD + "".join(line + "\n" for line in lines), encoding="utf-8")
    return p


def test_float_spacing_at_the_limit_is_wider_than_a_cent():
    # 2**46 = 70,368,744,177,664: the next float is 1/64 = 0.015625 away, so .01 cannot be kept
    assert 2.0**46 == 70_368_744_177_664
    assert (2.0**46 + 0.01) - 2.0**46 == 0.015625


def test_a_line_amount_too_large_for_its_cents_is_rejected_with_file_row_and_column(tmp_path):
    p = _csv(tmp_path, ["a;01.03.2025;100,00", "b;02.03.2025;80000000000000,01", "c;03.03.2025;5,00"])
    t = read_transactions(p)
    assert sorted(t.data["client_id"]) == ["a", "c"]
    [bad] = [q for q in t.report.problems if "cents" in q.reason]
    assert (bad.file, bad.row, bad.column) == ("t.csv", 3, "Сумма")
    assert "70,368,744,177,664" in bad.reason and "thousands" in bad.reason


def test_an_amount_just_below_the_limit_keeps_its_cents(tmp_path):
    # 70,368,744,177,663.99 is 1/100 below 2**46, where floats are 1/128 apart: read back to the cent
    t = read_transactions(_csv(tmp_path, ["a;01.03.2025;70368744177663,99"]))
    assert t.report.problems == [] or all("cents" not in q.reason for q in t.report.problems)
    assert round(float(t.data["amount"].iloc[0]), 2) == 70368744177663.99
    assert f"{float(t.data['amount'].iloc[0]):.2f}" == "70368744177663.99"


def test_amounts_that_add_up_beyond_the_limit_refuse_the_file(tmp_path):
    # each line 40,000,000,000,000 is fine; their sum 80,000,000,000,000 is past 2**46: the total would lose cents
    p = _csv(tmp_path, ["a;01.03.2025;40000000000000,00", "b;02.03.2025;-40000000000000,00"])
    with pytest.raises(InputError) as e:
        read_transactions(p)
    [fatal] = [q for q in e.value.report.problems if "add up to" in q.reason]
    assert (fatal.file, fatal.column) == ("t.csv", "Сумма")
    assert "80,000,000,000,000" in fatal.reason and "split the file" in fatal.reason


def test_engine_path_rejects_a_line_amount_too_large_for_its_cents(tmp_path):
    pytest.importorskip("duckdb")
    pytest.importorskip("ibis")
    from xlb2b.inputs import scan

    _csv(tmp_path, ["a;2025-03-01;100.00", "b;2025-03-02;80000000000000.01", "c;2025-03-03;5.00"], "e.csv")
    e = scan.open_files("transactions", str(tmp_path / "*.csv"))
    assert e.rejected == 1
    assert sorted(e.table.to_pandas()["client_id"]) == ["a", "c"]
    assert any("too large to keep its cents" in q.reason and q.column == "Сумма" for q in e.report)
