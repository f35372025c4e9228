"""The same file read by the pandas path and by the engine path (DuckDB) gives the same
per-client tables: numbers, dates and client ids are read by the same rules on both."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.test_aggregate import assert_same_tables
from xlb2b.pipeline import analyze
from xlb2b.settings import Settings

pytest.importorskip("ibis", reason="install the scale extra: pip install -e '.[scale]'")
pytest.importorskip("duckdb", reason="install the scale extra: pip install -e '.[scale]'")

from xlb2b.inputs import scan  # noqa: E402

HEADER = "Клиент;Дата;Сумма;Количество;Номер заказа\n"
# (client, day.month, amount as written, quantity as written, order); the year is 2025.
# 000123: 1 234,50 (no-break space between thousands) and a return written (200,00)
# ABC: Latin ABC on two lines, Cyrillic АВС and lower-case abc on one each (one client);
#      500 ₽, 250,25 руб., −50,25 (minus sign U+2212), 1 000 (narrow no-break space)
# K9: 2 500,50 (thin space), 99,50 р.
LINES = [
    ("000123", (1, 2), "1\u00a0234,50", "3", "A1"),
    ("000123", (10, 3), "(200,00)", "-1", "R1"),
    ("ABC", (5, 2), "500 ₽", "1", "B1"),
    ("АВС", (6, 2), "250,25 руб.", "1", "B2"),
    ("abc", (7, 2), "\u221250,25", "\u22121", "B3"),
    ("ABC", (20, 3), "1\u202f000", "2", "B4"),
    ("K9", (12, 2), "2\u2009500,50", "5", "C1"),
    ("K9", (13, 3), "99,50 р.", "1", "C2"),
]
#: revenue per client, added up by hand from the lines above
REVENUE = {"000123": 1034.50, "ABC": 1700.00, "K9": 2600.00}


def _write(path, dates):
    rows = [f"{c};{dates(day, month)};{a};{q};{o}\n" for c, (day, month), a, q, o in LINES]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _day_month(day, month):
    return f"{day:02d}.{month:02d}.2025"


def _mixed(day, month):
    """dd.mm.yyyy, ISO and one Excel date number (45736 = 2025-03-20)."""
    if (day, month) == (20, 3):
        return "45736"
    if month == 3:
        return f"2025-{month:02d}-{day:02d}"
    return _day_month(day, month)


def _us_slash(day, month):
    """Month first with slashes, as a US export writes them (03/20/2025)."""
    return f"{month:02d}/{day:02d}/2025"


def _both(path):
    s = Settings()
    by_pandas = analyze(str(path), None, None, s)
    e = scan.open_files("transactions", str(path))
    by_engine = analyze(e, None, None, s)
    return by_pandas, by_engine, e


def _same_per_client_tables(a, b):
    """The per-client tables equal (money to the cent, counts and dates exactly, text
    columns alike) and the same clients excluded and cut points (a few clients: some NaN)."""
    cols = [c for c in a.clients.columns if c != "client_id"]
    num = [c for c in cols if pd.api.types.is_numeric_dtype(a.clients[c]) or a.clients[c].dtype.kind == "M"]
    x = a.clients.assign(client_id=a.clients["client_id"].astype(str))
    y = b.clients.assign(client_id=b.clients["client_id"].astype(str))
    as_float = {c: "float64" for c in num if x[c].dtype.kind != "M"}
    assert_same_tables(x[["client_id"] + num].astype(as_float), y[["client_id"] + num].astype(as_float))
    xs, ys = x.sort_values("client_id"), y.sort_values("client_id")
    for c in cols:
        if c not in num:
            assert list(xs[c].astype(str)) == list(ys[c].astype(str)), c
    assert sorted(a.excluded["client_id"].astype(str)) == sorted(b.excluded["client_id"].astype(str))
    assert a.cut_points.keys() == b.cut_points.keys()
    for k in a.cut_points:
        assert np.allclose(a.cut_points[k], b.cut_points[k], rtol=1e-9, equal_nan=True), k


def _revenue(a) -> dict:
    t = a.clients.assign(client_id=a.clients["client_id"].astype(str))
    return dict(zip(t["client_id"], t["revenue"].round(2)))


@pytest.mark.parametrize("dates", [_day_month, _mixed, _us_slash], ids=["dd.mm.yyyy", "mixed", "us-slash"])
def test_both_paths_give_the_same_clients_and_the_hand_computed_revenue(tmp_path, dates):
    by_pandas, by_engine, e = _both(_write(tmp_path / "lines.csv", dates))
    assert e.rejected == 0 and e.rows == len(LINES)
    assert _revenue(by_pandas) == REVENUE
    assert _revenue(by_engine) == REVENUE
    _same_per_client_tables(by_pandas, by_engine)


def test_engine_reads_the_dates_of_every_form_as_the_same_days(tmp_path):
    want = sorted(pd.Timestamp(2025, m, d) for _c, (d, m), *_ in LINES)
    for dates in (_day_month, _mixed, _us_slash):
        e = scan.open_files("transactions", str(_write(tmp_path / f"{dates.__name__}.csv", dates)))
        got = sorted(pd.to_datetime(e.table.to_pandas()["date"]))
        assert got == want, dates.__name__


def test_engine_merges_look_alike_ids_and_says_so(tmp_path):
    e = scan.open_files("transactions", str(_write(tmp_path / "lines.csv", _day_month)))
    ids = e.table.to_pandas()["client_id"]
    assert sorted(ids.unique()) == ["000123", "ABC", "K9"]
    assert (ids == "ABC").sum() == 4
    said = [p for p in e.report if "look-alike" in p.reason]
    assert sorted(p.value for p in said) == ["abc", "АВС"]


def test_slash_dates_stay_day_first_when_a_first_part_is_above_12(tmp_path):
    # 13/02/2025 can only be day first, so 03/02/2025 is 3 February on both paths
    p = tmp_path / "d.csv"
    p.write_text(HEADER + "K1;13/02/2025;10;1;o1\nK1;03/02/2025;20;1;o2\n", encoding="utf-8")
    e = scan.open_files("transactions", str(p))
    got = sorted(pd.to_datetime(e.table.to_pandas()["date"]))
    assert got == [pd.Timestamp(2025, 2, 3), pd.Timestamp(2025, 2, 13)]


def test_a_lone_comma_in_a_comma_file_groups_thousands_on_both_paths(tmp_path):
    # ',' files: "1,234" had to be quoted and is one thousand two hundred thirty-four
    p = tmp_path / "c.csv"
    p.write_text('client,date,amount\nK1,2025-02-01,"1,234"\nK2,2025-02-02,5\n', encoding="utf-8")
    by_pandas, by_engine, _e = _both(p)
    assert _revenue(by_pandas) == {"K1": 1234.0, "K2": 5.0}
    assert _revenue(by_engine) == {"K1": 1234.0, "K2": 5.0}


def test_a_comma_that_shows_decimals_decides_the_column_in_a_tab_file(tmp_path):
    # tab files: "12,5" shows a decimal comma, so "1,234" in the same column is 1.234
    p = tmp_path / "t.csv"
    p.write_text("client\tdate\tamount\nK1\t2025-02-01\t1,234\nK2\t2025-02-02\t12,5\n", encoding="utf-8")
    by_pandas, by_engine, _e = _both(p)
    assert _revenue(by_pandas) == {"K1": 1.23, "K2": 12.5}
    assert _revenue(by_engine) == {"K1": 1.23, "K2": 12.5}


def test_a_trailing_minus_is_refused_on_both_paths(tmp_path):
    from xlb2b.inputs import read_table

    p = tmp_path / "m.csv"
    p.write_text(HEADER + "K1;01.02.2025;200-;1;o1\nK1;02.02.2025;5;1;o2\nK2;02.02.2025;5;1;o3\n", encoding="utf-8")
    e = scan.open_files("transactions", str(p))
    t = read_table("transactions", str(p))
    assert e.rejected == 1 and len(t.data) == 2


def test_ids_padded_with_tabs_and_no_break_spaces_are_one_client_on_both_paths(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(HEADER + "K1;01.02.2025;10;1;o1\n\t\u00a0K1\u00a0\t;02.02.2025;5;1;o2\n", encoding="utf-8")
    by_pandas, by_engine, _e = _both(p)
    assert _revenue(by_pandas) == {"K1": 15.0}
    assert _revenue(by_engine) == {"K1": 15.0}


def test_a_market_table_read_by_pandas_takes_the_engine_transactions_spelling(tmp_path):
    """Engine transactions, a small market table given as a DataFrame: its ids in another case and with
    Cyrillic look-alikes are aligned to the transactions' spelling as on the pandas path, and the market
    spend lands on the client (here all of it: 300 + 200 of the client's market lines in the window)."""
    tx = _write(tmp_path / "tx.csv", _day_month)
    market = pd.DataFrame(
        {
            "client_id": ["k9", "К9", "000123"],          # lower-case k9; Cyrillic К9; same spelling
            "date": pd.to_datetime(["2025-02-15", "2025-03-01", "2025-03-02"]),
            "supplier": ["Other", "Us", "Us"],
            "amount": [300.0, 200.0, 50.0],
        }
    )
    s = Settings(our_supplier="Us", window_start="2025-01-01", window_end="2025-12-31")
    expected = analyze(str(tx), None, market, s)
    got = analyze(scan.open_files("transactions", tx), None, market, s)
    for a in (expected, got):
        spend = a.clients.set_index("client_id")["market_spend"]
        assert spend["K9"] == pytest.approx(500.0) and spend["000123"] == pytest.approx(50.0)
    # and the replacement is said, as on the pandas path
    assert any("'k9' is written 'K9' in the transactions" in p.reason for p in got.report.problems)


def _apostrophe(day, month):
    """Every date after Excel's text mark, one of them after two and a space (''12.02.2025)."""
    return ("'' " if (day, month) == (12, 2) else "'") + _day_month(day, month)


def test_dates_after_a_leading_apostrophe_are_the_same_days_on_both_paths(tmp_path):
    by_pandas, by_engine, e = _both(_write(tmp_path / "apostrophe.csv", _apostrophe))
    assert e.rejected == 0 and e.rows == len(LINES)
    assert _revenue(by_pandas) == REVENUE and _revenue(by_engine) == REVENUE
    _same_per_client_tables(by_pandas, by_engine)
