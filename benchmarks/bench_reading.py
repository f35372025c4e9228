"""Time what the layout step and the reading report add to reading a table.

    python benchmarks/bench_reading.py [--lines 1000000] [--repeat 3]

Each table is read twice in the same run: as shipped, and with the layout
step (``find_layout``) and the reading report (``describe``) replaced by
no-ops, the baseline.  Tables: a typed DataFrame (every row has a client and a
date: the layout step stops at once), a text grid as a CSV or an Excel range
gives it with one «Итого» row (the layout step parses the amounts), and a
grouped client report (group rows with subtotals, the lines beneath).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from _timing import best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)

    from xlb2b.inputs import read, read_table
    from xlb2b.inputs.structure import Layout

    rng = np.random.default_rng(7)
    n = a.lines
    clients = rng.integers(0, max(n // 50, 1), n)
    days = rng.integers(0, 730, n)
    amounts = np.round(rng.gamma(2.0, 500.0, n), 2)
    frame = pd.DataFrame({"client_id": [f"C{c:06d}" for c in clients],
                          "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
                          "amount": amounts})
    m = min(n, 200_000)
    dates = (pd.Timestamp("2024-01-01") + pd.to_timedelta(days[:m], unit="D")).strftime("%d.%m.%Y")
    text = [["Клиент", "Дата", "Сумма"]] + [[f"C{c:06d}", d, f"{x:.2f}".replace(".", ",")]
                                              for c, d, x in zip(clients[:m], dates, amounts[:m])]
    text.append(["Итого", None, f"{amounts[:m].sum():.2f}".replace(".", ",")])
    grouped = [["Контрагент", "Дата", "Сумма"]]
    per = 20
    for g in range(m // per):
        lines = amounts[g * per:(g + 1) * per]
        grouped.append([f"Клиент {g}", None, float(lines.sum())])
        grouped.extend([f"Товар {i}", d, float(x)] for i, (d, x) in
                       enumerate(zip(dates[g * per:(g + 1) * per], lines)))

    real_layout, real_describe = read.find_layout, read.describe

    def shipped(src):
        read.find_layout, read.describe = real_layout, real_describe
        return lambda: read_table("transactions", src)

    def baseline(src):
        def run():
            read.find_layout = lambda raw, pos, ctx: (raw, pos, Layout())
            read.describe = lambda *args: None
            try:
                return read_table("transactions", src)
            finally:
                read.find_layout, read.describe = real_layout, real_describe
        return run

    print(f"{'table':<34}{'baseline s':>12}{'shipped s':>12}{'ratio':>8}")
    for name, src in ((f"DataFrame, {n:,} lines", frame), (f"text grid + total, {m:,} lines", text),
                      (f"grouped report, {len(grouped) - 1:,} rows", grouped)):
        t0 = best(baseline(src), a.repeat)
        t1 = best(shipped(src), a.repeat)
        print(f"{name:<34}{t0:>12.3f}{t1:>12.3f}{t1 / t0:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
