"""Time the Account Development Plans.

    python benchmarks/bench_adp.py [--clients 3000] [--split 500] [--sheets 100]

Prints, for the sample distributor: `xlb2b adp --top N --split` end to end
(target <= 60 s for 500 workbooks), one workbook with 100 ADP sheets, the
same 100 sheets laid out for an open workbook (xlwings actions, no Excel),
and the 100 sheets added to the analysis workbook with `adp --into` -- each
next to the analysis alone in the same run, so the ratios hold on a busy
machine.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import rss_mib, timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=3000)
    ap.add_argument("--split", type=int, default=500)
    ap.add_argument("--sheets", type=int, default=100)
    a = ap.parse_args(argv)

    from xlb2b import Settings, analyze
    from xlb2b.excel.adp_sheets import add_adp_sheets, write_adp_workbook
    from xlb2b.excel.analysis_sheets import write_analysis_workbook
    from xlb2b.excel.live import RecordingWorkbook
    from xlb2b.excel.merge import add_sheets
    from xlb2b.sample import generate, write_sample_files

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = generate(a.clients, seed=2024)
        files = write_sample_files(data, tmp)
        t_an, an = timed(lambda: analyze(data.transactions, data.clients, data.market,
                                         Settings(our_supplier=data.our_supplier)))
        print(f"analysis of {len(an.clients):,} clients (in process):      {t_an:7.2f} s")
        top = list(an.clients.sort_values("revenue", ascending=False)["client_id"][:a.sheets])

        cmd = [sys.executable, "-m", "xlb2b.cli", "adp", str(files["transactions"]), "--clients",
               str(files["clients"]), "--market", str(files["market"]), "--top", str(a.split), "--split",
               "-o", str(tmp / "split"), "--quiet"]
        t_split, res = timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
        if res.returncode:
            print(res.stderr)
            return 1
        n = len(list((tmp / "split").glob("*.xlsx")))
        print(f"xlb2b adp --top {a.split} --split ({n} workbooks, with analysis): {t_split:7.2f} s"
              f"   target <= 60 s")

        t_book, _ = timed(lambda: write_adp_workbook(an, top, tmp / "adp100.xlsx"))
        size = (tmp / "adp100.xlsx").stat().st_size / 2**20
        print(f"one workbook with {len(top)} ADP sheets + revenue plan:      {t_book:7.2f} s  ({size:.1f} MiB)")

        def live():
            rec = RecordingWorkbook()
            add_adp_sheets(rec, an, top)
            return rec
        t_rec, rec = timed(live)
        cells = sum(len(s.cells) for s in rec.sheets)
        print(f"the same sheets laid out for an open workbook:     {t_rec:7.2f} s  ({cells:,} cells)")

        analysis_book = write_analysis_workbook(an, tmp / "analysis.xlsx")
        t_merge, added = timed(lambda: add_sheets(analysis_book, tmp / "adp100.xlsx", tmp / "merged.xlsx"))
        print(f"adding them to the analysis workbook (--into):     {t_merge:7.2f} s  ({len(added)} sheets)")
        print(f"ratios to the analysis: split {t_split / t_an:.0f}x, 100 sheets {t_book / t_an:.1f}x, "
              f"merge {t_merge / t_an:.1f}x")
        print(f"peak RSS {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
