"""Target-client portrait (METHODOLOGY §4): lifts on a 10-client table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlb2b.analysis.portrait import BLANK, COLUMNS, portrait, size_bands
from xlb2b.errors import InputError


def ten_clients() -> pd.DataFrame:
    return pd.DataFrame({
        "client_id": [f"c{i}" for i in range(1, 11)],
        "abc_class": ["A", "A", "A", "B", "B", "B", "C", "C", "C", "C"],
        "industry":  ["dental", "dental", "auto", "dental", "auto", "auto", "food", "food", "food", None],
        "region":    ["Moscow", "Moscow", "Kazan", "Moscow", "Moscow", "Kazan", "Moscow", "Kazan",
                      "Moscow", "Moscow"],
        "manager":   ["Ivanov", "Petrov", "Ivanov", "Ivanov", "Petrov", "Petrov", "Ivanov", "Petrov",
                      "Petrov", "Petrov"],
        "revenue":   [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100],
    })


def test_size_bands_are_revenue_quartiles():
    # revenue 100..1000 (n = 10); cut ranks 9/4 = 2.25, 4.5, 6.75 over the sorted values:
    # t1 = 300 + 0.25*100 = 325, t2 = 500 + 0.5*100 = 550, t3 = 700 + 0.75*100 = 775
    bands = size_bands(ten_clients().revenue)
    assert bands.tolist() == ["Q4 (largest)"] * 3 + ["Q3"] * 2 + ["Q2"] * 2 + ["Q1 (smallest)"] * 3
    assert size_bands([np.nan, 5.0]).tolist() == ["", "Q1 (smallest)"]


def test_portrait_lifts_on_ten_clients():
    out = portrait(ten_clients())
    assert list(out.columns) == COLUMNS
    # A = c1, c2, c3 (3 clients), all = 10 clients.
    # size_band Q4: A 3/3 = 1,  all 3/10 -> lift 1/(3/10) = 10/3
    # industry dental: A 2/3, all 3/10 (c1, c2, c4) -> (2/3)/(3/10) = 20/9
    # manager Ivanov: A 2/3 (c1, c3), all 4/10 (c1, c3, c4, c7) -> (2/3)/(4/10) = 5/3
    # industry auto: A 1/3, all 3/10 -> 10/9; region Kazan: A 1/3, all 3/10 -> 10/9 (tie: by attribute)
    # not listed: region Moscow (2/3)/(7/10) = 20/21, manager Petrov (1/3)/(6/10) = 5/9,
    #             food and (blank) industry (no A client), Q1..Q3 (no A client)
    expected = [
        ("size_band", "Q4 (largest)", 3, 1.0, 3, 0.3, 10 / 3),
        ("industry", "dental", 2, 2 / 3, 3, 0.3, 20 / 9),
        ("manager", "Ivanov", 2, 2 / 3, 4, 0.4, 5 / 3),
        ("industry", "auto", 1, 1 / 3, 3, 0.3, 10 / 9),
        ("region", "Kazan", 1, 1 / 3, 3, 0.3, 10 / 9),
    ]
    assert len(out) == len(expected)
    for got, exp in zip(out.itertuples(index=False), expected):
        assert tuple(got[:3]) == exp[:3] and got[4] == exp[4]
        assert got[3] == pytest.approx(exp[3]) and got[5] == pytest.approx(exp[5])
        assert got[6] == pytest.approx(exp[6])


def test_portrait_chosen_attributes_and_other_class():
    out = portrait(ten_clients(), ["region"], klass="C")
    # C = c7..c10: Moscow 3/4 (c7, c9, c10), all 7/10 -> (3/4)/(7/10) = 15/14; Kazan 1/4 vs 3/10 -> 5/6
    assert out.value.tolist() == ["Moscow"]
    assert out.lift[0] == pytest.approx(15 / 14)


def test_blank_is_its_own_value_and_lift_of_exactly_one_is_left_out():
    f = pd.DataFrame({"abc_class": ["A", "A", "B", "C", None],
                      "industry": [None, "x", "x", "y", "x"]})
    out = portrait(f)
    # the unclassified 5th client is in neither population: A = 2, all = 4.
    # (blank): A 1/2, all 1/4 -> lift 2; x: A 1/2, all 2/4 -> lift exactly 1 -> not listed
    assert out.value.tolist() == [BLANK]
    assert out.lift[0] == pytest.approx(2.0)
    assert (out.clients_a[0], out.clients_all[0]) == (1, 1)


def test_default_attributes_skip_empty_columns():
    f = ten_clients().drop(columns="revenue").assign(industry=[None] * 10, size_band=[""] * 10)
    out = portrait(f)
    assert set(out.attribute) == {"manager", "region"}


def test_no_a_clients_and_bad_input():
    f = ten_clients().assign(abc_class=["B"] * 10)
    out = portrait(f)
    assert out.empty and list(out.columns) == COLUMNS
    with pytest.raises(InputError):
        portrait(ten_clients(), ["segment"])
    with pytest.raises(InputError):
        portrait(ten_clients().drop(columns="abc_class"))
