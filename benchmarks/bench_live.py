"""The buttons through xlwings' Office.js code path, before and after.

    python benchmarks/bench_live.py [--sizes 600,3000,5000] [--large] [--before REV]

For each book built from xlb2b.sample (clients / order lines) and each of
Analyze, Build ADP and Build ADPs for A clients: the book sent to Python
(MB of JSON, as xlwings' Office.js client sends it), the actions returned (MB
and count, the three most frequent), the largest single action, the largest
range written (cells) and the Python time -- once with the code of revision
REV (default: the commit before the budgets, 0f1b455; give main for the
state before a branch) and once with this
checkout, each in its own process in the same run.  ``--large`` adds 20,000
clients / 1,000,000 lines (minutes, and several GB of memory, for the old code).

A book above the envelope of one read (docs/install.md) stops in Python with a
message when sent whole: its "after" row says so; "Analyze in blocks" is the
route the Server ribbon takes for it on the desktop (the input sheets sent a
block of rows a request to receive_rows, then run_received; "sent MB" is the
largest block, the time covers every request).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "0f1b455"
LINES = {600: 24_000, 1900: 75_000, 3000: None, 5000: 200_000, 20_000: 1_000_000}
SCRIPTS = [("Analyze", "analyze_client_base"), ("Analyze 2 windows", "analyze_two_windows"),
           ("Build ADP", "build_adp"), ("Build ADPs for A", "build_adps_a"),
           ("ADP, layout kept", "build_adp (layout kept)"), ("Analyze in blocks", "analyze (rows in blocks)")]

MEASURE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import officejs                       # puts this checkout on the path; the measured code goes first
sys.path.insert(0, sys.argv[5])
from live_harness import run, sample_sheets
from xlb2b import sample
n, lines = int(sys.argv[2]), (int(sys.argv[3]) or None)
d = sample.generate(n, lines=lines, seed=11)
sheets = sample_sheets(d)
cid = d.clients.sort_values("client_id").client_id.iloc[0]
top = d.transactions.groupby("client_id").amount.sum().idxmax()
row = 2 + list(d.transactions.client_id).index(top)
import udfs.scripts
out = {"lines": len(d.transactions), "clients": n, "code": udfs.scripts.__file__}
kept = []
import asyncio, time
from live_harness import request, xw
from xlwings.server import custom_scripts_call
for label, script in json.loads(sys.argv[4]):
    if script == "analyze (rows in blocks)":
        # the Server ribbon's desktop route above one read: blocks to receive_rows, then run_received
        from udfs.server import custom_scripts as cs
        if not hasattr(cs, "run_received"):
            continue
        import types
        blocks, sent, t = 0, 0, time.perf_counter()
        for name, values in sheets:
            step = udfs.scripts.block_rows(len(values[0]))
            for first in range(0, len(values), step):
                part = json.dumps(values[first:first + step], separators=(",", ":"))
                b = xw.Book(json=request(sheets, ["xlb2b: no sheet"]))
                asyncio.run(custom_scripts_call(cs, "receive_rows", typehint_to_value={xw.Book: b},
                                                args=["bench", name, first, part]))
                blocks, sent = blocks + 1, max(sent, len(part))
        b = xw.Book(json=request(sheets, ["Contents", "Settings"], selection=f"A{row}"))
        asyncio.run(custom_scripts_call(cs, "run_received", typehint_to_value={xw.Book: b},
                                        args=["bench", "analyze_client_base"]))
        acts = b.json()["actions"]
        sizes = [len(json.dumps(a, separators=(",", ":"), default=str)) for a in acts]
        from collections import Counter
        counts = Counter(a["func"] for a in acts)
        out[label] = {"request_mb": sent / 1e6, "response_mb": sum(sizes) / 1e6, "count": len(acts),
                      "largest_kb": max(sizes, default=0) / 1e3, "largest_cells": 0,
                      "seconds": time.perf_counter() - t, "top": [(f"{blocks} blocks of rows", "sent")]
                      + counts.most_common(2), "sheets": counts.get("addSheet", 0), "stopped": []}
        continue
    if script not in udfs.scripts.BUTTONS.values() and script != "build_adp (layout kept)":
        continue
    if script == "build_adp (layout kept)":
        layout = [n for n in kept if n.startswith("xlb2b layout ")]
        if not layout:
            continue
        r = run(sheets + [(layout[0], [[]])], "build_adp", selection=f"A{row}")
    else:
        r = run(sheets, script, selection=f"A{row}")
    if script == "build_adps_a":
        kept = [s.name for s in r.book.sheets]
    counts = r.counts
    out[label] = {
        "request_mb": r.request_bytes / 1e6, "response_mb": r.response_bytes / 1e6,
        "count": len(r.actions), "largest_kb": max(r.sizes, default=0) / 1e3,
        "largest_cells": max((r.cells(a) for a in r.actions), default=0),
        "seconds": r.seconds, "top": counts.most_common(3),
        "sheets": counts.get("addSheet", 0) + counts.get("copySheet", 0),
        "stopped": [t[:60] for t in r.alerts() if "cells" in t and "reads at most" in t],
    }
print(json.dumps(out))
"""


def measure(code_root: Path, n: int, lines: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    out = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT / "tests"), str(n), str(lines or 0),
                          json.dumps(SCRIPTS), str(code_root)],
                         env=env, capture_output=True, text=True, check=True, cwd=code_root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="600,3000,5000", help="numbers of clients, comma-separated")
    ap.add_argument("--large", action="store_true", help="also 20,000 clients / 1,000,000 lines")
    ap.add_argument("--before", default=BASE, help="revision measured as the baseline")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s] + ([20_000] if a.large else [])
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", a.before], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        print(f"before: {a.before}; after: this checkout. MB of JSON as xlwings' Office.js client sends it.")
        print(f"{'book':<26} {'button':<17} {'':<6} {'sent MB':>8} {'actions MB':>10} {'count':>7} "
              f"{'largest kB':>10} {'largest cells':>13} {'Python s':>8}  most frequent")
        for n in sizes:
            for tag, root in (("before", old), ("after", ROOT)):
                m = measure(root, n, LINES.get(n))
                book = f"{n:,} clients / {m['lines'] / 1000:,.0f}k lines"
                for label, _ in SCRIPTS:
                    if label not in m:
                        continue
                    f = m[label]
                    top = ", ".join(f"{k} {v}" for k, v in f["top"])
                    if f["stopped"]:
                        top = "stopped with the size message (the Server ribbon does not send it)"
                    print(f"{book:<26} {label:<17} {tag:<6} {f['request_mb']:8.1f} {f['response_mb']:10.2f} "
                          f"{f['count']:7,} {f['largest_kb']:10.0f} {f['largest_cells']:13,} {f['seconds']:8.1f}  "
                          f"{top}")
        functions()
    return 0


FUNCTIONS = r"""
import asyncio, json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from officejs import server_imports
with server_imports():
    import xlwings as xw
    from xlwings.server import custom_functions_call
    from udfs import functions as F
from xlb2b import sample

def body(name, args):
    return {"func_name": name, "args": args, "caller_address": "Sheet1!E2", "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US", "date_format": "M/d/yyyy"}

def size(x):
    return len(json.dumps(x, separators=(",", ":"), default=str))

out = []
rng = np.random.default_rng(0)
n = 100_000
cols = [[[float(v)] for v in x] for x in (np.round(rng.lognormal(3, 1, n), 2),
                                          np.round(rng.uniform(0.05, 1, n), 3),
                                          rng.integers(1, 500, n).astype(float))]
b = body("PSC_SEGMENT", cols)
res = asyncio.run(custom_functions_call(b, F))
out.append(["PSC_SEGMENT", f"{n:,} rows x 3 columns", size(b), size(res), len(res)])
d = sample.generate(2500, lines=n, seed=3)
tx = d.transactions.copy()
tx["date"] = (tx["date"] - np.datetime64("1899-12-30")) / np.timedelta64(1, "D")     # Excel hands serials
rows = [list(tx.columns)] + [["" if v != v else v for v in r] for r in tx.itertuples(index=False)]
b = body("B2B_METRICS", [rows])
res = asyncio.run(custom_functions_call(b, F))
out.append(["B2B_METRICS", f"{len(tx):,} lines x {len(tx.columns)} columns", size(b), size(res), len(res)])
print(json.dumps(out))
"""


def functions() -> None:
    """Request and response sizes of the biggest cell-function calls."""
    out = subprocess.run([sys.executable, "-c", FUNCTIONS, str(ROOT / "tests")], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    print()
    print(f"{'cell function':<14} {'argument':<26} {'request MB':>10} {'response MB':>11} {'rows out':>9}")
    for name, arg, req, res, rows in json.loads(out.stdout.strip().splitlines()[-1]):
        print(f"{name:<14} {arg:<26} {req / 1e6:10.2f} {res / 1e6:11.2f} {rows:9,}")


if __name__ == "__main__":
    sys.exit(main())
