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
