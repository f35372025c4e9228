"""The two-window section placed by client position (the pipeline's way) gives what looking every id
up by text gives."""
from __future__ import annotations

import pandas as pd
import pytest

import xlb2b.analysis.dynamics as D
from xlb2b import Settings, analyze
from xlb2b.sample import generate


def _both_ways(monkeypatch, tx, settings, spoil=None):
    """(dynamics as the pipeline computes it, the same inputs with every id looked up by text)."""
    seen = {}
    real = D.dynamics

    def spy(*args, **kw):
        copies = [x.copy() if isinstance(x, pd.DataFrame) else x for x in args]
        seen["by_text"] = real(*copies)  # no codes: every id looked up by its text
        if spoil is not None:
            kw = {**kw, "codes": spoil(kw["codes"])}
        return real(*args, **kw)

    monkeypatch.setattr(D, "dynamics", spy)
    a = analyze(tx, settings=settings)
    a.dynamics  # noqa: B018 - computed on first use, while the spy is in place
    return a, seen["by_text"]


def _same(a, b):
    pd.testing.assert_frame_equal(a.clients, b.clients, check_exact=True)
    pd.testing.assert_frame_equal(a.cohort_table, b.cohort_table, check_exact=True)
    assert a.cut_points.keys() == b.cut_points.keys()


@pytest.fixture(scope="module")
def sample_tx():
    return generate(400, lines=12_000, seed=11).transactions


def test_positions_and_text_lookup_agree_when_w0_has_lines(monkeypatch, sample_tx):
    a, by_text = _both_ways(monkeypatch, sample_tx, Settings())
    assert (a.dynamics.clients["revenue_w0"] > 0).any()  # W0 really holds buyers
    _same(a.dynamics, by_text)
    # and the analysed clients carry their own row of it
    per = by_text.clients.set_index("client_id")
    got = a.clients.set_index("client_id")
    for col in ("status", "revenue_w0", "lapse_status", "abc_class_w0"):
        pd.testing.assert_series_equal(got[col], per.loc[got.index, col], check_names=False, check_dtype=False)


def test_positions_and_text_lookup_agree_when_w0_is_empty(monkeypatch, sample_tx):
    a, by_text = _both_ways(monkeypatch, sample_tx, Settings(window="all"))
    assert (a.dynamics.clients["revenue_w0"] == 0).all()  # the window is all the data: nothing before it
    _same(a.dynamics, by_text)
    assert a.dynamics.clients["abc_class_w0"].isna().all()


def test_one_client(monkeypatch):
    tx = pd.DataFrame({"client_id": ["K1"] * 4, "date": pd.to_datetime(["2023-03-01", "2023-09-01", "2024-02-01",
                                                                         "2024-06-01"]),
                       "amount": [10.0, 20.0, 30.0, 40.0], "quantity": [1.0, 2.0, 3.0, 4.0]})
    a, by_text = _both_ways(monkeypatch, tx, Settings())
    _same(a.dynamics, by_text)
    row = a.dynamics.clients.iloc[0]
    # W1: the 12 months to June 2024 (2023-09, 2024-02, 2024-06: 20 + 30 + 40); W0: the 12 before (2023-03: 10)
    assert (row["revenue_w0"], row["revenue_w1"], row["status"]) == (10.0, 90.0, "grown")


def test_positions_that_do_not_match_fall_back_to_the_ids(monkeypatch, sample_tx):
    a, by_text = _both_ways(monkeypatch, sample_tx, Settings(), spoil=lambda c: c[::-1].copy())
    _same(a.dynamics, by_text)
