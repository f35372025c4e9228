"""Refresh (the button script through xlwings' Office.js path) runs on the W1 and W0 dates, migration cut mode
and cohort period edited on the Settings sheet."""
import pytest
from test_scripts import alerts, grids, make_book, run, sample_rows, shown


def sheet_values(live, sheet):
    g = live[sheet]
    out = [["" for _ in range(max(c for _, c in g) + 1)] for _ in range(max(r for r, _ in g) + 1)]
    for (r, c), v in g.items():
        out[r][c] = shown(v)
    return out


@pytest.fixture(scope="module")
def data():
    return sample_rows()


def test_refresh_uses_the_w0_and_cohort_period_edited_on_settings(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    live = grids(run(first, "analyze_two_windows"), [s.name for s in first.sheets])
    settings = sheet_values(live, "Settings")
    by_key = {r[2]: r for r in settings}
    assert by_key["previous_start"][1] == 45292            # Office.js sends dates as serials: 2024-01-01
    by_key["previous_start"][1] = 45352                     # 2024-03-01 = 45292 + 31 + 29
    by_key["previous_end"][1] = "2024-05-31T00:00:00.000Z"  # or as ISO text
    by_key["cohort_period"][1] = "year"
    book = make_book([("Transactions", rows), ("Contents", sheet_values(live, "Contents")),
                      ("Settings", settings), ("Clients", sheet_values(live, "Clients"))])
    new = grids(run(book, "refresh"), [s.name for s in book.sheets])
    s2 = {new["Settings"][(r, 2)]: new["Settings"].get((r, 1)) for (r, c) in new["Settings"] if c == 2}
    assert (s2["previous_start"], s2["previous_end"], s2["cohort_period"]) == (45352, 45443, "year")
    # the bridge's start: every transaction line dated inside the edited W0, summed by hand here
    head = rows[0]
    di, ai = head.index("date"), head.index("amount")
    start = sum(r[ai] for r in rows[1:] if r[di] and "2024-03-01" <= r[di][:10] <= "2024-05-31")
    assert "2024-03-01 – 2024-05-31 -> 2025-01-01 – 2025-12-31" in new["Bridge"][(1, 0)]
    dyn = new["Client dynamics"]
    col = next(c for (r, c), v in dyn.items() if r == 0 and v == "Revenue W0")
    assert sum(v for (r, c), v in dyn.items() if c == col and r > 0) == pytest.approx(start)
    assert start != 0
    # cohorts by year: the sample's lines run from 2023 to 2025, so the period headers are those years
    # (written as text: "'" before a number-like text)
    heads = {str(v).lstrip("'") for (r, c), v in new["Cohorts"].items() if r == 4 and c >= 2}
    assert heads == {"2023", "2024", "2025"}


def test_refresh_analyses_the_w1_window_edited_on_settings(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    live = grids(run(first, "analyze_two_windows"), [s.name for s in first.sheets])
    settings = sheet_values(live, "Settings")
    by_key = {r[2]: r for r in settings}
    assert (by_key["window_start"][1], by_key["window_end"][1]) == (45658, 46022)   # 2025-01-01, 2025-12-31
    by_key["window_start"][1] = 45748                     # 2025-04-01 = 45658 + 31 + 28 + 31
    by_key["window_end"][1] = "2025-09-30T00:00:00.000Z"  # or as ISO text
    book = make_book([("Transactions", rows), ("Contents", sheet_values(live, "Contents")),
                      ("Settings", settings), ("Clients", sheet_values(live, "Clients"))])
    actions = run(book, "refresh")
    assert not [a for a in actions if a["func"] == "alert" and "rror" in a["args"][0]]
    new = grids(actions, [s.name for s in book.sheets])
    s2 = {new["Settings"][(r, 2)]: new["Settings"].get((r, 1)) for (r, c) in new["Settings"] if c == 2}
    # W1 as edited; W0 follows it: the 6 whole months before, 2024-10-01 .. 2025-03-31
    # 45930 = 45748 + 183 - 1 (April to September: 30 + 31 + 30 + 31 + 31 + 30 days)
    assert (s2["window_start"], s2["window_end"]) == (45748, 45930)
    assert (s2["previous_start"], s2["previous_end"]) == (45566, 45747)  # 2024-10-01 = 45658 - 31 - 30 - 31
    # every transaction line dated inside each window, summed by hand here
    head = rows[0]
    di, ai = head.index("date"), head.index("amount")
    w1 = sum(r[ai] for r in rows[1:] if r[di] and "2025-04-01" <= r[di][:10] <= "2025-09-30")
    w0 = sum(r[ai] for r in rows[1:] if r[di] and "2024-10-01" <= r[di][:10] <= "2025-03-31")
    assert "2024-10-01 – 2025-03-31 -> 2025-04-01 – 2025-09-30" in new["Bridge"][(1, 0)]
    dyn = new["Client dynamics"]
    heads = {v: c for (r, c), v in dyn.items() if r == 0}
    assert sum(v for (r, c), v in dyn.items() if c == heads["Revenue W1"] and r > 0) == pytest.approx(w1)
    assert sum(v for (r, c), v in dyn.items() if c == heads["Revenue W0"] and r > 0) == pytest.approx(w0)
    assert w1 != 0 and w0 != 0


def test_refresh_stops_at_a_w1_window_outside_the_data(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    live = grids(run(first, "analyze_client_base"), [s.name for s in first.sheets])
    settings = sheet_values(live, "Settings")
    i = next(i for i, r in enumerate(settings, 1) if r[2] == "window_end")
    settings[i - 1][1] = 46418                            # 2027-01-31: after the sample's last month
    book = make_book([("Transactions", rows), ("Contents", sheet_values(live, "Contents")),
                      ("Settings", settings), ("Clients", sheet_values(live, "Clients"))])
    said = alerts(run(book, "refresh"))
    assert any(f"sheet Settings, row {i}, column B (window_end): 2027-01-31 is outside the data" in a for a in said)
