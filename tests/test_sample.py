"""The built-in sample: determinism, sizes, dtypes and the shape of the data,
each property recomputed here with plain pandas."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlb2b.sample import CSI_ATTRIBUTES, SampleData, generate, write_sample_files

FRAMES = ("transactions", "clients", "market", "survey", "csi", "deliveries")


@pytest.fixture(scope="module")
def data() -> SampleData:
    return generate(1500, seed=7)


def last_12_months(d: SampleData, frame: pd.DataFrame) -> pd.DataFrame:
    end = pd.Timestamp(d.end)
    start = (end.to_period("M") - 11).to_timestamp()
    return frame[(frame["date"] >= start) & (frame["date"] <= end)]


# --------------------------------------------------------------------------
# determinism and sizes


def test_same_arguments_give_identical_frames():
    a, b = generate(150, seed=11), generate(150, seed=11)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.our_supplier == b.our_supplier and a.end == b.end


def test_another_seed_gives_other_data():
    a, b = generate(150, seed=11), generate(150, seed=12)
    assert not a.transactions.equals(b.transactions)
    assert not a.clients.equals(b.clients)
    assert not a.market.equals(b.market)


@pytest.mark.parametrize("n", [1, 7, 60, 400])
def test_client_count_is_exact(n):
    d = generate(n, years=1)
    assert len(d.clients) == n
    assert d.clients["client_id"].is_unique


@pytest.mark.parametrize("n, lines", [(300, 30_000), (500, None), (2000, 20_000)])
def test_line_count_is_roughly_as_requested(n, lines):
    d = generate(n, lines=lines)
    wanted = lines if lines is not None else 20 * n * 3      # the default period is three years
    assert abs(len(d.transactions) - wanted) <= 0.10 * wanted


def test_period_follows_years_and_end():
    end = dt.date(2024, 2, 29)
    d = generate(200, years=3, end=end)
    tx = d.transactions
    assert d.end == end
    assert tx["date"].max() <= pd.Timestamp(end)
    assert tx["date"].min() >= pd.Timestamp(2021, 3, 1)
    for name in ("market", "survey", "deliveries"):
        assert getattr(d, name)["date"].max() <= pd.Timestamp(end)


# --------------------------------------------------------------------------
# dtypes and formats


def test_dtypes_and_formats(data):
    tx = data.transactions
    assert list(tx.columns) == ["client_id", "order_id", "date", "sku", "category", "quantity",
                                "amount", "cost", "region", "manager"]
    for col in ("client_id", "order_id", "sku", "category", "region", "manager"):
        assert tx[col].dtype == object
        assert tx[col].map(type).eq(str).all()
    for col in ("quantity", "amount", "cost"):
        assert tx[col].dtype == np.float64
    assert tx["date"].dtype == "datetime64[ns]"
    assert (tx["date"] == tx["date"].dt.normalize()).all()
    assert tx["client_id"].str.fullmatch(r"C\d{5}").all()
    assert tx["order_id"].str.fullmatch(r"(SO|RT)-\d{6}").all()
    assert tx["sku"].str.fullmatch(r"SKU-\d{4}").all()
    assert np.array_equal(tx["quantity"], tx["quantity"].round())
    for col in ("amount", "cost"):
        assert np.allclose(tx[col], tx[col].round(2), atol=1e-9, rtol=0)
    c = data.clients
    assert list(c.columns) == ["client_id", "name", "industry", "region", "manager", "capacity_units",
                               "overdue_days", "overdue_amount"]
    for col in ("capacity_units", "overdue_days", "overdue_amount"):
        assert c[col].dtype == np.float64
    assert list(data.market.columns) == ["client_id", "supplier", "date", "amount", "region"]
    assert list(data.survey.columns) == ["client_id", "date", "nps"]
    assert list(data.csi.columns) == ["client_id", "attribute", "importance", "satisfaction"]
    assert list(data.deliveries.columns) == ["order_id", "client_id", "date", "on_time", "in_full"]
    for frame in (data.market, data.survey, data.deliveries):
        assert frame["date"].dtype == "datetime64[ns]"


def test_catalogue_shape(data):
    tx = data.transactions
    assert 200 <= tx["sku"].nunique() <= 400
    assert tx["category"].nunique() == 10
    sales = tx[tx["quantity"] > 0]
    unit = sales["amount"] / sales["quantity"]
    lo, hi = unit.quantile([0.02, 0.98])
    assert hi / lo >= 100                                   # two orders of magnitude
    by_cat = sales.groupby("category")[["amount", "cost"]].sum()
    margin = 1 - by_cat["cost"] / by_cat["amount"]
    assert margin.between(0.10, 0.45).all()
    assert margin.max() - margin.min() > 0.10                # margins vary by category


# --------------------------------------------------------------------------
# the shape the methodology needs


def test_revenue_is_concentrated(data):
    rev = last_12_months(data, data.transactions).groupby("client_id")["amount"].sum()
    rev = rev[rev > 0].sort_values(ascending=False)
    top = rev.iloc[: int(round(0.2 * len(rev)))].sum() / rev.sum()
    assert 0.70 <= top <= 0.90


def test_most_clients_buy_one_category(data):
    w = last_12_months(data, data.transactions)
    cats = w[w["quantity"] > 0].groupby("client_id")["category"].nunique()
    assert 0.65 <= (cats == 1).mean() <= 0.90
    assert (cats >= 4).mean() >= 0.03
    assert cats.between(2, 3).mean() >= 0.05


def test_returns_and_zero_quantity_lines(data):
    tx = data.transactions
    returns = tx[tx["quantity"] < 0]
    assert 0.005 <= len(returns) / len(tx) <= 0.02
    assert (returns["amount"] < 0).all()
    assert (tx.loc[tx["amount"] < 0, "quantity"] < 0).all()
    zero = tx[tx["quantity"] == 0]
    assert len(zero) > 0 and (zero["amount"] >= 0).all()
    # every return refers to a SKU the client bought on or before that day
    sales = tx[tx["quantity"] > 0].groupby(["client_id", "sku"])["date"].min().rename("first_sale")
    joined = returns.join(sales, on=["client_id", "sku"])
    assert joined["first_sale"].notna().all()
    assert (joined["first_sale"] <= joined["date"]).all()


def test_some_clients_have_no_positive_revenue_in_last_12_months(data):
    w = last_12_months(data, data.transactions)
    rev = w.groupby("client_id")["amount"].sum()
    assert (rev <= 0).sum() >= 1
    units = w.groupby("client_id")["quantity"].sum()
    assert ((rev > 0) & (units <= 0)).sum() >= 1            # revenue, but no net units


def test_positive_lines_cost_less_than_they_bring(data):
    tx = data.transactions
    pos = tx[tx["amount"] > 0]
    assert (pos["cost"] < pos["amount"]).all()
    assert (pos["cost"] >= 0).all()


def test_every_transaction_client_is_known(data):
    known = set(data.clients["client_id"])
    assert set(data.transactions["client_id"]) <= known
    assert set(data.market["client_id"]) <= known
    assert set(data.survey["client_id"]) <= known
    assert set(data.deliveries["client_id"]) <= known
    # a few prospects never bought from us
    assert 0 < len(known - set(data.transactions["client_id"])) < 0.1 * len(known)


def test_lifecycle_and_regularity(data):
    tx = data.transactions[data.transactions["quantity"] > 0]
    end = pd.Timestamp(data.end)
    first = tx.groupby("client_id")["date"].min()
    last = tx.groupby("client_id")["date"].max()
    assert (first > end - pd.DateOffset(months=3)).mean() >= 0.03        # new clients
    assert (last <= end - pd.DateOffset(months=6)).mean() >= 0.05        # stopped buying
    months = last_12_months(data, tx).assign(m=lambda f: f["date"].dt.to_period("M"))
    active = months.groupby("client_id")["m"].nunique()
    assert (active >= 11).mean() >= 0.01                                  # buy every month
    assert (active.between(2, 6)).mean() >= 0.3                          # a few times a year
    assert (tx.groupby("client_id")["order_id"].nunique() == 1).mean() >= 0.03   # bought once


def test_clients_table(data):
    c = data.clients
    assert 0.60 <= c["capacity_units"].notna().mean() <= 0.80
    assert (c["capacity_units"].dropna() >= 1).all()
    days, amount = c["overdue_days"], c["overdue_amount"]
    assert (days == 0).mean() >= 0.5
    assert days.between(1, 30).any() and (days > 30).any() and days.isna().any()
    assert (amount[days == 0] == 0).all()
    assert (amount[days > 0] > 0).all()
    assert amount[days.isna()].isna().all()
    assert 6 <= c["region"].nunique() <= 8
    assert 8 <= c["manager"].nunique() <= 12
    assert c["industry"].nunique() >= 5
    # bigger clients have more chairs
    rev = data.transactions.groupby("client_id")["amount"].sum()
    both = c.set_index("client_id")["capacity_units"].to_frame().join(rev).dropna()
    ranks = both.rank()
    assert ranks["capacity_units"].corr(ranks["amount"]) > 0.2


def test_market(data):
    m = data.market
    ours = data.our_supplier
    assert (m["supplier"] == ours).any()
    assert 5 <= m["supplier"].nunique() <= 10
    assert 0.5 <= m["client_id"].nunique() / len(data.clients) <= 0.7
    k = m.groupby("client_id")["supplier"].nunique()
    assert k.max() <= 6
    single = m[m["client_id"].isin(k[k == 1].index)]
    assert (single["supplier"] == ours).any()
    assert (single["supplier"] != ours).any()
    # our rows match the transactions per client and year
    tx = data.transactions
    t = tx.assign(y=tx["date"].dt.year).groupby(["client_id", "y"])["amount"].sum()
    o = m[m["supplier"] == ours]
    o = o.assign(y=o["date"].dt.year).groupby(["client_id", "y"])["amount"].sum()
    both = pd.concat([t, o], axis=1, keys=["tx", "market"]).dropna()
    both = both[both["tx"] > 1000]
    assert 0.97 <= (both["market"] / both["tx"]).median() <= 1.03
    # share of wallet in the last 12 months spreads from a few % to 100 %
    w = last_12_months(data, m)
    sow = (w[w["supplier"] == ours].groupby("client_id")["amount"].sum()
           / w.groupby("client_id")["amount"].sum()).dropna()
    assert (sow < 0.15).any() and (sow > 0.99).any() and sow.between(0.3, 0.7).any()


def test_survey_csi_and_deliveries(data):
    s, csi = data.survey, data.csi
    assert 0.25 <= len(s) / len(data.clients) <= 0.35
    assert s["client_id"].is_unique
    assert s["nps"].between(0, 10).all() and (s["nps"] == s["nps"].round()).all()
    assert (s["nps"] >= 9).any() and s["nps"].between(7, 8).any() and (s["nps"] <= 6).any()
    assert set(csi["attribute"]) == set(CSI_ATTRIBUTES)
    assert (csi.groupby("client_id").size() == len(CSI_ATTRIBUTES)).all()
    assert set(csi["client_id"]) == set(s["client_id"])
    for col in ("importance", "satisfaction"):
        assert csi[col].between(1, 5).all()

    dl = data.deliveries
    tx = data.transactions
    assert dl["order_id"].is_unique
    assert dl["order_id"].str.startswith("SO-").all()
    w = last_12_months(data, tx)
    assert set(dl["order_id"]) == set(w.loc[w["order_id"].str.startswith("SO-"), "order_id"])
    for col, rate in (("on_time", 0.90), ("in_full", 0.95)):
        known = dl[col].dropna()
        assert dl[col].isna().any()
        assert set(known.unique()) <= {True, False}
        assert abs(known.astype(bool).mean() - rate) < 0.04


# --------------------------------------------------------------------------
# files


def test_write_sample_files(tmp_path):
    d = generate(60, seed=3)
    paths = write_sample_files(d, tmp_path / "sample")
    assert set(paths) == {"transactions", "transactions_csv", "clients", "market", "survey", "deliveries"}
    for p in paths.values():
        assert p.exists() and p.stat().st_size > 0
    names = sorted(p.name for p in (tmp_path / "sample").iterdir())
    assert names == ["clients.xlsx", "deliveries.xlsx", "market.xlsx", "survey.xlsx",
                     "transactions.csv", "transactions.xlsx"]        # no temporary files left

    tx = pd.read_excel(paths["transactions"], engine="openpyxl")
    assert list(tx.columns) == list(d.transactions.columns)
    assert len(tx) == len(d.transactions)
    assert tx["date"].dtype.kind == "M"
    pd.testing.assert_series_equal(tx["date"], d.transactions["date"], check_dtype=False)
    assert np.allclose(tx["amount"], d.transactions["amount"])
    assert tx["order_id"].tolist() == d.transactions["order_id"].tolist()

    csv = pd.read_csv(paths["transactions_csv"], encoding="utf-8", parse_dates=["date"])
    assert len(csv) == len(d.transactions)
    assert csv["client_id"].tolist() == d.transactions["client_id"].tolist()
    assert np.allclose(csv["cost"], d.transactions["cost"])

    clients = pd.read_excel(paths["clients"], engine="openpyxl")
    assert clients["client_id"].tolist() == d.clients["client_id"].tolist()
    assert clients["capacity_units"].isna().sum() == d.clients["capacity_units"].isna().sum()

    survey = pd.read_excel(paths["survey"], sheet_name=None, engine="openpyxl")
    assert list(survey) == ["NPS", "CSI"]
    assert survey["NPS"]["nps"].tolist() == d.survey["nps"].tolist()
    assert len(survey["CSI"]) == len(d.csi)

    market = pd.read_excel(paths["market"], engine="openpyxl")
    assert market["supplier"].tolist() == d.market["supplier"].tolist()

    deliveries = pd.read_excel(paths["deliveries"], engine="openpyxl")
    assert deliveries["on_time"].isna().sum() == d.deliveries["on_time"].isna().sum()
    assert deliveries["on_time"].dropna().astype(bool).tolist() == d.deliveries["on_time"].dropna().tolist()


def test_written_workbooks_are_formatted(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    d = generate(30, seed=5)
    paths = write_sample_files(d, tmp_path)
    ws = openpyxl.load_workbook(paths["transactions"]).active
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    assert ws.cell(2, col["amount"]).number_format == "#,##0.00"
    assert ws.cell(2, col["date"]).is_date
    assert ws.column_dimensions["A"].width >= 8


def test_fast_rows_match_cell_by_cell_writing(tmp_path):
    """The vectorised row writer gives the same workbook content as writing
    every cell through XlsxWriter, odd values included."""
    openpyxl = pytest.importorskip("openpyxl")
    from xlb2b.sample import _write_xlsx

    d = generate(40, seed=9)
    odd = pd.DataFrame({
        "client_id": pd.Series(["A & B <x>", "  padded ", None, "Ünïcode ёлка", "x\x01y"], dtype=object),
        "date": pd.to_datetime(["2025-01-31", None, "1999-12-31", "2025-02-28", "2024-02-29"]).astype("datetime64[ns]"),
        "amount": [1.5, np.nan, -2.25, 1e12, 0.1 + 0.2],
        "quantity": [1.0, 0.0, -3.0, np.nan, 7.0],
        "on_time": pd.Series([True, None, False, True, None], dtype=object),
    })
    sheets = (("Odd", odd), ("Deliveries", d.deliveries), ("Clients", d.clients), ("Empty", odd.iloc[:0]))
    _write_xlsx(str(tmp_path / "fast.xlsx"), sheets, fast=True)
    _write_xlsx(str(tmp_path / "slow.xlsx"), sheets, fast=False)
    fast = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    slow = openpyxl.load_workbook(tmp_path / "slow.xlsx")
    assert fast.sheetnames == slow.sheetnames == ["Odd", "Deliveries", "Clients", "Empty"]
    for name in fast.sheetnames:
        a, b = fast[name], slow[name]
        assert a.dimensions == b.dimensions
        assert a.auto_filter.ref == b.auto_filter.ref
        assert a.freeze_panes == b.freeze_panes == "A2"
        rows_a = [[(c.value, c.number_format) for c in row] for row in a.iter_rows()]
        rows_b = [[(c.value, c.number_format) for c in row] for row in b.iter_rows()]
        assert rows_a == rows_b
    odd_back = [c.value for c in fast["Odd"]["A"]][1:]
    assert odd_back == ["A & B <x>", "  padded ", None, "Ünïcode ёлка", "x_x0001_y"]
