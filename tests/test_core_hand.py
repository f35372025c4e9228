"""Hand-computed expectations for the analysis core (METHODOLOGY §1-§4, §9).

Every expected number below is worked out by hand in the comments, on tables
small enough to check with a calculator.  None is copied from the code under
test.  Unless a test says otherwise the window is explicit: 2024-01-01 ..
2024-12-31 (12 months), so recency is measured from 2024-12-31.
"""
from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from xlb2b import InputError, Settings, analyze
from xlb2b.analysis.scores import percentile_inc, quantile_cuts, quantile_score, threshold_score

# ---------------------------------------------------------------------------
# helpers

Y2024 = dict(window="explicit", window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 12, 31))


def settings_2024(**kw) -> Settings:
    return Settings(**{**Y2024, **kw})


def frame(rows, columns) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    if "date" in df.columns:
        df["date"] = pd.to_datetime(df["date"])
    return df


def clients_of(a) -> pd.DataFrame:
    df = a.clients
    if "client_id" in df.columns:
        df = df.set_index("client_id")
    return df


def row(a, cid):
    return clients_of(a).loc[cid]


def missing(x) -> bool:
    return x is None or bool(pd.isna(x))


def day(x) -> pd.Timestamp:
    return pd.Timestamp(x).normalize()


def seg_row(table: pd.DataFrame, segment) -> pd.Series:
    hit = table[table["segment"].astype(str) == str(segment)]
    assert len(hit) == 1, f"expected one row {segment!r} in\n{table}"
    return hit.iloc[0]


def approx(x, rel=1e-9, abs=1e-12):
    return pytest.approx(x, rel=rel, abs=abs)


TX_COLS = ["client_id", "order_id", "date", "sku", "category", "quantity", "amount", "cost"]


# ===========================================================================
# §2 per-client metrics

def _metrics_table():
    rows = [
        # client A, window 2024
        ("A", "o1", "2024-03-10", "s1", "c1", 10, 100, 60),   # GP 40
        ("A", "o1", "2024-03-10", "s2", "c2", 5, 50, 20),     # GP 30 (same order o1)
        ("A", "o2", "2024-03-10", "s1", "c1", 2, 20, 12),     # GP 8, second order same day
        ("A", "o3", "2024-05-20", "s1", "c1", 0, 30, 0),      # GP 30, quantity 0: revenue, no units
        ("A", "o4", "2024-11-15", "s3", "c1", 3, 40, 25),     # GP 15
        ("A", "o5", "2024-12-05", "s4", "c3", -2, -20, -12),  # return, GP -8; s4/c3 never bought
        # client B (a bystander)
        ("B", "b1", "2024-06-01", "s1", "c1", 1, 10, 5),
    ]
    return frame(rows, TX_COLS)


def test_metrics_with_returns_zero_quantity_and_order_ids():
    a = analyze(_metrics_table(), settings=settings_2024())
    r = row(a, "A")
    # revenue = 100 + 50 + 20 + 30 + 40 - 20 = 220
    assert r["revenue"] == approx(220)
    # GP = 40 + 30 + 8 + 30 + 15 - 8 = 115 ; margin = 115 / 220
    assert r["gross_profit"] == approx(115)
    assert r["margin"] == approx(115 / 220)
    # units = 10 + 5 + 2 + 0 + 3 - 2 = 18
    assert r["units"] == approx(18)
    # lines in window: 6 (all of them, the return included)
    assert int(r["lines"]) == 6
    # orders among purchase lines (amount > 0): o1, o2, o3, o4 -> 4 (o5 is a return)
    assert int(r["orders"]) == 4
    assert r["avg_unit_price"] == approx(220 / 18)
    assert r["avg_check"] == approx(220 / 4)      # 55
    assert r["depth"] == approx(18 / 4)           # 4.5
    # skus over purchase lines: s1, s2, s3 (s4 only returned) -> 3; categories c1, c2 -> 2
    assert int(r["skus"]) == 3
    assert int(r["categories"]) == 2
    # first/last purchase: 2024-03-10 / 2024-11-15 (the return on 12-05 is no purchase)
    assert day(r["first_date"]) == pd.Timestamp("2024-03-10")
    assert day(r["last_date"]) == pd.Timestamp("2024-11-15")
    # recency = 2024-12-31 - 2024-11-15 = 15 (rest of Nov) + 31 (Dec) = 46
    assert int(r["recency_days"]) == 46
    # active months: Mar, May, Nov -> 3 (Dec holds only a return)
    assert int(r["active_months"]) == 3
    # months observed: Mar..Dec 2024 = 10 ; regularity = 3 / 10
    assert int(r["months_observed"]) == 10
    assert r["regularity"] == approx(0.3)
    # tenure: Mar..Dec inclusive = 10
    assert int(r["tenure_months"]) == 10
    # LTV = revenue = P x units = (220/18) x 18
    assert r["ltv"] == approx(220)
    assert r["ltv"] == approx(r["avg_unit_price"] * r["units"])
    # bystander B
    b = row(a, "B")
    assert b["revenue"] == approx(10) and int(b["orders"]) == 1 and b["gross_profit"] == approx(5)


def test_gross_profit_column_instead_of_cost():
    df = _metrics_table()
    df["gross_profit"] = df["amount"] - df["cost"]   # 40, 30, 8, 30, 15, -8 ; 5
    df = df.drop(columns="cost")
    a = analyze(df, settings=settings_2024())
    assert row(a, "A")["gross_profit"] == approx(115)
    assert row(a, "A")["margin"] == approx(115 / 220)
    assert row(a, "B")["gross_profit"] == approx(5)


def test_orders_without_order_id_are_client_date_pairs():
    rows = [
        ("A", "2024-03-01", "s1", 10),
        ("A", "2024-03-01", "s2", 20),   # same day -> same order
        ("A", "2024-03-05", "s1", 30),
        ("A", "2024-03-05", "s1", -5),   # return on a purchase day
        ("A", "2024-04-01", "s1", -10),  # return-only day: not an order, not an active month
        ("B", "2024-03-01", "s1", 40),   # same date, other client -> its own order
    ]
    a = analyze(frame(rows, ["client_id", "date", "sku", "amount"]), settings=settings_2024())
    r = row(a, "A")
    # revenue = 10 + 20 + 30 - 5 - 10 = 45 ; orders: (A, 03-01), (A, 03-05) -> 2
    assert r["revenue"] == approx(45)
    assert int(r["orders"]) == 2
    assert r["avg_check"] == approx(22.5)
    assert int(r["lines"]) == 5
    assert int(r["active_months"]) == 1
    assert day(r["last_date"]) == pd.Timestamp("2024-03-05")
    # recency = 26 (rest of Mar) + 30+31+30+31+31+30+31+30+31 (Apr..Dec) = 301
    assert int(r["recency_days"]) == 301
    assert int(row(a, "B")["orders"]) == 1


def test_quantity_absent_counts_one_per_line():
    rows = [("A", "2024-02-01", "s1", 10), ("A", "2024-02-01", "s2", 20), ("A", "2024-03-01", "s1", 30)]
    a = analyze(frame(rows, ["client_id", "date", "sku", "amount"]), settings=settings_2024())
    r = row(a, "A")
    # units = 3 lines x 1 ; P = 60 / 3 = 20 ; orders = 2 date pairs ; depth = 3 / 2
    assert r["units"] == approx(3)
    assert r["avg_unit_price"] == approx(20)
    assert r["depth"] == approx(1.5)


def test_category_absent_sku_is_the_category():
    rows = [("A", "o1", "2024-02-01", "s1", 1, 10),
            ("A", "o1", "2024-02-01", "s2", 1, 20),
            ("A", "o2", "2024-03-01", "s1", 1, 30)]
    a = analyze(frame(rows, ["client_id", "order_id", "date", "sku", "quantity", "amount"]),
                settings=settings_2024())
    r = row(a, "A")
    # categories = skus = {s1, s2} = 2 ; top share = s1 (10 + 30) / 60
    assert int(r["categories"]) == 2
    assert int(r["skus"]) == 2
    assert r["top_category_share"] == approx(40 / 60)


def test_top_category_share():
    rows = [("A", "o1", "2024-02-01", "s1", "c1", 1, 60, 0),
            ("A", "o1", "2024-02-01", "s2", "c2", 1, 30, 0),
            ("A", "o2", "2024-02-03", "s3", "c3", 1, 10, 0)]
    a = analyze(frame(rows, TX_COLS), settings=settings_2024())
    r = row(a, "A")
    # 60 / (60 + 30 + 10) = 0.6
    assert r["top_category_share"] == approx(0.6)
    assert int(r["categories"]) == 3


def test_top_category_share_nets_returns():
    rows = [("A", "o1", "2024-02-01", "s1", "c1", 1, 100, 0),
            ("A", "o1", "2024-02-01", "s2", "c2", 1, 80, 0),
            ("A", "o2", "2024-02-09", "s1", "c1", -1, -40, 0)]
    a = analyze(frame(rows, TX_COLS), settings=settings_2024())
    r = row(a, "A")
    # net category revenue: c1 = 100 - 40 = 60, c2 = 80 ; revenue 140 ; top = 80 / 140
    assert r["revenue"] == approx(140)
    assert r["top_category_share"] == approx(80 / 140)


def test_first_date_before_window_and_tenure():
    rows = [("A", "2023-06-15", 500),   # before the window: history only
            ("A", "2024-02-10", 100),
            ("A", "2024-08-20", 50)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    r = row(a, "A")
    assert r["revenue"] == approx(150)
    assert day(r["first_date"]) == pd.Timestamp("2023-06-15")
    assert day(r["last_date"]) == pd.Timestamp("2024-08-20")
    # tenure: Jun..Dec 2023 (7) + 12 = 19
    assert int(r["tenure_months"]) == 19
    # months observed: max(Jan 2024, Jun 2023) = Jan 2024 .. Dec 2024 = 12
    assert int(r["months_observed"]) == 12
    assert int(r["active_months"]) == 2
    assert r["regularity"] == approx(2 / 12)
    # recency: 11 (rest of Aug) + 30 + 31 + 30 + 31 = 133
    assert int(r["recency_days"]) == 133


def test_months_observed_floor_at_three_and_new_client():
    rows = [("A", "2024-11-20", 60), ("A", "2024-12-03", 30)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    r = row(a, "A")
    # Nov..Dec = 2 months, floored at 3 ; regularity = 2 / 3 ; tenure (no floor) = 2
    assert int(r["months_observed"]) == 3
    assert int(r["active_months"]) == 2
    assert r["regularity"] == approx(2 / 3)
    assert int(r["tenure_months"]) == 2
    # monthly revenue over the 3 observed months: [0, 60, 30]; mean 30;
    # population variance = (30² + 30² + 0²) / 3 = 600 ; cv = sqrt(600) / 30 = 0.8165
    assert r["monthly_cv"] == approx(math.sqrt(600) / 30)


def test_tenure_is_one_for_a_first_purchase_in_the_end_month():
    rows = [("A", "2024-12-20", 60), ("B", "2024-01-05", 10)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    assert int(row(a, "A")["tenure_months"]) == 1
    assert int(row(a, "A")["months_observed"]) == 3
    assert row(a, "A")["regularity"] == approx(1 / 3)
    assert int(row(a, "B")["tenure_months"]) == 12


def test_months_observed_client_started_mid_window():
    rows = [("A", "2024-07-05", 100), ("A", "2024-09-10", 100), ("A", "2024-09-20", 50)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    r = row(a, "A")
    # Jul..Dec = 6 months observed, active Jul and Sep -> 2 ; regularity 1/3 ; tenure 6
    assert int(r["months_observed"]) == 6
    assert int(r["active_months"]) == 2
    assert r["regularity"] == approx(1 / 3)
    assert int(r["tenure_months"]) == 6
    # monthly revenue Jul..Dec = [100, 0, 150, 0, 0, 0]; mean 250/6
    vals = [100, 0, 150, 0, 0, 0]
    mean = 250 / 6
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / 6)
    assert r["monthly_cv"] == approx(std / mean)       # = 1.456...
    assert r["monthly_cv"] == approx(1.4560, rel=1e-4)


def test_monthly_cv_with_eleven_zero_months():
    rows = [("A", "2024-01-10", 1200)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    r = row(a, "A")
    # [1200, 0 x 11]: mean 100, var = 1200²/12 - 100² = 120000 - 10000 = 110000
    # cv = sqrt(110000) / 100 = sqrt(11)
    assert r["monthly_cv"] == approx(math.sqrt(11))
    assert r["xyz_class"] == "Z"


def test_revenue_per_capacity():
    tx = frame([("A", "2024-02-01", 200), ("B", "2024-02-01", 90)], ["client_id", "date", "amount"])
    cl = pd.DataFrame({"client_id": ["A", "B"], "capacity_units": [4, np.nan]})
    a = analyze(tx, clients=cl, settings=settings_2024())
    assert row(a, "A")["capacity_units"] == approx(4)
    assert row(a, "A")["revenue_per_capacity"] == approx(50)     # 200 / 4
    assert missing(row(a, "B")["revenue_per_capacity"])


# ---------------------------------------------------------------------------
# §1 window

def _window_table():
    return frame([("A", "2023-02-28", 1000),   # one day before the default window
                  ("A", "2023-03-01", 10),     # first day of the default window
                  ("A", "2024-02-10", 20)],    # latest transaction: M = Feb 2024
                 ["client_id", "date", "amount"])


def test_default_window_is_twelve_months_ending_with_latest_month():
    # M = Feb 2024 -> window 2023-03-01 .. 2024-02-29 (leap year)
    a = analyze(_window_table())
    r = row(a, "A")
    assert r["revenue"] == approx(30)
    assert int(r["recency_days"]) == 19                  # 29 - 10
    assert day(r["first_date"]) == pd.Timestamp("2023-02-28")
    assert int(r["tenure_months"]) == 13                 # Feb 2023 .. Feb 2024
    assert int(r["months_observed"]) == 12               # max(Mar 2023, Feb 2023) .. Feb 2024
    assert int(r["active_months"]) == 2                  # Mar 2023, Feb 2024
    # monthly [10, 0 x 10, 20]: mean 30/12 = 2.5 ; E[x²] = 500/12
    assert r["monthly_cv"] == approx(math.sqrt(500 / 12 - 2.5 ** 2) / 2.5)


def test_window_all():
    # earliest month Feb 2023, latest Feb 2024 -> 2023-02-01 .. 2024-02-29
    a = analyze(_window_table(), settings=Settings(window="all"))
    r = row(a, "A")
    assert r["revenue"] == approx(1030)
    assert int(r["recency_days"]) == 19
    assert int(r["months_observed"]) == 13               # Feb 2023 .. Feb 2024
    assert int(r["active_months"]) == 3


def test_explicit_window_ignores_later_lines():
    s = Settings(window="explicit", window_start=dt.date(2023, 3, 1), window_end=dt.date(2023, 3, 31))
    a = analyze(_window_table(), settings=s)
    r = row(a, "A")
    assert r["revenue"] == approx(10)
    assert day(r["last_date"]) == pd.Timestamp("2023-03-01")
    assert int(r["recency_days"]) == 30                  # Mar 31 - Mar 1
    assert int(r["months_observed"]) == 3                # Mar only = 1, floored at 3
    assert int(r["tenure_months"]) == 2                  # Feb .. Mar 2023


def test_default_window_month_of_latest_line_even_a_return():
    # latest transaction (a return) on 2025-01-05 -> M = Jan 2025 -> 2024-02-01 .. 2025-01-31
    rows = [("A", "2024-01-31", 500),      # before the window
            ("A", "2024-03-01", 100),
            ("A", "2025-01-05", -10)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]))
    r = row(a, "A")
    assert r["revenue"] == approx(90)
    # recency from 2025-01-31 to the last purchase 2024-03-01: 365 - 29 = 336 days
    assert int(r["recency_days"]) == 336
    # months observed: max(Feb 2024, Jan 2024) = Feb 2024 .. Jan 2025 = 12
    assert int(r["months_observed"]) == 12
    assert int(r["active_months"]) == 1


def test_window_ends_are_inclusive_with_times_of_day():
    rows = [("A", "2024-01-01 00:00", 10), ("A", "2024-12-31 18:30", 20), ("A", "2025-01-01 00:00", 1000)]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    r = row(a, "A")
    assert r["revenue"] == approx(30)
    assert int(r["recency_days"]) == 0
    assert int(r["active_months"]) == 2


# ---------------------------------------------------------------------------
# §1 input forms

def test_missing_required_column_raises_input_error():
    with pytest.raises(InputError):
        analyze(frame([("A", "2024-01-01")], ["client_id", "date"]), settings=settings_2024())


def test_russian_headers_and_text_dates():
    df = pd.DataFrame({"Клиент": ["A", "A"], "Дата": ["10.03.2024", "15.04.2024"], "Сумма": [100, 50]})
    a = analyze(df, settings=settings_2024())
    r = row(a, "A")
    assert r["revenue"] == approx(150)
    assert day(r["first_date"]) == pd.Timestamp("2024-03-10")   # dd.mm.yyyy, not mm.dd
    assert day(r["last_date"]) == pd.Timestamp("2024-04-15")


def test_excel_serial_dates():
    # Excel serial 45292 = 2024-01-01 (day 0 = 1899-12-30), 45361 = 2024-01-01 + 69 days = 2024-03-10
    df = pd.DataFrame({"client_id": ["A", "A"], "date": [45292, 45361], "amount": [10, 20]})
    a = analyze(df, settings=settings_2024())
    r = row(a, "A")
    assert day(r["first_date"]) == pd.Timestamp("2024-01-01")
    assert day(r["last_date"]) == pd.Timestamp("2024-03-10")


def test_rejected_value_is_reported_not_silently_dropped():
    df = pd.DataFrame({"client_id": ["A", "A", "A"],
                       "date": ["2024-03-01", "2024-03-02", "2024-03-03"],
                       "amount": [10, "abc", 5]})
    a = analyze(df, settings=settings_2024())
    assert row(a, "A")["revenue"] == approx(15)
    assert any(p.column == "amount" for p in a.report), str(a.report)


def test_rejected_csv_value_reports_line_and_column(tmp_path):
    p = tmp_path / "tx.csv"
    # line 1 header ; line 2 ok ; line 3 bad amount ; line 4 bad date ; lines 5-7 ok
    p.write_text("client_id,date,amount\nA,2024-03-01,10\nA,2024-03-02,abc\nA,not a date,7\n"
                 "A,2024-03-05,1\nA,2024-03-06,2\nA,2024-03-07,3\n", encoding="utf-8")
    a = analyze(str(p), settings=settings_2024())
    assert row(a, "A")["revenue"] == approx(16)       # 10 + 1 + 2 + 3
    probs = list(a.report)
    assert any(q.row == 3 and q.column == "amount" for q in probs), "\n".join(map(str, probs))
    assert any(q.row == 4 and q.column == "date" for q in probs), "\n".join(map(str, probs))


def test_rejected_xlsx_value_reports_sheet_row_and_column(tmp_path):
    p = tmp_path / "tx.xlsx"
    pd.DataFrame({"client_id": ["A", "A", "A"], "date": ["2024-03-01", "2024-03-02", "2024-03-03"],
                  "amount": [10, 20, "x"]}).to_excel(p, sheet_name="Sales", index=False)
    a = analyze(str(p), settings=settings_2024())
    assert row(a, "A")["revenue"] == approx(30)
    # Excel row 1 is the header, so the third data row is row 4
    assert any(q.row == 4 and q.column == "amount" and q.sheet == "Sales" for q in a.report), str(a.report)


def test_csv_path_input(tmp_path):
    p = tmp_path / "tx.csv"
    p.write_text("client_id,date,amount\nA,2024-03-01,10\nA,2024-04-01,30\n", encoding="utf-8")
    a = analyze(str(p), settings=settings_2024())
    assert row(a, "A")["revenue"] == approx(40)


# ===========================================================================
# §3 scores

def test_percentile_inc_hand_values():
    # n = 4, rank h = 3q:  q = 1/3 -> h = 1 -> 2nd value ; q = 2/3 -> h = 2 -> 3rd value
    assert percentile_inc([1, 2, 3, 4], 1 / 3) == 2.0
    assert percentile_inc([4, 3, 2, 1], 2 / 3) == 3.0
    assert percentile_inc([10, 20], 0.5) == approx(15)      # h = 0.5
    # Excel's own example: PERCENTILE.INC({1,3,2,4}, 0.3) = 1.9 (h = 0.9)
    assert percentile_inc([1, 3, 2, 4], 0.3) == approx(1.9)
    assert percentile_inc([1, 2, 3, 4, 5], 0.1) == approx(1.4)   # h = 0.4
    assert percentile_inc([7], 0.5) == 7.0
    assert percentile_inc([5, 1], 0.0) == 1.0 and percentile_inc([5, 1], 1.0) == 5.0
    # NaN ignored: [1, 3] at 0.5 -> 2
    assert percentile_inc([np.nan, 1, 3], 0.5) == approx(2)


def test_quantile_cuts_terciles_and_quintiles():
    assert list(quantile_cuts([4, 1, 3, 2], 3)) == [2.0, 3.0]
    # n = 6, quintile ranks 5j/5 = j -> values 2, 3, 4, 5
    assert list(quantile_cuts([1, 2, 3, 4, 5, 6], 5)) == [2.0, 3.0, 4.0, 5.0]
    # descending: PERCENTILE.INC(v, 1 - j/3): j=1 -> 2/3 -> 30 ; j=2 -> 1/3 -> 20
    assert list(quantile_cuts([10, 20, 30, 40], 3, descending=True)) == [30.0, 20.0]
    # n = 6 terciles: h = 5/3 -> 2 + 2/3 ; h = 10/3 -> 4 + 1/3
    c = quantile_cuts([1, 2, 3, 4, 5, 6], 3)
    assert c[0] == approx(8 / 3) and c[1] == approx(13 / 3)


def test_quantile_score_value_on_cut_stays_down():
    s, cuts = quantile_score([1, 2, 3, 4], 3)
    # cuts 2, 3: 1 -> 1 ; 2 (on cut) -> 1 ; 3 (on cut) -> 2 ; 4 -> 3
    assert list(cuts) == [2.0, 3.0]
    assert list(s) == [1, 1, 2, 3]


def test_quantile_score_ties():
    s, cuts = quantile_score([5, 5, 5, 5], 3)
    assert list(cuts) == [5.0, 5.0] and list(s) == [1, 1, 1, 1]
    # [1, 1, 1, 10]: h = 1 -> 1, h = 2 -> 1 ; scores 1, 1, 1, 3
    s, cuts = quantile_score([1, 10, 1, 1], 3)
    assert list(s) == [1, 3, 1, 1]


def test_quantile_score_descending_recency():
    # cuts [30, 20]; score = 1 + [v < 30] + [v < 20]
    s, _ = quantile_score([10, 20, 30, 40], 3, descending=True)
    assert list(s) == [3, 2, 1, 1]


def test_quantile_score_quintiles_and_nan():
    s, _ = quantile_score([1, 2, 3, 4, 5, 6], 5)
    assert list(s) == [1, 1, 2, 3, 4, 5]
    s, cuts = quantile_score([1, np.nan, 2, 3, 4], 3)
    assert list(cuts) == [2.0, 3.0]
    assert s[0] == 1 and np.isnan(s[1]) and list(s[2:]) == [1, 2, 3]


def test_quantile_score_with_given_cuts():
    s, cuts = quantile_score([1, 5, 9], 3, cuts=[5, 8])
    assert list(cuts) == [5.0, 8.0]
    assert list(s) == [1, 1, 3]


def test_threshold_scores_on_bounds_go_up():
    # K: lower bounds 2, 4 : 1 -> K1 ; 2, 3 -> K2 ; 4, 5 -> K3
    assert list(threshold_score([1, 2, 3, 4, 5], (2, 4))) == [1, 2, 2, 3, 3]
    # M: HHI bounds 0.35, 0.60
    assert list(threshold_score([0.34, 0.35, 0.59, 0.60, 1.0], (0.35, 0.60))) == [1, 2, 2, 3, 3]
    # S: regularity bounds 0.40, 0.75
    assert list(threshold_score([0.39, 0.40, 0.74, 0.75, 1.0], (0.40, 0.75))) == [1, 2, 2, 3, 3]
    # DSL S: descending upper bounds 0.50, 0.80 on top share: 1 + [v < 0.5] + [v < 0.8]
    assert list(threshold_score([1.0, 0.80, 0.79, 0.50, 0.49], (0.50, 0.80), descending=True)) == [1, 1, 2, 2, 3]
    s = threshold_score([np.nan, 3], (2, 4))
    assert np.isnan(s[0]) and s[1] == 2


def test_default_settings_match_methodology():
    s = Settings()
    assert tuple(s.psc_s_bounds) == (0.40, 0.75)
    assert tuple(s.kml_k_bounds) == (2, 4)
    assert tuple(s.kml_m_bounds) == (0.35, 0.60)
    assert tuple(s.dsl_d_bounds) == (2, 4)
    assert tuple(s.dsl_s_bounds) == (0.50, 0.80)
    assert tuple(s.abc_cuts) == (0.80, 0.95)
    assert tuple(s.xyz_cuts) == (0.10, 0.25)
    assert s.quantile_k == 3 and s.rfm_k == 5
    assert s.rfm_grid == RFM_GRID


# ===========================================================================
# §4 PSC

def _psc_table():
    """Six clients, one per named group.

    client  months active        units  revenue   P=rev/units  regularity   tenure
    N       Oct, Nov, Dec         50     150        3          3/3 = 1      3  (new)
    B       Jan..Dec (12)         60     360        6          12/12        12
    M       Jan..Jun (6)          30      30        1          6/12 = .5    12
    U       Jan, Jul              40     160        4          2/12         12
    X       Jan..May (5)          10      50        5          5/12 = .417  12
    O       Jan                   20      40        2          1/12         12

    P terciles over [1,2,3,4,5,6]: h = 5/3 -> 8/3, h = 10/3 -> 13/3:
        M, O -> P1 ; N, U -> P2 ; X, B -> P3
    C terciles over [10,20,30,40,50,60]: cuts 80/3, 130/3:
        X, O -> C1 ; M, U -> C2 ; N, B -> C3
    S: B, N -> S3 (>= .75) ; M, X -> S2 (>= .40) ; U, O -> S1
    """
    plan = {  # client: [(month, qty, amount), ...]
        "N": [(10, 20, 60), (11, 20, 60), (12, 10, 30)],
        "B": [(m, 5, 30) for m in range(1, 13)],
        "M": [(m, 5, 5) for m in range(1, 7)],
        "U": [(1, 20, 80), (7, 20, 80)],
        "X": [(m, 2, 10) for m in range(1, 6)],
        "O": [(1, 20, 40)],
    }
    rows = []
    for cid, lines in plan.items():
        for i, (m, q, amt) in enumerate(lines):
            rows.append((cid, f"{cid}{i}", f"2024-{m:02d}-15", "s", "k", q, amt, 0))
    return frame(rows, TX_COLS)


def test_psc_codes_cut_points_and_named_groups():
    a = analyze(_psc_table(), settings=settings_2024())
    expect = {
        # client: (P, S, C, code, group)
        "N": (2, 3, 3, "P2_S3_C3", "06 New"),          # new AND best-like -> rule 1 wins
        "B": (3, 3, 3, "P3_S3_C3", "01 Best"),
        "M": (1, 2, 2, "P1_S2_C2", "05 Misers"),
        "U": (2, 1, 2, "P2_S1_C2", "02 Unstable best"),
        "X": (3, 2, 1, "P3_S2_C1", "03 Systematic expensive, but little"),
        "O": (1, 1, 1, "P1_S1_C1", "04 Normal"),
    }
    for cid, (p, s, c, code, group) in expect.items():
        r = row(a, cid)
        assert (int(r["psc_p"]), int(r["psc_s"]), int(r["psc_c"])) == (p, s, c), cid
        assert r["psc_code"] == code, cid
        assert r["psc_group"] == group, cid
    assert row(a, "N")["tenure_months"] == 3
    assert row(a, "X")["regularity"] == approx(5 / 12)
    assert list(a.cut_points["psc_p"]) == [approx(8 / 3), approx(13 / 3)]
    assert list(a.cut_points["psc_c"]) == [approx(80 / 3), approx(130 / 3)]


def test_psc_group_rule_table_is_editable_and_ordered():
    rules = [
        {"group": "01 Best", "p_min": 2, "s_min": 3, "s_max": 3, "c_min": 3, "c_max": 3},
        {"group": "06 New", "tenure_max": 3},
        {"group": "04 Normal"},
    ]
    a = analyze(_psc_table(), settings=settings_2024(psc_groups=rules))
    # Best now comes first, so N (P2 S3 C3, tenure 3) is "01 Best"
    assert row(a, "N")["psc_group"] == "01 Best"
    assert row(a, "B")["psc_group"] == "01 Best"
    for cid in "MUXO":
        assert row(a, cid)["psc_group"] == "04 Normal"


def test_psc_price_basis_margin():
    """P from margin instead of price: prices 30 > 20 > 10 but margins .1 < .2 < .3.
    Margin terciles over [.1, .2, .3]: h = 2/3 -> .1 + .1*2/3 ; h = 4/3 -> .2 + .1/3
    -> a P1, b P2, c P3 (by price it would be the reverse)."""
    rows = [("a", "a1", "2024-05-02", "s", "k", 10, 300, 270),   # price 30, margin 30/300 = .1
            ("b", "b1", "2024-05-02", "s", "k", 10, 200, 160),   # price 20, margin 40/200 = .2
            ("c", "c1", "2024-05-02", "s", "k", 10, 100, 70)]    # price 10, margin 30/100 = .3
    a = analyze(frame(rows, TX_COLS), settings=settings_2024(psc_price_basis="margin"))
    assert [int(row(a, c)["psc_p"]) for c in "abc"] == [1, 2, 3]
    assert list(a.cut_points["psc_p"]) == [approx(0.1 + 0.1 * 2 / 3), approx(0.2 + 0.1 / 3)]
    b = analyze(frame(rows, TX_COLS), settings=settings_2024())
    assert [int(row(b, c)["psc_p"]) for c in "abc"] == [3, 2, 1]


def test_units_not_positive_gets_no_p_no_psc_but_other_segments():
    rows = [
        ("a", "a1", "2024-06-15", "s", "k", 10, 100, 50),    # P = 10
        ("b", "b1", "2024-06-15", "s", "k", 10, 200, 100),   # P = 20
        ("ZED42", "z1", "2024-06-15", "s", "k", 5, 100, 50),
        ("ZED42", "z2", "2024-06-20", "s", "k", -5, -10, -5),  # revenue 90 > 0, units 0
    ]
    a = analyze(frame(rows, TX_COLS), settings=settings_2024())
    z = row(a, "ZED42")
    assert z["revenue"] == approx(90)
    assert z["units"] == approx(0)
    assert missing(z["avg_unit_price"])
    assert missing(z["psc_p"]) and missing(z["psc_code"]) and missing(z["psc_group"])
    for col in ("rfm_code", "rfm_segment", "abc_class", "xyz_class", "dsl_code", "dsl_level"):
        assert not missing(z[col]), col
    # P over a, b only: [10, 20] -> cuts 10 + 10/3, 10 + 20/3 -> a P1, b P3
    assert list(a.cut_points["psc_p"]) == [approx(40 / 3), approx(50 / 3)]
    assert int(row(a, "a")["psc_p"]) == 1 and int(row(a, "b")["psc_p"]) == 3
    assert any("ZED42" in (str(p) + repr(p)) for p in a.report), str(a.report)
    # summary: the client sits in "(not segmented)" just above Total
    t = a.summary("psc_group")
    assert t["segment"].iloc[-1] == "Total"
    assert t["segment"].iloc[-2] == "(not segmented)"
    assert int(t["clients"].iloc[-2]) == 1 and t["revenue"].iloc[-2] == approx(90)
    assert int(t["clients"].iloc[-1]) == 3 and t["revenue"].iloc[-1] == approx(390)


# ===========================================================================
# §4 SPL

def _spl_tx(gp_column: bool = False):
    """a: Jan..Dec, 10 a month, GP 1 a line -> GP 12, regularity 1 -> S3
    b: Jan..Jun, 10 a month, GP 4 a line  -> GP 24, regularity .5 -> S2
    c: Jan, 100, GP 36                     -> GP 36, regularity 1/12 -> S1
    L terciles over [12, 24, 36]: h = 2/3 -> 12 + 8 = 20 ; h = 4/3 -> 24 + 4 = 28
        a L1, b L2, c L3"""
    rows = []
    for m in range(1, 13):
        rows.append(("a", f"a{m}", f"2024-{m:02d}-10", "s", "k", 1, 10, 9))
    for m in range(1, 7):
        rows.append(("b", f"b{m}", f"2024-{m:02d}-10", "s", "k", 1, 10, 6))
    rows.append(("c", "c1", "2024-01-10", "s", "k", 1, 100, 64))
    df = frame(rows, TX_COLS)
    if gp_column:
        df["gross_profit"] = df["amount"] - df["cost"]
        df = df.drop(columns="cost")
    return df


@pytest.mark.parametrize("gp_column", [False, True])
def test_spl_from_overdue_days(gp_column):
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "overdue_days": [0, 30, 31]})
    a = analyze(_spl_tx(gp_column), clients=cl, settings=settings_2024())
    # days 0 -> P3 ; 30 (<= 30) -> P2 ; 31 -> P1
    expect = {"a": (3, 3, 1, "S3_P3_L1"), "b": (2, 2, 2, "S2_P2_L2"), "c": (1, 1, 3, "S1_P1_L3")}
    for cid, (s, p, l, code) in expect.items():
        r = row(a, cid)
        assert (int(r["spl_s"]), int(r["spl_p"]), int(r["spl_l"])) == (s, p, l), cid
        assert r["spl_code"] == code
        assert int(r["spl_s"]) == int(r["psc_s"])
    assert row(a, "b")["gross_profit"] == approx(24)
    assert list(a.cut_points["spl_l"]) == [approx(20), approx(28)]


def test_spl_overdue_days_between_bounds():
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "overdue_days": [15, 0.5, 400]})
    a = analyze(_spl_tx(), clients=cl, settings=settings_2024())
    # 15 -> P2 ; 0.5 (> 0, <= 30) -> P2 ; 400 -> P1
    assert [int(row(a, c)["spl_p"]) for c in "abc"] == [2, 2, 1]


def test_spl_from_overdue_amount_only():
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "overdue_amount": [0, 250.5, 0]})
    a = analyze(_spl_tx(), clients=cl, settings=settings_2024())
    # amount 0 -> P3 ; > 0 -> P1
    assert [row(a, c)["spl_code"] for c in "abc"] == ["S3_P3_L1", "S2_P1_L2", "S1_P3_L3"]


def test_spl_from_overdue_flag():
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "overdue_flag": ["yes", "no", "yes"]})
    a = analyze(_spl_tx(), clients=cl, settings=settings_2024())
    # yes -> P1 ; no -> P3
    assert [row(a, c)["spl_code"] for c in "abc"] == ["S3_P1_L1", "S2_P3_L2", "S1_P1_L3"]


@pytest.mark.parametrize("with_clients", [False, True])
def test_spl_without_payment_data_is_not_computed_and_reported(with_clients):
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "name": ["A Ltd", "B Ltd", "C Ltd"]}) if with_clients else None
    a = analyze(_spl_tx(), clients=cl, settings=settings_2024())
    for cid in "abc":
        r = row(a, cid)
        for col in ("spl_s", "spl_p", "spl_l", "spl_code"):
            assert missing(r[col]), (cid, col)
        assert not missing(r["psc_code"])
    assert any(re.search(r"payment|overdue", p.reason, re.I) for p in a.report), str(a.report)


def test_gross_profit_unknown_is_explicit():
    df = _spl_tx().drop(columns="cost")
    cl = pd.DataFrame({"client_id": ["a", "b", "c"], "overdue_days": [0, 30, 31]})
    a = analyze(df, clients=cl, settings=settings_2024())
    for cid in "abc":
        r = row(a, cid)
        assert missing(r["gross_profit"]) and missing(r["margin"])
        assert missing(r["spl_l"]) and missing(r["dsl_l"])
        assert not missing(r["dsl_d"])          # D and S do not need GP
    assert row(a, "c")["revenue"] == approx(100)   # revenue itself is fine
    assert any(re.search(r"profit|cost", p.reason, re.I) for p in a.report), str(a.report)


# ===========================================================================
# §4 KML

def _kml_tx():
    return frame([(c, "2024-06-15", 100) for c in "abcdef"], ["client_id", "date", "amount"])


def _market():
    rows = [
        ("a", "Us", 100, "2024-03-01"),
        ("a", "X", 1000, "2023-01-01"),      # outside the window: ignored
        ("b", "US ", 50, "2024-03-01"),      # ours (case and spaces ignored)
        ("b", "X", 50, "2024-04-01"),
        ("c", "Us", 50, "2024-03-01"), ("c", "X", 50, "2024-03-01"),
        ("c", "Y", 50, "2024-03-01"), ("c", "Z", 50, "2024-03-01"),
        ("e", "X", 300, "2024-05-01"),       # we sell to e, but not in the market table
        ("f", "us", 15, "2024-03-01"), ("f", "X", 15, "2024-03-01"), ("f", "Y", 120, "2024-03-01"),
        # d: absent
    ]
    return frame(rows, ["client_id", "supplier", "amount", "date"])


def test_kml_suppliers_hhi_sow_and_codes():
    a = analyze(_kml_tx(), market=_market(), settings=settings_2024(our_supplier="Us"))
    # spend: a 100, b 100, c 200, e 300, f 150 ; sorted [100,100,150,200,300]
    # h = 4/3 -> 100 + 50/3 = 116.67 ; h = 8/3 -> 150 + 100/3 = 183.33
    #   a, b -> L1 ; f -> L2 ; c, e -> L3
    expect = {
        # suppliers, hhi, spend, sow, code
        "a": (1, 1.0, 100, 1.0, "K1_M3_L1"),                      # one supplier: HHI 1 -> M3
        "b": (2, 0.5 ** 2 * 2, 100, 0.5, "K2_M2_L1"),             # HHI .5 -> M2
        "c": (4, 0.25 ** 2 * 4, 200, 0.25, "K3_M1_L3"),           # 4 suppliers on the bound -> K3 ; HHI .25
        "e": (1, 1.0, 300, 0.0, "K1_M3_L3"),                      # our amount 0 -> SOW 0
        "f": (3, 0.1 ** 2 * 2 + 0.8 ** 2, 150, 0.1, "K2_M3_L2"),  # HHI .66 -> M3
    }
    for cid, (k, hhi, spend, sow, code) in expect.items():
        r = row(a, cid)
        assert int(r["suppliers"]) == k, cid
        assert r["hhi"] == approx(hhi), cid
        assert r["market_spend"] == approx(spend), cid
        assert r["sow"] == approx(sow), cid
        assert r["kml_code"] == code, cid
    d = row(a, "d")
    for col in ("suppliers", "hhi", "market_spend", "sow", "kml_k", "kml_m", "kml_l", "kml_code"):
        assert missing(d[col]), col
    assert list(a.cut_points["kml_l"]) == [approx(350 / 3), approx(550 / 3)]
    t = a.summary("kml")
    for col in ("market_spend", "sow", "recency_days", "competitors", "regions"):
        assert col in t.columns, col
    assert t["segment"].iloc[-1] == "Total"
    assert t["market_spend"].iloc[-1] == approx(850)       # 100 + 100 + 200 + 300 + 150
    # d (absent from the market) sits in "(not segmented)" just above Total
    assert t["segment"].iloc[-2] == "(not segmented)"
    assert int(t["clients"].iloc[-2]) == 1 and t["revenue"].iloc[-2] == approx(100)
    assert int(t["clients"].iloc[-1]) == 6 and t["revenue"].iloc[-1] == approx(600)


def test_kml_market_only_clients_are_not_analysed():
    m = _market()
    m.loc[len(m)] = ["zz", "Us", 999, pd.Timestamp("2024-03-01")]
    a = analyze(_kml_tx(), market=m, settings=settings_2024(our_supplier="Us"))
    assert "zz" not in clients_of(a).index
    # L cuts unchanged by zz: still over a, b, c, e, f
    assert list(a.cut_points["kml_l"]) == [approx(350 / 3), approx(550 / 3)]


def test_kml_market_without_dates_counts_every_row():
    m = pd.DataFrame({"client_id": ["a", "a"], "supplier": ["Us", "X"], "amount": [100, 1000]})
    a = analyze(_kml_tx(), market=m, settings=settings_2024(our_supplier="Us"))
    r = row(a, "a")
    # 2 suppliers, spend 1100, SOW 100/1100, HHI (1/11)² + (10/11)² = 101/121
    assert int(r["suppliers"]) == 2
    assert r["market_spend"] == approx(1100)
    assert r["sow"] == approx(100 / 1100)
    assert r["hhi"] == approx(101 / 121)
    assert int(r["kml_m"]) == 3                            # 0.835 >= 0.60


# ===========================================================================
# §4 DSL

def _dsl_tx():
    """a: 1 category                 -> D1, top 1.0 -> S1, level 1, GP 10
    b: K 160 / L 40               -> D2, top .8 -> S1 (>= .80), level 2, GP 20
    c: K 200 / L 100 / M 100      -> D2, top .5 -> S2 (on .50), level 3, GP 30
    d: 4 x 200                     -> D3, top .25 -> S3, level 3, GP 40
    L terciles over [10,20,30,40]: h = 1 -> 20 ; h = 2 -> 30 : a, b L1 ; c L2 ; d L3"""
    rows = [
        ("a", "a1", "2024-05-02", "s1", "K", 1, 100, 90),
        ("b", "b1", "2024-05-02", "s1", "K", 1, 160, 150),
        ("b", "b1", "2024-05-02", "s2", "L", 1, 40, 30),
        ("c", "c1", "2024-05-02", "s1", "K", 1, 200, 180),
        ("c", "c1", "2024-05-02", "s2", "L", 1, 100, 95),
        ("c", "c1", "2024-05-02", "s3", "M", 1, 100, 95),
        ("d", "d1", "2024-05-02", "s1", "K", 1, 200, 190),
        ("d", "d1", "2024-05-02", "s2", "L", 1, 200, 190),
        ("d", "d1", "2024-05-02", "s3", "M", 1, 200, 190),
        ("d", "d1", "2024-05-02", "s4", "N", 1, 200, 190),
    ]
    return frame(rows, TX_COLS)


def test_dsl_codes_and_levels():
    a = analyze(_dsl_tx(), settings=settings_2024())
    expect = {"a": ("D1_S1_L1", 1), "b": ("D2_S1_L1", 2), "c": ("D2_S2_L2", 3), "d": ("D3_S3_L3", 3)}
    for cid, (code, level) in expect.items():
        r = row(a, cid)
        assert r["dsl_code"] == code, cid
        assert int(r["dsl_level"]) == level, cid
    assert [row(a, c)["gross_profit"] for c in "abcd"] == [approx(10), approx(20), approx(30), approx(40)]
    assert row(a, "b")["top_category_share"] == approx(0.8)
    assert list(a.cut_points["dsl_l"]) == [approx(20), approx(30)]


# ===========================================================================
# §4 RFM

#: METHODOLOGY §4 grid, rows R5..R1, columns FM1..FM5 (copied from the text)
RFM_GRID = [
    ["New customers", "Potential loyalists", "Loyal", "Champions", "Champions"],
    ["Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Champions"],
    ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
    ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
    ["Lost", "Lost", "At risk", "At risk", "Can't lose them"],
]


def grid_cell(r: int, fm: int) -> str:
    return RFM_GRID[5 - r][fm - 1]


def _rfm_client_rows(cid, recency, n_orders, revenue):
    """n_orders one-line orders: n-1 of amount 1 on 2024-01-15, the last one
    (amount revenue - (n-1)) on 2024-12-31 - recency."""
    last = (pd.Timestamp("2024-12-31") - pd.Timedelta(days=recency)).strftime("%Y-%m-%d")
    rows = [(cid, f"{cid}-{i}", "2024-01-15", "s", "k", 1, 1, 0) for i in range(n_orders - 1)]
    rows.append((cid, f"{cid}-last", last, "s", "k", 1, revenue - (n_orders - 1), 0))
    return rows


def test_rfm_all_25_grid_cells():
    """25 clients, one per (R, FM) cell, with F = M = FM.

    For client (r, fm): recency = 10(5 - r) + fm, orders n = 5(fm - 1) + r,
    revenue = 1000 n.  All 25 values of each metric are distinct, so with
    n = 25 quintile ranks 24j/5 = 4.8, 9.6, 14.4, 19.2 put exactly 5 clients
    in each score.  Orders 1..5 -> F1, 6..10 -> F2, ...  Recency sorted:
    1-5, 11-15, 21-25, 31-35, 41-45; descending cuts
    PERC(.8) = 35 + .2*6 = 36.2, PERC(.6) = 25 + .4*6 = 27.4,
    PERC(.4) = 15 + .6*6 = 18.6, PERC(.2) = 5 + .8*6 = 9.8 -> 1-5 are R5, 41-45 R1."""
    rows = []
    for r in range(1, 6):
        for fm in range(1, 6):
            n = 5 * (fm - 1) + r
            rows += _rfm_client_rows(f"r{r}fm{fm}", 10 * (5 - r) + fm, n, 1000 * n)
    a = analyze(frame(rows, TX_COLS), settings=settings_2024())
    for r in range(1, 6):
        for fm in range(1, 6):
            x = row(a, f"r{r}fm{fm}")
            assert (int(x["rfm_r"]), int(x["rfm_f"]), int(x["rfm_m"])) == (r, fm, fm), (r, fm)
            assert x["rfm_code"] == f"R{r}F{fm}M{fm}"
            assert x["rfm_segment"] == grid_cell(r, fm), (r, fm)
    assert sorted(a.cut_points["rfm_r"]) == [approx(9.8), approx(18.6), approx(27.4), approx(36.2)]
    # orders 1..25: h = 4.8 -> 5.8, 9.6 -> 10.6, 14.4 -> 15.4, 19.2 -> 20.2
    assert list(a.cut_points["rfm_f"]) == [approx(5.8), approx(10.6), approx(15.4), approx(20.2)]
    assert list(a.cut_points["rfm_m"]) == [approx(5800), approx(10600), approx(15400), approx(20200)]


def test_rfm_fm_rounds_half_up():
    """5 clients: with n = 5 every distinct value gets its own quintile.
    (R, F, M) -> FM = round-half-up((F + M) / 2) -> grid cell
      p: (5, 1, 2) -> 1.5 -> 2 -> Potential loyalists   (half-down would give New customers)
      q: (3, 2, 3) -> 2.5 -> 3 -> Need attention         (banker's 2 -> About to sleep)
      s: (4, 3, 4) -> 3.5 -> 4 -> Loyal                  (half-down 3 -> Potential loyalists)
      t: (2, 4, 5) -> 4.5 -> 5 -> Can't lose them        (banker's 4 -> At risk)
      u: (1, 5, 1) -> 3       -> At risk"""
    spec = {"p": (5, 1, 2), "q": (3, 2, 3), "s": (4, 3, 4), "t": (2, 4, 5), "u": (1, 5, 1)}
    rows = []
    for cid, (r, f, m) in spec.items():
        # recency 10(5 - r) + 1 (R5 most recent) ; orders = F ; revenue = 1000 M
        rows += _rfm_client_rows(cid, 10 * (5 - r) + 1, f, 1000 * m)
    a = analyze(frame(rows, TX_COLS), settings=settings_2024())
    names = {"p": "Potential loyalists", "q": "Need attention", "s": "Loyal",
             "t": "Can't lose them", "u": "At risk"}
    for cid, (r, f, m) in spec.items():
        x = row(a, cid)
        assert x["rfm_code"] == f"R{r}F{f}M{m}", cid
        assert x["rfm_segment"] == names[cid], cid


def test_rfm_segment_helper_covers_the_grid():
    from xlb2b.analysis.segments import rfm_segment
    rs, fs, ms, want = [], [], [], []
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                fm = (f + m + 1) // 2        # round-half-up of (f + m) / 2 for integers
                rs.append(r), fs.append(f), ms.append(m), want.append(grid_cell(r, fm))
    got = rfm_segment(np.array(rs, float), np.array(fs, float), np.array(ms, float), RFM_GRID)
    assert list(got) == want


# ===========================================================================
# §4 ABC / XYZ

def _one_line_each(revenues: dict):
    return frame([(c, "2024-06-01", v) for c, v in revenues.items()], ["client_id", "date", "amount"])


def test_abc_crossing_client_is_a_and_ties_by_id():
    # total 100 ; sorted a 50, b 30, c 10, d 5, e 5 (tie d/e: d first)
    # share_before: a 0 -> A ; b .50 -> A (b crosses 80 %) ; c .80 -> B ; d .90 -> B ; e .95 -> C
    a = analyze(_one_line_each({"e": 5, "c": 10, "d": 5, "b": 30, "a": 50}), settings=settings_2024())
    assert {c: row(a, c)["abc_class"] for c in "abcde"} == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "C"}


def test_abc_cuts_are_editable():
    # cuts .50 / .90: share_before a 0 -> A ; b .50 -> B ; c .80 -> B ; d .90 -> C ; e .95 -> C
    a = analyze(_one_line_each({"e": 5, "c": 10, "d": 5, "b": 30, "a": 50}),
                settings=settings_2024(abc_cuts=(0.50, 0.90)))
    assert {c: row(a, c)["abc_class"] for c in "abcde"} == {"a": "A", "b": "B", "c": "B", "d": "C", "e": "C"}


def test_abc_ties_use_string_order_of_client_id():
    # "10" < "9" as strings ; big .90 of 100 -> A ; "10" before .90 -> B ; "9" before .95 -> C
    a = analyze(_one_line_each({"9": 5, "big": 90, "10": 5}), settings=settings_2024())
    assert row(a, "big")["abc_class"] == "A"
    assert row(a, "10")["abc_class"] == "B"
    assert row(a, "9")["abc_class"] == "C"


def test_xyz_bounds_and_zero_months():
    rows = [("x0", f"2024-{m:02d}-10", 100) for m in range(1, 13)]               # cv 0 -> X
    for cid, vals in {"x10": [90, 110, 90, 110],      # mean 100, std 10 -> cv .10 -> X (on bound)
                      "y25": [75, 125, 75, 125],      # std 25 -> .25 -> Y (on bound)
                      "z30": [70, 130, 70, 130]}.items():  # .30 -> Z
        rows += [(cid, f"2024-{m:02d}-10", v) for m, v in zip(range(9, 13), vals)]   # Sep..Dec
    rows.append(("z0m", "2024-01-10", 1200))           # 11 zero months: cv sqrt(11) -> Z
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    want = {"x0": (0.0, "X"), "x10": (0.10, "X"), "y25": (0.25, "Y"), "z30": (0.30, "Z"),
            "z0m": (math.sqrt(11), "Z")}
    for cid, (cv, cls) in want.items():
        r = row(a, cid)
        assert r["monthly_cv"] == approx(cv), cid
        assert r["xyz_class"] == cls, cid
    assert int(row(a, "x10")["months_observed"]) == 4


# ===========================================================================
# §1 excluded clients

def test_excluded_clients():
    rows = [
        ("a", "2024-03-01", 100),
        ("b", "2024-03-01", 50), ("b", "2024-04-01", -50),    # net 0
        ("c", "2024-05-01", -30),                             # only returns
        ("d", "2023-05-01", 70),                              # all outside the window
        ("e", "2024-03-01", 20), ("e", "2024-03-09", -40),    # net -20
    ]
    a = analyze(frame(rows, ["client_id", "date", "amount"]), settings=settings_2024())
    assert list(clients_of(a).index) == ["a"]
    ex = a.excluded.set_index("client_id")
    assert set(ex.index) == {"b", "c", "d", "e"}
    for cid in "bce":
        assert re.search("revenue", str(ex.loc[cid, "reason"]), re.I), ex.loc[cid, "reason"]
    for name in ("abc", "rfm", "dsl_level"):
        assert int(a.summary(name)["clients"].iloc[-1]) == 1


# ===========================================================================
# §9 summary table

def _summary_tx():
    """client  level  revenue  GP  orders  units  skus  capacity
    a        1       200     20    2      20     2      4
    b        2       200     40    1      10     2      5     (K .8 / L .2)
    c        3       400     60    3      40     3     10     (K .5 / L .25 / M .25)
    d        3       800    100    2      40     4     20     (4 x .25)
    e        1       400     80    1       5     1     10
    """
    rows = [
        ("a", "o1", "2024-05-02", "s1", "K", 10, 100, 90),
        ("a", "o2", "2024-05-09", "s2", "K", 10, 100, 90),
        ("b", "o3", "2024-05-02", "s1", "K", 8, 160, 130),
        ("b", "o3", "2024-05-02", "s3", "L", 2, 40, 30),
        ("c", "o4", "2024-05-02", "s1", "K", 20, 200, 180),
        ("c", "o5", "2024-05-03", "s3", "L", 10, 100, 80),
        ("c", "o6", "2024-05-04", "s4", "M", 10, 100, 80),
        ("d", "o7", "2024-05-02", "s1", "K", 10, 200, 175),
        ("d", "o7", "2024-05-02", "s3", "L", 10, 200, 175),
        ("d", "o8", "2024-05-05", "s4", "M", 10, 200, 175),
        ("d", "o8", "2024-05-05", "s5", "N", 10, 200, 175),
        ("e", "o9", "2024-05-02", "s5", "N", 5, 400, 320),
    ]
    cl = pd.DataFrame({"client_id": list("abcde"), "capacity_units": [4, 5, 10, 20, 10]})
    return frame(rows, TX_COLS), cl


def _level(seg):
    m = re.search(r"\d", str(seg))
    return int(m.group()) if m else None


def test_summary_dsl_level_every_column_by_hand():
    tx, cl = _summary_tx()
    a = analyze(tx, clients=cl, settings=settings_2024())
    assert [int(row(a, c)["dsl_level"]) for c in "abcde"] == [1, 2, 3, 3, 1]
    t = a.summary("dsl_level")
    assert t.columns[0] == "segment"
    assert t["segment"].iloc[-1] == "Total"
    body = t.iloc[:-1]
    body = body[body["segment"].astype(str) != "(not segmented)"]
    rows = {_level(s): body.iloc[i] for i, s in enumerate(body["segment"])}
    total = t.iloc[-1]
    # totals: revenue 2000, GP 300, clients 5, orders 9, units 115, skus 12, capacity 49
    expect = {
        # level 1 = a + e: revenue 600, GP 100, 2 clients, orders 3, units 25, skus 3, capacity 14
        1: dict(revenue=600, revenue_share=600 / 2000, gross_profit=100, gross_profit_share=100 / 300,
                clients=2, clients_share=2 / 5, ltv=300, avg_check=600 / 3, avg_price=600 / 25,
                depth=25 / 3, orders_per_client=3 / 2, diversity=3 / 2, slots=25 / 2,
                capacity_units=14, revenue_per_capacity=600 / 14),
        # level 2 = b
        2: dict(revenue=200, revenue_share=0.1, gross_profit=40, gross_profit_share=40 / 300,
                clients=1, clients_share=0.2, ltv=200, avg_check=200, avg_price=20,
                depth=10, orders_per_client=1, diversity=2, slots=10,
                capacity_units=5, revenue_per_capacity=40),
        # level 3 = c + d: revenue 1200, GP 160, orders 5, units 80, skus 7, capacity 30
        3: dict(revenue=1200, revenue_share=0.6, gross_profit=160, gross_profit_share=160 / 300,
                clients=2, clients_share=0.4, ltv=600, avg_check=240, avg_price=15,
                depth=16, orders_per_client=2.5, diversity=3.5, slots=40,
                capacity_units=30, revenue_per_capacity=40),
        # Total: every ratio from totals (avg_check 2000/9, not the mean of 200, 200, 240)
        "Total": dict(revenue=2000, revenue_share=1, gross_profit=300, gross_profit_share=1,
                      clients=5, clients_share=1, ltv=400, avg_check=2000 / 9, avg_price=2000 / 115,
                      depth=115 / 9, orders_per_client=9 / 5, diversity=12 / 5, slots=115 / 5,
                      capacity_units=49, revenue_per_capacity=2000 / 49),
    }
    assert set(rows) == {1, 2, 3}
    for key, cols in expect.items():
        got = total if key == "Total" else rows[key]
        for col, v in cols.items():
            assert float(got[col]) == approx(v), (key, col, got[col], v)


def test_integer_columns_are_nullable_int64_with_missing_kept():
    from xlb2b.pipeline import _nullable_int
    out = _nullable_int(pd.Series([3.0, np.nan, -2.0, 0.0]))
    assert str(out.dtype) == "Int64"
    assert out.tolist() == [3, pd.NA, -2, 0]
    assert _nullable_int(pd.Series([np.nan, np.nan])).isna().all()
    with pytest.raises(TypeError):          # a fraction is not silently cut to a whole number
        _nullable_int(pd.Series([1.5, np.nan]))
    a = analyze(pd.DataFrame({"client_id": ["A", "A", "B"], "date": pd.to_datetime(
        ["2024-01-10", "2024-02-10", "2024-02-11"]), "amount": [10.0, 20.0, 5.0]}))
    assert str(a.clients["orders"].dtype) == "Int64"
    assert a.clients.set_index("client_id")["active_months"].to_dict() == {"A": 2, "B": 1}


def test_abc_ties_order_the_same_from_a_pyarrow_text_column_and_from_python_texts():
    from xlb2b.analysis.segments import abc_share_before
    ids = ["Я-1", "Ё-1", "10", "9", "a", "B", "é", "e"]
    v = np.array([5.0, 5.0, 5.0, 5.0, 20.0, 5.0, 5.0, 50.0])
    by_python = abc_share_before(v, np.array(ids, dtype=object))
    by_arrow = abc_share_before(v, pd.Series(ids, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    np.testing.assert_array_equal(by_arrow, by_python)
    # by hand: e 50, a 20, then the 5s in code-point order: "10" < "9" < "B" (66) < "é" (233) < "Ё-1" (1025) < "Я-1"
    assert by_python[ids.index("10")] == 0.70 and by_python[ids.index("é")] == 0.85
    assert by_python[ids.index("Я-1")] == 0.95
