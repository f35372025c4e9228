"""Time the workbook guard (every XML prolog read, each worksheet unpacked) against reading the workbook.

    python benchmarks/bench_guards.py [--rows 200000] [--repeat 3]

Writes a transactions workbook with XlsxWriter, then prints the best of
``--repeat`` runs of: the guard alone (the prolog of every XML part searched
for a DTD, each worksheet unpacked to the end for formulas saved without values,
unless one with a value comes first), the first 2 KiB of every XML part, plain
unpacking of every part (zlib only, the floor for the guard on a sheet without formulas),
and the whole read_transactions; the ratios within one run are the figures to
compare (the machine is shared).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

from _timing import best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)

    import xlsxwriter

    from xlb2b.inputs import read_transactions
    from xlb2b.inputs.context import _Ctx
    from xlb2b.inputs.guards import _check_workbook_zip

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("Transactions")
        ws.write_row(0, 0, ["Client", "Date", "Amount", "Qty", "SKU"])
        for i in range(a.rows):
            ws.write_row(i + 1, 0, [f"C{i % 5000}", f"2024-{i % 12 + 1:02d}-15", i * 0.5, i % 7, f"S{i % 300}"])
        wb.close()
        size = path.stat().st_size

        def head_only():
            with zipfile.ZipFile(path) as zf:
                for i in zf.infolist():
                    if i.filename.endswith((".xml", ".rels", ".vml")):
                        with zf.open(i) as m:
                            m.read(2048).upper()

        def unpack_all():
            with zipfile.ZipFile(path) as zf:
                for i in zf.infolist():
                    with zf.open(i) as m:
                        while m.read(1 << 20):
                            pass

        guard = best(lambda: _check_workbook_zip(path, _Ctx("transactions", "tx.xlsx")), a.repeat)
        head = best(head_only, a.repeat)
        unpack = best(unpack_all, a.repeat)
        read = best(lambda: read_transactions(path), a.repeat)
    print(f"workbook: {a.rows:,} rows, {size / 2 ** 20:.1f} MiB")
    print(f"  2 KiB of every part        {head * 1000:8.1f} ms")
    print(f"  unpack every part (zlib)   {unpack * 1000:8.1f} ms")
    print(f"  guard                      {guard * 1000:8.1f} ms   {guard / unpack:.2f}x unpacking")
    print(f"  read_transactions          {read * 1000:8.1f} ms   guard = {guard / read:.1%} of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
