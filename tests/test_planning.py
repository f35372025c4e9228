"""Planning arithmetic, worked by hand."""
import math

import numpy as np
import pytest

from xlb2b.planning import (
    PROGRESS_STEPS,
    adp_forecast,
    ltv,
    progress_level,
    progress_share,
    share_of_wallet,
    slots,
    whitespace,
)


def test_progress_level_seed_example():
    # seed: DSL level 3, equipment park 4, joint projects 3, production visit 3, promo 4, DM knowledge 4
    # (3+4+3+3+4+4)/6 = 21/6 = 3.5
    assert progress_level([3, 4, 3, 3, 4, 4]) == 3.5
    assert progress_level([3, None, 5]) == 4.0           # a missing rating is left out: (3+5)/2
    assert math.isnan(progress_level([None, None]))


def test_forecast_whitespace_and_sow():
    # need 10,000,000, growth 10 %, target SOW 40 % -> 10e6 × 1.1 × 0.4 = 4,400,000
    assert adp_forecast(10_000_000, 0.10, 0.40) == pytest.approx(4_400_000)
    assert whitespace(10_000_000, 3_000_000) == 7_000_000
    assert share_of_wallet(3_000_000, 10_000_000) == pytest.approx(0.3)
    assert np.isnan(share_of_wallet(5, 0))


def test_profit_formula():
    # revenue 1,200 at an average price of 40 -> 30 slots; 40 × 30 = 1,200 back
    assert slots(1200, 40) == 30
    assert ltv(40, 30) == 1200
    assert np.isnan(slots(1200, 0))


def test_progress_share():
    done = [True] * 6 + [False] * (PROGRESS_STEPS - 6)
    assert PROGRESS_STEPS == 23
    assert progress_share(done) == pytest.approx(6 / 23)
