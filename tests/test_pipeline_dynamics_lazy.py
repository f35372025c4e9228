"""The two-window section of ``analyze``: left to its first use without a progress callback,
computed inside ``analyze`` with one, the same tables either way."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import xlb2b.analysis.dynamics as D
from xlb2b import Settings, analyze
from xlb2b.errors import InputError
from xlb2b.pipeline import DYNAMICS_COLUMNS
from xlb2b.sample import generate


@pytest.fixture(scope="module")
def tx():
    return generate(300, lines=8_000, seed=5).transactions


def _counting(monkeypatch):
    calls = []
    real = D.dynamics

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(D, "dynamics", counted)
    return calls


def test_summaries_and_cut_points_do_not_compute_the_section(monkeypatch, tx):
    calls = _counting(monkeypatch)
    a = analyze(tx)
    for name in a.SUMMARIES:
        a.summary(name)
    assert calls == []
    assert a._pending is not None  # still to be computed


def test_the_section_is_computed_once_on_first_use(monkeypatch, tx):
    calls = _counting(monkeypatch)
    a = analyze(tx)
    assert set(DYNAMICS_COLUMNS) <= set(a.clients.columns)
    assert a.dynamics is not None
    assert calls == [1]


def test_lazy_and_eager_give_the_same_tables(tx):
    lazy = analyze(tx)
    stages = []
    eager = analyze(tx, progress=stages.append)
    assert "comparing windows" in stages  # computed inside analyze, under its stage
    assert eager._pending is None
    pd.testing.assert_frame_equal(lazy.clients, eager.clients, check_exact=True)
    pd.testing.assert_frame_equal(lazy.dynamics.clients, eager.dynamics.clients, check_exact=True)


def test_no_section_when_settings_say_so(monkeypatch, tx):
    calls = _counting(monkeypatch)
    a = analyze(tx, settings=Settings(dynamics=False))
    assert a.dynamics is None
    assert not set(DYNAMICS_COLUMNS) & set(a.clients.columns)
    assert calls == []


def test_an_overlapping_previous_window_is_refused_by_analyze_itself(tx):
    end = tx["date"].max().date()
    settings = Settings(
        window="explicit",
        window_start=dt.date(end.year - 1, 1, 1),
        window_end=end,
        previous_start=dt.date(end.year - 1, 1, 1),
        previous_end=end,
    )
    with pytest.raises(InputError, match="preceding window"):
        analyze(tx, settings=settings)


def test_an_analysis_pickles_with_its_section(tx):
    import pickle

    a = analyze(tx)
    b = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(b.clients, analyze(tx).clients, check_exact=True)
    assert b.dynamics is not None
