"""The two-window tables have the same column dtypes whether W0 holds lines or not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from xlb2b import Settings, analyze

WINDOW = dict(window="explicit", window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 12, 31))
# a bought 1.00 in W0 (2024) and 2.00 in W1; b bought 3.00 (2 units) in W1 only
WITH_W0 = [("a", "2024-03-01", 1.0, 1), ("a", "2025-03-01", 2.0, 1), ("b", "2025-04-01", 3.0, 2)]
EMPTY_W0 = WITH_W0[1:]


def _frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["client_id", "date", "amount", "quantity"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def _tables(a) -> dict[str, pd.DataFrame]:
    d = a.dynamics
    return {
        "clients": d.clients,
        "analysis clients": a.clients,
        "bridge": d.bridge(),
        "bridge by ABC": d.bridge("abc_class"),
        "retention": d.retention(),
        "retention by ABC": d.retention("abc_class"),
        "cohorts": d.cohorts(),
        "migration": d.migration("abc"),
    }


def _dtypes(a) -> dict[str, dict[str, str]]:
    return {k: dict(t.dtypes.astype(str)) for k, t in _tables(a).items()}


def _analyse(rows):
    return analyze(_frame(rows), settings=Settings(**WINDOW))


def test_retention_over_an_empty_w0_has_float_money_columns():
    # no W0 buyer: 0 buyers, W0 revenue 0.0 and kept revenue 0.0, as floats like any money column
    r = _analyse(EMPTY_W0).dynamics.retention()
    assert r["buyers_w0"].tolist() == [0] and r["revenue_w0"].tolist() == [0.0]
    for col in ("revenue_w0", "revenue_kept", "revenue_kept_capped"):
        assert r[col].dtype == "float64", col


def test_retention_with_w0_buyers_has_the_same_dtypes_and_hand_values():
    # a: R0 1.00, R1 2.00 -> kept max(2, 0) = 2.00, capped min(2, 1) = 1.00
    r = _analyse(WITH_W0).dynamics.retention()
    assert r[["revenue_w0", "revenue_kept", "revenue_kept_capped"]].iloc[0].tolist() == [1.0, 2.0, 1.0]
    assert dict(r.dtypes.astype(str)) == dict(_analyse(EMPTY_W0).dynamics.retention().dtypes.astype(str))


def test_per_client_units_in_an_empty_w0_are_floats():
    c = _analyse(EMPTY_W0).dynamics.clients
    assert c["units_w0"].tolist() == [0.0, 0.0] and c["units_w0"].dtype == "float64"
    assert c["revenue_w0"].dtype == "float64"


def test_every_two_window_table_has_the_same_dtypes_with_and_without_w0():
    full, empty = _dtypes(_analyse(WITH_W0)), _dtypes(_analyse(EMPTY_W0))
    for name in full:
        assert empty[name] == full[name], name


def test_engine_path_gives_the_same_dtypes_with_and_without_w0(tmp_path):
    pytest.importorskip("duckdb")
    pytest.importorskip("ibis")
    from xlb2b.inputs import scan

    def engine(rows, name):
        p = tmp_path / f"{name}.parquet"
        _frame(rows).to_parquet(p)
        return analyze(scan.open_files("transactions", str(p)), settings=Settings(**WINDOW))

    full, empty = _dtypes(engine(WITH_W0, "full")), _dtypes(engine(EMPTY_W0, "empty"))
    for name in full:
        assert empty[name] == full[name], name
