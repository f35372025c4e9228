"""Time filling users' templates.

    python benchmarks/bench_fill.py [--clients 3000] [--sheets 50]

Prints, for the sample distributor: our blank ADP template filled for the top
N clients (one package-level copy per client, ``xlb2b adp --template``) next
to the same N ADP sheets generated and added with ``adp --into`` (the
baseline, same run); and a report workbook with every report name refreshed
(``xlb2b report``) next to the analysis alone.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _timing import rss_mib, timed

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=3000)
    ap.add_argument("--sheets", type=int, default=50)
    a = ap.parse_args(argv)

    import xlsxwriter

    from xlb2b import Settings, analyze
    from xlb2b.excel.adp_sheets import write_adp_workbook
    from xlb2b.excel.fill import fill_adp_template, fill_report, report_values
    from xlb2b.excel.merge import add_sheets
    from xlb2b.sample import generate

    data = generate(a.clients, seed=2024)
    t_an, an = timed(lambda: analyze(data.transactions, data.clients, data.market,
                                     Settings(our_supplier=data.our_supplier)))
    ids = list(an.clients.sort_values("revenue", ascending=False)["client_id"][:a.sheets])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tpl = ROOT / "workbook_templates" / "en" / "adp.xlsx"
        t_fill, res = timed(lambda: fill_adp_template(an, ids, tpl, tmp / "filled.xlsx"))
        base = tmp / "base.xlsx"
        base.write_bytes(tpl.read_bytes())

        def into():
            gen = write_adp_workbook(an, ids, tmp / "gen.xlsx")
            return add_sheets(base, gen, tmp / "into.xlsx")
        t_into, _ = timed(into)
        print(f"analysis of {a.clients:,} clients: {t_an:.2f} s")
        print(f"template filled for {len(res.sheets)} clients: {t_fill:.2f} s, "
              f"{(tmp / 'filled.xlsx').stat().st_size / 1e6:.2f} MB")
        print(f"baseline, {len(ids)} generated ADP sheets added with --into: {t_into:.2f} s "
              f"(fill / baseline = {t_fill / t_into:.2f})")

        report = tmp / "report.xlsx"
        wb = xlsxwriter.Workbook(str(report))
        names = report_values(an)
        wb.add_worksheet("Report")
        row = 0
        for name, v in names.items():
            width = len(v[0]) if isinstance(v, list) else 1
            height = len(v) if isinstance(v, list) else 1
            last = f"${chr(65 + width - 1) if width <= 26 else 'Z'}${row + height}"
            first = f"=Report!$A${row + 1}"
            wb.define_name(name, f"{first}:{last}" if (width, height) != (1, 1) else first)
            row += height + 1
        wb.close()
        t_rep, rep = timed(lambda: fill_report(an, report, tmp / "report-out.xlsx"))
        print(f"report with {len(rep.filled)} names refreshed: {t_rep:.2f} s "
              f"(report / analysis = {t_rep / t_an:.2f})")
    print(f"peak memory: {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
