"""Money equal to the cent ranks and scores equally, whatever order its lines were added in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlb2b import Settings
from xlb2b.analysis import segments as seg

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
