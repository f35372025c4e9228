"""A workbook saved with 0 for every formula and a request to be recalculated when opened is read with a warning."""

import datetime as dt
import zipfile

import pytest
import xlsxwriter

from xlb2b.inputs import read_table

WARNED = "probably placeholders"


def _book(path, rows: int, *, formulas: bool):
    """``rows`` lines of 10.0 each; with ``formulas`` the amount is ``=5*2`` saved the way
    XlsxWriter saves a formula whose value is not given: with 0 as its value."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sales")
    ws.write_row(0, 0, ["client_id", "date", "order_id", "amount"])
    fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    for r in range(1, rows + 1):
        ws.write(r, 0, f"K{r % 3}")
        ws.write_datetime(r, 1, dt.datetime(2025, 3, 1), fmt)
        ws.write(r, 2, f"o{r}")
        if formulas:
            ws.write_formula(r, 3, "=5*2")
        else:
            ws.write_number(r, 3, 10.0)
    wb.close()
    return path


def _as_saved_by_excel(path):
    """The same file with the recalculate-on-open flag removed, as Excel leaves it after saving."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    wb = parts["xl/workbook.xml"]
    assert b'fullCalcOnLoad="1"' in wb  # what XlsxWriter writes (its workbook.py, calcPr)
    parts["xl/workbook.xml"] = wb.replace(b' fullCalcOnLoad="1"', b"")
    with zipfile.ZipFile(path, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return path


def _warnings(t):
    return [p.reason for p in t.report.problems if p.severity == "warning" and WARNED in p.reason]


@pytest.mark.parametrize("rows", [6, 400])  # the cell-by-cell readers and the columnar one
def test_uncalculated_formula_values_are_warned_about(tmp_path, rows):
    t = read_table("transactions", _book(tmp_path / "script.xlsx", rows, formulas=True))
    # the saved placeholder is what any reader sees: 0, not 10
    assert set(t.data["amount"]) == {0.0}
    (reason,) = _warnings(t)
    assert "'Sales'" in reason and f"its {rows:,} formula(s)" in reason and "open the file in Excel" in reason


def test_formulas_saved_with_their_results_are_not_warned_about(tmp_path):
    """XlsxWriter with each formula's value given (what our own workbooks do): not placeholders."""
    wb = xlsxwriter.Workbook(str(tmp_path / "valued.xlsx"))
    ws = wb.add_worksheet("Sales")
    ws.write_row(0, 0, ["client_id", "date", "order_id", "amount"])
    for r in range(1, 7):
        ws.write_row(r, 0, [f"K{r}", "01.03.2025", f"o{r}"])
        ws.write_formula(r, 3, "=5*2", None, 10)
    wb.close()
    t = read_table("transactions", tmp_path / "valued.xlsx")
    assert set(t.data["amount"]) == {10.0}
    assert _warnings(t) == []


@pytest.mark.parametrize("rows", [6, 400])
def test_a_workbook_excel_saved_is_not_warned_about(tmp_path, rows):
    t = read_table("transactions", _as_saved_by_excel(_book(tmp_path / "excel.xlsx", rows, formulas=True)))
    assert _warnings(t) == []


def test_a_workbook_without_formulas_is_not_warned_about(tmp_path):
    t = read_table("transactions", _book(tmp_path / "plain.xlsx", 6, formulas=False))
    assert set(t.data["amount"]) == {10.0}
    assert _warnings(t) == []
