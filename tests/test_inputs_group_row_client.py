"""A 1C report whose client group rows carry the subtotal while the lines beneath them leave the client
cell empty: each line takes its group row's client, and the group rows are left out."""
from __future__ import annotations

from xlb2b.inputs import read_transactions

HEADER = ["Контрагент", "Дата", "Сумма"]


def test_lines_without_a_client_take_the_client_of_the_group_row_whose_amount_is_their_sum():
    t = read_transactions([
        HEADER,
        ["ООО Ромашка", None, 1500],
        [None, "12.03.2025", 1000],
        [None, "15.04.2025", 500],
        ["ИП Иванов", None, 2000],
        [None, "01.05.2025", 2500],
        [None, "02.06.2025", -500],
        ["Итого", None, 3500],
    ])
    by_client = t.data.groupby(t.data["client_id"].astype(str))["amount"].sum().to_dict()
    assert by_client == {"ООО Ромашка": 1500.0, "ИП Иванов": 2000.0}  # 1000 + 500; 2500 - 500
    assert sorted(t.data["row"].tolist()) == [3, 4, 6, 7]
    assert any("given the client of the group row above them (rows 2, 5)" in w for w in t.reading.warnings)
    assert t.reading.reconciliation == ["3 of 3 subtotal/total rows equal the sum of the accepted lines they cover"]


def test_a_group_row_that_is_not_the_sum_of_the_lines_beneath_gives_them_no_client():
    t = read_transactions([
        HEADER,
        ["ООО Ромашка", None, 1400],  # 1000 + 500 is 1500: not their sum
        [None, "12.03.2025", 1000],
        [None, "15.04.2025", 500],
        ["ИП Иванов", "01.05.2025", 2500],
        ["ИП Иванов", "02.05.2025", 100],
        ["ИП Иванов", "03.05.2025", 200],
        ["ИП Иванов", "04.05.2025", 300],
    ])
    assert sorted(t.data["client_id"].astype(str).unique()) == ["ИП Иванов"]
    rejected = sorted(p.row for p in t.report.problems if "empty client id" in p.reason)
    assert rejected == [3, 4]
