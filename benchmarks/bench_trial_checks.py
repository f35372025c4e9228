"""Time what the hidden-rows check and the day-subtotal search add to reading a table.

    python benchmarks/bench_trial_checks.py [--lines 300000] [--repeat 3]

Each table is read twice in the same run: as shipped, and with the check replaced by a no-op (the
baseline).  Tables: an .xlsx sheet of ``--lines`` lines, no row hidden (the check unpacks the sheet's
XML once more and finds nothing), and a grid whose client cell is written once over its lines (70 %
of the lines have no client, so every one of them is a candidate day subtotal).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import numpy as np
from _timing import best


def _xlsx(path: Path, n: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sales")
    ws.write_row(0, 0, ["Client", "Date", "Amount"])
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    day = dt.datetime(2025, 1, 1)
    for i in range(1, n + 1):
        ws.write_string(i, 0, f"C{i % 5000}")
        ws.write_datetime(i, 1, day + dt.timedelta(days=i % 300), fmt)
        ws.write_number(i, 2, i % 997 + 1)
    wb.close()


def _merged_grid(n: int) -> list[list]:
    rng = np.random.default_rng(1)
    blank = rng.random(n) < 0.7
    blank[0] = False
    rows: list[list] = [["Client", "Date", "Amount"]]
    for i in range(n):
        rows.append([None if blank[i] else f"C{i}", f"{1 + i * 28 // n:02d}.03.2025", float(rng.integers(1, 1000))])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)

    from xlb2b.inputs import read_transactions, reading, structure

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sales.xlsx"
        _xlsx(path, a.lines)
        shipped = best(lambda: read_transactions(str(path)), a.repeat)
        keep = reading.hidden_rows_note
        reading.hidden_rows_note = lambda *args, **kw: None
        try:
            base = best(lambda: read_transactions(str(path)), a.repeat)
        finally:
            reading.hidden_rows_note = keep
        check = best(lambda: reading.hidden_rows(path, "Sales"), a.repeat)
        print(f"xlsx, {a.lines:,} lines: read {shipped:.3f} s, without the hidden-rows check {base:.3f} s "
              f"(the check alone {check:.3f} s)")

    grid = _merged_grid(a.lines)
    shipped = best(lambda: read_transactions(grid), a.repeat)
    keep2 = structure._dated_subtotals
    structure._dated_subtotals = lambda *args, **kw: []
    try:
        base = best(lambda: read_transactions(grid), a.repeat)
    finally:
        structure._dated_subtotals = keep2
    print(f"grid, {a.lines:,} lines, 70 % without a client: read {shipped:.3f} s, "
          f"without the day-subtotal search {base:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
