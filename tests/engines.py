"""Engines for the aggregation tests: DuckDB (pip), PostgreSQL (a server named by
XLB2B_TEST_PG_URL, started by .ci/run) and Spark in local mode (pyspark + Java).
Each fixture skips with a message saying what to install when its engine is absent."""
from __future__ import annotations

import os
import shutil
import uuid

import pandas as pd
import pytest

ENGINES = ("duckdb", "postgres", "spark")


def canonical_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A canonical transactions/market frame as an engine stores it: text as str,
    dates as dates (no time), numbers as float."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if col == "row":
            continue
        if s.dtype.kind == "M":
            out[col] = s.dt.date
        elif isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
        else:
            out[col] = s.astype("float64")
    return out.reset_index(drop=True)


def _duckdb():
    pytest.importorskip("ibis", reason="install the scale extra: pip install -e '.[scale]'")
    pytest.importorskip("duckdb", reason="install the scale extra: pip install -e '.[scale]'")
    import ibis
    return ibis.duckdb.connect()


def _postgres():
    url = os.environ.get("XLB2B_TEST_PG_URL")
    if not url:
        pytest.skip("no PostgreSQL: .ci/run starts one (apt-get install postgresql; pip install -e '.[warehouse]') "
                    "and sets XLB2B_TEST_PG_URL=postgres://user@127.0.0.1:PORT/db")
    pytest.importorskip("psycopg", reason="pip install -e '.[warehouse]'")
    import ibis
    return ibis.connect(url)


_SPARK = {}


def _spark():
    pytest.importorskip("pyspark", reason="install pyspark (pip install -e '.[warehouse]') and a Java runtime "
                                          "(apt-get install default-jre-headless)")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime: apt-get install default-jre-headless")
    import ibis
    if "con" not in _SPARK:
        import tempfile

        from pyspark.sql import SparkSession
        home = tempfile.mkdtemp(prefix="xlb2b-spark-")
        session = (SparkSession.builder.master("local[1]").appName("xlb2b-tests")
                   .config("spark.sql.warehouse.dir", os.path.join(home, "warehouse"))
                   .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
                   .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
                   .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
                   .getOrCreate())
        _SPARK["con"] = ibis.pyspark.connect(session)
    return _SPARK["con"]


def connect(engine: str):
    return {"duckdb": _duckdb, "postgres": _postgres, "spark": _spark}[engine]()


def load(con, df: pd.DataFrame, prefix: str = "t"):
    """Load a canonical frame into the engine and return it as an ibis table."""
    import pyarrow as pa
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    frame = canonical_frame(df)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    if con.name == "pyspark":
        # through a parquet file: loading from pandas would turn missing text into 'NaN'
        import tempfile

        import pyarrow.parquet as pq
        path = os.path.join(tempfile.mkdtemp(prefix="xlb2b-spark-in-"), f"{name}.parquet")
        pq.write_table(arrow, path)
        t = con.read_parquet(path, table_name=name)
    else:
        t = con.create_table(name, arrow, overwrite=True)
    if "date" in t.columns:
        t = t.mutate(date=t.date.cast("date"))
    return t
