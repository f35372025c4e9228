"""A report with a subtotal per day: rows with the day's date and no client whose amount is the sum of that
day's lines.  They are left out as subtotals, never given the client of the line above them."""
from __future__ import annotations

from xlb2b.inputs import read_transactions

DAYS = ["03.03.2025", "04.03.2025", "05.03.2025", "06.03.2025"]


def _by_client(t) -> dict[str, float]:
    return t.data.groupby(t.data["client_id"].astype(str))["amount"].sum().to_dict()


def test_a_day_subtotal_above_its_lines_is_left_out_not_added_to_the_client_above():
    rows = [["Клиент", "Дата", "Сумма"]]
    for d in DAYS:
        rows += [[None, d, 300], ["A", d, 100], ["B", d, 200]]
    t = read_transactions(rows)
    assert _by_client(t) == {"A": 400.0, "B": 800.0}  # 4 days × 100 and 4 days × 200
    left = sorted(p.row for p in t.report.problems if p.reason.startswith("a subtotal"))
    assert left == [2, 5, 8, 11]
    assert not [w for w in t.reading.warnings if "given the client of the line above" in w]


def test_a_day_subtotal_under_its_lines_is_left_out_too():
    rows = [["Клиент", "Дата", "Сумма"]]
    for d in DAYS:
        rows += [["A", d, 100], ["B", d, 200], [None, d, 300]]
    assert _by_client(read_transactions(rows)) == {"A": 400.0, "B": 800.0}


def test_a_row_without_a_client_equal_to_lines_of_another_date_is_still_filled_down():
    # the client written once over its lines (merged cells): row 3 is A's, though 300 = 100 + 200 of row 4
    # and 5, because those lines are of another date
    rows = [["Клиент", "Дата", "Сумма"], ["A", "01.03.2025", 50], [None, "01.03.2025", 300],
            ["C", "02.03.2025", 100], ["C", "02.03.2025", 200], ["D", "03.03.2025", 10], [None, "03.03.2025", 5]]
    t = read_transactions(rows)
    assert _by_client(t) == {"A": 350.0, "C": 300.0, "D": 15.0}
    assert not [p for p in t.report.problems if p.reason.startswith("a subtotal")]


def test_a_row_without_a_client_equal_to_one_line_is_not_a_subtotal():
    rows = [["Клиент", "Дата", "Сумма"], ["A", "01.03.2025", 100], [None, "01.03.2025", 100],
            ["B", "02.03.2025", 7], [None, "02.03.2025", 7]]
    assert _by_client(read_transactions(rows)) == {"A": 200.0, "B": 14.0}


def test_one_coincidence_among_lines_written_under_their_client_is_kept_as_a_line():
    # client cells written once (merged): rows 3, 6, 8 and 10 belong to the client above them; row 6
    # (300) happens to equal 100 + 200 of rows 4 and 5, of its date, but it is one of four such rows
    rows = [["Клиент", "Дата", "Сумма"], ["A", "01.03.2025", 50], [None, "01.03.2025", 60],
            ["B", "02.03.2025", 100], ["C", "02.03.2025", 200], [None, "02.03.2025", 300],
            ["D", "03.03.2025", 10], [None, "03.03.2025", 5], ["E", "04.03.2025", 1], [None, "04.03.2025", 2]]
    t = read_transactions(rows)
    assert _by_client(t) == {"A": 110.0, "B": 100.0, "C": 500.0, "D": 15.0, "E": 3.0}
    assert not [p for p in t.report.problems if p.reason.startswith("a subtotal")]
