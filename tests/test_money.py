"""Money sums without float noise: lines that net to zero give exactly 0 (so the client is no buyer and
shows 0, not -2.27e-13), real fractions of a cent stay."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from test_dynamics_hand import Y2025, run

from xlb2b import Settings
from xlb2b.analysis.metrics import Window, market_metrics
from xlb2b.analysis.money import money_sum, snap_cents

#: five amounts that net to zero; their float sum is 9.09e-13, not 0
NET_ZERO = [118.22, 4504.64, -3558.40, 4486.49, -5550.95]


def test_the_float_sum_of_the_net_zero_lines_is_not_zero():
    assert np.bincount(np.zeros(5, dtype=int), weights=NET_ZERO)[0] != 0      # the noise being removed


def test_net_zero_lines_sum_to_exactly_zero():
    got = money_sum(np.zeros(5, dtype=int), np.array(NET_ZERO), 1)[0]
    assert got == 0 and not np.signbit(got)


def test_real_fractions_of_a_cent_are_kept():
    # 0.001 three times: 0.003, a thousandth of a unit away from every cent, far above the noise
    assert money_sum(np.zeros(3, dtype=int), np.array([0.001] * 3), 1)[0] == 0.001 + 0.001 + 0.001
    assert snap_cents(np.array([10.004]), np.array([10.004]), np.array([1]))[0] == 10.004


def test_nan_and_negative_zero():
    out = snap_cents(np.array([np.nan, -0.0]), np.array([np.nan, 0.0]), np.array([1, 1]))
    assert np.isnan(out[0]) and out[1] == 0 and not np.signbit(out[1])


def test_client_whose_w1_lines_net_to_zero_is_lost_not_retained():
    # W0: 100 ; W1: the five lines netting to zero -> R1 = 0: not a buyer in W1, so lost (-100)
    rows = [("z", "2024-03-01", 100, 1)] + [("z", f"2025-0{i + 1}-01", a, 1) for i, a in enumerate(NET_ZERO)]
    d = run(rows).dynamics
    c = d.clients.set_index("client_id")
    assert c.loc["z", "revenue_w1"] == 0 and c.loc["z", "status"] == "lost"
    b = d.bridge().set_index("row")["amount"]
    assert (b["start"], b["lost"], b["end"]) == (100, -100, 0)


def test_client_whose_lines_net_to_zero_is_not_analysed():
    # z's W1 revenue is 0, so it is no buyer and not a client of the analysis (it was, with 9.09e-13)
    rows = [("y", "2025-02-01", 50, 1)] + [("z", f"2025-0{i + 1}-01", a, 1) for i, a in enumerate(NET_ZERO)]
    a = run(rows)
    assert dict(zip(a.clients["client_id"], a.clients["revenue"])) == {"y": 50}


def test_supplier_whose_lines_net_to_zero_is_not_a_supplier():
    mkt = pd.DataFrame({"client_id": ["x"] * 6, "supplier": ["S1"] + ["S2"] * 5, "amount": [100.0] + NET_ZERO,
                        "date": pd.to_datetime(["2025-03-01"] * 6)})
    w = Window(pd.Timestamp(dt.date(2025, 1, 1)), pd.Timestamp(dt.date(2025, 12, 31)))
    m = market_metrics(mkt, w, Settings(**Y2025)).set_index("client_id")
    # S2 nets to zero: one supplier, S1 holds the whole spend (HHI 1)
    assert (m.loc["x", "suppliers"], m.loc["x", "hhi"], m.loc["x", "market_spend"]) == (1, 1.0, 100)
