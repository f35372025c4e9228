"""Money equal to the cent ranks and scores equally, whatever order its lines were added in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlb2b import Settings, analyze
from xlb2b.analysis import segments as seg
from xlb2b.excel.analysis_sheets import column_header, sheet_name, write_analysis_workbook

# the same three lines added in two orders: the float sums differ in the last bit
NOISY = 0.1 + 0.2 + 0.3  # 0.6000000000000001
EXACT = 0.3 + 0.2 + 0.1  # 0.6


def _clients(b_revenue: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": ["a", "b", "c"],
            "revenue": [0.6, b_revenue, 0.3],
            "recency_days": [10.0, 10.0, 10.0],
            "orders": [1.0, 1.0, 1.0],
        }
    )


def test_the_two_orders_really_sum_differently():
    assert NOISY != EXACT


def test_abc_of_sums_equal_to_the_cent_does_not_depend_on_summation_order():
    # to the cent: a 0.60, b 0.60 (tie: a first, by id), c 0.30; total 1.50
    # share_before: a 0, b 0.60/1.50 = 0.4, c 1.20/1.50 = 0.8 -> A, A, B (0.8 is not below 0.80)
    for b in (NOISY, EXACT):
        s = seg.abc(_clients(b), Settings())
        assert s.columns["share_before"].tolist() == [0.0, 0.4, 0.8]
        assert s.columns["abc_class"].tolist() == ["A", "A", "B"]


def test_rfm_m_of_sums_equal_to_the_cent_does_not_depend_on_summation_order():
    # M over 0.30, 0.60, 0.60 (k = 5): ranks 0.4, 0.8, 1.2, 1.6 -> cuts 0.42, 0.54, 0.60, 0.60;
    # 0.60 is above 0.42 and 0.54 and on the others (stays down): M 3; 0.30: M 1
    for b in (NOISY, EXACT):
        s = seg.rfm(_clients(b), Settings())
        assert s.columns["rfm_m"].tolist() == [3.0, 3.0, 1.0]
        np.testing.assert_allclose(s.cuts["rfm_m"], [0.42, 0.54, 0.6, 0.6], rtol=0, atol=1e-12)


def _run(rows):
    import datetime as dt

    df = pd.DataFrame(rows, columns=["client_id", "date", "amount", "quantity"])
    df["date"] = pd.to_datetime(df["date"])
    df["sku"] = "s1"
    window = dict(window="explicit", window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 12, 31))
    return analyze(df, settings=Settings(**window))


def _sheet(path, key: str) -> pd.DataFrame:
    import openpyxl

    rows = list(openpyxl.load_workbook(path, data_only=True)[sheet_name(key)].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0]).set_index(rows[0][0])


def test_the_float_difference_of_the_two_windows_is_not_the_cent():
    assert 0.3 - 0.1 != 0.2  # 0.19999999999999998: the noise being removed


def test_change_between_the_windows_is_written_as_the_cent(tmp_path):
    # g: 0.10 in W0 (2024), 0.30 in W1 (2025): R1 − R0 = 0.20 to the cent
    a = _run([("g", "2024-03-01", 0.1, 1), ("g", "2025-03-01", 0.3, 1)])
    assert a.dynamics.clients.set_index("client_id").loc["g", "change"] == 0.2
    book = write_analysis_workbook(a, tmp_path / "change.xlsx")
    assert _sheet(book, "dynamics_clients").loc["g", column_header("change")] == 0.2


def test_a_clients_revenue_is_written_to_the_cent(tmp_path):
    # h: 100.004 + 200.003 = 300.007, to the cent 300.01
    a = _run([("h", "2025-03-01", 100.004, 1), ("h", "2025-04-01", 200.003, 1)])
    assert a.clients.set_index("client_id").loc["h", "revenue"] == 300.01
    book = write_analysis_workbook(a, tmp_path / "revenue.xlsx")
    assert _sheet(book, "clients").loc["h", column_header("revenue")] == 300.01


def test_change_between_the_windows_is_sent_live_as_the_cent():
    # the grid Office.js receives for the per-client dynamics sheet holds 0.2, not 0.19999999999999998
    from xlb2b.excel.analysis_sheets import add_analysis_sheets
    from xlb2b.excel.live import RecordingWorkbook, _grid

    a = _run([("g", "2024-03-01", 0.1, 1), ("g", "2025-03-01", 0.3, 1)])
    rec = RecordingWorkbook()
    add_analysis_sheets(rec, a)
    grid = _grid(rec.get_worksheet_by_name(sheet_name("dynamics_clients")))
    col = grid[0].index(column_header("change"))
    assert [row[col] for row in grid[1:] if row[0] == "g"] == [0.2]


def test_w0_abc_on_w1_cut_points_takes_a_revenue_equal_to_the_cent_as_on_the_bound():
    from xlb2b.analysis.dynamics import _abc_current

    # W1: the smallest A revenue is 0.20, the smallest B 0.10; W0 revenue 0.3 - 0.1 = 0.19999999999999998
    # is 0.20 to the cent: on the A bound, so A; 0.196 is 0.20 to the cent too; 0.09 is below B: C
    w1_rev = np.array([0.5, 0.2, 0.1])
    w1_cls = np.array(["A", "A", "B"], dtype=object)
    got = _abc_current(np.array([0.3 - 0.1, 0.196, 0.09]), w1_rev, w1_cls)
    assert got.tolist() == ["A", "A", "C"]


def test_clients_that_moved_are_listed_by_w1_revenue_to_the_cent_then_id(tmp_path):
    import openpyxl

    # W0 (2024): c 100, a 1, b 1 -> c A (share before 0), a and b C (100/102 = 0.98 before)
    # W1 (2025): a 300.006 and b 300.007, both 300.01 to the cent (a first by id), c 1
    #   -> a A (0), b A (300.01/601.02 = 0.499), c C (600.02/601.02 = 0.998)
    # all three move; by W1 revenue to the cent, then id: a, b, c (not b before a)
    a = _run(
        [
            ("c", "2024-03-01", 100.0, 1),
            ("a", "2024-03-01", 1.0, 1),
            ("b", "2024-03-01", 1.0, 1),
            ("a", "2025-03-01", 300.006, 1),
            ("b", "2025-03-01", 300.007, 1),
            ("c", "2025-03-01", 1.0, 1),
        ]
    )
    book = write_analysis_workbook(a, tmp_path / "movers.xlsx")
    rows = list(openpyxl.load_workbook(book, data_only=True)[sheet_name("migration_abc")].iter_rows(values_only=True))
    start = [i for i, r in enumerate(rows) if r[0] == "Clients that moved"][0] + 2
    assert [r[0] for r in rows[start : start + 3]] == ["a", "b", "c"]
