"""Time ``analyze`` on generated order lines against a bare pandas groupby.

    python benchmarks/bench_analyze.py [--lines 1000000] [--clients 20000] [--repeat 3]

Prints the best of ``--repeat`` runs of each (the machine is shared, so the
ratio within one run is the figure to compare), and the peak resident memory
of the process after the analysis.
"""
from __future__ import annotations

import argparse
import sys
import time

from _timing import best, rss_mib


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)

    from xlb2b import analyze
    from xlb2b.sample import generate

    t = time.perf_counter()
    data = generate(a.clients, lines=a.lines, seed=7)
    tx = data.transactions
    print(f"generated {len(tx):,} lines, {tx['client_id'].nunique():,} clients in "
          f"{time.perf_counter() - t:.2f} s; RSS {rss_mib():,.0f} MiB")
    rss_before = rss_mib()

    from xlb2b import Settings
    from xlb2b.inputs import read_table

    settings = Settings(our_supplier=data.our_supplier)
    tables = {}

    def bare():
        tx.groupby("client_id").agg(amount=("amount", "sum"), orders=("order_id", "nunique"),
                                    last=("date", "max"))

    def read():
        tables["t"] = read_table("transactions", tx)
        tables["c"] = read_table("clients", data.clients)
        tables["m"] = read_table("market", data.market)

    def compute():
        analyze(tables["t"], tables["c"], tables["m"], settings)

    def end_to_end():
        analyze(tx, data.clients, data.market, settings)

    t_bare = best(bare, a.repeat)
    t_read = best(read, a.repeat)
    t_comp = best(compute, a.repeat)
    t_all = best(end_to_end, a.repeat)
    peak = rss_mib()
    print(f"bare groupby (sum, nunique orders, max date):     {t_bare:8.3f} s")
    print(f"analyze on validated tables (metrics, 7 segmentations, market): "
          f"{t_comp:8.3f} s  ratio {t_comp / t_bare:5.2f}  (target <= 3)")
    print(f"read + validate the three raw DataFrames:         {t_read:8.3f} s  ratio {t_read / t_bare:5.2f}")
    print(f"analyze end to end from raw DataFrames:           {t_all:8.3f} s  ratio {t_all / t_bare:5.2f}")
    print(f"peak RSS {peak:,.0f} MiB (data alone {rss_before:,.0f} MiB; added by the runs "
          f"{peak - rss_before:,.0f} MiB; target peak < 1536 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
