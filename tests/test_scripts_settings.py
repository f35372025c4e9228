"""Refresh (the button script through xlwings' Office.js path) runs on the W0 dates, migration cut mode
and cohort period edited on the Settings sheet."""
from test_scripts import data, grids, make_book, run  # noqa: F401 (fixture)

import pytest  # noqa: E402


def sheet_values(live, sheet):
    g = live[sheet]
    out = [["" for _ in range(max(c for _, c in g) + 1)] for _ in range(max(r for r, _ in g) + 1)]
    for (r, c), v in g.items():
        out[r][c] = v if not (isinstance(v, str) and v.startswith("=")) else 0
    return out


def test_refresh_uses_the_w0_and_cohort_period_edited_on_settings(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    live = grids(run(first, "analyze_client_base"), [s.name for s in first.sheets])
    settings = sheet_values(live, "Settings")
    by_key = {r[2]: r for r in settings}
    assert by_key["previous_start"][1] == 45292            # Office.js sends dates as serials: 2024-01-01
    by_key["previous_start"][1] = 45352                     # 2024-03-01 = 45292 + 31 + 29
    by_key["previous_end"][1] = "2024-05-31T00:00:00.000Z"  # or as ISO text
    by_key["cohort_period"][1] = "year"
    book = make_book([("Transactions", rows), ("Contents", sheet_values(live, "Contents")),
                      ("Settings", settings), ("Clients (2)", sheet_values(live, "Clients (2)"))])
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

