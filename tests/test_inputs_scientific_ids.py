"""Client ids that Excel turned into scientific notation (1.23457E+11) are named: the digits it did not
show are lost, so several clients may share such an id."""
from __future__ import annotations

from xlb2b.inputs import read_transactions


def _notes(t) -> list[str]:
    return [w for w in t.reading.warnings if "scientific notation" in w]


def test_an_inn_turned_into_scientific_notation_is_named_with_its_lines(tmp_path):
    p = tmp_path / "inn.csv"
    p.write_text(
        "ИНН;Дата;Сумма\n1,23457E+11;01.02.2025;100\n7701234567;02.02.2025;50\n1,23457E+11;03.02.2025;20\n",
        encoding="utf-8",
    )
    t = read_transactions(str(p))
    assert float(t.data["amount"].sum()) == 170.0  # read as written: nothing dropped or merged
    notes = _notes(t)
    assert len(notes) == 1 and "'1,23457E+11' (2 lines, rows 2, 4)" in notes[0] and "formatted as Text" in notes[0]
    assert [p.row for p in t.report.problems if p.reason == notes[0]] == [2]


def test_ids_like_codes_with_a_small_exponent_or_digits_only_are_not_named():
    t = read_transactions(
        [["Client", "Date", "Amount"], ["3E1", "01.02.2025", 10], ["123457000000", "02.02.2025", 5],
         ["1.5E+4", "03.02.2025", 1]]
    )
    assert _notes(t) == []
