"""Time ``xlb2b.analyze`` against the RFM summaries of lifetimes and pymc-marketing.

    python benchmarks/bench_peers.py [--copies 15] [--repeat 3]

The data: the public CDNOW transactions (23,570 clients, 69,659 lines,
1997-01 .. 1998-06), as shipped inside the lifetimes package, copied
``--copies`` times with distinct client ids (15 copies: 1,044,885 lines,
353,550 clients).  Without lifetimes installed, CDNOW-like lines are
generated instead (same shape: clients who first buy in the first quarter,
few repeat purchases, skewed amounts) and the script says so.

Every call starts from the same raw DataFrame (client id, date, amount,
quantity) in one process, the calls taking turns; the median of ``--repeat``
runs is printed next to
``analyze``'s (all metrics and segmentations over the whole period) with the
ratio analyze / peer: below 1 means analyze ends first; reading and
validating the frame alone (``read_table``) is shown against the groupby.
``analyze`` leaves the two-window section (W0 -> W1, which the peers do not
compute) to the first use of ``clients`` or ``dynamics``; the time of
``analyze`` followed by ``.clients``, which computes it, is shown too.  The peers are the
optional ``bench`` extra (``pip install xlb2b[bench]``); a missing one is
skipped with a message.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path


def cdnow(copies: int):
    """(frame, where it came from)."""
    import numpy as np
    import pandas as pd

    try:
        import lifetimes
    except ImportError:
        lifetimes = None
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt" if lifetimes else None
    if path is not None and path.exists():
        raw = pd.read_csv(path, sep=r"\s+", header=None, skiprows=1, dtype={0: str, 1: str},
                          names=["customer_id", "date", "cds", "amount"])
        source = f"CDNOW_master.txt from lifetimes {lifetimes.__version__}"
    else:
        rng = np.random.default_rng(1997)
        n = 23_570
        first = rng.integers(0, 84, n)                      # first purchase in the first quarter
        repeats = rng.negative_binomial(0.5, 0.18, n)        # most buy once, a few many times
        cid = np.repeat(np.arange(1, n + 1), 1 + repeats)
        day = np.concatenate([np.sort(np.r_[f, rng.integers(f, 546, r)])
                              for f, r in zip(first, repeats)])
        raw = pd.DataFrame({
            "customer_id": [f"{c:05d}" for c in cid],
            "date": (pd.Timestamp("1997-01-01") + pd.to_timedelta(day, "D")).strftime("%Y%m%d"),
            "cds": rng.integers(1, 6, len(cid)),
            "amount": np.round(rng.lognormal(3.0, 0.9, len(cid)), 2)})
        source = "generated CDNOW-like lines (lifetimes, which ships CDNOW, is not installed)"
    date = pd.to_datetime(raw["date"], format="%Y%m%d")
    parts = [pd.DataFrame({"client_id": f"{k:02d}-" + raw["customer_id"], "date": date,
                           "amount": raw["amount"].astype(float),
                           "quantity": raw["cds"].astype(float)}) for k in range(copies)]
    return pd.concat(parts, ignore_index=True), source


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")

    from xlb2b import Settings, analyze
    from xlb2b.inputs import read_table

    tx, source = cdnow(a.copies)
    end = tx["date"].max()
    print(f"{len(tx):,} lines, {tx['client_id'].nunique():,} clients: {source}")
    settings = Settings(window="all")

    def ours():
        analyze(tx, settings=settings)

    def ours_with_clients():
        # the per-client table asked for: the two-window columns, left by analyze to their first use, too
        return analyze(tx, settings=settings).clients

    def read():
        read_table("transactions", tx)

    def bare():
        tx.groupby("client_id").agg(amount=("amount", "sum"), n=("date", "nunique"), last=("date", "max"))

    peers = []
    try:
        from lifetimes.utils import summary_data_from_transaction_data
        peers.append(("lifetimes summary_data_from_transaction_data",
                      lambda: summary_data_from_transaction_data(tx, "client_id", "date", "amount",
                                                                 observation_period_end=end)))
    except ImportError:
        print("lifetimes not installed: skipped (pip install xlb2b[bench])")
    try:
        from pymc_marketing.clv.utils import rfm_segments, rfm_summary
        peers.append(("pymc-marketing rfm_summary",
                      lambda: rfm_summary(tx, "client_id", "date", "amount", observation_period_end=end)))
        peers.append(("pymc-marketing rfm_segments",
                      lambda: rfm_segments(tx, "client_id", "date", "amount", observation_period_end=end)))
    except ImportError:
        print("pymc-marketing not installed: skipped (pip install xlb2b[bench])")

    # the calls take turns, so that every one sees the same share of a busy machine
    calls = [("xlb2b analyze (all metrics, every segmentation)", ours),
             ("bare groupby (sum, distinct days, last date)", bare),
             ("of which read + validate (read_table)", read),
             ("analyze, then .clients (two-window columns)", ours_with_clients)] + peers
    times: dict[str, list[float]] = {label: [] for label, _ in calls}
    ours()                                          # imports and first-call set-up
    for _ in range(a.repeat):
        for label, fn in calls:
            times[label].append(median_time(fn, 1))
    t = {label: statistics.median(v) for label, v in times.items()}
    t_ours = t[calls[0][0]]
    print(f"{calls[0][0]:48} {t_ours:7.2f} s")
    t_bare = t[calls[1][0]]
    print(f"{calls[1][0]:48} {t_bare:7.2f} s   analyze / groupby {t_ours / t_bare:5.2f}")
    print(f"{calls[2][0]:48} {t[calls[2][0]]:7.2f} s   read / groupby    {t[calls[2][0]] / t_bare:5.2f}")
    print(f"{calls[3][0]:48} {t[calls[3][0]]:7.2f} s   (the two-window section computed too)")
    worst = 0.0
    for label, _ in peers:
        worst = max(worst, t_ours / t[label])
        print(f"{label:48} {t[label]:7.2f} s   analyze / peer {t_ours / t[label]:5.2f}  (target < 1)")
    if peers:
        print(f"target met: {'yes' if worst < 1 else 'no'} (slowest ratio {worst:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
