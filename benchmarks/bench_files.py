"""Time the readers and the whole `xlb2b analyze` against the fastest bare readers and writer.

    python benchmarks/bench_files.py [--lines 1000000] [--clients 25000] [--repeat 2]

Every figure is printed next to its floor, measured in the same run, and the
ratio (figure / floor) next to its target:

* CSV: read + validate the transactions CSV; floor
  ``pandas.read_csv(engine="pyarrow")`` of the same file (target <= 3).
* XLSX: read + validate the transactions and market workbooks; floor
  fastexcel's bare read of the same sheet to Arrow (target <= 1.5).
* DataFrame: validate the raw transactions frame (six text key columns:
  strip, blank check, categorical; numbers and dates already typed), and
  ``analyze`` end to end from the raw frames; floor a bare pandas groupby of
  the same frame (targets <= 1 and <= 3).
* Whole command: ``xlb2b analyze`` of the CSV with the clients and market
  workbooks in a child process; floor the fastest bare read of the three
  inputs plus writing the analysis workbook (target <= 2); the child's peak
  memory (target <= 1.5 GiB).

The best of ``--repeat`` runs is taken for each figure but the whole command,
which runs once; a reader and its floor take turns, so that a change of load on
the shared machine hits both (compare ratios, not seconds).  ``--files DIR``
keeps the generated input files in DIR and reuses them on the next run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import best, timed


def paired(fn, floor, repeat: int) -> tuple[float, float]:
    """The best time of ``fn`` and of ``floor``, the two called in turns."""
    t, f = [], []
    for _ in range(repeat):
        f.append(timed(floor)[0])
        t.append(timed(fn)[0])
    return min(t), min(f)


def line(label: str, t: float, floor_label: str, floor: float, target: float | None) -> bool:
    ratio = t / floor
    ok = target is None or ratio <= target
    goal = f"target <= {target:g}: {'met' if ok else 'NOT met'}" if target is not None else ""
    print(f"{label:44} {t:7.2f} s | {floor_label:34} {floor:7.2f} s | ratio {ratio:5.2f}  {goal}")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=25_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--files", type=Path, default=None, help="keep the input files here and reuse them")
    a = ap.parse_args(argv)

    import pandas as pd

    from xlb2b import Settings, analyze
    from xlb2b.excel.analysis_sheets import write_analysis_workbook
    from xlb2b.inputs import read_table
    from xlb2b.sample import generate, write_sample_files

    try:
        import fastexcel
    except ImportError:
        fastexcel = None
        print("fastexcel is not installed: XLSX floors use python-calamine instead")

    def bare_xlsx(path: Path):
        if fastexcel is not None:
            return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()
        from python_calamine import CalamineWorkbook
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    xlsx_floor = "fastexcel bare read" if fastexcel is not None else "python-calamine to_python"
    data = generate(a.clients, lines=a.lines, seed=11)
    tx = data.transactions
    settings = Settings(our_supplier=data.our_supplier)
    print(f"{len(tx):,} order lines, {a.clients:,} generated clients, {len(data.market):,} market lines")
    ok = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        where = a.files or tmp
        names = {"transactions_csv": "transactions.csv", "transactions": "transactions.xlsx",
                 "clients": "clients.xlsx", "market": "market.xlsx"}
        files = {k: where / v for k, v in names.items()}
        stamp = where / f"written-{a.lines}-{a.clients}.txt"
        if a.files is None or not stamp.exists():
            where.mkdir(parents=True, exist_ok=True)
            t_files, files = timed(lambda: write_sample_files(data, where))
            stamp.write_text("the input files of benchmarks/bench_files.py\n")
            print(f"(writing the input files took {t_files:.1f} s)")
        csv, tx_xlsx = files["transactions_csv"], files["transactions"]
        cl_xlsx, mk_xlsx = files["clients"], files["market"]

        # 1. CSV
        t_csv, t_pa = paired(lambda: read_table("transactions", csv),
                             lambda: pd.read_csv(csv, engine="pyarrow"), a.repeat)
        ok.append(line("CSV read + validate (transactions)", t_csv,
                       'pandas.read_csv(engine="pyarrow")', t_pa, 3))

        # 2. XLSX
        t_fx = {cl_xlsx: best(lambda: bare_xlsx(cl_xlsx), a.repeat)}
        for kind, p in (("transactions", tx_xlsx), ("market", mk_xlsx)):
            t, t_fx[p] = paired(lambda kind=kind, p=p: read_table(kind, p), lambda p=p: bare_xlsx(p), a.repeat)
            ok.append(line(f"XLSX read + validate ({kind})", t, xlsx_floor, t_fx[p], 1.5))

        # 3. DataFrames
        def groupby():
            tx.groupby("client_id").agg(amount=("amount", "sum"), orders=("order_id", "nunique"),
                                        last=("date", "max"))

        t_gb = best(groupby, a.repeat)
        t_val = best(lambda: read_table("transactions", tx), a.repeat)
        ok.append(line("DataFrame: validate the raw frame", t_val, "bare groupby", t_gb, 1))
        t_an = best(lambda: analyze(tx, data.clients, data.market, settings), a.repeat)
        ok.append(line("DataFrame: analyze end to end (3 raw frames)", t_an, "bare groupby", t_gb, 3))

        # 4. the whole command
        an = analyze(tx, data.clients, data.market, settings)
        t_write = best(lambda: write_analysis_workbook(an, tmp / "floor.xlsx"), 1)
        floor = t_pa + t_fx[cl_xlsx] + t_fx[mk_xlsx] + t_write
        cmd = [sys.executable, "-m", "xlb2b.cli", "analyze", str(csv), "--clients", str(cl_xlsx),
               "--market", str(mk_xlsx), "--our-supplier", data.our_supplier,
               "-o", str(tmp / "out.xlsx"), "--force"]
        t0 = time.perf_counter()
        with open(tmp / "out.txt", "w+") as out, open(tmp / "err.txt", "w+") as err:
            child = subprocess.Popen(cmd, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)      # this child's own peak memory
            t_cmd = time.perf_counter() - t0
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0), err.seek(0)
            stdout, stderr = out.read(), err.read()
        if child.returncode != 0:
            print(stdout[-2000:], stderr[-2000:])
            return 1
        print(f"(floor of the command: read CSV {t_pa:.2f} + clients {t_fx[cl_xlsx]:.2f} + market "
              f"{t_fx[mk_xlsx]:.2f} + write the workbook {t_write:.2f} s)")
        ok.append(line("xlb2b analyze CSV + clients + market", t_cmd,
                       "fastest reads + workbook write", floor, 2))
        peak = usage.ru_maxrss / 1024
        print(f"{'peak memory of the command':44} {peak:7.0f} MiB (target <= 1536 MiB: "
              f"{'met' if peak <= 1536 else 'NOT met'})")
        ok.append(peak <= 1536)
        stages = [ln for ln in stderr.splitlines() if ln.startswith("[")]
        print("stages reported by the command:", "; ".join(stages))
    print(f"targets met: {sum(ok)} of {len(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
