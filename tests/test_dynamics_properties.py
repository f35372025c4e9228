"""Property tests (hypothesis) for the two-window section (METHODOLOGY §11–§12).

Random small tables with integer amounts and quantities over about 18 months,
so W1 (the default 12 months) and W0 (the 12 before) both hold lines.
Sums of integers are exact; the price/volume split divides, so the bridge's
identity is checked to 1e-9 (a cent is 1e-2).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_core_properties import PROPS, build, run, tables

from xlb2b import Settings, analyze
from xlb2b.analysis.dynamics import CONTRIBUTIONS, LOST, MIGRATIONS, NOT_BUYER_W0, client_status, two_windows


def dyn(t, **kw):
    df, rev, a, inputs = run(*t)
    if kw:
        a = analyze(df, *inputs, settings=Settings(our_supplier="Us", **kw))
    return df, a.dynamics


@PROPS
@given(tables)
def test_start_plus_contributions_is_end(t):
    df, d = dyn(t)
    b = d.bridge().set_index("row")["amount"]
    assert b["start"] + b[list(CONTRIBUTIONS)].sum() == pytest.approx(b["end"], abs=1e-9)
    # start and end are the sums of the amounts in each window, computed here independently
    for key, w in (("start", d.w0), ("end", d.w1)):
        inside = df[(df["date"] >= w.start) & (df["date"] <= w.end)]
        assert b[key] == inside["amount"].sum()


@PROPS
@given(tables)
def test_every_client_with_a_line_has_one_status(t):
    df, d = dyn(t)
    inside = df[((df["date"] >= d.w0.start) & (df["date"] <= d.w0.end))
                | ((df["date"] >= d.w1.start) & (df["date"] <= d.w1.end))]
    assert sorted(d.clients["client_id"]) == sorted(inside["client_id"].unique())
    assert d.clients["status"].isin(["new", "returned", "lost", "grown", "shrunk", "flat", "other"]).all()


@PROPS
@given(tables)
def test_price_plus_volume_is_the_change(t):
    df, d = dyn(t)
    c = d.clients
    split = c["price_effect"].notna()
    assert (c.loc[split, "status"].isin(["grown", "shrunk", "flat"])).all()
    assert ((c.loc[split, "units_w0"] > 0) & (c.loc[split, "units_w1"] > 0)).all()
    np.testing.assert_allclose(c.loc[split, "price_effect"] + c.loc[split, "volume_effect"],
                               c.loc[split, "revenue_w1"] - c.loc[split, "revenue_w0"], rtol=0, atol=1e-9)
    retained_with_units = c["status"].isin(["grown", "shrunk", "flat"]) & (c["units_w0"] > 0) & (c["units_w1"] > 0)
    assert (split == retained_with_units).all()


@PROPS
@given(tables)
def test_swapping_the_windows_negates_every_contribution(t):
    df, d = dyn(t)
    s = Settings()
    fwd = two_windows(df, d.w1, d.w0)
    back = two_windows(df, d.w0, d.w1)
    f = pd.DataFrame(client_status(fwd, s, w1=d.w1).columns, index=fwd["client_id"])
    b = pd.DataFrame(client_status(back, s, w1=d.w0).columns, index=back["client_id"]).reindex(f.index)
    assert (b["change"] == -f["change"]).all()                  # exactly
    both = f["price_effect"].notna() & b["price_effect"].notna()
    assert (b.loc[both, "price_effect"] == -f.loc[both, "price_effect"]).all()
    assert (b.loc[both, "volume_effect"] == -f.loc[both, "volume_effect"]).all()
    # split one way only: the client's first purchase is in the earlier window, so swapped it is "new"
    one_way = f["price_effect"].notna() & b["price_effect"].isna()
    assert (b.loc[one_way, "status"] == "new").all()
    assert not (f["price_effect"].isna() & b["price_effect"].notna()).any()


@PROPS
@given(tables, st.sampled_from(["own", "current"]))
def test_each_buyer_in_one_row_and_one_column(t, cuts):
    df, d = dyn(t, migration_cuts=cuts)
    c = d.clients
    b0, b1 = (c["revenue_w0"] > 0).sum(), (c["revenue_w1"] > 0).sum()
    for name in MIGRATIONS:
        m = d.migration(name)
        assert not m[["from", "to"]].duplicated().any()
        assert m.loc[m["from"] != NOT_BUYER_W0, "clients"].sum() == b0
        assert m.loc[m["to"] != LOST, "clients"].sum() == b1
        assert m[(m["from"] == NOT_BUYER_W0) & (m["to"] == LOST)].empty
        assert m["clients"].sum() == ((c["revenue_w0"] > 0) | (c["revenue_w1"] > 0)).sum()


@PROPS
@given(tables, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_results(t, rnd):
    df, rev, a, inputs = run(*t)
    idx = list(range(len(df)))
    rnd.shuffle(idx)
    b = analyze(df.iloc[idx].reset_index(drop=True), *inputs, settings=Settings(our_supplier="Us"))
    key = lambda x: x.dynamics.clients.set_index("client_id").sort_index()
    pd.testing.assert_frame_equal(key(a), key(b), check_like=True, rtol=1e-12)
    pd.testing.assert_frame_equal(a.dynamics.bridge(), b.dynamics.bridge(), rtol=1e-12)
    pd.testing.assert_frame_equal(a.dynamics.cohorts(), b.dynamics.cohorts(), rtol=1e-12)
    for name in MIGRATIONS:
        pd.testing.assert_frame_equal(a.dynamics.migration(name), b.dynamics.migration(name), rtol=1e-12)
    cols = ["lapse_ratio", "lapse_status", "status"]
    pd.testing.assert_frame_equal(a.clients.set_index("client_id").sort_index()[cols],
                                  b.clients.set_index("client_id").sort_index()[cols])


@PROPS
@given(tables)
def test_cohort_sizes_add_up_to_the_clients_with_a_purchase(t):
    df, d = dyn(t)
    co = d.cohorts()
    firsts = co[co["age"] == 0]
    upto = df[(df["date"] <= d.w1.end) & (df["amount"] > 0)]
    assert firsts["cohort_size"].sum() == upto["client_id"].nunique()
    assert (co["active"] <= co["cohort_size"]).all()


@PROPS
@given(tables)
def test_both_ways_of_summing_per_client_and_day_agree(t):
    """The radix path (client codes and day spans within 16 bits) and the hashing path give the same totals."""
    from xlb2b.analysis import dynamics as D
    df = build(*t[:3])
    fast = D.day_totals(df)
    limit, D.RADIX_LIMIT = D.RADIX_LIMIT, 0
    try:
        slow = D.day_totals(df)
    finally:
        D.RADIX_LIMIT = limit
    for f in ("client", "day", "lines", "buys"):
        np.testing.assert_array_equal(getattr(fast, f), getattr(slow, f))
    for f in ("amount", "units"):              # integer amounts: sums are exact in either order
        np.testing.assert_array_equal(getattr(fast, f), getattr(slow, f))
    # and against pandas
    g = df.assign(day=df["date"].dt.normalize()).groupby(["client_id", "day"])["amount"].sum()
    assert len(g) == len(fast.day) and fast.amount.sum() == df["amount"].sum()
