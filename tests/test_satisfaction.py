"""NPS, CSI, OTIF (METHODOLOGY §8): worked examples computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlb2b.analysis.satisfaction import csi, csi_by_client, csi_detail, nps, nps_detail, otif, otif_detail

# --------------------------------------------------------------------------- NPS

def test_nps_worked_example():
    # promoters (9-10): 10, 9, 10 -> 3; passives (7-8): 8, 7 -> 2; detractors (0-6): 6, 0 -> 2
    # NPS = 100 * (3/7 - 2/7) = 100/7 = 14.2857...
    assert nps([10, 9, 8, 7, 6, 0, 10]) == pytest.approx(100 / 7)
    d = nps_detail([10, 9, 8, 7, 6, 0, 10])
    assert (d["promoters"], d["passives"], d["detractors"], d["valid"], d["invalid"], d["blank"]) == \
        (3, 2, 2, 7, 0, 0)


def test_nps_ignores_invalid_answers_and_counts_them():
    # valid: 10, "9", 0 -> promoters 2, detractors 1 -> 100 * (2 - 1)/3 = 33.33...
    # invalid (present, not a whole number 0..10): 11, -1, 7.5, "abc", True -> 5; blank: None, "", NaN -> 3
    d = nps_detail([10, 11, -1, 7.5, "9", "abc", None, "", 0, True, np.nan])
    assert d["nps"] == pytest.approx(100 / 3)
    assert (d["promoters"], d["passives"], d["detractors"]) == (2, 0, 1)
    assert (d["valid"], d["invalid"], d["blank"]) == (3, 5, 3)


def test_nps_extremes_and_empty():
    assert nps([9, 10, 10]) == 100
    assert nps(pd.Series([0, 3, 6])) == -100
    assert nps([7, 8]) == 0
    assert math.isnan(nps([]))
    assert math.isnan(nps([None, "x"]))


@given(st.lists(st.one_of(st.integers(-3, 13), st.none(), st.floats(allow_nan=True))))
def test_nps_within_bounds(values):
    d = nps_detail(values)
    assert d["promoters"] + d["passives"] + d["detractors"] == d["valid"]
    assert d["valid"] + d["invalid"] + d["blank"] == len(values)
    if d["valid"]:
        assert -100 <= d["nps"] <= 100
    else:
        assert math.isnan(d["nps"])


# --------------------------------------------------------------------------- CSI

def test_csi_worked_example():
    # Σ i*s = 5*4 + 3*5 + 2*3 = 20 + 15 + 6 = 41; Σ i * 5 = 10 * 5 = 50; CSI = 100 * 41/50 = 82
    assert csi([5, 3, 2], [4, 5, 3]) == pytest.approx(82.0)
    # pairs with a missing value are ignored: (4, NaN), (NaN, 5), (2, None) -> still 82
    d = csi_detail([5, 3, 2, 4, np.nan, 2], [4, 5, 3, np.nan, 5, None])
    assert d["csi"] == pytest.approx(82.0) and d["pairs"] == 3 and d["ignored"] == 3


def test_csi_scale_and_out_of_range():
    # 10-point scale: Σ i*s = 1*10 + 1*5 = 15; Σ i * 10 = 20 -> 75
    assert csi([1, 1], [10, 5], scale_max=10) == pytest.approx(75.0)
    # satisfaction 6 on a 5-point scale and a negative importance are ignored -> only (1, 5) -> 100
    d = csi_detail([1, 1, -2], [5, 6, 3])
    assert d["csi"] == pytest.approx(100.0) and d["pairs"] == 1 and d["ignored"] == 2
    assert math.isnan(csi([0, 0], [3, 4]))          # importances sum to 0
    assert math.isnan(csi([], []))
    with pytest.raises(ValueError):
        csi([1, 2], [3])


def test_csi_by_client():
    f = pd.DataFrame({
        "client_id":    ["a", "a", "b", "b", None],
        "importance":   [5, 3, 2, 1, 4],
        "satisfaction": [4, 5, 3, np.nan, 4],
    })
    out = csi_by_client(f)
    # a: (5*4 + 3*5) / ((5+3) * 5) = 35/40 = 87.5; b: 2*3 / (2*5) = 6/10 = 60, one pair ignored
    assert out.client_id.tolist() == ["a", "b"]
    assert out.csi.tolist() == pytest.approx([87.5, 60.0])
    assert out.pairs.tolist() == [2, 1] and out.ignored.tolist() == [0, 1]
    g = csi_by_client(f.rename(columns={"importance": "w", "satisfaction": "s"}),
                      importance="w", satisfaction="s", scale_max=10)
    assert g.csi.tolist() == pytest.approx([43.75, 30.0])


# --------------------------------------------------------------------------- OTIF

def test_otif_worked_example():
    on_time = ["yes", "yes", "no", 1, None, "да", True]
    in_full = ["yes", "no", "yes", 1, "yes", "нет", "??"]
    # known (both answers readable): orders 1, 2, 3, 4, 6 -> 5 (5th: on_time blank, 7th: "??")
    # on time and in full: orders 1 and 4 -> 2; OTIF = 2/5 = 0.4
    assert otif(on_time, in_full) == pytest.approx(0.4)
    d = otif_detail(on_time, in_full)
    assert d == {"otif": pytest.approx(0.4), "on_time_in_full": 2, "known": 5, "unknown": 2,
                 "on_time": 4, "in_full": 3}


def test_otif_empty_and_shapes():
    assert math.isnan(otif([], []))
    assert math.isnan(otif([None], ["yes"]))
    assert otif(pd.Series([True, True]), np.array([1, 1])) == 1.0
    with pytest.raises(ValueError):
        otif([1, 1], [1])
