"""The W0 dates, migration_cuts and cohort_period on the analysis workbook's Settings sheet are read back
(what Refresh runs on), and changing them changes the two-window results as computed by hand."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from test_dynamics_hand import ABC_ROWS, COHORT_ROWS, MAY, STATUS_ROWS, cells, run

from xlb2b.excel.analysis_sheets import settings_from_sheet, sheet_name, write_analysis_workbook


def sheet_rows(a, tmp_path):
    path = write_analysis_workbook(a, tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)[sheet_name("settings")]
    return [[c.value for c in r] for r in ws.iter_rows(max_col=4)]


def edit(rows, key, value):
    row = next(r for r in rows if r[2] == key)
    row[1] = value


def rerun(rows_in, rows, base):
    """The analysis of ``rows_in`` on the settings read back from the sheet."""
    s = settings_from_sheet(rows, base)
    return run(rows_in, **{k: getattr(s, k) for k in ("previous_start", "previous_end", "migration_cuts",
                                                      "cohort_period", "window_start", "window_end")})


def test_unchanged_sheet_keeps_the_default_w0(tmp_path):
    a = run(STATUS_ROWS)
    s = settings_from_sheet(sheet_rows(a, tmp_path), a.settings)
    assert (s.previous_start, s.previous_end, s.migration_cuts, s.cohort_period) == (None, None, "own", "quarter")


def test_edited_w0_start_changes_the_bridge_by_hand(tmp_path):
    a = run(STATUS_ROWS)
    rows = sheet_rows(a, tmp_path)
    edit(rows, "previous_start", dt.datetime(2024, 5, 1))
    b = rerun(STATUS_ROWS, rows, a.settings).dynamics
    assert (b.w0.start, b.w0.end) == (dt.datetime(2024, 5, 1), dt.datetime(2024, 12, 31))
    # W0 = 2024-05-01 .. 2024-12-31 holds L 120 and U 90 only: start 210; RR, G, S, F now come back
    # (returned 80 RG + 60 RR + 180 G + 150 S + 100 F = 570); L lost -120; U no units in W0 +20; O -20
    got = b.bridge().set_index("row")["amount"].to_dict()
    assert got == pytest.approx({"start": 210, "new": 100, "returned": 570, "lost": -120, "grown_price": 0,
                                 "grown_volume": 0, "shrunk_price": 0, "shrunk_volume": 0, "flat": 0,
                                 "no_unit_data": 20, "other": -20, "end": 760})


@pytest.mark.parametrize("value", [44317, "2021-05-01T00:00:00.000Z"])   # Office.js: a serial, or ISO text
def test_w0_dates_read_as_serial_numbers_or_iso_text(tmp_path, value):
    a = run(STATUS_ROWS)
    rows = sheet_rows(a, tmp_path)
    edit(rows, "previous_start", value)          # 44317 = 2021-05-01 (1899-12-30 + 44317 days)
    edit(rows, "previous_end", "2021-06-30")
    s = settings_from_sheet(rows, a.settings)
    assert (s.previous_start, s.previous_end) == (dt.date(2021, 5, 1), dt.date(2021, 6, 30))


def test_migration_cuts_current_on_the_sheet_gives_the_hand_matrix(tmp_path):
    a = run(ABC_ROWS)
    rows = sheet_rows(a, tmp_path)
    edit(rows, "migration_cuts", "current")
    m = rerun(ABC_ROWS, rows, a.settings).dynamics.migration("abc")
    # as test_abc_migration_current_cut_points_by_hand: W1's smallest A = 800, smallest B = 60
    assert cells(m) == {("B", "A"): 1, ("B", "B"): 2, ("B", "C"): 1, ("B", "(lost)"): 1, ("C", "(lost)"): 1}


def test_cohort_period_year_on_the_sheet_gives_the_hand_table(tmp_path):
    a = run(COHORT_ROWS, **MAY)
    rows = sheet_rows(a, tmp_path)
    edit(rows, "cohort_period", "Year")
    t = rerun(COHORT_ROWS, rows, a.settings).dynamics.cohorts()
    got = {(r.cohort, r.period): (r.cohort_size, r.active, r.revenue) for r in t.itertuples()}
    assert got == {("2024", "2024"): (1, 1, 10), ("2024", "2025"): (1, 1, 10),
                   ("2025", "2025"): (3, 3, 100 + 50 + 200 - 20 + 70)}


@pytest.mark.parametrize("key, value, message", [
    ("migration_cuts", "mine", "not one of own, current"),
    ("previous_end", "soon", "is not a date"),
])
def test_bad_value_on_the_sheet_names_the_row(tmp_path, key, value, message):
    a = run(STATUS_ROWS)
    rows = sheet_rows(a, tmp_path)
    edit(rows, key, value)
    i = next(i for i, r in enumerate(rows, 1) if r[2] == key)
    with pytest.raises(ValueError, match=f"row {i}, column B \\({key}\\).*{message}"):
        settings_from_sheet(rows, a.settings)
