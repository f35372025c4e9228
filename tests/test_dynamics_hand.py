"""Hand-computed expectations for the two-window section (METHODOLOGY §11–§12).

W1 = 2025-01-01 .. 2025-12-31 (explicit) unless a test says otherwise, so
W0 = 2024-01-01 .. 2024-12-31 (the same 12 whole months just before).  Every
expected number is worked out in the comments.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from xlb2b import InputError, Settings, analyze
from xlb2b.analysis.dynamics import lapse_ratio_of, nrr_grr, stayed_share, watch_list

Y2025 = dict(window="explicit", window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 12, 31))


def run(rows, **kw):
    df = pd.DataFrame(rows, columns=["client_id", "date", "amount", "quantity"])
    df["date"] = pd.to_datetime(df["date"])
    return analyze(df, settings=Settings(**{**Y2025, **kw}))


# one client per status (amount, quantity)
STATUS_ROWS = [
    ("N", "2025-03-10", 100, 2),                       # new: first purchase inside W1
    ("RG", "2023-05-01", 50, 1), ("RG", "2025-06-01", 80, 2),       # returned after a gap (nothing in W0)
    ("RR", "2023-02-01", 200, 2), ("RR", "2024-04-01", -30, -1),    # only W0 line is a return: R0 = -30
    ("RR", "2025-02-01", 60, 1),                                    # ... buys again in W1: returned
    ("L", "2024-05-01", 120, 3),                       # lost
    ("G", "2024-02-01", 100, 10), ("G", "2025-02-01", 180, 12),     # grown: P 10 -> 15, C 10 -> 12
    ("S", "2024-03-01", 200, 20), ("S", "2025-03-01", 150, 10),     # shrunk: P 10 -> 15, C 20 -> 10
    ("F", "2024-03-01", 100, 4), ("F", "2025-03-01", 100, 5),       # flat: P 25 -> 20, C 4 -> 5
    ("U", "2024-06-01", 90, 0), ("U", "2025-06-01", 110, 3),        # retained, no units in W0
    ("O", "2023-01-01", 70, 1), ("O", "2025-07-01", -20, -1),       # buys in neither: only a return in W1
    ("X", "2023-01-01", 40, 1),                        # no line in either window
]


@pytest.fixture(scope="module")
def statuses():
    return run(STATUS_ROWS).dynamics


def test_every_status_by_hand(statuses):
    got = dict(zip(statuses.clients["client_id"], statuses.clients["status"]))
    assert got == {"N": "new", "RG": "returned", "RR": "returned", "L": "lost", "G": "grown",
                   "S": "shrunk", "F": "flat", "U": "grown", "O": "other"}     # X has no line in W0 or W1


def test_default_w0_is_the_twelve_months_before(statuses):
    assert (statuses.w0.start, statuses.w0.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))


def test_price_volume_split_worked_by_hand(statuses):
    c = statuses.clients.set_index("client_id")
    # G: (15 - 10) * (10 + 12) / 2 = 55 ; (12 - 10) * (10 + 15) / 2 = 25 ; 55 + 25 = 180 - 100
    assert c.loc["G", "price_effect"] == pytest.approx(55)
    assert c.loc["G", "volume_effect"] == pytest.approx(25)
    # S: (15 - 10) * (20 + 10) / 2 = 75 ; (10 - 20) * (10 + 15) / 2 = -125 ; sum -50 = 150 - 200
    assert c.loc["S", "price_effect"] == pytest.approx(75)
    assert c.loc["S", "volume_effect"] == pytest.approx(-125)
    # F: (20 - 25) * 9 / 2 = -22.5 ; (5 - 4) * 45 / 2 = 22.5
    assert c.loc["F", "price_effect"] == pytest.approx(-22.5)
    assert c.loc["F", "volume_effect"] == pytest.approx(22.5)
    assert math.isnan(c.loc["U", "price_effect"])          # no units in W0: no split


def test_bridge_by_hand(statuses):
    b = statuses.bridge().set_index("row")["amount"]
    # start = -30 + 120 + 100 + 200 + 100 + 90 = 580 ; end = 100+80+60+180+150+100+110-20 = 760
    expected = {"start": 580, "new": 100, "returned": 80 + 90, "lost": -120, "grown_price": 55,
                "grown_volume": 25, "shrunk_price": 75, "shrunk_volume": -125, "flat": 0,
                "no_unit_data": 20, "other": -20, "end": 760}
    assert b.to_dict() == pytest.approx(expected)


def test_bridge_counts_clients_per_row(statuses):
    n = statuses.bridge().set_index("row")["clients"].to_dict()
    # start: W0 buyers L, G, S, F, U (RR's W0 is a return) ; end: W1 buyers N, RG, RR, G, S, F, U
    assert n == {"start": 5, "new": 1, "returned": 2, "lost": 1, "grown_price": 1, "grown_volume": 1,
                 "shrunk_price": 1, "shrunk_volume": 1, "flat": 1, "no_unit_data": 1, "other": 1, "end": 7}


def test_retention_by_hand(statuses):
    r = statuses.retention().iloc[0]
    # W0 buyers L, G, S, F, U: 4 of 5 buy in W1; sum R0 = 610
    assert r["logo_retention"] == pytest.approx(4 / 5)
    assert r["nrr"] == pytest.approx((0 + 180 + 150 + 100 + 110) / 610)
    assert r["grr"] == pytest.approx((0 + 100 + 150 + 100 + 90) / 610)
    assert nrr_grr([120, 100, 200, 100, 90, -30], [0, 180, 150, 100, 110, 60]) == \
        pytest.approx(((540) / 610, 440 / 610))


def test_bridge_grouped_uses_w1_value_else_w0(statuses):
    c = statuses.clients.copy()
    c["tier"] = c["client_id"].map({"L": "x", "G": "y"})
    c["tier_w0"] = c["client_id"].map({"L": "a", "G": "b"})
    from xlb2b.analysis.dynamics import revenue_bridge
    b = revenue_bridge(c, "tier")
    # L is not a buyer in W1: its W0 value "a" ; G buys in W1: its W1 value "y"
    assert b.query("group == 'a' and row == 'lost'")["amount"].item() == -120
    assert b.query("group == 'y' and row == 'grown_price'")["amount"].item() == pytest.approx(55)
    assert b.query("group == 'b'").empty


def test_explicit_previous_window():
    rows = [("A", "2024-11-15", 10, 1), ("A", "2025-03-01", 30, 1), ("B", "2024-06-01", 50, 1)]
    d = run(rows, previous_start=dt.date(2024, 10, 1), previous_end=dt.date(2024, 12, 31)).dynamics
    # W0 = Q4 2024: B's June line is outside, so B is in neither window
    assert d.bridge().set_index("row")["amount"]["start"] == 10
    assert set(d.clients["client_id"]) == {"A"}


def test_previous_window_overlapping_w1_is_refused():
    with pytest.raises(InputError, match="previous"):
        run([("A", "2025-03-01", 30, 1)], previous_start=dt.date(2024, 10, 1), previous_end=dt.date(2025, 1, 31))
    with pytest.raises(InputError, match="previous_end"):
        Settings(previous_start=dt.date(2024, 1, 1))


# ---------------------------------------------------------------- migration (ABC, both modes)
ABC_ROWS = [
    # W0 revenue: q 500, r 300, p 100, s 100, t 100, u 50 (total 1150)
    ("q", "2024-05-01", 500, 1), ("r", "2024-05-01", 300, 1), ("p", "2024-05-01", 100, 1),
    ("s", "2024-05-01", 100, 1), ("t", "2024-05-01", 100, 1), ("u", "2024-05-01", 50, 1),
    # W1 revenue: p 800, q 100, r 60, s 40 (total 1000); t, u lost
    ("p", "2025-05-01", 800, 1), ("q", "2025-05-01", 100, 1), ("r", "2025-05-01", 60, 1),
    ("s", "2025-05-01", 40, 1),
]


def cells(matrix):
    return {(f, t): n for f, t, n in zip(matrix["from"], matrix["to"], matrix["clients"])}


def test_abc_migration_own_cut_points_by_hand():
    d = run(ABC_ROWS).dynamics
    # W1: p before 0 -> A ; q 800/1000 -> B ; r 900/1000 -> B ; s 960/1000 -> C
    # W0 own: q 0 A ; r 500/1150 A ; p 800/1150 = .696 A ; s 900/1150 = .783 A ; t .870 B ; u .957 C
    m = d.migration("abc")
    assert cells(m) == {("A", "A"): 1, ("A", "B"): 2, ("A", "C"): 1, ("B", "(lost)"): 1, ("C", "(lost)"): 1}
    ab = m[(m["from"] == "A") & (m["to"] == "B")].iloc[0]
    assert (ab["revenue_w0"], ab["revenue_w1"]) == (500 + 300, 100 + 60)
    assert stayed_share(m) == pytest.approx(1 / 6)


def test_abc_migration_current_cut_points_by_hand():
    d = run(ABC_ROWS, migration_cuts="current").dynamics
    # W1's cut points in revenue: smallest A = 800, smallest B = 60
    # W0: q 500, r 300, p 100, s 100, t 100 -> B ; u 50 -> C
    m = d.migration("abc")
    assert cells(m) == {("B", "A"): 1, ("B", "B"): 2, ("B", "C"): 1, ("B", "(lost)"): 1, ("C", "(lost)"): 1}
    assert stayed_share(m) == pytest.approx(2 / 6)


def test_not_a_buyer_in_w0_row():
    d = run(ABC_ROWS + [("v", "2025-06-01", 5, 1)]).dynamics
    m = d.migration("abc")
    assert m[m["from"] == "(not a buyer in W0)"]["clients"].sum() == 1


# ---------------------------------------------------------------- cohorts
COHORT_ROWS = [
    ("e", "2024-10-01", 10, 1), ("e", "2025-03-01", 10, 1),          # cohort 2024-Q4
    ("a", "2025-01-10", 100, 1), ("a", "2025-04-05", 50, 1),         # cohort 2025-Q1
    ("b", "2025-02-01", 200, 1), ("b", "2025-04-20", -20, -1),       # cohort 2025-Q1, a return in Q2
    ("c", "2025-05-02", 70, 1),                                      # cohort 2025-Q2
    ("d", "2025-06-10", 99, 1),                                      # after W1's end: in no cohort
]
MAY = dict(window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 5, 31))


def test_cohort_table_by_quarter_by_hand():
    t = run(COHORT_ROWS, **MAY).dynamics.cohorts()
    got = {(r.cohort, r.period): (r.cohort_size, r.active, r.revenue, r.logo_retention, r.revenue_index,
                                  r.incomplete) for r in t.itertuples()}
    assert got == {
        ("2024-Q4", "2024-Q4"): (1, 1, 10, 1.0, 1.0, False),
        ("2024-Q4", "2025-Q1"): (1, 1, 10, 1.0, 1.0, False),
        ("2024-Q4", "2025-Q2"): (1, 0, 0, 0.0, 0.0, True),      # W1 ends inside Q2
        ("2025-Q1", "2025-Q1"): (2, 2, 300, 1.0, 1.0, False),
        ("2025-Q1", "2025-Q2"): (2, 1, 30, 0.5, 0.1, True),     # a: 50, b: -20 (a return is not activity)
        ("2025-Q2", "2025-Q2"): (1, 1, 70, 1.0, 1.0, True),
    }


def test_cohort_table_by_year_by_hand():
    t = run(COHORT_ROWS, cohort_period="year", **MAY).dynamics.cohorts()
    got = {(r.cohort, r.period): (r.cohort_size, r.active, r.revenue, r.incomplete) for r in t.itertuples()}
    assert got == {("2024", "2024"): (1, 1, 10, False), ("2024", "2025"): (1, 1, 10, True),
                   ("2025", "2025"): (3, 3, 100 + 50 + 200 - 20 + 70, True)}


def test_quarter_ending_with_w1_is_complete():
    t = run(COHORT_ROWS, window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 6, 30)).dynamics.cohorts()
    assert not t["incomplete"].any()


# ---------------------------------------------------------------- lapse
def lapse_rows():
    def days(cid, *dates):
        return [(cid, d, 10, 1) for d in dates]
    return (days("at1.5", "2025-11-16", "2025-11-26", "2025-12-06", "2025-12-16")      # gap 10, recency 15
            + days("below1.5", "2025-11-17", "2025-11-27", "2025-12-07", "2025-12-17")  # recency 14: 1.4
            + days("at3", "2025-11-01", "2025-11-11", "2025-11-21", "2025-12-01")       # recency 30: 3.0
            + days("below3", "2025-11-02", "2025-11-12", "2025-11-22", "2025-12-02")    # recency 29: 2.9
            + days("two", "2025-12-01", "2025-12-01", "2025-12-11")                     # 2 distinct dates
            + days("even", "2025-12-01", "2025-12-03", "2025-12-13")    # gaps 2, 10: median 6; recency 18
            + [("at1.5", "2025-12-20", -5, -1)]          # a return is not a purchase date
            + days("after", "2025-11-21", "2025-12-01", "2025-12-11", "2026-01-05"))   # the 2026 line is after W1


@pytest.fixture(scope="module")
def lapse_clients():
    return run(lapse_rows()).clients.set_index("client_id")


@pytest.mark.parametrize("cid,ratio,status", [
    ("at1.5", 1.5, "late"), ("below1.5", 1.4, "on_track"), ("at3", 3.0, "lapsing"),
    ("below3", 2.9, "late"), ("even", 3.0, "lapsing"), ("after", 2.0, "late")])
def test_lapse_ratio_and_status_by_hand(lapse_clients, cid, ratio, status):
    assert lapse_clients.loc[cid, "lapse_ratio"] == pytest.approx(ratio)
    assert lapse_clients.loc[cid, "lapse_status"] == status


def test_fewer_than_three_purchase_dates(lapse_clients):
    assert lapse_clients.loc["two", "purchase_dates"] == 2
    assert math.isnan(lapse_clients.loc["two", "lapse_ratio"])
    assert lapse_clients.loc["two", "lapse_status"] == "too_few_purchases"


def test_scalar_reference_agrees():
    assert lapse_ratio_of(["2025-12-01", "2025-12-03", "2025-12-13"], "2025-12-31") == pytest.approx(3.0)
    assert math.isnan(lapse_ratio_of(["2025-12-01", "2025-12-11"], "2025-12-31"))


def test_lapse_bounds_are_settings():
    c = run(lapse_rows(), lapse_bounds=(1.41, 2.0)).clients.set_index("client_id")
    assert c.loc["below1.5", "lapse_status"] == "on_track"       # 1.4 < 1.41
    assert c.loc["at1.5", "lapse_status"] == "late"              # 1.5
    assert c.loc["below3", "lapse_status"] == "lapsing"          # 2.9 >= 2.0


def test_watch_list_order():
    rows = lapse_rows() + [("at3", "2025-11-01", 500, 1), ("below3", "2025-11-02", 100, 1)]
    w = watch_list(run(rows).clients)
    # lapsing: at3 (revenue 540), even (30) ; late: below3 (140), at1.5 (35), after (30)
    assert list(w["client_id"]) == ["at3", "even", "below3", "at1.5", "after"]
    assert list(w["revenue_at_stake"]) == [540, 30, 140, 35, 30]
