"""Rows hidden in a worksheet (filtered out by an AutoFilter, or hidden by hand) are read, and the reading
report says which lines they hold and how much they add up to."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from xlb2b.inputs import read_transactions
from xlb2b.inputs import reading as reading_module

LINES = [("A", dt.date(2025, 1, 5), 100), ("B", dt.date(2025, 1, 6), 200), ("A", dt.date(2025, 2, 5), 300),
         ("C", dt.date(2025, 3, 5), 400), ("B", dt.date(2025, 3, 6), 500)]


def _book(path, hidden: list[int], autofilter: bool) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["Client", "Date", "Amount"])
    for line in LINES:
        ws.append(list(line))
    if autofilter:
        ws.auto_filter.ref = "A1:C6"
        ws.auto_filter.add_filter_column(0, ["A"])
    for r in hidden:
        ws.row_dimensions[r].hidden = True
    wb.save(path)


def _hidden_notes(t) -> list[str]:
    return [w for w in t.reading.warnings if "hidden" in w]


def test_rows_filtered_out_by_an_autofilter_are_read_and_named_with_their_amount(tmp_path):
    p = tmp_path / "filtered.xlsx"
    _book(p, hidden=[3, 5, 6], autofilter=True)  # the filter shows only client A (rows 2 and 4)
    t = read_transactions(str(p))
    assert float(t.data["amount"].sum()) == 1500.0  # every line read: 100 + 200 + 300 + 400 + 500
    notes = _hidden_notes(t)
    assert len(notes) == 1
    # rows 3, 5 and 6 hold B 200, C 400 and B 500
    assert "3 of the 5 lines accepted are in rows hidden" in notes[0] and "AutoFilter" in notes[0]
    assert "(rows 3, 5, 6) (amount 1 100.00)" in notes[0] and "clear the filter" in notes[0]
    assert any(p.reason == notes[0] and p.sheet == "Sales" for p in t.report.problems)


def test_a_row_hidden_by_hand_is_named_too(tmp_path):
    p = tmp_path / "hidden.xlsx"
    _book(p, hidden=[4], autofilter=False)
    notes = _hidden_notes(read_transactions(str(p)))
    assert len(notes) == 1 and "(row 4) (amount 300.00)" in notes[0] and "AutoFilter" not in notes[0]


def test_a_hidden_row_above_the_header_says_nothing(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Report"])
    ws.append(["Client", "Date", "Amount"])
    for line in LINES:
        ws.append(list(line))
    ws.row_dimensions[1].hidden = True
    p = tmp_path / "title.xlsx"
    wb.save(p)
    assert _hidden_notes(read_transactions(str(p))) == []


@pytest.mark.parametrize("chunk", [7, 64])
def test_hidden_rows_are_found_when_a_row_tag_is_cut_between_pieces(tmp_path, monkeypatch, chunk):
    p = tmp_path / "filtered.xlsx"
    _book(p, hidden=[3, 5, 6], autofilter=True)
    monkeypatch.setattr(reading_module, "_CHUNK", chunk)
    assert reading_module.hidden_rows(p, "Sales") == ([3, 5, 6], True)
