"""A CSV line with more fields than the header (a value holding the separator, not quoted as a whole) is
named in the reading report with what to do."""
from __future__ import annotations

from xlb2b.inputs import read_transactions


def _notes(t) -> list[str]:
    return [w for w in t.reading.warnings if "more fields than the header" in w]


def test_a_line_split_by_an_unquoted_separator_is_named(tmp_path):
    p = tmp_path / "split.csv"
    p.write_bytes(
        'Контрагент;Дата;Сумма\r\nООО "Ромашка; и Ко";12.03.2025;1 234,50\r\nИП Иванов;13.03.2025;100\r\n'
        "ИП Иванов;14.03.2025;50\r\n".encode("cp1251")
    )
    t = read_transactions(str(p))
    assert float(t.data["amount"].sum()) == 150.0  # line 2 is rejected: its date field holds ' и Ко"'
    notes = _notes(t)
    assert len(notes) == 1 and notes[0].startswith("1 line (line 2) has more fields than the header")
    assert "separator ';'" in notes[0] and "quote such values whole" in notes[0]
    assert any(q.reason == notes[0] for q in t.report.problems)


def test_trailing_empty_fields_and_a_quoted_separator_say_nothing(tmp_path):
    p = tmp_path / "fine.csv"
    p.write_text('Client,Date,Amount,,\n"Acme, Inc",2025-03-12,100,,\nB,2025-03-13,5,,\nB,2025-03-14,6,,\n')
    t = read_transactions(str(p))
    assert sorted(t.data["client_id"].astype(str).unique()) == ["Acme, Inc", "B"] and _notes(t) == []
