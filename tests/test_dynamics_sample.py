"""The built-in sample shows every part of the two-window section (what ``xlb2b demo`` runs on)."""
from __future__ import annotations

import pytest

from xlb2b import Settings, analyze
from xlb2b.sample import generate


@pytest.fixture(scope="module")
def demo():
    d = generate()          # the demo's sample: 3000 clients, seed 2024, three years
    return analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier)).dynamics


def test_every_bridge_category_shows(demo):
    b = demo.bridge().set_index("row")
    shown = b.loc[b["clients"] > 0].index
    # flat (R1 = R0 to the cent) is left to chance
    assert set(shown) >= {"start", "new", "returned", "lost", "grown_price", "grown_volume", "shrunk_price",
                          "shrunk_volume", "no_unit_data", "other", "end"}


def test_every_quarter_has_a_cohort(demo):
    co = demo.cohorts()
    # three years of whole quarters: 12 cohorts, the first followed for 12 quarters
    assert co["cohort"].nunique() == 12
    assert co.groupby("cohort").size().max() == 12


def test_every_lapse_status_shows():
    d = generate()
    a = analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))
    assert set(a.clients["lapse_status"]) == {"on_track", "late", "lapsing", "too_few_purchases"}
