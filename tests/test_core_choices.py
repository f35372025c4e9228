"""The choices made where the methodology is silent (docs/definitions.md),
each pinned by a tiny hand-computed table."""
import datetime as dt

import pandas as pd
import pytest

from xlb2b import Settings, analyze
from xlb2b.analysis.metrics import Window

YEAR_2024 = Settings(window="explicit", window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 12, 31))


def tx(rows, **extra):
    df = pd.DataFrame(rows, columns=["client_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    for k, v in extra.items():
        df[k] = v
    return df


def one(a, cid):
    return a.clients.set_index("client_id").loc[cid]


def test_without_quantity_a_return_line_takes_one_unit_back():
    # a: two sales lines and one return line -> units 1 + 1 - 1 = 1, revenue 100 + 50 - 30 = 120
    a = analyze(tx([("a", "2024-03-01", 100), ("a", "2024-04-01", 50), ("a", "2024-05-01", -30)]),
                settings=YEAR_2024)
    r = one(a, "a")
    assert r["units"] == 1 and r["revenue"] == 120 and r["avg_unit_price"] == 120


def test_clients_table_only_clients_are_excluded_with_a_reason():
    a = analyze(tx([("a", "2024-03-01", 100)]), clients=pd.DataFrame({"client_id": ["a", "z"]}),
                settings=YEAR_2024)
    ex = a.excluded.set_index("client_id")
    assert list(a.clients["client_id"]) == ["a"]
    assert "no transactions" in ex.loc["z", "reason"]


def test_revenue_per_capacity_in_summaries_uses_only_clients_with_capacity():
    # a: revenue 300, 3 chairs; b: revenue 100, no chairs.  Total: 300 / 3 = 100 (not 400 / 3)
    a = analyze(tx([("a", "2024-03-01", 300), ("b", "2024-03-01", 100)]),
                clients=pd.DataFrame({"client_id": ["a", "b"], "capacity_units": [3, None]}),
                settings=YEAR_2024)
    total = a.summary("abc").iloc[-1]
    assert total["segment"] == "Total"
    assert total["capacity_units"] == 3 and total["revenue_per_capacity"] == pytest.approx(100)
    assert one(a, "a")["revenue_per_capacity"] == 100 and pd.isna(one(a, "b")["revenue_per_capacity"])


def test_overdue_days_win_over_overdue_amount():
    # days 0 but an amount > 0: days decide -> P3; amount only > 0 -> P1
    a = analyze(tx([("a", "2024-03-01", 300), ("b", "2024-03-01", 100)], cost=[0, 0]),
                clients=pd.DataFrame({"client_id": ["a", "b"], "overdue_days": [0, None],
                                      "overdue_amount": [500, 500]}), settings=YEAR_2024)
    assert one(a, "a")["spl_p"] == 3 and one(a, "b")["spl_p"] == 1


def test_kml_summary_avg_sow_is_the_mean_of_client_sows():
    # a: ours 20 of 100 (0.2); b: ours 60 of 100 (0.6).  Mean 0.4 (ratio of sums would also be 0.4, so
    # make spends differ): c: ours 10 of 200 (0.05).  Mean (0.2 + 0.6 + 0.05) / 3 = 0.283333
    market = pd.DataFrame({"client_id": ["a", "a", "b", "b", "c", "c"],
                           "supplier": ["Us", "X", "Us", "Y", "Us", "X"],
                           "amount": [20, 80, 60, 40, 10, 190]})
    a = analyze(tx([("a", "2024-03-01", 20), ("b", "2024-03-01", 60), ("c", "2024-03-01", 10)]),
                market=market, settings=YEAR_2024.copy(our_supplier="Us"))
    total = a.summary("kml").iloc[-1]
    assert total["sow"] == pytest.approx((0.2 + 0.6 + 0.05) / 3)
    assert total["market_spend"] == 400
    assert total["competitors"] == 2          # X and Y; ours is not a competitor


def test_preceding_window_is_whole_months_or_same_days():
    w = Window(pd.Timestamp("2024-03-01"), pd.Timestamp("2025-02-28"))   # 12 whole months
    p = w.preceding()
    assert (p.start, p.end) == (pd.Timestamp("2023-03-01"), pd.Timestamp("2024-02-29"))
    w = Window(pd.Timestamp("2024-03-10"), pd.Timestamp("2024-03-19"))   # 10 days
    p = w.preceding()
    assert (p.start, p.end) == (pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-09"))


def test_prev_revenue_feeds_growth_rating():
    # a: 2023 revenue 100, 2024 revenue 150 -> growth 0.5; b: no 2023 revenue -> no rating
    a = analyze(tx([("a", "2023-05-01", 100), ("a", "2024-05-01", 150), ("b", "2024-05-01", 10)]),
                settings=YEAR_2024)
    assert one(a, "a")["prev_revenue"] == 100 and one(a, "b")["prev_revenue"] == 0
    table, _ = a.portfolio()
    g = table.set_index("client_id")["growth"]
    # a single rated client: every quintile cut point equals its growth 0.5, and a value on a cut
    # point stays down -> rating 1
    assert g["a"] == 1
    assert pd.isna(g["b"])


def test_region_from_the_latest_line_does_not_depend_on_row_order():
    # a: two lines on the latest day with different regions -> the greater in text order ("Kazan" < "Moscow")
    rows = [("a", "2024-03-01", 10), ("a", "2024-05-01", 10), ("a", "2024-05-01", 10)]
    regions = ["Omsk", "Moscow", "Kazan"]
    one_way = analyze(tx(rows, region=regions), settings=YEAR_2024)
    other_way = analyze(tx(rows[::-1], region=regions[::-1]), settings=YEAR_2024)
    assert one(one_way, "a")["region"] == one(other_way, "a")["region"] == "Moscow"
