"""Reading text lines in the engine: the file readers' rules on the DuckDB path against a baseline revision.

    python benchmarks/bench_scan_rules.py [--lines 200000] [--baseline main] [--rounds 2]

Generated order lines (20,000 clients, ``;`` CSV with dd.mm.yyyy dates and decimal
commas, and the same lines as typed parquet) are opened with
``xlb2b.inputs.scan.open_files`` and summed, once with this tree's scan module and
once with the baseline revision's (``git show REV:xlb2b/inputs/scan.py``), in turns,
in one process: compare the ratios, the load of a shared machine moves both alike.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _baseline(rev: str, folder: Path):
    root = Path(__file__).resolve().parents[1]
    text = subprocess.run(
        ["git", "-C", str(root), "show", f"{rev}:xlb2b/inputs/scan.py"], check=True, capture_output=True, text=True
    ).stdout
    path = folder / "scan_baseline.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("scan_baseline", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["scan_baseline"] = mod  # (its dataclasses look their module up)
    spec.loader.exec_module(mod)
    return mod


def _files(n: int, folder: Path) -> list[Path]:
    rng = np.random.default_rng(1)
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    amounts = rng.uniform(1, 5000, n)
    df = pd.DataFrame(
        {
            "Клиент": [f"C{i:05d}" for i in rng.integers(0, 20000, n)],
            "Дата": days.strftime("%d.%m.%Y"),
            "Сумма": [f"{v:.2f}".replace(".", ",") for v in amounts],
            "Количество": rng.integers(1, 9, n).astype(str),
        }
    )
    csv = folder / "lines.csv"
    df.to_csv(csv, sep=";", index=False)
    pq = folder / "lines.parquet"
    df.assign(Дата=days, Сумма=amounts, Количество=df["Количество"].astype(float)).to_parquet(pq)
    return [csv, pq]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args(argv)
    from xlb2b.inputs import scan

    with tempfile.TemporaryDirectory(prefix="xlb2b-scan-rules-") as tmp:
        folder = Path(tmp)
        old = _baseline(a.baseline, folder)
        for f in _files(a.lines, folder):
            times: dict[str, list[float]] = {"baseline": [], "this tree": []}
            for _ in range(a.rounds):
                for name, mod in (("baseline", old), ("this tree", scan)):
                    t0 = time.perf_counter()
                    e = mod.open_files("transactions", str(f))
                    e.table.aggregate(s=e.table.amount.sum()).to_pandas()
                    times[name].append(time.perf_counter() - t0)
            b, n = min(times["baseline"]), min(times["this tree"])
            ratio = n / b
            print(
                f"{f.name}: {a.lines:,} lines; baseline {b:.2f} s, this tree {n:.2f} s ({ratio:.2f}x), "
                f"best of {a.rounds}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
