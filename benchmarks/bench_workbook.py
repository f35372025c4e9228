"""Time the analysis workbook and the whole `xlb2b analyze` on big inputs.

    python benchmarks/bench_workbook.py [--lines 1000000] [--clients 20000]

Prints: the time to write the workbook for the clients of the generated data
(target <= 10 s for 20,000 clients); and `xlb2b analyze` end to end from a
CSV and from an XLSX of all the order lines, each next to the time it takes
merely to read that file (pandas.read_csv; python-calamine) in the same run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    # about four in five generated clients buy in the last 12 months: 25,000 give ~20,000 analysed
    ap.add_argument("--clients", type=int, default=25_000)
    a = ap.parse_args(argv)

    import pandas as pd

    from xlb2b import Settings, analyze
    from xlb2b.excel.analysis_sheets import write_analysis_workbook
    from xlb2b.sample import generate, write_sample_files

    data = generate(a.clients, lines=a.lines, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        an = analyze(data.transactions, data.clients, data.market, Settings(our_supplier=data.our_supplier))
        t_wb, _ = timed(lambda: write_analysis_workbook(an, tmp / "wb.xlsx"))
        print(f"workbook for {len(an.clients):,} clients: {t_wb:7.2f} s "
              f"({(tmp / 'wb.xlsx').stat().st_size / 2**20:.1f} MiB; target <= 10 s for 20,000)")

        t_files, files = timed(lambda: write_sample_files(data, tmp))
        print(f"(writing the sample input files took {t_files:.1f} s)")
        csv, xlsx = files["transactions_csv"], files["transactions"]
        t_read_csv, _ = timed(lambda: pd.read_csv(csv))

        def calamine():
            from python_calamine import CalamineWorkbook
            return CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()

        t_read_xlsx, _ = timed(calamine)
        for label, src, t_read in (("CSV", csv, t_read_csv), ("XLSX", xlsx, t_read_xlsx)):
            out = tmp / f"out-{label}.xlsx"
            cmd = [sys.executable, "-m", "xlb2b.cli", "analyze", str(src), "--clients", str(files["clients"]),
                   "--market", str(files["market"]), "--our-supplier", data.our_supplier, "-o", str(out),
                   "--quiet", "--force"]
            t_run, proc = timed(lambda cmd=cmd: subprocess.run(cmd, capture_output=True, text=True))
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:])
                return 1
            print(f"xlb2b analyze from {label:4} ({len(data.transactions):,} lines): {t_run:7.2f} s   "
                  f"merely reading the file: {t_read:6.2f} s   ratio {t_run / t_read:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
