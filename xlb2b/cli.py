"""Command line: ``xlb2b demo [DIR]``.

Errors in the input print as a readable report and exit with status 2; no
traceback reaches the user.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError

EXIT_OK, EXIT_INPUT = 0, 2


def _print_table(df, title: str) -> None:
    import pandas as pd
    print(f"\n{title}")
    with pd.option_context("display.width", 160, "display.max_columns", 12,
                           "display.float_format", "{:,.2f}".format):
        print(df.to_string(index=False))


def _print_report(report) -> None:
    frame = report.to_frame()
    if len(frame):
        _print_table(frame.head(50), f"Input issues ({len(frame)}):")


def cmd_demo(args) -> int:
    from .analysis import analyze
    from .sample import generate, write_sample_files
    from .settings import Settings

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    data = generate(args.clients, seed=args.seed)
    files = write_sample_files(data, out)
    settings = Settings(our_supplier=data.our_supplier)
    a = analyze(data.transactions, data.clients, data.market, settings)
    a.clients.to_csv(out / "clients_analysis.csv", index=False)
    a.excluded.to_csv(out / "excluded.csv", index=False)
    a.report.to_frame().to_csv(out / "input_issues.csv", index=False)
    for name in a.SUMMARIES:
        a.summary(name).to_csv(out / f"summary_{name}.csv", index=False)
    print(f"Window {a.window}: {len(a.clients):,} clients analysed, {len(a.excluded):,} excluded")
    cols = ["segment", "revenue", "revenue_share", "clients", "clients_share", "ltv", "avg_check"]
    _print_table(a.summary("psc_group")[cols], "PSC groups")
    _print_table(a.summary("abc")[cols], "ABC")
    print("\nFiles:")
    for p in list(files.values()) + [out / "clients_analysis.csv", out / "excluded.csv"]:
        print(f"  {p}")
    print(f"  {out}/summary_*.csv")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xlb2b", description="B2B client-base analytics for Excel")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run the whole analysis on the built-in sample data")
    d.add_argument("dir", nargs="?", default="xlb2b-demo", help="output folder (default: xlb2b-demo)")
    d.add_argument("--clients", type=int, default=3000, help="number of sample clients")
    d.add_argument("--seed", type=int, default=2024)
    d.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        _print_report(e.report)
        return EXIT_INPUT
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
