"""A grouped report's column headed by both the client and the product («Контрагент / Номенклатура»).

Every table is built here by hand; every expected total is added up in the comments.
"""
from __future__ import annotations

import openpyxl
import pytest

from xlb2b.errors import WARNING, InputError
from xlb2b.inputs import read_transactions


def _report(header: list, extra_header: list | None = None) -> list[list]:
    rows = [["Продажи за февраль 2024", None, None, None], header]     # rows 1-2
    if extra_header is not None:
        rows.append(extra_header)                                        # row 3
    rows += [
        ["ООО Ромашка", None, 10, 3000],        # group: 1000 + 2000
        ["Товар А", "01.02.2024", 4, 1000],
        ["Товар Б", "05.02.2024", 6, 2000],
        ["ООО Лютик", None, 5, 500],            # group: 500
        ["Товар А", "03.02.2024", 5, 500],
        ["ИП Сидоров", None, 2, 250],           # group: 100 + 150
        ["Товар В", "07.02.2024", 1, 100],
        ["Товар Г", "08.02.2024", 1, 150],
        ["Итого", None, 17, 3750],              # 3000 + 500 + 250
    ]
    return rows


CLIENTS = ["ООО Ромашка", "ООО Ромашка", "ООО Лютик", "ИП Сидоров", "ИП Сидоров"]
SKUS = ["Товар А", "Товар Б", "Товар А", "Товар В", "Товар Г"]


@pytest.mark.parametrize(
    "head", ["Контрагент / Номенклатура", "Контрагент, Номенклатура", "Покупатель / Номенклатура", "Клиент/Товар"]
)
def test_combined_client_and_product_header_is_the_client_column_of_a_grouped_report(head):
    t = read_transactions(_report([head, "Дата", "Количество", "Сумма"]))
    assert t.data["client_id"].astype(str).tolist() == CLIENTS
    assert t.data["sku"].astype(str).tolist() == SKUS
    assert t.data["row"].tolist() == [4, 5, 7, 9, 10]
    assert t.data["amount"].sum() == 3750.0                  # 1000 + 2000 + 500 + 100 + 150
    assert t.reading.layout.startswith("grouped report")
    f = {fs.name: fs for fs in t.reading.fields}
    assert f["client_id"].column == head
    assert f["client_id"].how.startswith("its header names the client and the product")


def test_grouping_headings_stacked_over_two_header_rows_are_one_header():
    # 1C: «Контрагент» over «Номенклатура» in column A, the other headings merged down
    t = read_transactions(_report(["Контрагент", "Дата", "Количество", "Сумма"], ["Номенклатура", None, None, None]))
    assert t.reading.header.startswith("rows 2–3 (joined)")
    assert t.data["client_id"].astype(str).tolist() == CLIENTS
    assert t.data["sku"].astype(str).tolist() == SKUS
    assert t.data["row"].tolist() == [5, 6, 8, 10, 11]       # one row lower than above
    assert t.reading.rejected == {}                          # the «Номенклатура» row is no line
    assert t.data["amount"].sum() == 3750.0


def test_combined_header_over_a_repeated_product_heading_stays_the_client_column():
    t = read_transactions(_report(["Контрагент / Номенклатура", "Дата", "Количество", "Сумма"],
                                  ["Номенклатура", None, None, None]))
    assert t.reading.header.startswith("rows 2–3 (joined)")
    assert t.data["client_id"].astype(str).tolist() == CLIENTS
    assert t.data["sku"].astype(str).tolist() == SKUS


def test_stacked_grouping_headings_from_a_workbook(tmp_path):
    path = tmp_path / "1c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Продажи"
    for r in _report(["Контрагент", "Дата", "Количество", "Сумма"], ["Номенклатура", None, None, None]):
        ws.append(r)
    for col in "BCD":                                        # merged down over both header rows
        ws.merge_cells(f"{col}2:{col}3")
    wb.save(path)
    t = read_transactions(path)
    assert t.data.groupby("client_id", observed=True)["amount"].sum().to_dict() == {
        "ООО Ромашка": 3000.0, "ООО Лютик": 500.0, "ИП Сидоров": 250.0}


def test_a_lower_row_that_is_not_a_grouping_heading_is_still_a_line():
    # «Товар» under «Дата» is not a stacked grouping heading: the row stays a data row
    rows = [["Контрагент", "Дата", "Сумма"], ["Альфа", "Товар", None], ["Альфа", "01.02.2024", 100]]
    t = read_transactions(rows)
    assert t.reading.header.startswith("row 1,")
    assert [k.split(" (")[0] for k in t.reading.rejected] == ["not a date"]
    assert sum(t.reading.rejected.values()) == 1
    assert t.data["amount"].sum() == 100.0


def test_combined_header_over_a_flat_list_is_warned_about():
    rows = [["Клиент/Товар", "Дата", "Сумма"], ["Альфа", "01.02.2024", 100], ["Бета", "02.02.2024", 50]]
    t = read_transactions(rows)
    assert t.data["client_id"].astype(str).tolist() == ["Альфа", "Бета"]
    w = [p.reason for p in t.report if p.severity == WARNING]
    assert any("headed as holding the client and the product" in x for x in w)


def test_combined_header_is_not_a_product_column_when_there_is_a_client_column():
    # both «Клиент» and «Клиент/Товар»: two columns can be the client, refused naming both
    rows = [["Клиент", "Клиент/Товар", "Дата", "Сумма"], ["Альфа", "x", "01.02.2024", 100]]
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    assert any("several columns can be 'client_id'" in p.reason for p in e.value.report)
