"""A required column that is missing while other headers contain one of its names: the message names them
and how to choose one (with and without VAT said as such)."""
from __future__ import annotations

import pytest

from xlb2b.errors import InputError
from xlb2b.inputs import read_transactions


def _reason(rows: list[list]) -> str:
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    return next(p.reason for p in e.value.report.problems if "required column 'amount'" in p.reason)


def test_amounts_with_and_without_vat_are_named_with_the_choice_to_make():
    why = _reason([["Клиент", "Дата", "Сумма без НДС", "Сумма с НДС"], ["A", "01.02.2025", 100, 120]])
    assert "'Сумма без НДС' (column 3) and 'Сумма с НДС' (column 4) contain a name of this field" in why
    assert "--map amount='Сумма без НДС'" in why and "with and without VAT" in why


def test_a_header_broken_over_two_lines_is_suggested_as_it_can_be_typed():
    why = _reason([["Клиент", "Дата", "Сумма\nс НДС"], ["A", "01.02.2025", 120]])
    assert "--map amount='Сумма с НДС'" in why and "VAT" not in why
    rows = [["Клиент", "Дата", "Сумма\nс НДС"], ["A", "01.02.2025", 120]]
    t = read_transactions(rows, mapping={"amount": "Сумма с НДС"})
    assert t.data["amount"].tolist() == [120.0]


def test_no_hint_when_no_header_contains_a_name_of_the_field():
    why = _reason([["Клиент", "Дата", "Итог"], ["A", "01.02.2025", 120]])
    assert "contain" not in why.split("accepted headers")[0]


def test_an_amount_in_thousands_is_said_when_suggested_and_when_mapped():
    rows = [["Клиент", "Дата", "Выручка, тыс. руб."], ["A", "01.02.2025", 1.5]]
    assert "its amounts are in thousands" in _reason(rows)
    t = read_transactions(rows, mapping={"amount": "Выручка, тыс. руб."})
    assert t.data["amount"].tolist() == [1.5]  # taken as written
    notes = [w for w in t.reading.warnings if "in thousands" in w]
    assert len(notes) == 1 and notes[0].startswith("amount is read from 'Выручка, тыс. руб.'")


def test_a_currency_or_the_word_k_of_another_language_is_no_unit_of_thousands():
    for header in ("Сумма, USD", "Сумма к оплате", "Amount m"):
        t = read_transactions([["Клиент", "Дата", header], ["A", "01.02.2025", 2]], mapping={"amount": header})
        assert not [w for w in t.reading.warnings if "thousands" in w or "millions" in w], header
