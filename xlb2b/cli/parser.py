"""The parser of every command and the entry point that turns every failure into a message and an exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from xlb2b.cli.commands import (
    cmd_addin_build,
    cmd_adp,
    cmd_analyze,
    cmd_demo,
    cmd_report,
    cmd_settings_init,
    print_readings,
)
from xlb2b.cli.output import (
    DEFAULT_SETTINGS_FILE,
    EXIT_ERROR,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    CliInputError,
    _date,
    _positive_int,
    format_report,
)
from xlb2b.errors import InputError

# --------------------------------------------------------------------------
# parser and entry point

_EPILOG = (
    "exit status: 0 done; 1 error (e.g. an output exists: use --force); 2 the input or the "
    "options cannot be used (the problems are listed); 3 internal error (XLB2B_DEBUG=1 shows "
    "details)"
)


def _add_input_options(a) -> None:
    """Inputs, column mapping, window, settings, our supplier and language: the
    options shared by the commands that run the analysis."""
    a.add_argument("transactions", metavar="TRANSACTIONS", help="transactions file (one row per order line)")
    a.add_argument("--clients", metavar="FILE", help="clients table (names, industry, capacity, overdue)")
    a.add_argument("--market", metavar="FILE", help="market table: each client's purchases by supplier")
    a.add_argument(
        "--sheet",
        metavar="NAME",
        help="sheet of the transactions workbook (default: a sheet named Transactions/"
        "Продажи/Sales, else the first, or the one sheet holding the required columns)",
    )
    a.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=HEADER",
        help="use HEADER of the transactions file as COLUMN (client_id, date, amount, order_id, "
        "sku, category, quantity, cost, gross_profit, region, manager); repeatable, e.g. "
        "--map client_id=Покупатель --map amount='Сумма с НДС'",
    )
    w = a.add_argument_group(
        "window (overrides the settings file; default: the 12 months ending with the month of the latest transaction)"
    )
    w.add_argument("--start", type=_date, metavar="DATE", help="first day, YYYY-MM-DD or DD.MM.YYYY (with --end)")
    w.add_argument("--end", type=_date, metavar="DATE", help="last day, inclusive (with --start)")
    w.add_argument("--all", action="store_true", help="all the data (whole months)")
    w.add_argument(
        "--previous-start",
        type=_date,
        metavar="DATE",
        help="first day of the preceding window W0 the analysis window is compared with "
        "(with --previous-end; default: the same number of whole months just before)",
    )
    w.add_argument("--previous-end", type=_date, metavar="DATE", help="last day of W0, inclusive")
    a.add_argument(
        "--settings", metavar="FILE.toml", help="settings file (write a commented one with: xlb2b settings init)"
    )
    a.add_argument(
        "--our-supplier",
        metavar="NAME",
        help="our company's name in the market table's supplier column (for share of wallet)",
    )
    a.add_argument(
        "--lang",
        choices=("en", "ru"),
        help="language of the workbook and the CSV format (default: the settings' locale, en)",
    )


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.HelpFormatter
    p = argparse.ArgumentParser(
        prog="xlb2b", description="B2B client-base analytics for Excel.", epilog=_EPILOG, formatter_class=fmt
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser(
        "analyze",
        formatter_class=fmt,
        epilog=_EPILOG,
        help="analyse a transactions file and write the analysis workbook",
        description="Read the transactions (and optionally the clients and market tables), run the "
        "analysis and write the analysis workbook. Input files: .xlsx/.xlsm, .xls/.xlsb/.ods "
        "(with python-calamine), .csv, .parquet; Russian and English headers are recognised. "
        "Existing outputs are not "
        "overwritten without --force; input files are never modified.",
    )
    _add_input_options(a)
    a._actions[[x.dest for x in a._actions].index("transactions")].nargs = "?"
    big = a.add_argument_group("big inputs (need the scale extra: pip install 'xlb2b[scale]'; see docs/big-data.md)")
    big.add_argument(
        "--engine",
        choices=("auto", "pandas", "duckdb"),
        default="auto",
        help="auto (default): DuckDB, out of core, for a glob, a folder or a file of 256 MiB or more, pandas otherwise",
    )
    big.add_argument(
        "--db",
        metavar="URL",
        help="read the transactions from a database instead of a file, e.g. "
        "postgres://user@host:5432/dbname; the aggregation runs in the database",
    )
    big.add_argument("--table", metavar="NAME", help="the database table (or view) of order lines (with --db)")
    big.add_argument("--query", metavar="SQL", help="a query giving the order lines (with --db, instead of --table)")
    a.add_argument(
        "-o",
        "--output",
        metavar="OUT.xlsx",
        help="analysis workbook (default: TRANSACTIONS-analysis.xlsx beside the transactions; "
        "with --into the workbook written, default BOOK itself)",
    )
    a.add_argument(
        "--into",
        metavar="BOOK",
        help="add the analysis sheets to this existing .xlsx/.xlsm (its sheets, formulas, names, "
        "macros and charts are kept; a taken sheet name gets a number); written to -o if given, "
        "else back to BOOK",
    )
    a.add_argument(
        "--csv",
        metavar="CLIENTS.csv",
        help="also write the clients table as CSV (UTF-8 with BOM; ';' and decimal comma with --lang ru)",
    )
    a.add_argument("--force", action="store_true", help="overwrite existing output files")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    a.set_defaults(func=cmd_analyze, parser=a)

    d = sub.add_parser(
        "demo",
        formatter_class=fmt,
        help="run the whole analysis on built-in sample data",
        description="Generate sample data of a distributor, write it as input files (transactions, "
        "clients, market, survey, deliveries), run the analysis and write analysis.xlsx and "
        "CSV tables into DIR. The demo owns DIR: running it again overwrites the files it "
        "wrote there before (other files are left alone).",
    )
    d.add_argument(
        "dir",
        nargs="?",
        default="xlb2b-demo",
        metavar="DIR",
        help="output folder (default: xlb2b-demo); its demo files are overwritten",
    )
    d.add_argument(
        "--clients", type=_positive_int, default=3000, metavar="N", help="number of sample clients (default: 3000)"
    )
    d.add_argument("--seed", type=int, default=2024, help="random seed of the sample (default: 2024)")
    d.add_argument("--lang", choices=("en", "ru"), help="language of the workbook and CSV format (default: en)")
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    d.set_defaults(func=cmd_demo, parser=d)

    ad = sub.add_parser(
        "adp",
        formatter_class=fmt,
        epilog=_EPILOG,
        help="write Account Development Plans for chosen clients",
        description="Run the analysis and write an Account Development Plan sheet per chosen client "
        "(financials, segment labels, decision-maker map, tasks, forecast, progress-policy "
        "checklist) plus a revenue-plan sheet; with --split one workbook per client.",
    )
    _add_input_options(ad)
    pick = ad.add_mutually_exclusive_group(required=True)
    pick.add_argument("--client", action="append", metavar="ID", help="a client id; repeatable")
    pick.add_argument("--top", type=_positive_int, metavar="N", help="the N clients with the most revenue")
    pick.add_argument("--abc", choices=("A", "B", "C"), help="every client of an ABC class")
    ad.add_argument("--split", action="store_true", help="one workbook per client in the folder OUT")
    ad.add_argument(
        "--into",
        metavar="BOOK",
        help="add the sheets to this existing .xlsx/.xlsm (its sheets, formulas, names, macros "
        "and charts are kept; a taken sheet name gets a number); written to -o if given, "
        "else back to BOOK",
    )
    ad.add_argument(
        "--template",
        metavar="THEIR.xlsx",
        help="fill your own ADP template instead: one copy of its template sheet per client, "
        "filled through the sheet's defined names (docs/templates.md), written into a copy "
        "of the template workbook (default TRANSACTIONS-adp.xlsx/.xlsm) or with --into "
        "into that workbook",
    )
    ad.add_argument(
        "--template-sheet",
        metavar="NAME",
        help="the template sheet of --template (default: the sheet with the most fill names)",
    )
    ad.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="workbook (default: TRANSACTIONS-adp.xlsx), or with --split the folder (default: TRANSACTIONS-adp)",
    )
    ad.add_argument("--force", action="store_true", help="overwrite existing output files")
    ad.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    ad.set_defaults(func=cmd_adp, parser=ad)

    rp = sub.add_parser(
        "report",
        formatter_class=fmt,
        epilog=_EPILOG,
        help="refresh the consulting tables inside your own report workbook",
        description="Run the analysis and write it into the report workbook's defined names "
        "(summary_psc_group, summary_abc, abc_curve, window_start... see docs/templates.md). "
        "A table range grows into empty rows below it or shrinks with the data; anything in "
        "the way is refused and nothing is written. Every other part of the workbook is kept.",
    )
    _add_input_options(rp)
    rp.add_argument(
        "--template",
        required=True,
        metavar="REPORT.xlsx",
        help="the report workbook (.xlsx/.xlsm) whose named tables are refreshed",
    )
    rp.add_argument(
        "-o", "--output", metavar="OUT", help="write the refreshed workbook here (default: back into REPORT)"
    )
    rp.add_argument("--force", action="store_true", help="overwrite an existing OUT")
    rp.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    rp.set_defaults(func=cmd_report, parser=rp)

    ai = sub.add_parser("addin", help="the Excel add-in", description="The classic Excel add-in.")
    aisub = ai.add_subparsers(dest="addin_command", required=True, metavar="COMMAND")
    ab = aisub.add_parser(
        "build",
        help="build xlb2b.xlam (ribbon tab B2B) with LibreOffice",
        description="Build the classic add-in xlb2b.xlam from udfs/addin (needs soffice).",
    )
    ab.add_argument(
        "-o", "--output", default="xlb2b.xlam", metavar="PATH", help="the add-in file (default: xlb2b.xlam)"
    )
    ab.add_argument("--soffice", default="soffice", metavar="PATH", help="LibreOffice's soffice (default: on the PATH)")
    ab.add_argument("--force", action="store_true", help="overwrite an existing add-in file")
    ab.set_defaults(func=cmd_addin_build, parser=ab)

    s = sub.add_parser("settings", help="settings files", description="Settings files.")
    ssub = s.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    si = ssub.add_parser(
        "init",
        help="write the default settings as a commented TOML file",
        description="Write every setting with its default value and a comment saying what it means. "
        "Edit the file and pass it to 'xlb2b analyze --settings'.",
    )
    si.add_argument(
        "file",
        nargs="?",
        default=DEFAULT_SETTINGS_FILE,
        metavar="FILE.toml",
        help=f"file to write (default: {DEFAULT_SETTINGS_FILE})",
    )
    si.add_argument("--force", action="store_true", help="overwrite an existing file")
    si.set_defaults(func=cmd_settings_init, parser=si)
    return p


def _tolerant_output() -> None:
    """A console that cannot show a character (Cyrillic names on a code-page
    console) gets '?' instead of an exception."""
    for stream in (sys.stdout, sys.stderr):
        try:
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass


def _exit_code(code: Any) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    _tolerant_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error (status 2)
        return _exit_code(e.code)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except SystemExit as e:  # a usage error found after parsing
        return _exit_code(e.code)
    except InputError as e:
        try:  # what was read from the refused table, to see which column was taken
            print_readings(getattr(e.report, "readings", []))
        except Exception:  # noqa: BLE001 - the error itself must reach the user
            pass
        sys.stdout.flush()
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        if len(e.report):
            try:
                text = format_report(e.report)
            except Exception:  # noqa: BLE001 - the report must reach the user in some form
                text = str(e.report)
            print(text, file=sys.stderr)
        return EXIT_INPUT
    except CliError as e:
        sys.stdout.flush()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT if isinstance(e, CliInputError) else EXIT_ERROR
    except BrokenPipeError:  # e.g. `xlb2b analyze ... | head`: stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_ERROR
    except OSError as e:
        sys.stdout.flush()
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if os.environ.get("XLB2B_DEBUG", "").strip() not in ("", "0"):
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        print(f"internal error: {type(e).__name__}: {first}", file=sys.stderr)
        print("run with XLB2B_DEBUG=1 for details", file=sys.stderr)
        return EXIT_INTERNAL
