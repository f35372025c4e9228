"""Order lines at scale: the DuckDB path against the pandas path and DuckDB's bare GROUP BY.

    python benchmarks/bench_scale.py [--lines 10000000 50000000] [--dir /tmp/xlb2b-scale]
                                     [--pandas-max-lines 10000000] [--keep] [--contenders ...]

For each size, generated order lines are written as parquet files (10 files),
then each contender runs in its own process, so that its peak resident memory
(ru_maxrss of the child) is its own.  The lines: clients = lines / 250 (a
Pareto mix of big and small ones), 3 years of dates in file order, orders of
1–12 lines (4 on average), each order of one client on one date as in an ERP
export, 3 % return lines, 5 000 SKUs in 40 categories.  (Until this generator,
every line of an order went to a random client, so an order spanned four
clients and the client × order pairs were as many as the lines: the distinct
order counts cost about four times what they cost on real data; figures
measured with it are not comparable with those of this one.)  The contenders:

* ``group by``: DuckDB's bare ``SELECT client_id, sum(amount), count(*) …
  GROUP BY client_id`` over the same files (the floor for one pass);
* ``distinct``: DuckDB's bare ``GROUP BY client_id`` with the two distinct
  counts every analysis needs (orders, SKUs) next to the sum: the floor for
  the per-client work, since a distinct count is a table of (client, value)
  pairs, millions of them where the plain GROUP BY has one row per client;
* ``duckdb``: ``xlb2b.inputs.scan.open_files`` (validation in the engine)
  plus ``xlb2b.pipeline.analyze`` on it (window, every per-client figure,
  latest region/manager, segmentations, the two-window view: W0's figures,
  status, migration, cohorts, lapse), no workbook;
* ``duckdb W1``: the same without the two-window view (``dynamics = false``);
* ``pandas``: ``pd.read_parquet`` of the files, ``read_transactions``
  (validation) and ``analyze``: what the package does for a single file.
  Above ``--pandas-max-lines`` it is not run (its memory grows with the
  lines; the figure at the largest size run tells how much).

Targets (issue "order lines beyond one machine's memory"): peak RSS of the
DuckDB path ≤ 2 GiB at 50M lines, its time ≤ 3× the bare GROUP BY.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

FILES = 10
CONTENDERS = ("group by", "distinct", "duckdb", "duckdb W1", "pandas")
GIB = 2 ** 30


def generate(lines: int, folder: str, seed: int = 7) -> None:
    """``lines`` order lines in FILES parquet files: clients = lines / 250, 3 years
    of dates in file order, orders of 1–12 lines (4 on average), each order of one
    client on one date (its lines share them, as in an ERP export), 3 % return
    lines, 5 000 SKUs in 40 categories, region and manager per client."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_clients = max(lines // 250, 10)
    clients = pa.array([f"C{i:07d}" for i in range(n_clients)])
    skus = pa.array([f"SKU-{i:05d}" for i in range(5000)])
    cats = pa.array([f"Group {i:02d}" for i in range(40)])
    regions = pa.array(["North", "South", "East", "West", "Center", "Volga", "Ural", "Siberia"])
    managers = pa.array([f"Manager {i:02d}" for i in range(60)])
    client_region = rng.integers(0, len(regions), n_clients)
    client_manager = rng.integers(0, len(managers), n_clients)
    weight = rng.pareto(1.2, n_clients) + 0.05
    weight /= weight.sum()
    sku_cat = rng.integers(0, 40, 5000)
    start = np.datetime64("2023-01-01", "D")
    per = lines // FILES
    os.makedirs(folder, exist_ok=True)
    next_order = 0
    for f in range(FILES):
        n = per if f < FILES - 1 else lines - per * (FILES - 1)
        # order sizes 1..12 lines, mean 4, until the file's lines are used up
        size = np.minimum(1 + rng.poisson(3.0, n // 2 + 16), 12)
        size = size[: int(np.searchsorted(np.cumsum(size), n)) + 1]
        size[-1] -= int(size.sum()) - n
        n_orders = len(size)
        order_client = rng.choice(n_clients, size=n_orders, p=weight).astype(np.int32)
        order_day = np.sort(rng.integers(f * 1095 // FILES, (f + 1) * 1095 // FILES, n_orders))  # files in date order
        line_order = np.repeat(np.arange(n_orders), size)
        c = order_client[line_order]
        day = order_day[line_order]
        s = rng.integers(0, 5000, n).astype(np.int32)
        q = rng.integers(0, 12, n).astype("float64")
        price = rng.lognormal(4.0, 0.8, n).round(2)
        ret = rng.random(n) < 0.03
        q = np.where(ret, -np.maximum(q, 1), q)
        amount = (q * price).round(2)
        amount = np.where(q == 0, price, amount)       # a zero-quantity line still bills
        cost = (amount * rng.uniform(0.55, 0.9, n)).round(2)
        table = pa.table({
            "client_id": pa.DictionaryArray.from_arrays(pa.array(c), clients),
            "order_id": pa.array(next_order + line_order, type=pa.int64()),
            "date": pa.array((start + day.astype("timedelta64[D]")).astype("datetime64[D]")),
            "sku": pa.DictionaryArray.from_arrays(pa.array(s), skus),
            "category": pa.DictionaryArray.from_arrays(pa.array(sku_cat[s].astype(np.int32)), cats),
            "quantity": q, "amount": amount, "cost": cost,
            "region": pa.DictionaryArray.from_arrays(pa.array(client_region[c].astype(np.int32)), regions),
            "manager": pa.DictionaryArray.from_arrays(pa.array(client_manager[c].astype(np.int32)), managers),
        })
        next_order += n_orders
        pq.write_table(table, os.path.join(folder, f"part-{f:02d}.parquet"), row_group_size=1_000_000)


# ---------------------------------------------------------------- the contenders (run in a child)
def run_group_by(pattern: str) -> dict:
    import duckdb
    con = duckdb.connect(config={"memory_limit": os.environ.get("XLB2B_DUCKDB_MEMORY", "1GB"),
                                 "preserve_insertion_order": False})
    n = con.execute(f"SELECT count(*) FROM (SELECT client_id, sum(amount), count(*) FROM "
                    f"read_parquet('{pattern}') GROUP BY client_id)").fetchone()[0]
    return {"clients": int(n)}


def run_distinct(pattern: str) -> dict:
    import duckdb
    con = duckdb.connect(config={"memory_limit": os.environ.get("XLB2B_DUCKDB_MEMORY", "1GB"),
                                 "preserve_insertion_order": False})
    n = con.execute(f"SELECT count(*), sum(o), sum(s) FROM (SELECT client_id, sum(amount) AS a, "
                    f"count(DISTINCT order_id) AS o, count(DISTINCT sku) AS s FROM "
                    f"read_parquet('{pattern}') GROUP BY client_id)").fetchone()[0]
    return {"clients": int(n)}


def run_duckdb(pattern: str, dynamics: bool = True) -> dict:
    from xlb2b.inputs import scan
    from xlb2b.pipeline import analyze
    from xlb2b.settings import Settings
    e = scan.open_files("transactions", pattern)
    a = analyze(e, settings=Settings(dynamics=dynamics))
    return {"clients": int(len(a.clients) + len(a.excluded)), "revenue": float(a.clients["revenue"].sum())}


def run_pandas(pattern: str) -> dict:
    import pandas as pd

    from xlb2b.inputs import read_transactions
    from xlb2b.pipeline import analyze
    df = pd.concat([pd.read_parquet(p) for p in sorted(glob.glob(pattern))], ignore_index=True)
    t = read_transactions(df)
    del df
    a = analyze(t)
    return {"clients": int(len(a.clients) + len(a.excluded)), "revenue": float(a.clients["revenue"].sum())}


def child(which: str, pattern: str) -> int:
    fn = {"group by": run_group_by, "distinct": run_distinct, "duckdb": run_duckdb,
          "duckdb W1": lambda p: run_duckdb(p, dynamics=False), "pandas": run_pandas}[which]
    t = time.perf_counter()
    out = fn(pattern)
    out["seconds"] = time.perf_counter() - t
    print(json.dumps(out))
    return 0


def measure(which: str, pattern: str) -> dict:
    """Run one contender in a child process: its time and its peak RSS."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    p = subprocess.Popen([sys.executable, __file__, "--child", which, pattern], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, text=True)
    out_text = p.stdout.read()
    err_text = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    rss = usage.ru_maxrss * 1024 / GIB
    if os.waitstatus_to_exitcode(status) != 0:
        last = (err_text.strip().splitlines() or ["?"])[-1]
        return {"error": last[:120], "rss_gib": rss}
    out = json.loads(out_text.strip().splitlines()[-1])
    out["rss_gib"] = rss
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, nargs="+", default=[10_000_000, 50_000_000])
    ap.add_argument("--dir", default="/tmp/xlb2b-scale")
    ap.add_argument("--pandas-max-lines", type=int, default=10_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return child(*a.child)

    print(f"{'lines':>11} {'contender':<9} {'seconds':>8} {'peak RSS':>9} {'× group by':>10}  note")
    for lines in a.lines:
        folder = os.path.join(a.dir, f"{lines}")
        t = time.perf_counter()
        if not glob.glob(os.path.join(folder, "*.parquet")):
            generate(lines, folder)
        size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(folder, "*.parquet"))) / GIB
        print(f"{lines:>11,} {'(files)':<9} {time.perf_counter() - t:>8.1f} {'':>9} {'':>10}  "
              f"{FILES} parquet files, {size:.2f} GiB, generated or found")
        pattern = os.path.join(folder, "*.parquet")
        results = {}
        for which in a.contenders:
            if which == "pandas" and lines > a.pandas_max_lines:
                print(f"{lines:>11,} {which:<9} {'-':>8} {'-':>9} {'-':>10}  not run (above --pandas-max-lines; "
                      "its memory grows with the lines, see the smaller size)")
                continue
            r = results[which] = measure(which, pattern)
            if "error" in r:
                print(f"{lines:>11,} {which:<9} {'-':>8} {r['rss_gib']:>7.2f} G {'-':>10}  failed: {r['error']}")
                continue
            ratio = r["seconds"] / results["group by"]["seconds"] if "seconds" in results.get("group by", {}) \
                else float("nan")
            note = f"{r['clients']:,} clients"
            if "revenue" in r:
                note += f", analysed revenue {r['revenue']:,.2f}"
            print(f"{lines:>11,} {which:<9} {r['seconds']:>8.1f} {r['rss_gib']:>7.2f} G {ratio:>10.2f}  {note}")
        g, dist = results.get("group by", {}), results.get("distinct", {})
        for name in ("duckdb", "duckdb W1"):
            d = results.get(name, {})
            if "seconds" in d and "seconds" in g:
                rss_ok = "yes" if d["rss_gib"] <= 2 else "NO"
                extra = f", {d['seconds'] / dist['seconds']:.2f}× distinct" if "seconds" in dist else ""
                print(f"{lines:>11,} targets ({name}): peak RSS {d['rss_gib']:.2f} GiB (≤ 2: {rss_ok}), "
                      f"time {d['seconds'] / g['seconds']:.2f}× group by (≤ 3: "
                      f"{'yes' if d['seconds'] <= 3 * g['seconds'] else 'NO'}){extra}")
        if not a.keep:
            shutil.rmtree(folder, ignore_errors=True)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
