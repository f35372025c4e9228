"""TCO, its approach verdict and the segment-priority score and rank
(METHODOLOGY §10): hand-computed examples."""
from __future__ import annotations

import math

import numpy as np
import pytest

from xlb2b.planning import (
    PRIORITY_CRITERIA,
    PROFIT_KEYS,
    TCO_ITEMS,
    priority_rank,
    priority_score,
    tco_advantage,
    tco_approach,
    tco_total,
)

NAN = float("nan")


def test_tco_items_and_keys_follow_the_methodology():
    assert TCO_ITEMS == ("price", "delivery", "installation", "training", "maintenance", "downtime", "disposal")
    assert len(PRIORITY_CRITERIA) == 5 and len(PROFIT_KEYS) == 6


def test_tco_total_by_hand():
    # ours: 1000 + 50 + 100 + 0 + 200 + 150 + 30 = 1530
    # competitor: 900 + 80 + 150 + 60 + 300 + 400 + (missing = 0) = 1890
    ours = [1000, 50, 100, 0, 200, 150, 30]
    theirs = [900, 80, 150, 60, 300, 400, NAN]
    assert tco_total(ours) == pytest.approx(1530)
    assert tco_total(theirs) == pytest.approx(1890)
    # both at once, one row per supplier
    assert tco_total([ours, theirs]).tolist() == pytest.approx([1530, 1890])
    # nothing entered: no total
    assert math.isnan(float(tco_total([NAN, NAN])))


def test_tco_advantage_by_hand():
    # (1890 - 1530) / 1890 = 360 / 1890 = 0.190476...
    assert float(tco_advantage(1530, 1890)) == pytest.approx(360 / 1890)
    # ours dearer to own: (1000 - 1250) / 1000 = -0.25
    assert float(tco_advantage(1250, 1000)) == pytest.approx(-0.25)
    assert math.isnan(float(tco_advantage(100, 0)))
    assert math.isnan(float(tco_advantage(100, NAN)))


def test_tco_approach_healthy():
    # price 1000 > 900, additional 530 < 990, TCO 1530 < 1890
    assert tco_approach(1000, 900, 530, 990).tolist() == "healthy"


def test_tco_approach_unhealthy():
    # price cut 800 < 900, additional costs unchanged 500 = 500 (TCO 1300 < 1400)
    assert tco_approach(800, 900, 500, 500).tolist() == "unhealthy"
    # price cut while our additional costs are even higher
    assert tco_approach(800, 900, 600, 500).tolist() == "unhealthy"


def test_tco_approach_tie_and_other_cases():
    # everything equal: neither
    assert tco_approach(900, 900, 500, 500).tolist() == "neither"
    # higher price, lower additional costs, but the same TCO 1000 + 400 = 900 + 500: not healthy
    assert tco_approach(1000, 900, 400, 500).tolist() == "neither"
    # lower price and lower additional costs: neither of the seed's two approaches
    assert tco_approach(800, 900, 400, 500).tolist() == "neither"
    # a price missing: no verdict; missing additional costs count as 0
    assert tco_approach(NAN, 900, 400, 500).tolist() == ""
    assert tco_approach(800, 900, NAN, 0).tolist() == "unhealthy"
    # vectorised
    got = tco_approach([1000, 800, 900], [900, 900, 900], [530, 500, 500], [990, 500, 500])
    assert got.tolist() == ["healthy", "unhealthy", "neither"]


def test_priority_score_by_hand():
    ratings = np.array([
        [5, 4, 3, 2, 1],          # (5+4+3+2+1)/5 = 3
        [5, NAN, NAN, NAN, 2],    # (5+2)/2 = 3.5
        [NAN] * 5,                # not rated
    ])
    assert priority_score(ratings).tolist()[:2] == pytest.approx([3.0, 3.5])
    assert math.isnan(priority_score(ratings)[2])
    # weights 2,1,1,1,0: (10+4+3+2+0)/5 = 3.8 ; (10+0)/2 = 5
    assert priority_score(ratings, [2, 1, 1, 1, 0]).tolist()[:2] == pytest.approx([3.8, 5.0])
    # only a zero-weight criterion rated: no score
    assert math.isnan(priority_score([[NAN, NAN, NAN, NAN, 4]], [1, 1, 1, 1, 0])[0])


def test_priority_rank_by_hand():
    # scores 3, -, 4, 3, 5 -> 5 first, 4 second, the two 3s third and fourth in row order
    assert priority_rank([3, NAN, 4, 3, 5]).tolist()[0] == 3
    got = priority_rank([3, NAN, 4, 3, 5])
    assert math.isnan(got[1])
    assert [got[0], got[2], got[3], got[4]] == [3, 2, 4, 1]
    assert priority_rank([2, 2, 2]).tolist() == [1, 2, 3]
