"""Big inputs (xlb2b.inputs.scan): parquet globs and CSVs through DuckDB, database
tables through ibis; validation in the engine; the whole analysis from them equals
the pandas path's."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.engines import ENGINES, connect
from tests.test_aggregate import assert_same_tables
from xlb2b.pipeline import analyze
from xlb2b.settings import Settings

pytest.importorskip("ibis", reason="install the scale extra: pip install -e '.[scale]'")
pytest.importorskip("duckdb", reason="install the scale extra: pip install -e '.[scale]'")

from xlb2b.inputs import scan  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    from xlb2b.sample import generate
    return generate(300, seed=5)


def _compare_analyses(a, b):
    cols = [c for c in a.clients.columns if c not in ("client_id",)]
    num = [c for c in cols if pd.api.types.is_numeric_dtype(a.clients[c]) or a.clients[c].dtype.kind == "M"]
    x = a.clients.assign(client_id=a.clients["client_id"].astype(str))
    assert_same_tables(x[["client_id"] + num].astype({c: "float64" for c in num if x[c].dtype.kind != "M"}),
                       b.clients[["client_id"] + num].astype({c: "float64" for c in num
                                                             if b.clients[c].dtype.kind != "M"}))
    text = [c for c in cols if c not in num]
    xs = x.sort_values("client_id").reset_index(drop=True)
    ys = b.clients.sort_values("client_id").reset_index(drop=True)
    for c in text:
        assert list(xs[c].astype(str)) == list(ys[c].astype(str)), c
    assert sorted(a.excluded["client_id"].astype(str)) == sorted(b.excluded["client_id"].astype(str))
    assert a.cut_points.keys() == b.cut_points.keys()
    for k in a.cut_points:
        assert np.allclose(a.cut_points[k], b.cut_points[k], rtol=1e-9), k
    assert (a.dynamics is None) == (b.dynamics is None)
    if a.dynamics is not None:
        _compare_dynamics(a.dynamics, b.dynamics)


def _frames_equal(x: pd.DataFrame, y: pd.DataFrame, keys: list[str]) -> None:
    x = x.sort_values(keys).reset_index(drop=True)
    y = y.sort_values(keys).reset_index(drop=True)
    assert list(x.columns) == list(y.columns)
    for c in x.columns:
        if pd.api.types.is_numeric_dtype(x[c]) and x[c].dtype != bool:
            assert np.allclose(x[c].to_numpy(dtype="float64"), y[c].to_numpy(dtype="float64"),
                               rtol=1e-9, atol=0.005, equal_nan=True), c
        else:
            assert list(x[c].astype(str)) == list(y[c].astype(str)), c


def _compare_dynamics(a, b):
    """The two-window view: same windows, per-client frame, bridge, retention, migrations, cohorts."""
    assert (a.w0, a.w1) == (b.w0, b.w1)
    x = a.clients.assign(client_id=a.clients["client_id"].astype(str))
    _frames_equal(x, b.clients[x.columns], ["client_id"])
    _frames_equal(a.bridge(), b.bridge(), list(a.bridge().columns[:1]))
    _frames_equal(a.retention(), b.retention(), list(a.retention().columns[:1]))
    for name in ("psc_group", "abc", "xyz"):
        m = a.migration(name)
        _frames_equal(m, b.migration(name), list(m.columns[:2]))
    _frames_equal(a.cohorts(), b.cohorts(), ["cohort", "period"])


def test_whole_analysis_from_a_parquet_glob_matches_pandas(tmp_path, sample):
    tx = sample.transactions
    half = len(tx) // 2
    tx.iloc[:half].to_parquet(tmp_path / "part-1.parquet")
    tx.iloc[half:].to_parquet(tmp_path / "part-2.parquet")
    mk = tmp_path / "market.parquet"
    sample.market.to_parquet(mk)
    s = Settings(our_supplier=sample.our_supplier)
    expected = analyze(tx, sample.clients, sample.market, s)
    e = scan.open_files("transactions", str(tmp_path / "part-*.parquet"))
    assert (e.rows, e.rejected) == (len(tx), 0)
    got = analyze(e, sample.clients, scan.open_files("market", mk, con=e.con), s)
    _compare_analyses(expected, got)


MESSY = """Клиент;Дата;Сумма;Количество;Номер заказа
K1;2024-03-01;1 234,50;2;o1
K1;15.03.2024;100;1;o2
K2;45400;50.5;1;o3
;2024-03-01;10;1;o4
K3;31.02.2024;10;1;o5
K3;2024-04-01;abc;1;o6
K4;1899-12-30;10;1;o7
K4;2024-04-02;10;;o8
Итого;;1405;;
K5;2024-05-01T10:00:00;1,234.5;3;o9
K6;2024-06-01;10;1;p1
K6;2024-06-02;10;1;p2
K6;2024-06-03;10;1;p3
K6;2024-06-04;10;1;p4
"""


def test_csv_values_parsed_in_the_engine(tmp_path):
    (tmp_path / "a.csv").write_text(MESSY, encoding="utf-8")
    e = scan.open_files("transactions", str(tmp_path / "*.csv"))
    got = e.table.to_pandas().sort_values(["client_id", "date"]).reset_index(drop=True)
    assert list(got["client_id"]) == ["K1", "K1", "K2", "K5", "K6", "K6", "K6", "K6"]
    # decimal comma with a space as thousands separator, and the other way round
    assert list(got["amount"][:4]) == [1234.5, 100.0, 50.5, 1234.5]
    # DD.MM.YYYY, Excel date number 45400 = 2024-04-18, a timestamp's day
    assert list(got["date"][:4].astype(str)) == ["2024-03-01", "2024-03-15", "2024-04-18", "2024-05-01"]


def test_csv_bad_rows_counted_per_reason_with_examples(tmp_path):
    (tmp_path / "a.csv").write_text(MESSY, encoding="utf-8")
    e = scan.open_files("transactions", str(tmp_path / "*.csv"))
    assert (e.rows, e.rejected) == (8, 5)
    counts = {(p.column, p.reason.split(":")[0]): p.reason for p in e.report if "row(s) rejected" in p.reason}
    assert counts[("Клиент", "empty client id")].endswith("1 row(s) rejected")
    assert counts[("Сумма", "not a number")].endswith("1 row(s) rejected")
    assert counts[("Количество", "empty quantity")].endswith("1 row(s) rejected")
    examples = [p for p in e.report if "(example" in p.reason]
    bad_date = [p for p in examples if p.value == "31.02.2024"]
    assert bad_date and bad_date[0].file == "a.csv" and bad_date[0].column == "Дата"
    assert "Клиент='K3'" in bad_date[0].reason and "Номер заказа='o5'" in bad_date[0].reason
    assert any(p.value == "1899-12-30" and "cannot be a real" in p.reason for p in examples)
    assert any("total line" in p.reason for p in e.report)


def test_column_mapping_applies_to_engine_inputs(tmp_path):
    pd.DataFrame({"Buyer": ["a", "b"], "When": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                  "Net": [1.0, 2.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet",
                        mapping={"client_id": "Buyer", "date": "When", "amount": "Net"})
    assert e.columns == {"client_id": "Buyer", "date": "When", "amount": "Net"}
    assert e.table.to_pandas()["amount"].sum() == 3.0


def test_more_than_half_rejected_is_refused(tmp_path):
    from xlb2b.errors import InputError
    pd.DataFrame({"client_id": ["a", "b", "c"], "date": ["2024-01-02", "x", "y"],
                  "amount": ["1", "2", "3"]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(InputError) as err:
        scan.open_files("transactions", tmp_path / "x.csv")
    assert "2 of 3 rows rejected" in str(err.value)


def test_future_dates_are_rejected(tmp_path):
    tomorrow2 = dt.date.today() + dt.timedelta(days=2)
    pd.DataFrame({"client_id": ["a", "b", "c"], "date": pd.to_datetime(["2024-01-02", "2024-01-03", tomorrow2]),
                  "amount": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    assert e.rejected == 1
    ex = [p for p in e.report if "(example" in p.reason]
    assert ex[0].row == 3 and ex[0].file == "x.parquet"   # the third data row of the file


# ---------------------------------------------------------------- the same validation on every engine
@pytest.fixture(scope="module", params=ENGINES)
def con(request):
    return connect(request.param)


def test_text_table_validated_alike_on_every_engine(con):
    from tests.engines import load
    lines = [r.split(";") for r in MESSY.strip().splitlines()]
    frame = pd.DataFrame(lines[1:], columns=["client", "day", "amount", "qty", "order_no"])
    frame = frame.astype(object).where(frame != "", None)
    name = "messy"
    t = load(con, frame, name)
    import ibis
    t = t.mutate(_file=ibis.literal(name), _line=ibis.null("int64"))
    e = scan.validate("transactions", t, mapping={"client_id": "client", "date": "day", "quantity": "qty",
                                                  "order_id": "order_no"}, label=name, con=con)
    assert (e.rows, e.rejected) == (8, 5)
    got = e.table.to_pandas().sort_values(["client_id", "date"]).reset_index(drop=True)
    assert list(got["amount"][:4]) == [1234.5, 100.0, 50.5, 1234.5]
    assert list(pd.to_datetime(got["date"][:4]).dt.strftime("%Y-%m-%d")) == [
        "2024-03-01", "2024-03-15", "2024-04-18", "2024-05-01"]


def test_whole_analysis_from_a_database_table_matches_pandas(con, sample):
    from tests.engines import load
    if type(con).__module__.startswith("ibis.backends.duckdb"):
        pytest.skip("the parquet test covers DuckDB")
    tx = sample.transactions
    t = load(con, tx, "tx")
    import ibis
    t = t.mutate(_file=ibis.literal("tx"), _line=ibis.null("int64"))
    e = scan.validate("transactions", t, mapping=None, label="tx", con=con)
    s = Settings(our_supplier=sample.our_supplier)
    _compare_analyses(analyze(tx, sample.clients, None, s), analyze(e, sample.clients, None, s))


# ---------------------------------------------------------------- the command line
def test_cli_analyzes_a_parquet_glob(tmp_path, sample):
    from xlb2b.cli import main
    tx = sample.transactions
    tx.iloc[: len(tx) // 2].to_parquet(tmp_path / "a.parquet")
    tx.iloc[len(tx) // 2:].to_parquet(tmp_path / "b.parquet")
    out = tmp_path / "out.xlsx"
    assert main(["analyze", str(tmp_path / "*.parquet"), "-o", str(out), "-q"]) == 0
    assert out.stat().st_size > 0


def test_cli_db_needs_a_table_or_a_query(capsys):
    from xlb2b.cli import main
    assert main(["analyze", "--db", "duckdb://x.db"]) == 2
    assert "--table NAME or --query SQL" in capsys.readouterr().err


# ---------------------------------------------------------------- typed parquet: checked once, read as it is
def test_typed_parquet_is_not_copied(tmp_path):
    pd.DataFrame({"client_id": ["a", "b"], "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                  "amount": [1.0, 2.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    assert not [n for n in e.con.list_tables() if n.endswith("_lines")]
    assert e.table.to_pandas()["amount"].sum() == 3.0


def test_typed_parquet_padded_ids_are_trimmed(tmp_path):
    pd.DataFrame({"client_id": [" a ", "a", "b"], "date": pd.to_datetime(["2024-01-02"] * 3),
                  "amount": [1.0, 2.0, 4.0]}).to_parquet(tmp_path / "x.parquet")
    got = scan.open_files("transactions", tmp_path / "x.parquet").table.to_pandas()
    assert sorted(got["client_id"]) == ["a", "a", "b"]


def test_typed_parquet_bad_rows_left_out_of_the_view(tmp_path):
    # a NaN amount and a blank client: both rejected, the other rows kept whole
    pd.DataFrame({"client_id": ["a", " ", "b", "c"], "date": pd.to_datetime(["2024-01-02"] * 4),
                  "amount": [1.0, 2.0, float("nan"), 8.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    assert (e.rows, e.rejected) == (2, 2)
    got = e.table.to_pandas().sort_values("client_id")
    assert list(got["client_id"]) == ["a", "c"] and list(got["amount"]) == [1.0, 8.0]


def test_date_range_counted_over_the_rows_kept(tmp_path):
    tomorrow2 = dt.date.today() + dt.timedelta(days=2)
    pd.DataFrame({"client_id": ["a", "b", "c", "d"],
                  "date": pd.to_datetime(["2024-01-02", "2024-03-05", tomorrow2, "1899-12-30"]),
                  "amount": [1.0, 2.0, 3.0, 4.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    assert e.date_range == (pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-05"))


def test_typed_parquet_total_line_left_out(tmp_path):
    pd.DataFrame({"client_id": ["a", "Итого", "b"], "date": pd.to_datetime(["2024-01-02"] * 3),
                  "amount": [1.0, 3.0, 2.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    assert (e.rows, e.rejected) == (2, 0)
    assert e.table.to_pandas()["amount"].sum() == 3.0
    assert any("1 total line(s)" in p.reason for p in e.report)


def test_typed_parquet_padded_or_empty_text_read_as_the_reader_reads_it(tmp_path):
    # " x " is the SKU "x"; an empty category is no category
    pd.DataFrame({"client_id": ["a", "a", "a"], "date": pd.to_datetime(["2024-01-02"] * 3),
                  "amount": [1.0, 2.0, 4.0], "sku": [" x ", "x", "y"],
                  "category": ["", "G", "G"]}).to_parquet(tmp_path / "x.parquet")
    got = scan.open_files("transactions", tmp_path / "x.parquet").table.to_pandas()
    assert sorted(got["sku"]) == ["x", "x", "y"]
    assert got["category"].isna().sum() == 1 and set(got["category"].dropna()) == {"G"}


def test_typed_parquet_padded_spellings_count_together_for_look_alike_ids(tmp_path):
    # "a" and " a " are one spelling on two lines, so "A" (one line) is read as "a"
    pd.DataFrame({"client_id": ["a", " a ", "A", "b"], "date": pd.to_datetime(["2024-01-02"] * 4),
                  "amount": [1.0, 2.0, 4.0, 8.0]}).to_parquet(tmp_path / "x.parquet")
    e = scan.open_files("transactions", tmp_path / "x.parquet")
    got = e.table.to_pandas().groupby("client_id")["amount"].sum().to_dict()
    assert got == {"a": 7.0, "b": 8.0}
    assert any("'A' differs from 'a'" in p.reason for p in e.report)
