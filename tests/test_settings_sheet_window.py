"""The analysis window W1 on the analysis workbook's Settings sheet is read back (what Refresh runs on):
left as analysed it keeps following the data; edited, it is the window analysed, and W0 follows it."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from xlb2b import Settings, analyze
from xlb2b.excel.analysis_sheets import settings_from_sheet, sheet_name, write_analysis_workbook

# (client, date, amount, quantity); the latest line is 2025-06-20, so the default W1 is the 12 months
# 2024-07-01 .. 2025-06-30 and the data's months run 2024-11-01 .. 2025-06-30
ROWS = [
    ("A", "2024-11-15", 100, 1), ("A", "2025-03-10", 50, 1), ("A", "2025-06-20", 30, 1),
    ("B", "2025-02-05", 200, 2), ("B", "2025-06-01", 40, 1),
    ("C", "2024-12-01", 70, 1),
]


def frame(rows):
    df = pd.DataFrame(rows, columns=["client_id", "date", "amount", "quantity"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def run(rows, settings=None):
    return analyze(frame(rows), settings=settings or Settings())


def revenue(a):
    return dict(zip(a.clients["client_id"], a.clients["revenue"]))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The default analysis of ROWS and its Settings sheet's rows (columns A..E)."""
    a = run(ROWS)
    path = write_analysis_workbook(a, tmp_path_factory.mktemp("w") / "book.xlsx")
    ws = openpyxl.load_workbook(path)[sheet_name("settings")]
    return a, [[c.value for c in r] for r in ws.iter_rows(max_col=5)]


def edited(rows, **values):
    out = [list(r) for r in rows]
    for r in out:
        if r[2] in values:
            r[1] = values[r[2]]
    return out


def row_of(rows, key):
    return next(i for i, r in enumerate(rows, 1) if r[2] == key)


def test_default_window_by_hand(written):
    a, _ = written
    assert (a.window.start, a.window.end) == (pd.Timestamp("2024-07-01"), pd.Timestamp("2025-06-30"))
    assert revenue(a) == {"A": 180, "B": 240, "C": 70}


def test_unedited_sheet_reproduces_the_analysis(written):
    a, rows = written
    s = settings_from_sheet(rows, dates=frame(ROWS)["date"])
    assert (s.window, s.window_start, s.window_end, s.previous_start, s.previous_end) == (
        "default", None, None, None, None)
    assert revenue(run(ROWS, s)) == revenue(a)


def test_unedited_window_keeps_following_new_data(written):
    _, rows = written
    # a line of 2025-08-05 arrives: W1 moves to 2024-09-01 .. 2025-08-31 (A's 2024-11-15 line stays in)
    more = ROWS + [("B", "2025-08-05", 10, 1)]
    b = run(more, settings_from_sheet(rows, dates=frame(more)["date"]))
    assert (b.window.start, b.window.end) == (pd.Timestamp("2024-09-01"), pd.Timestamp("2025-08-31"))
    assert revenue(b) == {"A": 180, "B": 250, "C": 70}


def test_edited_window_changes_the_revenue_by_hand(written):
    _, rows = written
    # W1 = 2025-01-01 .. 2025-06-30: A 50 + 30, B 200 + 40; C has no line in it (excluded)
    rows = edited(rows, window_start=dt.datetime(2025, 1, 1))
    s = settings_from_sheet(rows, dates=frame(ROWS)["date"])
    assert (s.window, s.window_start, s.window_end) == ("explicit", dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    b = run(ROWS, s)
    assert revenue(b) == {"A": 80, "B": 240}
    # W0 follows the new W1: the 6 whole months before it, 2024-07-01 .. 2024-12-31: A 100 + C 70
    assert (s.previous_start, s.previous_end) == (None, None)
    assert (b.dynamics.w0.start, b.dynamics.w0.end) == (pd.Timestamp("2024-07-01"), pd.Timestamp("2024-12-31"))
    assert b.dynamics.bridge().set_index("row")["amount"]["start"] == pytest.approx(170)


@pytest.mark.parametrize("start, end", [(45717, "2025-05-31T00:00:00.000Z"), ("2025-03-01", 45808)])
def test_edited_window_read_as_serial_numbers_or_iso_text(written, start, end):
    _, rows = written       # 45717 = 2025-03-01 (45658 = 2025-01-01, + 31 + 28); 45808 = 2025-05-31 (+ 31 + 30 + 30)
    s = settings_from_sheet(edited(rows, window_start=start, window_end=end))
    assert (s.window, s.window_start, s.window_end) == ("explicit", dt.date(2025, 3, 1), dt.date(2025, 5, 31))
    assert revenue(run(ROWS, s)) == {"A": 50}       # the only line from March to May


@pytest.mark.parametrize("values, key, message", [
    ({"window_end": dt.datetime(2025, 2, 28), "window_start": dt.datetime(2025, 3, 1)}, "window_end",
     "2025-02-28 is before window_start 2025-03-01"),
    ({"window_start": "next spring"}, "window_start", "'next spring' is not a date"),
    ({"window_end": dt.datetime(2025, 7, 1)}, "window_end",
     "2025-07-01 is outside the data, whose months run 2024-11-01 – 2025-06-30"),
    ({"window_start": dt.datetime(2025, 7, 1), "window_end": dt.datetime(2025, 7, 31)}, "window_start",
     "2025-07-01 is outside the data"),
    ({"window_start": dt.datetime(2024, 1, 1), "window_end": dt.datetime(2024, 10, 31)}, "window_end",
     "2024-10-31 is outside the data"),
    ({"previous_end": dt.datetime(2023, 12, 31), "previous_start": dt.datetime(2024, 1, 1)}, "previous_end",
     "2023-12-31 is before previous_start 2024-01-01"),
])
def test_bad_window_names_the_settings_row(written, values, key, message):
    _, rows = written
    rows = edited(rows, **values)
    i = row_of(rows, key)
    with pytest.raises(ValueError, match=f"^Settings, row {i}, column B \\({key}\\): {message}"):
        settings_from_sheet(rows, dates=frame(ROWS)["date"])


def test_window_ending_on_the_last_day_of_the_data_months_is_accepted(written):
    _, rows = written
    # ends on the last day of the data's last month (not only of its last line); like the default
    # window, it may start before the data: 2024-01-01 .. 2025-06-30 holds every line
    rows = edited(rows, window_start=dt.datetime(2024, 1, 1), window_end=dt.datetime(2025, 6, 30))
    s = settings_from_sheet(rows, dates=frame(ROWS)["date"])
    assert (s.window, s.window_start) == ("explicit", dt.date(2024, 1, 1))
    assert revenue(run(ROWS, s)) == {"A": 180, "B": 240, "C": 70}


def test_window_ending_on_the_first_day_of_the_data_months_is_accepted(written):
    _, rows = written       # one day, the first of the data's first month (the data's lower bound)
    rows = edited(rows, window_start=dt.datetime(2024, 11, 1), window_end=dt.datetime(2024, 11, 1))
    s = settings_from_sheet(rows, dates=frame(ROWS)["date"])
    assert s.window_end == dt.date(2024, 11, 1)


def test_sheet_without_the_as_analysed_column_keeps_the_window_following_the_data(written):
    _, rows = written       # a workbook written before W1 was editable has no column E
    s = settings_from_sheet([r[:4] for r in rows])
    assert (s.window, s.window_start, s.window_end) == ("default", None, None)


@pytest.mark.parametrize("key", ["window_start", "window_end", "previous_start", "previous_end"])
@pytest.mark.parametrize("blank", [None, "  "])
def test_emptied_date_says_it_is_empty_and_what_to_do(written, key, blank):
    _, rows = written
    rows = edited(rows, **{key: blank})
    i = row_of(rows, key)
    with pytest.raises(ValueError) as e:
        settings_from_sheet(rows, dates=frame(ROWS)["date"])
    assert str(e.value) == (
        f"Settings, row {i}, column B ({key}): the date is empty; enter a date like 2025-01-01, "
        "or delete the row to use the default"
    )


def test_deleted_window_start_row_keeps_the_default_window(written):
    _, rows = written
    rows = [r for r in rows if r[2] != "window_start"]
    s = settings_from_sheet(rows, dates=frame(ROWS)["date"])
    a = run(ROWS, s)
    # the default W1 of ROWS, as by hand above: 2024-07-01 .. 2025-06-30
    assert (a.window.start, a.window.end) == (pd.Timestamp("2024-07-01"), pd.Timestamp("2025-06-30"))
