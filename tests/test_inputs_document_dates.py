"""A 1C export with no date column but the document of each line («Реализация товаров и услуг 00БП-000123
от 12.03.2025 14:22:05»): the date is taken from the document's name, and the report says so."""
from __future__ import annotations

import pytest

from xlb2b.errors import InputError
from xlb2b.inputs import read_transactions

DOC = "Реализация товаров и услуг 00БП-{:06d} от {} 10:00:00"


def _table(dates: list[str], extra: list[list] | None = None) -> list[list]:
    rows: list[list] = [["Контрагент", "Документ", "Сумма"]]
    rows += [["ООО Ромашка" if i % 2 else "ИП Иванов", DOC.format(i, d), 100 * (i + 1)] for i, d in enumerate(dates)]
    return rows + (extra or [])


def test_the_date_of_each_line_is_the_date_of_its_document():
    t = read_transactions(_table(["12.03.2025", "01.04.2025", "05.04.2025"], [
        ["ИП Иванов", "Возврат товаров от покупателя 00БП-000003 от 02.06.2025 14:22:05", -50],
    ]))
    assert [d.strftime("%Y-%m-%d") for d in t.data["date"]] == ["2025-03-12", "2025-04-01", "2025-04-05", "2025-06-02"]
    assert t.data["order_id"].astype(str).tolist()[0] == DOC.format(0, "12.03.2025")  # the document stays the order
    assert t.columns["date"] == "Документ (date)"
    notes = [w for w in t.reading.warnings if w.startswith("no date column")]
    assert len(notes) == 1 and "'Документ'" in notes[0] and "→ 12.03.2025, day first" in notes[0]
    date_field = next(f for f in t.reading.fields if f.name == "date")
    assert date_field.where == "column 2"
    # the column made from the documents is offered as no other field's rival
    assert all("Документ (date)" not in str(f.alternatives) for f in t.reading.fields)


def test_a_line_whose_document_names_no_date_or_an_impossible_one_is_rejected_by_row():
    dates = ["12.03.2025", "31.02.2025"] + [f"{d:02d}.05.2025" for d in range(1, 19)]
    t = read_transactions(_table(dates, [["ИП Иванов", "Корректировка реализации", 7]]))
    assert len(t.data) == 19  # 20 documents, one of them dated 31.02; the correction has no date
    errors = {p.row: p.reason for p in t.report.problems if p.severity == "error"}
    assert sorted(errors) == [3, 22]
    assert "calendar" in errors[3] and "not a date" in errors[22]


def test_a_column_of_texts_that_are_mostly_not_documents_gives_no_date():
    with pytest.raises(InputError) as e:
        read_transactions([["Контрагент", "Документ", "Сумма"], ["A", "Счёт 12", 1], ["B", "Накладная 7", 2]])
    assert "required column 'date' not found" in str(e.value.report.problems[0].reason)


def test_a_date_column_wins_over_the_documents():
    header = ["Контрагент", "Документ", "Дата", "Сумма"]
    t = read_transactions([header, ["A", DOC.format(1, "12.03.2025"), "01.01.2025", 5]])
    assert t.data["date"].iloc[0].strftime("%Y-%m-%d") == "2025-01-01"
    assert not [w for w in t.reading.warnings if w.startswith("no date column")]
