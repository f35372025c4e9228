"""Property tests (hypothesis) for invariants of the analysis core.

Random small transaction tables with integer amounts, quantities and costs
(so every sum is exact and no score can flip on a rounding difference).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xlb2b import Settings, analyze

CLIENTS = [f"c{i}" for i in range(7)]
BASE = dt.date(2023, 6, 1)

line = st.tuples(
    st.sampled_from(CLIENTS),                 # client
    st.integers(0, 560),                      # day offset from 2023-06-01 (to mid Dec 2024)
    st.integers(-60, 400),                    # amount
    st.integers(-3, 12),                      # quantity
    st.integers(0, 4),                        # sku
    st.integers(0, 2),                        # category
    st.integers(0, 5),                        # order number (per client)
    st.integers(0, 100),                      # cost as a percentage of amount
)

client_attr = st.tuples(
    st.sampled_from(CLIENTS),
    st.one_of(st.none(), st.integers(1, 20)),     # capacity_units (None = unknown)
    st.integers(0, 60),                           # overdue_days
)
market_row = st.tuples(
    st.sampled_from(CLIENTS),
    st.sampled_from(["Us", "X", "Y", "Z", "W"]),
    st.integers(1, 500),
    st.integers(0, 560),
)

tables = st.tuples(st.lists(line, min_size=1, max_size=40), st.booleans(), st.booleans(),
                   st.lists(client_attr, max_size=7, unique_by=lambda x: x[0]),
                   st.lists(market_row, max_size=15))

PROPS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(rows, with_order_id: bool, with_category: bool) -> pd.DataFrame:
    recs = []
    for c, off, amt, q, sku, cat, order, costpct in rows:
        rec = {"client_id": c, "date": pd.Timestamp(BASE + dt.timedelta(days=off)),
               "amount": float(amt), "quantity": float(q), "sku": f"s{sku}",
               "cost": float((amt * costpct) // 100)}
        if with_order_id:
            rec["order_id"] = f"{c}-o{order}"
        if with_category:
            rec["category"] = f"k{cat}"
        recs.append(rec)
    return pd.DataFrame(recs)


def default_window(df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """METHODOLOGY §1, computed independently: first day of the month 11
    months before M .. last day of M, M = month of the latest date."""
    last = df["date"].max()
    end = (last.to_period("M")).to_timestamp(how="end").normalize()
    start = (last.to_period("M") - 11).to_timestamp(how="start")
    return start, end


def window_revenue(df: pd.DataFrame) -> pd.Series:
    start, end = default_window(df)
    w = df[(df["date"] >= start) & (df["date"] <= end)]
    return w.groupby("client_id")["amount"].sum()


def clients_of(a) -> pd.DataFrame:
    df = a.clients
    if "client_id" in df.columns:
        df = df.set_index("client_id")
    return df


def build_clients(attrs):
    if not attrs:
        return None
    return pd.DataFrame({"client_id": [a[0] for a in attrs],
                         "capacity_units": [np.nan if a[1] is None else float(a[1]) for a in attrs],
                         "overdue_days": [float(a[2]) for a in attrs]})


def build_market(mrows):
    if not mrows:
        return None
    return pd.DataFrame({"client_id": [m[0] for m in mrows], "supplier": [m[1] for m in mrows],
                         "amount": [float(m[2]) for m in mrows],
                         "date": [pd.Timestamp(BASE + dt.timedelta(days=m[3])) for m in mrows]})


def run(rows, with_order_id, with_category, attrs=(), mrows=()):
    df = build(rows, with_order_id, with_category)
    rev = window_revenue(df)
    assume((rev > 0).any())
    cl, mk = build_clients(attrs), build_market(mrows)
    a = analyze(df, clients=cl, market=mk, settings=Settings(our_supplier="Us"))
    return df, rev, a, (cl, mk)


@PROPS
@given(tables)
def test_ltv_is_price_times_units(t):
    df, rev, a, inputs = run(*t)
    c = clients_of(a)
    pos = c[c["units"] > 0]
    for ltv, p, u, r in zip(pos["ltv"], pos["avg_unit_price"], pos["units"], pos["revenue"]):
        assert ltv == pytest.approx(p * u, rel=1e-9)
        assert ltv == pytest.approx(r, rel=1e-9)
    # units <= 0: no price, no P, no PSC code
    for _, r in c[c["units"] <= 0].iterrows():
        assert pd.isna(r["avg_unit_price"]) and pd.isna(r["psc_p"]) and pd.isna(r["psc_code"])


@PROPS
@given(tables)
def test_revenue_is_conserved_and_every_client_is_accounted_for(t):
    df, rev, a, inputs = run(*t)
    c = clients_of(a)
    excluded = set(a.excluded["client_id"])
    analysed = set(c.index)
    assert analysed.isdisjoint(excluded)
    # every client of the transactions is analysed or excluded; the excluded list may
    # also name clients of the Clients table that have no transactions at all
    cl = inputs[0]
    known = set(df["client_id"]) | (set(cl["client_id"]) if cl is not None else set())
    assert set(df["client_id"]) <= analysed | excluded <= known
    # analysed = positive window revenue, by my own computation
    assert analysed == set(rev[rev > 0].index)
    excluded_rev = sum(rev.get(x, 0.0) for x in excluded)
    start, end = default_window(df)
    in_window = df.loc[(df["date"] >= start) & (df["date"] <= end), "amount"].sum()
    assert c["revenue"].sum() + excluded_rev == pytest.approx(in_window, rel=1e-9, abs=1e-9)
    for cid, v in c["revenue"].items():
        assert v == pytest.approx(rev[cid], rel=1e-9)


SEGMENT_CODES = {"psc": "psc_code", "psc_group": "psc_group", "kml": "kml_code", "spl": "spl_code",
                 "dsl": "dsl_code", "dsl_level": "dsl_level", "rfm": "rfm_code",
                 "rfm_segment": "rfm_segment", "abc": "abc_class", "xyz": "xyz_class"}


@PROPS
@given(tables)
def test_one_code_per_client_and_summaries_add_up(t):
    df, rev, a, inputs = run(*t)
    c = clients_of(a)
    n = len(c)
    # every analysed client has these (GP known: a cost column is present)
    for col in ("rfm_code", "rfm_segment", "abc_class", "xyz_class", "dsl_code", "dsl_level"):
        assert c[col].notna().all(), col
    assert (c["psc_code"].notna() == (c["units"] > 0)).all()
    assert (c["psc_group"].notna() == (c["units"] > 0)).all()
    assert set(c["abc_class"]) <= {"A", "B", "C"}
    assert set(c["xyz_class"]) <= {"X", "Y", "Z"}
    # codes agree with their scores
    for _, x in c.iterrows():
        if pd.notna(x["psc_code"]):
            assert x["psc_code"] == f"P{int(x['psc_p'])}_S{int(x['psc_s'])}_C{int(x['psc_c'])}"
        assert x["rfm_code"] == f"R{int(x['rfm_r'])}F{int(x['rfm_f'])}M{int(x['rfm_m'])}"
        assert x["dsl_code"] == f"D{int(x['dsl_d'])}_S{int(x['dsl_s'])}_L{int(x['dsl_l'])}"
        for col in ("psc_p", "psc_c", "dsl_l"):
            assert pd.isna(x[col]) or 1 <= int(x[col]) <= 3
        for col in ("rfm_r", "rfm_f", "rfm_m"):
            assert 1 <= int(x[col]) <= 5
    assert (c["months_observed"] >= 3).all()
    assert ((c["regularity"] > 0) & (c["regularity"] <= 1)).all()
    for name, col in SEGMENT_CODES.items():
        s = a.summary(name)
        assert s["segment"].iloc[-1] == "Total", name
        body = s.iloc[:-1]
        total = s.iloc[-1]
        assert int(total["clients"]) == n, name
        assert int(body["clients"].sum()) == n, name
        # segment rows count the clients per code (compared as multisets, labels aside)
        codes = c[col].dropna()
        segs = body[body["segment"].astype(str) != "(not segmented)"]
        assert sorted(int(k) for k in segs["clients"] if k) == sorted(int(k) for k in codes.value_counts()), name
        nots = body[body["segment"].astype(str) == "(not segmented)"]
        assert int(nots["clients"].sum()) == int(c[col].isna().sum()), name
        # additive columns: Total = column sum ; shares sum to 1
        for col2 in ("revenue", "gross_profit", "capacity_units", "market_spend"):
            if col2 in s.columns:
                parts = body[col2].astype(float)
                if parts.isna().all():
                    assert pd.isna(total[col2]) or float(total[col2]) == 0, (name, col2)
                else:
                    assert float(total[col2]) == pytest.approx(float(np.nansum(parts)),
                                                               rel=1e-9, abs=1e-9), (name, col2)
        assert float(total["capacity_units"] if not pd.isna(total["capacity_units"]) else 0) == \
            pytest.approx(float(np.nansum(c["capacity_units"].astype(float))), abs=1e-9)
        assert float(total["revenue"]) == pytest.approx(c["revenue"].sum(), rel=1e-9)
        assert float(body["revenue_share"].sum()) == pytest.approx(1.0, rel=1e-9)
        assert float(body["clients_share"].sum()) == pytest.approx(1.0, rel=1e-9)
        # Total ratios from totals
        assert float(total["ltv"]) == pytest.approx(c["revenue"].sum() / n, rel=1e-9)
        assert float(total["avg_check"]) == pytest.approx(c["revenue"].sum() / c["orders"].sum(), rel=1e-9)
        assert float(total["orders_per_client"]) == pytest.approx(c["orders"].sum() / n, rel=1e-9)


@PROPS
@given(tables, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(t, rnd):
    df, rev, a, inputs = run(*t)
    idx = list(range(len(df)))
    rnd.shuffle(idx)
    cl, mk = inputs
    if cl is not None:
        cl = cl.iloc[::-1].reset_index(drop=True)
    if mk is not None:
        mk = mk.sample(frac=1, random_state=rnd.randint(0, 10**6)).reset_index(drop=True)
    b = analyze(df.iloc[idx].reset_index(drop=True), clients=cl, market=mk, settings=Settings(our_supplier="Us"))
    ca = clients_of(a).sort_index()
    cb = clients_of(b).sort_index()
    pd.testing.assert_frame_equal(ca, cb, check_like=True, rtol=1e-9)
    assert a.cut_points.keys() == b.cut_points.keys()
    for k in a.cut_points:
        np.testing.assert_allclose(np.asarray(a.cut_points[k], float), np.asarray(b.cut_points[k], float),
                                   rtol=1e-9, equal_nan=True)
    assert set(a.excluded["client_id"]) == set(b.excluded["client_id"])


@PROPS
@given(tables)
def test_abc_is_monotone_in_revenue(t):
    df, rev, a, inputs = run(*t)
    c = clients_of(a)
    order = {"A": 0, "B": 1, "C": 2}
    for x in c.itertuples():
        for y in c.itertuples():
            if order[x.abc_class] < order[y.abc_class]:
                assert x.revenue >= y.revenue
    # the top client is always A
    assert c.loc[c["revenue"].idxmax(), "abc_class"] == "A"
