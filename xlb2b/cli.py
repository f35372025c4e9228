"""Command line: ``xlb2b analyze``, ``xlb2b adp``, ``xlb2b demo``, ``xlb2b settings init``.

Exit status: 0 success; 1 an expected error (an output exists, a folder is
not writable, ...); 2 the input or the options cannot be used (the input
report is printed as a table); 3 an internal error (set ``XLB2B_DEBUG=1`` to
see the traceback).  No traceback reaches the user otherwise.

Outputs are checked before any work starts, never overwritten without
``--force``, and written atomically; input files are only read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlb2b.errors import FATAL, InputError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
#: rows of an input report printed before "... and N more"
MAX_REPORT_ROWS = 50
#: plausibility warnings about the inputs printed with the summary
MAX_WARNINGS_SHOWN = 10
DEFAULT_SETTINGS_FILE = "xlb2b-settings.toml"
SEVERITIES = ("fatal", "error", "warning", "info")


class CliError(Exception):
    """An expected failure: printed as ``error: ...``, exit status 1."""


class CliInputError(CliError):
    """An option or an input workbook that cannot be used: printed as ``error: ...``, exit status 2."""


# --------------------------------------------------------------------------
# small helpers


def _date(text: str) -> dt.date:
    """argparse type: ISO date (2025-01-31) or dd.mm.yyyy (31.01.2025)."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or DD.MM.YYYY)")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return n


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_outputs(outputs: Sequence[Path], inputs: Iterable[Path] = (), *, force: bool = False) -> None:
    """Refuse, before any work starts, an output that exists (without
    ``force``), is an input, is named twice, or lands in a missing or
    read-only folder."""
    inputs = [Path(p) for p in inputs]
    seen: list[Path] = []
    for out in map(Path, outputs):
        for inp in inputs:
            if _same_file(out, inp):
                raise CliError(
                    f"{out} is one of the input files; choose another output name (input files are never overwritten)"
                )
        for other in seen:
            if _same_file(out, other):
                raise CliError(f"{out} is named for two outputs; choose different names")
        seen.append(out)
        if out.is_dir():
            raise CliError(f"{out} is a folder; give a file name")
        if out.exists() and not force:
            raise CliError(f"{out} exists; use --force to overwrite")
        folder = out.parent
        if not folder.is_dir():
            raise CliError(f"cannot write {out}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CliError(f"cannot write {out}: folder {folder} is not writable")


def write_csv(frame, path: Path, lang: str = "en") -> Path:
    """A table as CSV that Excel opens correctly: UTF-8 with BOM; ``;`` and a
    decimal comma for ``ru`` (the Russian Excel's list separator), ``,`` and a
    point for ``en``; dates as YYYY-MM-DD.  A text cell that begins with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that
    a spreadsheet shows it instead of running it as a formula (numbers stay
    numbers).  Written atomically."""
    from xlb2b.io_util import atomic_write, csv_safe_frame

    sep, decimal = (";", ",") if lang == "ru" else (",", ".")
    frame = csv_safe_frame(frame)
    atomic_write(
        path,
        lambda tmp: frame.to_csv(
            tmp,
            sep=sep,
            decimal=decimal,
            index=False,
            encoding="utf-8-sig",
            date_format="%Y-%m-%d",
            lineterminator="\r\n",
        ),
    )
    return Path(path)


def _fmt_number(x: Any, lang: str, decimals: int = 0) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    if v != v:  # NaN
        return ""
    s = f"{v:,.{decimals}f}"
    if lang == "ru":
        s = s.replace(",", " ").replace(".", ",")
    return s


def _fmt_share(x: Any, lang: str) -> str:
    try:
        v = float(x) * 100
    except (TypeError, ValueError):
        return ""
    s = _fmt_number(v, lang, 1)
    return f"{s}%" if s else ""


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    right: Sequence[bool] | None = None,
    widths: Sequence[int | None] | None = None,
    indent: str = "  ",
    width: int | None = None,
    cut_left: Sequence[int] = (),
) -> str:
    """A fixed-width text table; cells longer than ``widths[i]`` are cut with
    "…" (at their start for the columns in ``cut_left``); with ``width`` (of
    the whole line) the last column is wrapped, its continuation lines under
    it, at least 40 characters wide."""
    import textwrap

    right = right or [False] * len(headers)
    widths = widths or [None] * len(headers)
    last = len(headers) - 1

    def cell(v: Any, i: int) -> str:
        s = "" if v is None else " ".join(str(v).split()) if i == last else str(v).replace("\r", " ").replace("\n", " ")
        w = widths[i]
        if w is None or len(s) <= w:
            return s
        if i in cut_left:  # a path: its end (the file name) matters
            return "…" + s[len(s) - max(w - 1, 1) :]
        return s[: max(w - 1, 1)] + "…"

    body = [[cell(v, i) for i, v in enumerate(r)] for r in rows]
    size = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    pad = len(indent) + sum(size[:last]) + 2 * last
    if width:
        size[last] = min(size[last], max(width - pad - 1, 40, len(headers[last])))

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(size[i]) if right[i] else c.ljust(size[i]) for i, c in enumerate(cells[:last])]
        pieces = (textwrap.wrap(cells[last], size[last], break_on_hyphens=False) or [""]) if width else [cells[last]]
        first = (indent + "  ".join(parts + [pieces[0]])).rstrip()
        return "\n".join([first] + [" " * pad + p for p in pieces[1:]])

    return "\n".join([line(list(headers)), line(["-" * n for n in size])] + [line(r) for r in body])


def format_report(report, limit: int = MAX_REPORT_ROWS) -> str:
    """The input problems as a table (file, sheet, row, column, value, reason),
    the fatal ones first; at most ``limit`` rows, then "... and N more"."""
    problems = sorted(report, key=lambda p: p.severity != FATAL)
    rows = [
        (p.file, p.sheet, "" if p.row is None else p.row, p.column, "" if p.value is None else p.value, p.reason)
        for p in problems[:limit]
    ]
    import shutil

    text = format_table(
        ["file", "sheet", "row", "column", "value", "reason"],
        rows,
        right=[False, False, True, False, False, False],
        widths=[40, 24, None, 28, 32, None],
        width=shutil.get_terminal_size((120, 24)).columns,
        cut_left=[0],
    )
    if len(problems) > limit:
        text += f"\n  ... and {len(problems) - limit} more"
    return text


# --------------------------------------------------------------------------
# progress


class Stages:
    """Progress over a list of stages, to stderr: it counts finished stages
    and names the current one; no invented percentages.  On a terminal it is
    a tqdm bar, redrawn every half second while a stage runs, so that a stage
    taking more than a second shows its own time running ("12 s" beside the
    bar's total); otherwise (a log file, a pipe) one plain line per stage.  A
    stage name not in the list extends it; a name seen before is ignored."""

    #: seconds between redraws of the bar while a stage runs
    TICK = 0.5

    def __init__(self, names: Iterable[str], enabled: bool = True):
        self.names = list(names)
        self.seen: set[str] = set()
        self.enabled = enabled
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.bar = None
        self.started = 0.0  # when the current stage began (time.monotonic)
        self._stop: Any = None  # threading.Event of the redrawing thread
        self._ticker: Any = None  # that thread

    def __call__(self, name: str) -> None:
        if name in self.seen:
            return
        self.seen.add(name)
        if name not in self.names:
            self.names.append(name)
        if not self.enabled:
            return
        i, total = self.names.index(name), len(self.names)
        if not self.tty:
            print(f"[{i + 1}/{total}] {name}", file=sys.stderr, flush=True)
            return
        import time

        self.started = time.monotonic()
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=i,
                desc=name,
                file=sys.stderr,
                unit="stage",
                leave=True,
                dynamic_ncols=True,
                mininterval=0,
                bar_format="{desc:<22} {n}/{total} |{bar:24}| {elapsed}{postfix}",
            )
            self._start_ticker()
        else:
            with self.bar.get_lock():
                self.bar.total = total
                self.bar.n = i
                self.bar.set_description_str(name, refresh=False)
                self.bar.set_postfix_str("", refresh=False)
                self.bar.refresh()

    def _start_ticker(self) -> None:
        """Redraw the bar every TICK seconds from a daemon thread: the elapsed
        time moves during a long stage, and after a second the stage's own time shows."""
        import threading
        import time

        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(self.TICK):
                bar = self.bar
                if bar is None:
                    return
                took = time.monotonic() - self.started
                with bar.get_lock():
                    if took >= 1:
                        bar.set_postfix_str(f"{took:.0f} s in this stage", refresh=False)
                    bar.refresh()

        ticker = threading.Thread(target=tick, name="xlb2b-progress", daemon=True)
        self._stop, self._ticker = stop, ticker
        ticker.start()

    def close(self, finished: bool) -> None:
        if self._stop is not None:
            self._stop.set()
            if self._ticker is not None:
                self._ticker.join(timeout=2 * self.TICK)
            self._stop = self._ticker = None
        if self.bar is None:
            return
        if finished:
            self.bar.n = self.bar.total
            self.bar.set_description_str("done", refresh=False)
            self.bar.set_postfix_str("", refresh=False)
        self.bar.close()
        self.bar = None

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(finished=exc_type is None)


# --------------------------------------------------------------------------
# the terminal summary


def _summary_rows(table, lang: str, name: str = "") -> list[list[str]]:
    from xlb2b.excel.labels import segment_label

    return [
        [
            str(segment_label(name, r.segment, lang)),
            _fmt_number(r.revenue, lang),
            _fmt_share(r.revenue_share, lang),
            _fmt_number(r.clients, lang),
            _fmt_share(r.clients_share, lang),
            _fmt_number(r.ltv, lang),
        ]
        for r in table.itertuples(index=False)
    ]


def format_summary_table(analysis, name: str, lang: str = "en") -> str:
    """Segment, revenue, % revenue, clients, % clients, LTV of one summary."""
    t = analysis.summary(name)
    return format_table(
        ["segment", "revenue", "% revenue", "clients", "% clients", "LTV"],
        _summary_rows(t, lang, name),
        right=[False] + [True] * 5,
        widths=[40] + [None] * 5,
    )


def format_bridge_table(analysis, lang: str = "en") -> str:
    """The revenue bridge W0 -> W1 in one table: row, clients, amount, share
    of the start; then logo retention, NRR and GRR."""
    from xlb2b.locale import label

    d = analysis.dynamics
    b = d.bridge()
    start = float(b["amount"].iloc[0])
    rows = [
        [
            label(f"bridge.{r.row}", lang),
            _fmt_number(r.clients, lang),
            _fmt_number(r.amount, lang),
            _fmt_share(r.amount / start, lang) if start else "",
        ]
        for r in b.itertuples(index=False)
    ]
    r = d.retention().iloc[0]
    rows += [
        [
            label("bridge.logo_retention", lang),
            _fmt_number(r["retained"], lang),
            "",
            _fmt_share(r["logo_retention"], lang),
        ],
        [label("bridge.nrr", lang), "", _fmt_number(r["revenue_kept"], lang), _fmt_share(r["nrr"], lang)],
        [label("bridge.grr", lang), "", _fmt_number(r["revenue_kept_capped"], lang), _fmt_share(r["grr"], lang)],
    ]
    return format_table(["", "clients", "revenue", "% of start"], rows, right=[False, True, True, True])


def _window_note(settings) -> str:
    return {
        "default": "12 months to the month of the latest transaction",
        "all": "all the data",
        "explicit": "as given",
    }[settings.window]


def print_summary(
    analysis, lang: str, outputs: Sequence[Path], *, tables: Sequence[str] = ("psc_group",), issues_hint: str = ""
) -> None:
    a = analysis
    print(f"Window: {a.window} ({_window_note(a.settings)})")
    print(f"Clients: {len(a.clients):,} analysed, {len(a.excluded):,} excluded")
    if len(a.excluded):
        for reason, n in a.excluded["reason"].value_counts().items():
            print(f"  {n:>7,}  {reason}")
    if len(a.clients) == 0:
        print("warning: no client has positive revenue in the window; check the window options")
    warnings = [w for r in a.report.readings for w in r.warnings]
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        print(f"warning: {w}")
    if len(warnings) > MAX_WARNINGS_SHOWN:
        print(f"  ... and {len(warnings) - MAX_WARNINGS_SHOWN} more warnings about the inputs")
    counts = Counter(p.severity for p in a.report)
    if counts:
        by = ", ".join(f"{counts[s]:,} {s}" for s in SEVERITIES if counts[s])
        print(f"Input problems: {sum(counts.values()):,} ({by}){issues_hint}")
    else:
        print("Input problems: none")
    titles = {"psc_group": "PSC groups", "abc": "ABC"}
    for name in tables:
        print(f"\n{titles.get(name, name)}")
        print(format_summary_table(a, name, lang))
    if a.dynamics is not None:
        d = a.dynamics
        print(f"\nRevenue bridge: preceding window {d.w0} -> analysis window {d.w1}")
        print(format_bridge_table(a, lang))
    print("\nWritten:")
    for p in outputs:
        print(f"  {p}")


# --------------------------------------------------------------------------
# commands


def _mapping(parser, items: Sequence[str]) -> dict[str, str] | None:
    """--map COLUMN=HEADER options as a reader mapping."""
    out = {}
    for item in items:
        column, sep, header = item.partition("=")
        if not sep or not column.strip() or not header.strip():
            parser.error(f"--map needs COLUMN=HEADER, got {item!r}")
        out[column.strip()] = header.strip()
    return out or None


def _settings(args):
    """The settings file (if any) with the command's overrides: window,
    our supplier, language."""
    from xlb2b.settings import Settings

    settings = Settings()
    if args.settings:
        try:
            settings = Settings.load(args.settings)
        except InputError as e:
            msg = e.args[0] if e.args else "invalid settings"
            if args.settings not in msg:
                msg = f"{args.settings}: {msg}"
            raise InputError(msg, e.report) from None
    changes: dict[str, Any] = {}
    if getattr(args, "all", False):
        changes["window"] = "all"
    elif getattr(args, "start", None):
        changes.update(window="explicit", window_start=args.start, window_end=args.end)
    if getattr(args, "previous_start", None):
        changes.update(previous_start=args.previous_start, previous_end=args.previous_end)
    if args.our_supplier is not None:
        changes["our_supplier"] = args.our_supplier
    if args.lang:
        changes["locale"] = args.lang
    return settings.copy(**changes)


def print_readings(readings: Iterable[Any]) -> None:
    """The reading report of each input, compactly (stdout)."""
    for r in readings:
        if r is None or getattr(r, "shown", False):
            continue
        print("Read " + "\n".join(r.lines()), flush=True)
        r.shown = True  # printed once, even when an error later carries it again


def _read_inputs(args, inputs: dict[str, Path], stage) -> dict:
    """Read the input files (the transactions with the command's --sheet and
    --map, when it has them); each one's reading report is printed as it is read."""
    from xlb2b.inputs import read_table

    tables = {}
    for kind, path in inputs.items():
        stage(f"reading {kind}")
        tx = kind == "transactions"
        tables[kind] = read_table(
            kind,
            path,
            sheet=getattr(args, "sheet", None) if tx else None,
            mapping=_mapping(args.parser, getattr(args, "map", [])) if tx else None,
        )
        print_readings([tables[kind].reading])
    return tables


def _engine_inputs(args, stage) -> dict | None:
    """The big-input path of ``analyze``: --db, or transactions that are a glob, a
    folder or a large file (or --engine duckdb), opened in DuckDB or the database and
    validated there.  None when the pandas readers are to be used."""
    db = getattr(args, "db", None)
    engine = getattr(args, "engine", "auto")
    tx = args.transactions
    if db is None and (engine == "pandas" or tx is None):
        return None
    from xlb2b.inputs import scan

    if db is None and engine == "auto" and not scan.wants_engine(tx):
        return None
    mapping = _mapping(args.parser, getattr(args, "map", []))
    tables: dict = {}
    stage("reading transactions")
    if db is not None:
        tables["transactions"] = scan.open_database(
            "transactions", db, table=args.table, query=args.query, mapping=mapping
        )
    else:
        tables["transactions"] = scan.open_files("transactions", tx, mapping=mapping)
    con = tables["transactions"].con if db is None else None
    from xlb2b.inputs import read_table

    for kind in ("clients", "market"):
        path = getattr(args, kind)
        if not path:
            continue
        stage(f"reading {kind}")
        if kind == "market" and scan.wants_engine(path):
            tables[kind] = scan.open_files(kind, path, con=con)
        else:
            tables[kind] = read_table(kind, Path(path))
    return tables


def _check_window(args) -> None:
    """--start/--end/--all are consistent, or a usage error (exit 2)."""
    parser = args.parser
    if args.all and (args.start or args.end):
        parser.error("--all cannot be combined with --start/--end")
    if (args.start is None) != (args.end is None):
        given, missing = ("--start", "--end") if args.start else ("--end", "--start")
        parser.error(f"{given} needs {missing} too: give both ends of the window (or --all)")
    if args.start and args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    ps, pe = getattr(args, "previous_start", None), getattr(args, "previous_end", None)
    if (ps is None) != (pe is None):
        given, missing = ("--previous-start", "--previous-end") if ps else ("--previous-end", "--previous-start")
        parser.error(f"{given} needs {missing} too: give both ends of the preceding window")
    if ps and pe < ps:
        parser.error(f"--previous-end {pe} is before --previous-start {ps}")


def cmd_analyze(args) -> int:
    _check_window(args)

    if args.db is None and args.transactions is None:
        args.parser.error(
            "give the TRANSACTIONS file (or a glob such as 'exports/*.parquet'), "
            "or a database with --db URL --table NAME"
        )
    if args.db is not None and args.transactions is not None:
        args.parser.error("give either the TRANSACTIONS file or --db, not both")
    if args.db is None and (args.table or args.query):
        args.parser.error("--table and --query need --db URL")
    if args.db is not None and bool(args.table) == bool(args.query):
        args.parser.error("--db needs --table NAME or --query SQL (one of them)")
    from xlb2b.inputs.scan import is_pattern

    big = args.db is not None or is_pattern(args.transactions) or Path(args.transactions).is_dir()
    tx_path = Path(args.transactions or "analysis")
    into = Path(args.into) if args.into else None
    if args.output:
        out = Path(args.output)
    elif big:
        out = (
            Path("analysis.xlsx")
            if args.db is not None or is_pattern(args.transactions)
            else tx_path.parent / f"{tx_path.name}-analysis.xlsx"
        )
    else:
        out = tx_path.with_name(f"{tx_path.stem}-analysis.xlsx")
    csv_path = Path(args.csv) if args.csv else None
    inputs = {
        k: Path(v)
        for k, v in (("transactions", args.transactions), ("clients", args.clients), ("market", args.market))
        if v
    }
    settings_in = [Path(args.settings)] if args.settings else []
    if into is not None:
        out = _into_output(into, args.output, "analysis", list(inputs.values()) + settings_in, args.force)
    elif out.suffix.lower() != ".xlsx":
        raise CliError(f"{out}: the output workbook must be an .xlsx file")
    outputs = [out] + ([csv_path] if csv_path else [])
    check_outputs(outputs[1:] if into is not None else outputs, list(inputs.values()) + settings_in, force=args.force)

    settings = _settings(args)
    lang = settings.locale

    from xlb2b.excel.analysis_sheets import sheet_name, write_analysis_workbook
    from xlb2b.pipeline import analyze

    stage_names = (
        [f"reading {k}" for k in inputs]
        + ["computing metrics", "segmenting", "comparing windows", "writing workbook"]
        + (["writing CSV"] if csv_path else [])
    )
    with Stages(stage_names, enabled=not args.quiet) as stage:
        tables = _engine_inputs(args, stage)
        if tables is None:
            tables = _read_inputs(args, inputs, stage)
            sources = {
                k: (p.name if not t.sheet else f"{p.name}, sheet {t.sheet}")
                for (k, p), t in zip(inputs.items(), tables.values())
            }
        else:
            sources = {k: t.source for k, t in tables.items()}
        a = analyze(tables["transactions"], tables.get("clients"), tables.get("market"), settings, progress=stage)
        stage("writing workbook")
        issues_sheet = sheet_name("input_issues", lang)
        if into is not None:
            import tempfile

            from xlb2b.excel.merge import add_sheets, sheet_names_of

            with tempfile.TemporaryDirectory() as tmp:
                generated = write_analysis_workbook(a, Path(tmp) / "analysis.xlsx", lang=lang, sources=sources)
                added = add_sheets(into, generated, out)
                issues_sheet = dict(zip(sheet_names_of(generated), added)).get(issues_sheet, issues_sheet)
            print(f"Sheets added to {out.name}: {', '.join(added)}")
        else:
            write_analysis_workbook(a, out, lang=lang, sources=sources)
        if csv_path:
            stage("writing CSV")
            from xlb2b.excel.labels import localised_clients

            write_csv(localised_clients(a.clients, lang), csv_path, lang)
    hint = f"; see the '{issues_sheet}' sheet of {out.name}" if len(a.report) else ""
    print_summary(a, lang, outputs, issues_hint=hint)
    return EXIT_OK


def cmd_demo(args) -> int:
    from xlb2b.excel.analysis_sheets import sheet_name, write_analysis_workbook
    from xlb2b.pipeline import analyze
    from xlb2b.sample import generate, write_sample_files
    from xlb2b.settings import Settings

    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} exists and is not a folder")
    lang = args.lang or "en"
    stages = [
        "generating sample data",
        "writing sample files",
        "reading transactions",
        "reading clients",
        "reading market",
        "computing metrics",
        "segmenting",
        "comparing windows",
        "writing workbook",
        "writing ADPs",
        "writing planning sheets",
        "writing CSV files",
    ]
    with Stages(stages, enabled=not args.quiet) as stage:
        stage("generating sample data")
        data = generate(args.clients, seed=args.seed)
        stage("writing sample files")
        out.mkdir(parents=True, exist_ok=True)
        files = write_sample_files(data, out)
        settings = Settings(our_supplier=data.our_supplier, locale=lang)
        a = analyze(data.transactions, data.clients, data.market, settings, progress=stage)
        stage("writing workbook")
        workbook = write_analysis_workbook(
            a,
            out / "analysis.xlsx",
            lang=lang,
            sources={k: files[k].name for k in ("transactions", "clients", "market")},
        )
        stage("writing ADPs")
        from xlb2b.excel.adp_sheets import write_adp_workbook

        top = list(
            a.clients.sort_values(["revenue", "client_id"], ascending=[False, True], kind="stable")["client_id"][
                :DEMO_ADP_CLIENTS
            ]
        )
        adps = write_adp_workbook(a, top, out / "adp_top_clients.xlsx", lang=lang)
        stage("writing planning sheets")
        from xlb2b.excel.planning_sheets import write_planning_workbook
        from xlb2b.excel.toolkit_sheets import write_toolkit_workbook

        planning = write_planning_workbook(
            out / "planning.xlsx", analysis=a, lang=lang, survey=data.survey, csi=data.csi, deliveries=data.deliveries
        )
        toolkit = write_toolkit_workbook(out / "toolkit.xlsx", analysis=a, lang=lang)
        stage("writing CSV files")
        from xlb2b.excel.labels import localised_clients, localised_summary

        csvs = [
            write_csv(localised_clients(a.clients, lang), out / "clients_analysis.csv", lang),
            write_csv(a.excluded, out / "excluded.csv", lang),
            write_csv(a.report.to_frame(), out / "input_issues.csv", lang),
        ]
        for name in a.SUMMARIES:
            write_csv(localised_summary(a.summary(name), name, lang), out / f"summary_{name}.csv", lang)
    print_readings(a.report.readings)
    hint = f"; see the '{sheet_name('input_issues', lang)}' sheet of {workbook.name}" if len(a.report) else ""
    print_summary(
        a,
        lang,
        [workbook, adps, planning, toolkit] + csvs + [out / "summary_*.csv"],
        tables=("psc_group", "abc"),
        issues_hint=hint,
    )
    print("Sample inputs:")
    for p in files.values():
        print(f"  {p}")
    return EXIT_OK


def cmd_addin_build(args) -> int:
    try:
        from udfs.addin.build import main as build_main
    except ImportError as e:
        raise CliError(f"the add-in sources (package udfs) are not installed: {e}") from None
    out = Path(args.output)
    if out.exists() and not out.is_dir() and not args.force:
        raise CliError(f"{out} exists; pass --force to overwrite it, or choose another path with -o")
    check_outputs([out], force=True)
    return build_main(["-o", args.output, "--soffice", args.soffice, "--force"])


#: ADP sheets the demo writes (the clients with the most revenue)
DEMO_ADP_CLIENTS = 10


def _adp_file_name(cid: Any) -> str:
    import re

    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", str(cid)).strip(" .") or "client"
    return f"ADP-{safe}.xlsx"


def _into_output(into: Path, output: str | None, what: str, inputs: list[Path], force: bool) -> Path:
    """The workbook ``--into BOOK`` writes (``-o`` if given, else BOOK itself),
    after checking BOOK is an existing .xlsx/.xlsm and ``-o`` keeps its type."""
    if not into.is_file():
        raise CliInputError(f"{into}: no such workbook (--into adds the {what} sheets to an existing .xlsx/.xlsm)")
    if into.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CliInputError(f"{into}: --into needs an .xlsx or .xlsm workbook")
    out = Path(output) if output else into
    if out != into:
        if out.suffix.lower() != into.suffix.lower():
            raise CliInputError(f"{out}: the output must keep the workbook's type ({into.suffix})")
        check_outputs([out], inputs, force=force)
    return out


def cmd_adp(args) -> int:
    from xlb2b.excel.adp_sheets import write_adp_workbook, write_adp_workbooks

    _check_window(args)
    tx_path = Path(args.transactions)
    inputs = {
        k: Path(v)
        for k, v in (("transactions", args.transactions), ("clients", args.clients), ("market", args.market))
        if v
    }
    settings_in = [Path(args.settings)] if args.settings else []
    into = Path(args.into) if getattr(args, "into", None) else None
    template = Path(args.template) if getattr(args, "template", None) else None
    if template is not None:
        if args.split:
            raise CliInputError("--template fills copies of one workbook's sheet; it cannot be used with --split")
        _check_template(template, "--template")
        inputs_in = list(inputs.values()) + settings_in + [template]
    elif getattr(args, "template_sheet", None):
        raise CliInputError("--template-sheet names the sheet of --template; give --template too")
    if template is not None and into is None:
        out = Path(args.output) if args.output else tx_path.with_name(f"{tx_path.stem}-adp{template.suffix.lower()}")
        if out.suffix.lower() != template.suffix.lower():
            raise CliInputError(f"{out}: the output must keep the template's type ({template.suffix})")
        check_outputs([out], inputs_in, force=args.force)
    elif into is not None:
        if args.split:
            raise CliInputError("--into adds the sheets to one workbook; it cannot be used with --split")
        out = _into_output(into, args.output, "ADP", list(inputs.values()) + settings_in, args.force)
    elif args.split:
        folder = Path(args.output) if args.output else tx_path.with_name(f"{tx_path.stem}-adp")
        if folder.exists() and not folder.is_dir():
            raise CliError(f"{folder} exists and is not a folder; --split writes one file per client into a folder")
        if not folder.parent.is_dir():
            raise CliError(f"cannot write into {folder}: folder {folder.parent} does not exist")
        if args.client and folder.is_dir():
            check_outputs(
                [folder / _adp_file_name(c) for c in args.client], list(inputs.values()) + settings_in, force=args.force
            )
    else:
        out = Path(args.output) if args.output else tx_path.with_name(f"{tx_path.stem}-adp.xlsx")
        if out.suffix.lower() != ".xlsx":
            raise CliError(f"{out}: the output workbook must be an .xlsx file")
        check_outputs([out], list(inputs.values()) + settings_in, force=args.force)

    settings = _settings(args)
    lang = settings.locale
    from xlb2b.pipeline import analyze

    stage_names = [f"reading {k}" for k in inputs] + [
        "computing metrics",
        "segmenting",
        "comparing windows",
        "writing ADP",
    ]
    with Stages(stage_names, enabled=not args.quiet) as stage:
        tables = _read_inputs(args, inputs, stage)
        a = analyze(tables["transactions"], tables.get("clients"), tables.get("market"), settings, progress=stage)
        clients = a.clients.sort_values(["revenue", "client_id"], ascending=[False, True], kind="stable")
        if args.client:
            known = set(clients["client_id"].astype(str))
            by_text = {str(c): c for c in clients["client_id"]}
            unknown = [c for c in args.client if c not in known]
            if unknown:
                raise InputError(
                    f"unknown client id(s): {', '.join(unknown)} (not among the {len(clients):,} analysed clients)"
                )
            ids = [by_text[c] for c in dict.fromkeys(args.client)]
        elif args.top:
            ids = list(clients["client_id"][: args.top])
        else:
            ids = list(clients.loc[clients["abc_class"].astype(str) == args.abc, "client_id"])
        if not ids:
            raise InputError("no analysed client matches the selection")
        stage("writing ADP")
        if template is not None:
            from xlb2b.excel.fill import fill_adp_template

            res = fill_adp_template(a, ids, template, out, into=into, template_sheet=args.template_sheet, lang=lang)
            outputs = [res.path]
            print(f"Template sheet filled for {len(res.sheets):,} client(s): {', '.join(res.sheets)}")
            _print_fill_info(res)
        elif args.split:
            outputs = [folder / _adp_file_name(c) for c in ids]
            folder.mkdir(exist_ok=True)
            check_outputs(outputs, list(inputs.values()) + settings_in, force=args.force)
            write_adp_workbooks(a, [([cid], path) for cid, path in zip(ids, outputs)], lang=lang)
        elif into is not None:
            import tempfile

            from xlb2b.excel.merge import add_sheets

            with tempfile.TemporaryDirectory() as tmp:
                generated = write_adp_workbook(a, ids, Path(tmp) / "adp.xlsx", lang=lang)
                added = add_sheets(into, generated, out)
            outputs = [out]
            print(f"Sheets added to {out.name}: {', '.join(added)}")
        else:
            outputs = [write_adp_workbook(a, ids, out, lang=lang)]
    print(f"Window: {a.window} ({_window_note(a.settings)})")
    print(f"ADP for {len(ids):,} client(s)")
    print("Written:")
    for p in outputs:
        print(f"  {p}")
    return EXIT_OK


def _check_template(path: Path, option: str) -> None:
    if not path.is_file():
        raise CliInputError(f"{path}: no such workbook ({option} needs an existing .xlsx/.xlsm)")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CliInputError(f"{path}: {option} needs an .xlsx or .xlsm workbook")


def _print_fill_info(res) -> None:
    """The names a fill left alone, one line each."""
    if res.filled:
        print(f"Names filled: {', '.join(res.filled)}")
    for p in res.info:
        print(f"  note: {p.sheet + ': ' if p.sheet else ''}{p.reason}")


def cmd_report(args) -> int:
    _check_window(args)
    template = Path(args.template)
    _check_template(template, "--template")
    inputs = {
        k: Path(v)
        for k, v in (("transactions", args.transactions), ("clients", args.clients), ("market", args.market))
        if v
    }
    settings_in = [Path(args.settings)] if args.settings else []
    out = Path(args.output) if args.output else template
    if out.suffix.lower() != template.suffix.lower():
        raise CliInputError(f"{out}: the output must keep the workbook's type ({template.suffix})")
    if not _same_file(out, template):
        check_outputs([out], list(inputs.values()) + settings_in + [template], force=args.force)
    else:
        check_outputs([], list(inputs.values()) + settings_in)
        for inp in list(inputs.values()) + settings_in:
            if _same_file(out, inp):
                raise CliError(f"{out} is one of the input files; choose another report workbook")

    settings = _settings(args)
    from xlb2b.excel.fill import fill_report
    from xlb2b.pipeline import analyze

    stage_names = [f"reading {k}" for k in inputs] + ["computing metrics", "segmenting", "filling the report"]
    with Stages(stage_names, enabled=not args.quiet) as stage:
        tables = _read_inputs(args, inputs, stage)
        a = analyze(tables["transactions"], tables.get("clients"), tables.get("market"), settings, progress=stage)
        stage("filling the report")
        res = fill_report(a, template, out, lang=settings.locale)
    print(f"Window: {a.window} ({_window_note(a.settings)})")
    print(f"Report tables refreshed on sheet(s): {', '.join(res.sheets)}")
    _print_fill_info(res)
    print("Written:")
    print(f"  {res.path}")
    return EXIT_OK


def cmd_settings_init(args) -> int:
    from xlb2b.io_util import atomic_write_bytes
    from xlb2b.settings import Settings
    from xlb2b.settings_toml import commented_toml

    path = Path(args.file)
    check_outputs([path], force=args.force)
    atomic_write_bytes(path, commented_toml(Settings()).encode("utf-8"))
    print(f"Wrote the default settings to {path}.")
    print(f"Edit it, then run: xlb2b analyze TRANSACTIONS --settings {path}")
    return EXIT_OK


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


if __name__ == "__main__":
    sys.exit(main())
