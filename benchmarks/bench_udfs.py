"""Time PSC_SEGMENT through xlwings' Office.js code path (custom_functions_call,
the request body Excel sends: every argument a 2-D list).

    python benchmarks/bench_udfs.py [--rows 100000] [--cells 1000] [--repeat 3]

One call on a whole column of ``--rows`` rows (target ≤ 200 ms end to end,
conversion of the cells and of the spilled result included) against
``--cells`` single-cell calls with the column's cut points (the way a
formula filled down a column runs), and the per-row ratio of the two.
Prints the best of ``--repeat`` runs (the machine may be shared).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_ON_SERVER"] = "true"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import xlwings as xw  # noqa: E402
from _timing import best  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from udfs import functions as F  # noqa: E402


def body(name: str, args: list) -> dict:
    return {"func_name": name, "args": args, "caller_address": "Sheet1!E2", "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US", "date_format": "M/d/yyyy"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cells", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    rng = np.random.default_rng(0)
    price = np.round(rng.lognormal(3, 1, a.rows), 2)
    reg = np.round(rng.uniform(0.05, 1, a.rows), 3)
    units = rng.integers(1, 500, a.rows).astype(float)
    cols = [[[float(v)] for v in x] for x in (price, reg, units)]

    loop = asyncio.new_event_loop()
    run = loop.run_until_complete
    out = run(custom_functions_call(body("PSC_SEGMENT", cols), F))
    assert len(out) == a.rows and str(out[0][0]).startswith("P"), out[:2]
    t_col = best(lambda: run(custom_functions_call(body("PSC_SEGMENT", cols), F)), a.repeat)

    cuts = run(custom_functions_call(body("PSC_CUTS", cols), F))
    singles = [body("PSC_SEGMENT", [[[price[i]]], [[reg[i]]], [[units[i]]], cuts]) for i in range(a.cells)]
    first = run(custom_functions_call(singles[0], F))
    assert first == [out[0]], (first, out[0])

    def cells():
        for b in singles:
            run(custom_functions_call(b, F))
    t_cells = best(cells, a.repeat)
    loop.close()

    per_row_col = t_col / a.rows
    per_row_cell = t_cells / a.cells
    print(f"PSC_SEGMENT, one call on {a.rows:,} rows:  {t_col * 1000:8.1f} ms "
          f"({per_row_col * 1e6:.2f} µs/row; target ≤ 200 ms: {'met' if t_col <= 0.2 else 'NOT met'})")
    print(f"PSC_SEGMENT, {a.cells:,} single-cell calls:  {t_cells * 1000:8.1f} ms "
          f"({per_row_cell * 1e6:.1f} µs/row)")
    print(f"per-row ratio (single cells / column): {per_row_cell / per_row_col:,.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
