"""The fill vocabulary's two-window names: a user's report template with the bridge, the bridge by
manager, W0's dates and retention, and a user's ADP template with the trajectory, filled with the
hand-computed values of tests/test_exact_criteria.py's table (W1 2025, W0 2024)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from test_exact_criteria import BY_MANAGER
from test_exact_criteria import book as exact_book  # noqa: F401 (fixture)
from test_fill import ooxml_ok

from xlb2b.analysis.dynamics import BRIDGE_ROWS
from xlb2b.excel.fill import fill_adp_template, fill_report
from xlb2b.locale import label


def build_report(path: Path) -> Path:
    """A monthly report: the bridge with its own labels beside it, the bridge by manager (one row, grows),
    W0's first day, NRR, GRR and logo retention, and a KPI formula over the bridge."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Dynamics")
    for i in range(len(BRIDGE_ROWS)):
        for j in range(3):
            ws.write_blank(4 + i, j, None)
    wb.define_name("bridge", "=Dynamics!$A$5:$C$16")
    for j in range(13):
        ws.write_blank(19, j, None)
    wb.define_name("bridge_by_manager", "=Dynamics!$A$20:$M$20")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, cell in (("previous_start", "B2"), ("nrr", "D2"), ("grr", "E2"), ("logo_retention", "F2")):
        ws.write_blank(cell, None, date if name == "previous_start" else None)
        wb.define_name(name, f"=Dynamics!${cell[0]}${cell[1:]}")
    ws.write_formula("H2", "=INDEX(bridge,12,3)-INDEX(bridge,1,3)", None, 0)
    wb.close()
    return path


def test_report_bridge_names_hold_the_hand_computed_bridge(exact_book, tmp_path):  # noqa: F811
    a, _ = exact_book
    path = build_report(tmp_path / "report.xlsx")
    res = fill_report(a, path)
    assert sorted(res.filled) == ["bridge", "bridge_by_manager", "grr", "logo_retention", "nrr", "previous_start"]
    ws = openpyxl.load_workbook(path)["Dynamics"]
    got = {r[0]: (r[1], r[2]) for r in ws.iter_rows(min_row=5, max_row=16, values_only=True)}
    # start: c1 100 + c2 50 + c6 80 + c7 20 ; new: c3 200 + c4 30 + c8 10 ; returned: c5 60 ; lost: c6 -80
    # grown price: c1 50 + c2 20 + c7 5 ; end: 150 + 70 + 200 + 30 + 60 + 25 + 10
    hand = {"start": (4, 250), "new": (3, 240), "returned": (1, 60), "lost": (1, -80), "grown_price": (3, 75),
            "grown_volume": (3, 0), "shrunk_price": (0, 0), "shrunk_volume": (0, 0), "flat": (0, 0),
            "no_unit_data": (0, 0), "other": (0, 0), "end": (7, 545)}
    assert got == {label(f"bridge.{k}", "en"): v for k, v in hand.items()}
    heads = ["manager", *BRIDGE_ROWS]
    rows = [r for r in ws.iter_rows(min_row=20, max_row=40, max_col=13, values_only=True) if r[0] is not None]
    by = {r[0]: {k: v for k, v in zip(heads[1:], r[1:]) if v} for r in rows}
    assert by == BY_MANAGER                                       # grew from one row to eight
    assert ws["B2"].value.date() == dt.date(2024, 1, 1)
    # NRR = (150 + 70 + 0 + 25) / 250 ; GRR = (100 + 50 + 0 + 20) / 250 ; logo: 3 of the 4 W0 buyers
    assert (ws["D2"].value, ws["E2"].value, ws["F2"].value) == pytest.approx((0.98, 0.68, 0.75))
    ooxml_ok(path)


def build_adp(path: Path) -> Path:
    """A user's ADP sheet: the company and the trajectory, headers and block moved to columns J..K."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Plan")
    ws.write_blank("B2", None)
    wb.define_name("Plan!company", "=Plan!$B$2")
    for r in range(4, 13):
        for c in (9, 10):
            ws.write_blank(r, c, None)
    wb.define_name("Plan!trajectory_windows", "=Plan!$J$5:$K$5")
    wb.define_name("Plan!trajectory", "=Plan!$J$6:$K$13")
    wb.close()
    return path


def test_adp_trajectory_names_hold_the_clients_trajectory(exact_book, tmp_path):  # noqa: F811
    a, _ = exact_book
    res = fill_adp_template(a, ["c1"], build_adp(tmp_path / "plan.xlsx"), tmp_path / "plans.xlsx")
    ws = openpyxl.load_workbook(res.path)[res.sheets[0]]
    assert [ws["J5"].value, ws["K5"].value] == ["W0 2024-01-01 – 2024-12-31", "W1 2025-01-01 – 2025-12-31"]
    block = [[ws.cell(r, c).value for c in (10, 11)] for r in range(6, 14)]
    # c1: W0 100 -> W1 150 on one unit each: grown, price effect (150 - 100) * (1 + 1) / 2 = 50, volume 0;
    # PSC group by tenure: 10 months at W0's end (A*), 22 at W1's end (AB); two purchase dates: too few
    assert block[0] == [100, 150]
    assert block[1] == [None, "Grown"]
    assert block[2] == [None, 50] and block[3] == [None, 0]
    assert block[4] == ["A*", "AB"]
    assert block[7] == [None, "Too few purchases"]
    ooxml_ok(res.path)


ROOT = Path(__file__).resolve().parents[1]


def test_blank_adp_template_has_the_generated_trajectory_block(exact_book, tmp_path):  # noqa: F811
    from xlb2b.excel.adp_sheets import write_adp_workbook
    a, _ = exact_book
    gen = openpyxl.load_workbook(write_adp_workbook(a, ["c1"], tmp_path / "adp.xlsx")).worksheets[0]
    for lang in ("en", "ru"):
        blank = openpyxl.load_workbook(ROOT / "workbook_templates" / lang / "adp.xlsx").worksheets[0]
        top = next(r for r in range(1, 120) if blank.cell(r, 6).value == label("adp.trajectory", lang))
        assert [blank.cell(top, c).value for c in (7, 8)] == ["W0", "W1"]
        assert blank.defined_names["trajectory"].attr_text.endswith(f"$G${top + 1}:$H${top + 8}")
        assert blank.defined_names["trajectory_windows"].attr_text.endswith(f"$G${top}:$H${top}")
        assert blank.cell(top, 1).value == label("adp.indicator", lang)      # beside the financials
        if lang == "en":   # the generated sheet: the same labels in the same cells
            assert [gen.cell(r, 6).value for r in range(top, top + 9)] == [
                blank.cell(r, 6).value for r in range(top, top + 9)]


def test_our_blank_adp_template_fills_the_trajectory(exact_book, tmp_path):  # noqa: F811
    a, _ = exact_book
    res = fill_adp_template(a, ["c1"], ROOT / "workbook_templates" / "en" / "adp.xlsx", tmp_path / "a.xlsx")
    assert len(res.info) == 0
    wb = openpyxl.load_workbook(res.path)
    ws = wb[res.sheets[0]]
    ref = ws.defined_names["trajectory"].attr_text.split("!")[1].replace("$", "")
    block = [[c.value for c in row] for row in ws[ref]]
    assert block[0] == [100, 150] and block[1] == [None, "Grown"] and block[2] == [None, 50]   # as above
    ooxml_ok(res.path)
