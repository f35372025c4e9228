"""The reading report, the layouts found by arithmetic and the plausibility warnings.

Every table is built here by hand; every expected total is added up in the comments.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlb2b.errors import ERROR, INFO, WARNING, InputError
from xlb2b.inputs import read_transactions

H = ["Контрагент", "Дата", "Количество", "Сумма"]


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch):
    """Run a test through both workbook readers."""
    from xlb2b.inputs.sources import xlsx as xlsx_source
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    return request.param


def warnings_of(t) -> list[str]:
    return [p.reason for p in t.report if p.severity == WARNING]


def rows_of(t) -> list[int]:
    return t.data["row"].tolist()


def save_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


# --------------------------------------------------------------------------
# grouped reports (1C): client group rows with subtotals, nomenclature lines beneath

GROUPED = [
    ["Продажи за февраль 2024", None, None, None],          # row 1: title
    H,                                                       # row 2
    ["ООО Ромашка", None, 10, 3000],                         # row 3: group, 1000 + 2000
    ["Товар А", "01.02.2024", 4, 1000],                      # row 4
    ["Товар Б", "05.02.2024", 6, 2000],                      # row 5
    ["ООО Лютик", None, 5, 500],                             # row 6: group, 500
    ["Товар А", "03.02.2024", 5, 500],                       # row 7
    ["ИП Сидоров", None, 2, 250],                            # row 8: group, 100 + 150
    ["Товар В", "07.02.2024", 1, 100],                       # row 9
    ["Товар Г", "08.02.2024", 1, 150],                       # row 10
    ["Итого", None, 17, 3750],                               # row 11: 3000 + 500 + 250
]


def test_grouped_report_is_read_as_a_flat_list_with_the_client_filled_down():
    t = read_transactions(GROUPED)
    d = t.data
    assert d["client_id"].astype(str).tolist() == ["ООО Ромашка", "ООО Ромашка", "ООО Лютик",
                                                   "ИП Сидоров", "ИП Сидоров"]
    assert d["sku"].astype(str).tolist() == ["Товар А", "Товар Б", "Товар А", "Товар В", "Товар Г"]
    assert rows_of(t) == [4, 5, 7, 9, 10]
    assert d["amount"].sum() == 3750.0                       # 1000 + 2000 + 500 + 100 + 150
    r = t.reading
    assert r.layout.startswith("grouped report")
    assert r.left_out == {"group rows (client and subtotal)": 3, "total rows": 1}
    assert r.amount_accepted == 3750.0
    assert r.amount_all == 3750.0 + 3000 + 500 + 250 + 3750  # every number in the column: 11 250
    assert r.reconciliation == ["4 of 4 subtotal/total rows equal the sum of the accepted lines they cover"]
    left = {(p.row, p.severity) for p in t.report if "left out" in p.reason}
    assert left == {(3, INFO), (6, INFO), (8, INFO), (11, WARNING)}     # group rows that add up: info


def test_grouped_report_never_gives_products_as_clients_from_xlsx(tmp_path, engine):
    path = save_xlsx(tmp_path / "report.xlsx", {"Параметры": [["Период", "февраль 2024"]],
                                                "Продажи": GROUPED})
    t = read_transactions(path, sheet="Продажи")
    assert set(t.data["client_id"].astype(str)) == {"ООО Ромашка", "ООО Лютик", "ИП Сидоров"}
    assert t.data.groupby("client_id", observed=True)["amount"].sum().to_dict() == {
        "ООО Ромашка": 3000.0, "ООО Лютик": 500.0, "ИП Сидоров": 250.0}


def test_grouped_report_with_its_total_first():
    g = [GROUPED[1], GROUPED[10]] + GROUPED[2:10]           # «Итого» 3750 right under the header
    t = read_transactions(g)
    assert t.data["amount"].sum() == 3750.0
    assert t.reading.reconciliation == ["4 of 4 subtotal/total rows equal the sum of the accepted lines they cover"]
    assert not any(w.startswith("does not reconcile") for w in warnings_of(t))


def test_grouped_report_difference_is_listed_by_client():
    g = [list(r) for r in GROUPED]
    g[4][3] = "две тысячи"                                   # row 5 rejected: not a number
    t = read_transactions(g)
    assert t.data["amount"].sum() == 1750.0                  # 1000 + 500 + 100 + 150
    rec = t.reading.reconciliation
    assert rec[0] == "2 of 4 subtotal/total rows equal the sum of the accepted lines they cover"
    assert ("client 'ООО Ромашка' (row 3): the report says 3 000.00, the accepted lines add up to "
            "1 000.00, difference 2 000.00; rejected among its lines: row 5 (see above)") in rec
    assert any(x.startswith("total (row 11): the report says 3 750.00, the accepted lines add up to 1 750.00")
               for x in rec)
    assert [p.row for p in t.report if p.reason.startswith("does not reconcile")] == [3, 11]


def test_grouped_report_own_subtotal_wrong_is_listed_by_client():
    g = [list(r) for r in GROUPED]
    g[5][3] = 600                                            # ООО Лютик's group row says 600, its line 500
    g[10][3] = 3850                                          # the total follows the group rows: 3000+600+250
    t = read_transactions(g)
    assert t.data["amount"].sum() == 3750.0                  # the lines are all read
    assert ("client 'ООО Лютик' (row 6): the report says 600.00, the accepted lines add up to 500.00, "
            "difference 100.00; the report's own figure differs from its lines") in t.reading.reconciliation


def test_one_dateless_row_equal_to_the_line_beneath_is_not_a_grouped_report():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],                    # row 2
            ["Бета", None, 70],                              # row 3: no date; equals row 4 by chance
            ["Гамма", "02.03.2024", 70],                     # row 4
            ["Дельта", "03.03.2024", 30]]                    # row 5
    t = read_transactions(rows)
    assert t.data["client_id"].astype(str).tolist() == ["Альфа", "Гамма", "Дельта"]   # no client filled down
    assert "sku" not in t.data
    assert t.data["amount"].sum() == 200.0                   # 100 + 70 + 30
    assert [(p.row, p.reason, p.severity) for p in t.report if p.row == 3] == [(3, "empty date", ERROR)]
    assert t.reading.layout.startswith("flat list")


def test_group_rows_that_mostly_do_not_add_up_are_refused_with_the_layout_named():
    rows = [H,
            ["ООО Ромашка", None, 10, 3000],                 # row 2: 1000 + 2000, adds up
            ["Товар А", "01.02.2024", 4, 1000],
            ["Товар Б", "05.02.2024", 6, 2000],
            ["ООО Лютик", None, 5, 900],                     # row 5: its line is 500
            ["Товар А", "03.02.2024", 5, 500],
            ["ИП Сидоров", None, 2, 999],                    # row 7: its lines are 250
            ["Товар В", "07.02.2024", 1, 100],
            ["Товар Г", "08.02.2024", 1, 150]]
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    msg = str(e.value)
    assert "grouped report" in msg and "export a flat list" in msg and "rows 2, 5, 7" in msg


def test_report_grouped_by_client_and_document_is_refused():
    rows = [H,
            ["ООО Ромашка", None, 10, 3000],                 # row 2: client, 1000 + 2000
            ["Реализация 1", "01.02.2024", 4, 1000],         # row 3: document
            ["Товар А", None, 2, 400],                       # row 4: its lines
            ["Товар Б", None, 2, 600],
            ["Реализация 2", "05.02.2024", 6, 2000],         # row 6
            ["Товар В", None, 3, 1200],
            ["Товар Г", None, 3, 800]]
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    assert "not one row per line" in str(e.value) and "export a flat list" in str(e.value)


def test_client_names_under_their_lines_are_refused():
    rows = [H,
            ["Товар А", "01.02.2024", 4, 1000],
            ["Товар Б", "05.02.2024", 6, 2000],
            ["ООО Ромашка", None, 10, 3000],                 # row 4: the client under its lines
            ["Товар А", "03.02.2024", 5, 500],
            ["ООО Лютик", None, 5, 500],                     # row 6
            ["Товар В", "07.02.2024", 1, 100],
            ["ИП Сидоров", None, 1, 100]]                    # row 8
    with pytest.raises(InputError) as e:
        read_transactions(rows)
    assert "under its lines" in str(e.value) and "export a flat list" in str(e.value)


def test_group_headings_without_amounts_are_warned_about():
    rows = [["Клиент", "Дата", "Сумма"],
            ["ООО Ромашка", None, None],                     # row 2: a heading only
            ["Товар А", "01.02.2024", 1000],
            ["ООО Лютик", None, None],                       # row 4
            ["Товар Б", "03.02.2024", 500]]
    t = read_transactions(rows)
    assert any("like the group headings of a report" in w and "rows 2, 4" in w for w in warnings_of(t))


def test_one_heading_row_is_not_warned_about():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Январь", None, None],                          # a section title
            ["Альфа", "01.01.2024", 1000],
            ["Бета", "03.01.2024", 500]]
    t = read_transactions(rows)
    assert not any("group headings" in w for w in warnings_of(t))


# --------------------------------------------------------------------------
# subtotal and total rows, whatever their label


def test_unlabelled_subtotal_and_total_rows_are_dropped_and_listed():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],                    # row 2
            ["Альфа", "02.03.2024", 50],                     # row 3
            [None, None, 150],                               # row 4: 100 + 50
            ["Бета", "03.03.2024", 70],                      # row 5
            [None, None, 70],                                # row 6: 70
            [None, None, 220]]                               # row 7: 150 + 70, the grand total
    t = read_transactions(rows)
    assert rows_of(t) == [2, 3, 5]
    assert t.data["amount"].sum() == 220.0
    assert t.reading.left_out == {"subtotal rows": 2, "total rows": 1}
    assert [p.severity for p in t.report if p.row in (4, 6, 7)] == [WARNING] * 3
    assert t.reading.rejected == {}


def test_genuine_line_equal_to_the_sum_of_two_others_is_kept():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 60],                     # row 2
            ["Бета", "02.03.2024", 40],                      # row 3
            ["Гамма", "03.03.2024", 100],                    # row 4: 60 + 40, by coincidence
            ["Дельта", "04.03.2024", 25]]                    # row 5
    t = read_transactions(rows)
    assert rows_of(t) == [2, 3, 4, 5]
    assert t.data["amount"].sum() == 225.0                   # 60 + 40 + 100 + 25
    assert t.reading.left_out == {} and t.reading.layout.startswith("flat list")
    assert warnings_of(t) == []


def test_dateless_row_not_equal_to_a_sum_is_rejected_not_dropped():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],
            ["Бета", "02.03.2024", 50],
            [None, None, 149]]                               # row 4: not 150
    t = read_transactions(rows)
    assert t.reading.left_out == {}
    assert t.reading.rejected == {"empty client id": 1}
    assert t.reading.amount_rejected == 149.0 and t.reading.amount_all == 299.0


def test_total_counted_twice_both_rows_left_out():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],
            ["Бета", "02.03.2024", 50],
            ["Итого", None, 150],                            # row 4: 100 + 50
            ["Всего", None, 150]]                            # row 5: the same total again
    t = read_transactions(rows)
    assert t.data["amount"].sum() == 150.0
    assert t.reading.left_out == {"total rows": 2}
    assert not any(w.startswith("does not reconcile") for w in warnings_of(t))


def test_labelled_total_that_does_not_add_up_is_listed():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],
            ["Бета", "02.03.2024", 50],
            ["Итого", None, 160]]                            # row 4: the lines add up to 150
    t = read_transactions(rows)
    assert t.data["amount"].sum() == 150.0
    assert t.reading.reconciliation[1] == ("total (row 4): the report says 160.00, the accepted lines add "
                                           "up to 150.00, difference 10.00; the report's own figure differs "
                                           "from its lines")


# --------------------------------------------------------------------------
# a client cell standing for several rows

def test_client_cell_standing_for_the_rows_beneath_is_filled_down():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],                    # row 2
            [None, "02.03.2024", 50],                        # row 3: Альфа
            ["Бета", "03.03.2024", 70],                      # row 4
            [None, "04.03.2024", 30],                        # row 5: Бета
            [None, "05.03.2024", 5],                         # row 6: Бета
            ["Гамма", "06.03.2024", 10]]                     # row 7
    t = read_transactions(rows)
    assert t.data["client_id"].astype(str).tolist() == ["Альфа", "Альфа", "Бета", "Бета", "Бета", "Гамма"]
    assert t.data.groupby("client_id", observed=True)["amount"].sum().to_dict() == {
        "Альфа": 150.0, "Бета": 105.0, "Гамма": 10.0}
    assert [(p.row, p.severity) for p in t.report if p.reason.startswith("no client id")] == [(3, INFO), (5, INFO)]
    assert "stands for the rows beneath" in t.reading.layout or "several rows" in t.reading.layout
    assert any(w.startswith("3 line(s) without a client were given the client of the line above") for w in
               warnings_of(t))


def test_one_missing_client_is_rejected_not_filled():
    rows = [["Клиент", "Дата", "Сумма"]] + [[f"К{i}", f"0{i}.03.2024", 10 * i] for i in range(1, 10)]
    rows.insert(5, [None, "05.03.2024", 999])                # row 6: one line without a client
    t = read_transactions(rows)
    assert 6 not in rows_of(t)
    assert t.data["amount"].sum() == 450.0                   # 10 + 20 + ... + 90
    assert t.reading.rejected == {"empty client id": 1}


# --------------------------------------------------------------------------
# the reading report


def test_reading_report_of_a_workbook(tmp_path, engine):
    sheet = [["Отчёт о продажах", None, None, None, None, None],                     # row 1
             [None, None, None, None, None, None],                                  # row 2
             ["Клиент", "Дата", "Сумма", "Сумма с НДС", "Код", "Примечание"],      # row 3
             ["Альфа", dt.datetime(2024, 3, 1), 100, 120, 11, "x"],                 # row 4
             ["Бета", dt.datetime(2024, 3, 5), 50, 60, 12, None],                   # row 5
             ["Гамма", dt.datetime(2024, 4, 2), "много", 0, 13, None],              # row 6: rejected
             [None, dt.datetime(2024, 4, 3), 25, 30, 14, None],                     # row 7: rejected
             ["Итого", None, 175, 210, None, None]]                                 # row 8: 100+50+25
    path = save_xlsx(tmp_path / "sales.xlsx", {"Параметры": [["a", 1], ["b", 2], ["c", 3]],
                                               "Продажи": sheet, "Пусто": []})
    t = read_transactions(path)
    r = t.reading
    assert (r.file, r.sheet, r.cells) == ("sales.xlsx", "Продажи", "A3:F8")
    assert r.other_sheets == [("Параметры", "A1:B3, 3 rows × 2 columns"), ("Пусто", "empty")]
    assert r.header.startswith("row 3, the row with the most known column names (3)")
    f = {fs.name: fs for fs in r.fields}
    assert (f["amount"].column, f["amount"].where) == ("Сумма", "column C")
    alts = dict(f["amount"].alternatives)
    assert alts["'Сумма с НДС'"].startswith("its header contains 'Сумма'")
    assert alts["'Код'"].startswith("its values are numbers too (100%")
    assert "'Примечание'" not in alts
    assert r.rows_read == 5 and r.rows_accepted == 2
    assert r.rejected == {"not a number": 1, "empty client id": 1}
    assert r.left_out == {"total rows": 1}
    assert r.amount_accepted == 150.0                        # 100 + 50
    assert r.amount_rejected == 25.0 and r.amount_left_out == 175.0
    assert r.amount_all == 350.0                             # 100 + 50 + 25 + 175
    assert (r.date_first, r.date_last) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-05"))
    text = "\n".join(r.lines())
    assert "sales.xlsx, sheet 'Продажи', A3:F8" in text and "'Параметры' (A1:B3, 3 rows × 2 columns)" in text
    assert t.report.readings == [r]
    # the amount has a rival with a similar header: said with the summary
    assert any(w.startswith("amount was read from 'Сумма', but 'Сумма с НДС' could also be it") for w in r.warnings)


def test_reading_report_of_a_csv_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Клиент;Дата;Сумма\nА;01.03.2024;1,5\nБ;02.03.2024;2,5\n", encoding="utf-8")
    r = read_transactions(path).reading
    assert (r.file, r.sheet, r.cells) == ("s.csv", "", "lines 1–3, fields 1–3")
    assert r.amount_accepted == 4.0 and r.other_sheets == []


def test_reading_report_of_a_dataframe():
    df = pd.DataFrame({"client_id": ["A", "B", "C"], "date": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
                       "amount": [1.0, 2.0, 4.0]})
    r = read_transactions(df).reading
    assert r.cells == "3 rows × 3 columns" and r.header == "the column labels of the table"
    assert (r.rows_read, r.rows_accepted, r.rejected) == (3, 2, {"empty date": 1})
    assert (r.amount_accepted, r.amount_rejected, r.amount_all) == (3.0, 4.0, 7.0)


def test_reading_report_reaches_the_analysis_the_workbook_and_the_command_line(tmp_path, capsys):
    from xlb2b.cli import main
    from xlb2b.pipeline import analyze
    rows = [["Клиент", "Дата", "Сумма"], ["А", "01.03.2024", 10], ["Б", "02.03.2024", 20]]
    a = analyze(rows)
    assert [r.kind for r in a.report.readings] == ["transactions"]
    assert a.report.readings[0].amount_accepted == 30.0

    csv = tmp_path / "t.csv"
    csv.write_text("Клиент;Дата;Сумма\nА;01.03.2024;10\nБ;02.03.2024;20\n", encoding="utf-8")
    out = tmp_path / "o.xlsx"
    assert main(["analyze", str(csv), "-o", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert printed.index("Read transactions: t.csv, lines 1–3, fields 1–3") < printed.index("Window:")
    assert "amount: accepted 30.00; every number in the column 30.00" in printed
    wb = openpyxl.load_workbook(out, read_only=True)
    cells = [c for row in wb["Input issues"].iter_rows(values_only=True) for c in row if c]
    assert "What was read" in cells and "t.csv, lines 1–3, fields 1–3" in cells
    assert "accepted 30.00; every number in the column 30.00" in cells


# --------------------------------------------------------------------------
# plausibility warnings


def _monthly(n: int = 24, start: str = "2023-01-15") -> list[list]:
    days = pd.date_range(start, periods=n, freq="MS") + pd.Timedelta(days=14)
    return [["Клиент", "Дата", "Сумма"]] + [[f"К{i % 5}", d.strftime("%d.%m.%Y"), 100 + i]
                                            for i, d in enumerate(days)]


def test_a_line_far_after_the_others_is_warned_about():
    rows = _monthly(start="2020-01-01") + [["К1", "05.01.2025", 10]]   # row 26; the others end 2021-12-15
    w = [x for x in warnings_of(read_transactions(rows)) if "after every other line" in x]
    assert len(w) == 1 and w[0].startswith("1 line(s) dated 2025-01-05 (row 26) lie 1,117 days after") \
        and "--start/--end" in w[0]


def test_a_line_far_before_the_others_is_warned_about():
    rows = _monthly() + [["К1", "05.01.2015", 10]]
    w = [x for x in warnings_of(read_transactions(rows)) if "before every other line" in x]
    assert len(w) == 1 and w[0].startswith("1 line(s) dated 2015-01-05 (row 26)")


def test_evenly_spread_dates_are_not_warned_about():
    assert not any("every other line" in w for w in warnings_of(read_transactions(_monthly(36))))


def test_client_ids_differing_only_in_spelling_are_warned_about():
    rows = [["Клиент", "Дата", "Сумма"],
            ["ООО «Ромашка»", "01.03.2024", 10],              # row 2
            ["ООО Ромашка", "02.03.2024", 10],                # row 3: no quotes
            ["ООО \"Ромашка\".", "03.03.2024", 10],           # row 4: other quotes, a full stop
            ["ООО Лютик", "04.03.2024", 10]]
    w = [x for x in warnings_of(read_transactions(rows)) if "differ only in" in x]
    assert len(w) == 1
    assert ("'ООО «Ромашка»' (first in row 2) and 'ООО Ромашка' (first in row 3) and 'ООО \"Ромашка\".' "
            "(first in row 4)") in w[0]
    assert "Лютик" not in w[0]


def test_distinct_client_ids_are_not_warned_about():
    rows = [["Клиент", "Дата", "Сумма"], ["ООО Ромашка", "01.03.2024", 10], ["ООО Ромашка-2", "02.03.2024", 10],
            ["ООО Лютик", "03.03.2024", 10]]
    assert not any("differ only" in w for w in warnings_of(read_transactions(rows)))


def test_a_block_pasted_twice_is_warned_about():
    block = [["А", "01.03.2024", 10], ["Б", "02.03.2024", 20], ["В", "03.03.2024", 30]]
    rows = [["Клиент", "Дата", "Сумма"]] + block + block     # rows 5-7 repeat rows 2-4
    w = [x for x in warnings_of(read_transactions(rows)) if "repeat, in the same order" in x]
    assert len(w) == 1 and w[0].startswith("3 lines (rows 5, 6, 7) repeat, in the same order, earlier lines "
                                           "(rows 2, 3, 4)")


def test_repeated_single_lines_are_not_warned_about():
    rows = [["Клиент", "Дата", "Сумма"], ["А", "01.03.2024", 10], ["Б", "02.03.2024", 20], ["А", "01.03.2024", 10],
            ["В", "03.03.2024", 30], ["А", "01.03.2024", 10], ["Г", "04.03.2024", 5], ["А", "01.03.2024", 10]]
    assert not any("repeat, in the same order" in w for w in warnings_of(read_transactions(rows)))


def test_a_subtotal_kept_as_a_dated_line_is_warned_about_and_kept():
    rows = [["Клиент", "Дата", "Сумма"],
            ["Альфа", "01.03.2024", 100],                    # row 2
            ["Альфа", "02.03.2024", 50],                     # row 3
            ["Альфа", "31.03.2024", 150],                    # row 4: 100 + 50, dated
            ["Бета", "03.03.2024", 70],
            ["Гамма", "03.03.2024", 20]]
    t = read_transactions(rows)
    assert t.data["amount"].sum() == 390.0                   # kept: 100 + 50 + 150 + 70 + 20
    w = [x for x in warnings_of(t) if "of the same client" in x]
    assert len(w) == 1 and w[0].startswith("the line in row 4 (150.00) equals the sum of the lines above it "
                                           "of the same client (rows 2, 3)")


def test_a_grand_total_kept_as_a_dated_line_is_warned_about():
    rows = [["Клиент", "Дата", "Сумма"], ["Альфа", "01.03.2024", 100], ["Бета", "02.03.2024", 50],
            ["Гамма", "03.03.2024", 25], ["Итог за март", "31.03.2024", 175]]   # row 5: 100 + 50 + 25
    w = [x for x in warnings_of(read_transactions(rows)) if "sum of all the other lines" in x]
    assert len(w) == 1 and w[0].startswith("the line in row 5 (175.00)")


def test_ordinary_lines_give_no_sum_warning():
    rows = [["Клиент", "Дата", "Сумма"], ["Альфа", "01.03.2024", 100], ["Альфа", "02.03.2024", 50],
            ["Альфа", "03.03.2024", 40], ["Бета", "02.03.2024", 50], ["Гамма", "03.03.2024", 25]]
    assert warnings_of(read_transactions(rows)) == []


def test_no_rival_column_no_warning():
    rows = [["Клиент", "Дата", "Сумма", "Менеджер"], ["А", "01.03.2024", 10, "Иванов"]]
    t = read_transactions(rows)
    assert warnings_of(t) == []
    assert all(fs.alternatives == [] for fs in t.reading.fields)


def test_a_refused_table_still_says_what_was_read(tmp_path, capsys):
    from xlb2b.cli import main
    path = tmp_path / "t.csv"
    path.write_text("Клиент;Дата;Сумма;Сумма с НДС\na;01.01.2024;x;1\nb;02.01.2024;y;2\nc;03.01.2024;3;3\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_transactions(path)
    r = e.value.report.readings[0]
    assert r.layout.startswith("refused") and (r.rows_read, r.rows_accepted) == (3, 0)
    assert r.rejected == {"not a number": 2}
    assert main(["analyze", str(path), "-o", str(tmp_path / "o.xlsx"), "-q"]) == 2
    out = capsys.readouterr().out
    assert "amount could also be 'Сумма с НДС'" in out


def test_merged_client_cells_of_a_workbook_are_filled_down(tmp_path, engine):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Продажи"
    for r in (["Клиент", "Дата", "Сумма"],
              ["Альфа", dt.datetime(2024, 3, 1), 100],   # row 2; A2:A3 merged
              [None, dt.datetime(2024, 3, 2), 50],
              ["Бета", dt.datetime(2024, 3, 3), 70],      # row 4; A4:A6 merged
              [None, dt.datetime(2024, 3, 4), 30],
              [None, dt.datetime(2024, 3, 5), 5]):
        ws.append(r)
    ws.merge_cells("A2:A3")
    ws.merge_cells("A4:A6")
    wb.save(tmp_path / "m.xlsx")
    t = read_transactions(tmp_path / "m.xlsx")
    assert t.data.groupby("client_id", observed=True)["amount"].sum().to_dict() == {"Альфа": 150.0, "Бета": 105.0}


def test_a_named_row_with_the_sum_of_everything_is_the_total_and_said():
    rows = [["Клиент", "Дата", "Сумма"], ["Альфа", "01.03.2024", 100], ["Бета", "02.03.2024", 50],
            ["Итог по отчёту", None, 150]]                 # row 4: 100 + 50, a label we do not know
    t = read_transactions(rows)
    assert t.data["amount"].sum() == 150.0 and t.reading.left_out == {"total rows": 1}
    assert any(w.startswith("row 4 has 'Итог по отчёту' in the client column") for w in warnings_of(t))


def test_amounts_whose_comma_could_be_either_separator_are_warned_about():
    rows = [["Клиент", "Дата", "Сумма"], ["А", "01.03.2024", "1,250"], ["Б", "02.03.2024", "2,500"]]
    t = read_transactions(rows)
    w = [x for x in warnings_of(t) if "exactly three digits after it" in x]
    assert len(w) == 1 and "'1,250' in row 2" in w[0]
    assert ("read as 1.25" in w[0]) == (t.data["amount"].iloc[0] == 1.25)


def test_amounts_with_a_settling_cell_are_not_warned_about():
    rows = [["Клиент", "Дата", "Сумма"], ["А", "01.03.2024", "1,250"], ["Б", "02.03.2024", "2,50"]]
    t = read_transactions(rows)
    assert t.data["amount"].tolist() == [1.25, 2.5]          # "2,50" shows the comma is decimal
    assert not any("three digits after it" in w for w in warnings_of(t))


def test_clients_and_market_tables_have_their_reading_report_too():
    from xlb2b.inputs import read_clients, read_market
    c = read_clients([["Клиент", "Отрасль"], ["А", "HoReCa"], ["Б", "Retail"], ["А", "Retail"]]).reading
    assert (c.kind, c.rows_read, c.rows_accepted, c.amount_accepted) == ("clients", 3, 2, None)
    assert c.rejected == {"client id repeated": 1}
    m = read_market([["Клиент", "Поставщик", "Сумма", "Дата"], ["А", "Мы", 10, "01.01.2024"],
                     ["А", "Они", 30, "01.02.2024"]]).reading
    assert (m.kind, m.amount_accepted, m.amount_all) == ("market", 40.0, 40.0)
    assert m.dates_line() == "2024-01-01 to 2024-02-01"


def test_spelling_keys_of_all_ids_at_once_equal_the_keys_one_by_one():
    from xlb2b.inputs.plausibility import _spelling_key, _spelling_keys
    ids = ["ООО Ромашка", "OOO Romashka", "A-100", "a100", "A_100", "Ёлка", "елка", "ТОРГ", "Torg",
           "x y z", "C&C", "12 34", "1234", "ABC.def", "abc-DEF", "", " ", "Straße", "STRASSE", "tab\tid",
           "Ключ-1", "KLUCH 1", "Hb", "нв", "éclair", 1001, 12.5]
    assert list(_spelling_keys(ids)) == [_spelling_key(i) for i in ids]
    # the pairs a person reads as one id get one key; Latin and Cyrillic look-alikes included
    keys = dict(zip(map(str, ids), _spelling_keys(ids)))
    assert keys["A-100"] == keys["a100"] == keys["A_100"] == "a100"
    assert keys["ABC.def"] == keys["abc-DEF"]
    assert keys["Hb"] == keys["нв"]
    assert keys["ООО Ромашка"] != keys["OOO Romashka"]      # only look-alike letters fold, not transliteration


def test_shared_spelling_keys_are_found_as_one_by_one():
    """The pyarrow path (ASCII ids, a few or many punctuation characters) finds the same shared keys
    as keying every id with _spelling_key."""
    import numpy as np

    from xlb2b.inputs.plausibility import _shared_keys, _spelling_key
    few = ["A-100", "a100", "B-7", "b 8", "C/9", "c9", "D-1", "e-2", "x", "X"]
    many = few + ["p!1", "p#1", "q$2", "r%3", "s&4", "t*5", "u+6", "v=7", "w?8", "y@9", "z^0", "Z^0!"]
    for ids in (few, many):
        dup, shared = _shared_keys(np.array(ids, dtype=object))
        keys = [_spelling_key(i) for i in ids]
        expected = [keys.count(k) > 1 for k in keys]
        assert dup.tolist() == expected
        assert shared.tolist() == [k for k, d in zip(keys, expected) if d]
    dup, _ = _shared_keys(np.array(["A-1", "A-2", "B 1"], dtype=object))
    assert not dup.any()
    # one fixed pattern ("00-001"): no two keys can be equal; with capitals or other places they can
    assert not _shared_keys(np.array(["00-001", "00-002", "01-001"], dtype=object))[0].any()
    assert _shared_keys(np.array(["ab-01", "AB-01", "cd-02"], dtype=object))[0].tolist() == [True, True, False]
    assert _shared_keys(np.array(["0-0001", "00-001", "00-002"], dtype=object))[0].tolist() == [True, True, False]
