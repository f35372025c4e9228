"""The commands: ``analyze``, ``demo``, ``adp``, ``report``, ``addin build`` and ``settings init``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlb2b.cli.output import (
    EXIT_OK,
    CliError,
    CliInputError,
    Stages,
    _same_file,
    _window_note,
    check_outputs,
    print_summary,
    refuse_open_workbook,
    write_csv,
)
from xlb2b.errors import InputError

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
    else:
        refuse_open_workbook(out)
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
        refuse_open_workbook(out)
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
