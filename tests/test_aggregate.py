"""The engine aggregation (xlb2b.analysis.aggregate) gives the same per-client
tables as the pandas path (xlb2b.analysis.metrics), to the cent, on every
engine: DuckDB always, PostgreSQL and Spark where .ci/run provides them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engines import ENGINES, connect, load
from xlb2b.analysis import metrics
from xlb2b.settings import Settings

#: ratios over revenue: undefined (NaN) when revenue is 0
OVER_REVENUE = {"top_category_share", "margin"}
MONEY = {"revenue", "gross_profit", "units", "ltv", "prev_revenue", "avg_unit_price", "avg_check",
         "market_spend", "our_market_amount"}


@pytest.fixture(scope="module", params=ENGINES)
def con(request):
    return connect(request.param)


def assert_same_tables(pandas_table: pd.DataFrame, engine_table: pd.DataFrame) -> None:
    """Same clients, same columns; money to the cent, ratios to 1e-9, counts and dates exactly."""
    a = pandas_table.assign(client_id=pandas_table["client_id"].astype(str)).sort_values("client_id")
    a = a.reset_index(drop=True)
    b = engine_table.sort_values("client_id").reset_index(drop=True)
    assert list(a["client_id"]) == list(b["client_id"])
    # a fully returned sale: pandas' float sums may leave ±2e-13, the engine's are exactly 0
    net_zero = np.zeros(len(a), dtype=bool)
    if "revenue" in a:
        net_zero = np.abs(a["revenue"].to_numpy(dtype="float64")) < 1e-6
        assert (b.loc[net_zero, "revenue"] == 0).all()
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if col == "client_id":
            continue
        if x.dtype.kind == "M":
            assert np.array_equal(x.astype("datetime64[ns]"), y.astype("datetime64[ns]"), equal_nan=True), col
            continue
        x, y = x.astype("float64"), y.astype("float64")
        if col in OVER_REVENUE:
            x, y = x[~net_zero], y[~net_zero]
        assert np.array_equal(np.isnan(x), np.isnan(y)), f"{col}: missing values differ"
        ok = ~np.isnan(x)
        if col in MONEY:
            assert np.abs(x[ok] - y[ok]).max(initial=0) < 0.005, col
        else:
            assert np.allclose(x[ok], y[ok], rtol=1e-9, atol=1e-12), col


def engine_metrics(con, tx: pd.DataFrame, settings: Settings, window=None):
    from xlb2b.analysis import aggregate
    t = load(con, tx)
    w = window or aggregate.engine_window(t, settings)
    return aggregate.client_metrics_engine(t, w, settings)


# ---------------------------------------------------------------- the sample
@pytest.fixture(scope="module")
def sample():
    from xlb2b.sample import generate
    return generate(400, seed=11)


@pytest.mark.parametrize("window", ["default", "all"])
def test_sample_client_table_matches_pandas(con, sample, window):
    s = Settings(window=window)
    tx = sample.transactions
    w = metrics.resolve_window(tx["date"].to_numpy(), s)
    expected = metrics.client_metrics(tx, w, s)
    got = engine_metrics(con, tx, s)
    assert got.window == w
    assert (got.has_gross_profit, got.has_categories) == (expected.has_gross_profit, expected.has_categories)
    assert_same_tables(expected.table, got.table[expected.table.columns])


def test_sample_market_table_matches_pandas(con, sample):
    from xlb2b.analysis import aggregate
    s = Settings(our_supplier=sample.our_supplier)
    w = metrics.resolve_window(sample.transactions["date"].to_numpy(), s)
    expected = metrics.market_metrics(sample.market, w, s)
    got = aggregate.market_metrics_engine(load(con, sample.market, "m"), w, s)
    assert_same_tables(expected, got)
    pairs = expected.attrs["competitor_pairs"].astype(str).sort_values(["client_id", "supplier"])
    assert pairs.reset_index(drop=True).equals(got.attrs["competitor_pairs"].astype(str))


def test_sample_latest_manager_matches_pandas(con, sample):
    from xlb2b.analysis import aggregate
    from xlb2b.pipeline import _last_value
    tx = sample.transactions
    ids = np.asarray(sorted(tx["client_id"].astype(str).unique()), dtype=object)
    expected = _last_value(tx.assign(client_id=tx["client_id"].astype(str)), "manager", ids)
    got = aggregate.last_values(load(con, tx), "manager").reindex(ids)
    assert list(expected.astype(str)) == list(got.astype(str))


# ---------------------------------------------------------------- hand-made edge cases
def _tx(rows, columns=("client_id", "order_id", "date", "sku", "category", "quantity", "amount", "cost")):
    df = pd.DataFrame(rows, columns=list(columns))
    df["date"] = pd.to_datetime(df["date"])
    return df


WINDOW = metrics.Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
EXPLICIT = Settings(window="explicit", window_start="2024-01-01", window_end="2024-12-31")

EDGE = _tx([
    # A: a sale, a return of part of it, a zero-quantity line (revenue, no units), a sale on the last day
    ("A", "o1", "2024-03-10", "s1", "k1", 2, 200.0, 120.0),
    ("A", "r1", "2024-03-20", "s1", "k1", -1, -100.0, -60.0),
    ("A", "o2", "2024-05-01", "s2", "k2", 0, 30.0, 0.0),
    ("A", "o3", "2024-12-31", "s3", "k2", 1, 50.0, 20.0),
    # B: bought before the window (its first purchase), returns only inside it
    ("B", "o4", "2023-06-15", "s1", "k1", 3, 300.0, 200.0),
    ("B", "r2", "2024-01-01", "s1", "k1", -1, -100.0, -70.0),
    # C: lines on the window's first day and the day before (preceding window), and after the end
    ("C", "o5", "2023-12-31", "s4", "k3", 4, 40.0, 10.0),
    ("C", "o6", "2024-01-01", "s4", "k3", 1, 10.0, 5.0),
    ("C", "o7", "2025-01-01", "s4", "k3", 1, 99.0, 5.0),
    # D: two lines of one order, a zero-amount line (not a purchase line), a second order the same day
    ("D", "o8", "2024-07-01", "s5", "k4", 1, 70.0, 50.0),
    ("D", "o8", "2024-07-01", "s6", "k5", 1, 30.0, 10.0),
    ("D", "o9", "2024-07-01", "s7", "k5", 5, 0.0, 0.0),
    ("D", "o10", "2024-07-01", "s6", "k5", 1, 30.0, 10.0),
])


def test_edge_cases_match_pandas(con):
    expected = metrics.client_metrics(EDGE, WINDOW, EXPLICIT)
    got = engine_metrics(con, EDGE, EXPLICIT, WINDOW)
    assert_same_tables(expected.table, got.table[expected.table.columns])


def test_edge_cases_by_hand(con):
    t = engine_metrics(con, EDGE, EXPLICIT, WINDOW).table.set_index("client_id")
    # A: returns net; the zero-quantity line counts for revenue, not units
    assert t.loc["A", "revenue"] == 180.0 and t.loc["A", "units"] == 2.0
    assert t.loc["A", "orders"] == 3 and t.loc["A", "gross_profit"] == 180.0 - 80.0
    assert t.loc["A", "recency_days"] == 0
    # B: only a return in the window: no purchase line, first purchase from all history
    assert t.loc["B", "revenue"] == -100.0 and t.loc["B", "orders"] == 0
    assert pd.isna(t.loc["B", "last_date"]) and t.loc["B", "first_date"] == pd.Timestamp("2023-06-15")
    # C: the first day is inside, the day before is the preceding window, the day after the end is neither
    assert t.loc["C", "revenue"] == 10.0 and t.loc["C", "prev_revenue"] == 40.0 and t.loc["C", "prev_units"] == 4
    # D: one order of two lines plus a second order; the zero-amount line is no purchase line
    assert t.loc["D", "orders"] == 2 and t.loc["D", "skus"] == 2 and t.loc["D", "lines"] == 4
    assert t.loc["D", "top_category_share"] == pytest.approx(70 / 130)  # k4 70 against k5 30 + 0 + 30


def test_purchase_dates_and_median_gap_by_hand(con):
    # purchase dates up to the window's end: A 03-10, 05-01, 12-31 → gaps 52, 244 → median 148
    t = engine_metrics(con, EDGE, EXPLICIT, WINDOW).table.set_index("client_id")
    assert t.loc["A", "purchase_dates"] == 3 and t.loc["A", "median_gap_days"] == 148.0
    # C: 2023-12-31 and 2024-01-01 (2025-01-01 is after the end) → one gap of 1 day
    assert t.loc["C", "purchase_dates"] == 2 and t.loc["C", "median_gap_days"] == 1.0
    # D: one purchase date, no gap
    assert t.loc["D", "purchase_dates"] == 1 and np.isnan(t.loc["D", "median_gap_days"])


def test_without_order_quantity_or_cost_columns_matches_pandas(con):
    # no order id: an order is a (client, date); no quantity: one unit per line, a return takes one back
    tx = EDGE[["client_id", "date", "sku", "amount"]]
    expected = metrics.client_metrics(tx, WINDOW, EXPLICIT)
    got = engine_metrics(con, tx, EXPLICIT, WINDOW)
    assert_same_tables(expected.table, got.table[expected.table.columns])
    t = got.table.set_index("client_id")
    assert t.loc["D", "orders"] == 1 and t.loc["A", "units"] == 2.0  # 1 − 1 + 1 + 1
    assert not got.has_gross_profit and np.isnan(t.loc["A", "gross_profit"])


def test_floor_of_months_observed_in_cv_matches_pandas(con):
    # a client whose first purchase is in the window's last month: months observed is floored at 3
    tx = _tx([("N", "o1", "2024-12-05", "s1", "k1", 1, 90.0, 10.0),
              ("N", "o2", "2024-12-20", "s1", "k1", 1, 30.0, 10.0),
              ("M", "o3", "2024-02-05", "s1", "k1", 1, 10.0, 1.0),
              ("M", "o4", "2024-11-05", "s1", "k1", 1, 10.0, 1.0)])
    expected = metrics.client_metrics(tx, WINDOW, EXPLICIT)
    got = engine_metrics(con, tx, EXPLICIT, WINDOW)
    assert_same_tables(expected.table, got.table[expected.table.columns])
    # N: 120 in one month of three observed: mean 40, std sqrt((80² + 40² + 40²)/3)
    assert got.table.set_index("client_id").loc["N", "monthly_cv"] == pytest.approx(
        np.sqrt((80 ** 2 + 2 * 40 ** 2) / 3) / 40)


def test_latest_values_by_hand(con):
    from xlb2b.analysis import aggregate
    tx = pd.DataFrame({
        "client_id": ["A", "A", "A", "A", "B"],
        "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-01", "2024-03-01", "2024-01-01"]),
        "amount": [1.0, 1.0, 1.0, 1.0, 1.0],
        # A: the latest line has no manager; on the latest date with one, "Olga" > "Ivan" in text order
        "manager": ["Zoe", "Ivan", "Olga", None, None],
        "region": ["North", "South", None, "East", "West"],
    })
    got = aggregate.latest_values(load(con, tx), ["manager", "region"])
    assert got["manager"].to_dict() == {"A": "Olga"}
    assert got["region"].sort_index().to_dict() == {"A": "East", "B": "West"}


def test_long_window_months_by_their_own_query_match_pandas(con, sample, monkeypatch):
    # a window longer than PIVOT_MONTHS: the monthly figures come from a query of their own
    from xlb2b.analysis import aggregate
    monkeypatch.setattr(aggregate, "PIVOT_MONTHS", 2)
    s = Settings(window="all")
    tx = sample.transactions
    w = metrics.resolve_window(tx["date"].to_numpy(), s)
    expected = metrics.client_metrics(tx, w, s)
    got = engine_metrics(con, tx, s)
    assert_same_tables(expected.table, got.table[expected.table.columns])


def test_latest_values_and_a_second_window_come_with_the_client_table(con):
    from xlb2b.analysis import aggregate
    tx = pd.DataFrame({
        "client_id": ["A", "A", "A", "B"],
        "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-01", "2024-01-01"]),
        "amount": [5.0, 1.0, -2.0, 3.0],
        "manager": ["Zoe", "Ivan", "Olga", None],
    })
    t = load(con, tx)
    w = metrics.Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    w0 = metrics.Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    cm, latest, (m0,) = aggregate.client_metrics_and_latest(t, w, Settings(), latest=["manager"], also=[w0])
    assert latest["manager"].to_dict() == {"A": "Olga"}   # of the lines of 2024-02-01, the greatest
    table = cm.table.set_index("client_id")
    assert table.loc["A", "revenue"] == 4.0 and table.loc["B", "revenue"] == 3.0
    # the second window, from the same query: January only
    t0 = m0.table.set_index("client_id")
    assert (t0.loc["A", "revenue"], t0.loc["A", "lines"], t0.loc["A", "orders"]) == (5.0, 1, 1)
    assert t0.loc["B", "revenue"] == 3.0 and m0.window == w0
