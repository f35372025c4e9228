"""Scripts behind the buttons: classic ribbon, Lite sheet buttons and Server ribbon commands.

Scripts behind the buttons (classic ribbon, Lite sheet buttons, Server
ribbon commands).

Each script takes the workbook (``book: xw.Book``) and works on it in place:
it reads the workbook's own tables, runs the core, lays the sheets out once
(:mod:`xlb2b.excel.live` records the same layout code that writes our files) and
replays them into the book.  Nothing already in the book is overwritten: new
sheets get a free name ("ADP Acme (2)" on a second run); only the analysis
sheets a previous run wrote (listed on its Contents sheet) are replaced, and
the values the user edited on their Settings sheet are read back first.
Problems reach the user as a message box, never as a traceback.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlwings as xw

from xlb2b.errors import InputError
from xlb2b.excel import adp_sheets as _adp
from xlb2b.excel.analysis_sheets import add_analysis_sheets, analysis_sheet_names, settings_from_sheet
from xlb2b.excel.live import RecordingWorkbook, render, render_steps
from xlb2b.excel.planning_sheets import add_bcg_sheet
from xlb2b.inputs import SHEET_NAMES, read_table
from xlb2b.locale import label
from xlb2b.pipeline import analyze

#: button tag -> script name (the ribbon, the Lite buttons and the Server
#: manifest use the same tags)
BUTTONS: dict[str, str] = {
    "analyze": "analyze_client_base",
    "dynamics": "analyze_two_windows",
    "adp": "build_adp",
    "adp_a": "build_adps_a",
    "bcg": "add_bcg_scoring",
    "checklist": "add_progress_checklist",
    "fill_template": "fill_template_for_client",
    "refresh_report": "refresh_report_tables",
    "refresh": "refresh",
    "settings": "open_settings",
    "help": "show_help",
}

#: most ADP sheets one button press adds (a workbook of hundreds of sheets
#: is for the command line: ``xlb2b adp --abc A --split``)
MAX_ADP_SHEETS = 50

#: most cells of the transactions sheet a button reads under Office.js
#: (xlwings Lite and xlwings Server): Microsoft warns that reading a range of
#: millions of cells can fail ("Resource limits and performance optimization
#: for Office Add-ins"), and xlwings reads the sheet's whole used range in one
#: go.  The classic add-in (COM) has no such limit.
MAX_OFFICEJS_CELLS = 1_000_000
#: most bytes of the request on Excel on the web, which refuses requests over
#: 5 MB (Microsoft: "Resource limits and performance optimization for Office
#: Add-ins"), and the bytes a cell of the transactions takes in the request
#: (measured on the sample, benchmarks/bench_live.py); the Server ribbon
#: (udfs/server/ribbon.js) checks both before it sends the book
MAX_WEB_REQUEST_BYTES = 4_000_000
BYTES_PER_CELL = 14

#: xlwings Lite (an async book, ``xw.BookAsync``) lets the script read ranges
#: itself, each read a round trip of its own (``await range.get_value()``,
#: xlwings 0.35+; xlwings Server has no such reads: its engine raises "only
#: supported in xlwings Lite").  Analyze there reads its input sheets a block
#: of rows at a time, each block at most this many cells and about this many
#: bytes (Excel on the web refuses a response over 5 MB), and at most
#: :data:`MAX_LITE_CELLS` in all (Lite's Python has 2 GB of memory)
LITE_BLOCK_CELLS = 250_000
LITE_BLOCK_BYTES = 3_000_000
MAX_LITE_CELLS = 15_000_000

#: sheets a script reads, by name, in both languages: xlwings Lite and Server
#: send only these to Python (``@xw.script(include=...)``); the rest of the
#: book arrives as names only.  None: every sheet (the script looks for the
#: user's own sheets by their names' content)
INPUT_SHEETS: list[str] = [n for names in SHEET_NAMES.values() for n in names]
ANALYSIS_SHEETS: list[str] = [analysis_sheet_names(lng)[i] for lng in ("en", "ru") for i in (0, 1)]
READS: dict[str, list[str] | None] = {
    "analyze": INPUT_SHEETS + ANALYSIS_SHEETS,
    "dynamics": INPUT_SHEETS + ANALYSIS_SHEETS,
    "refresh": INPUT_SHEETS + ANALYSIS_SHEETS,
    "adp": INPUT_SHEETS + ANALYSIS_SHEETS[::2],
    "adp_a": INPUT_SHEETS + ANALYSIS_SHEETS[::2],
    "bcg": INPUT_SHEETS + ANALYSIS_SHEETS[::2],
    "checklist": INPUT_SHEETS + ANALYSIS_SHEETS[::2],
    "settings": ANALYSIS_SHEETS[::2],
    # the user's own template and report sheets, whatever their names: every sheet
    "fill_template": None,
    "refresh_report": None,
    # reads no sheet: a name no book has keeps every sheet out of the request
    # (an empty include list would send them all)
    "help": ["xlb2b: no sheet"],
}

#: the sheet-scoped name that marks a sheet of ours named like an input sheet
#: (the analysis' "Clients"): the scripts, and the Server ribbon, never take a
#: sheet carrying it as input
OUTPUT_MARKER = "xlb2b_output"

_CYRILLIC = re.compile("[А-Яа-яЁё]")
_NUMBER_SUFFIX = re.compile(r" \(\d+\)$")


def _unnumbered(name: str) -> str:
    """A sheet name without the " (2)" a repeated name got."""
    return _NUMBER_SUFFIX.sub("", name)


def _is_settings_sheet(name: str) -> bool:
    return _unnumbered(name) in (label("sheet.settings", "en"), label("sheet.settings", "ru"))


class _Stop(Exception):
    """A message for the user; the script ends without changing the book."""


def button_function(tag: str) -> Callable:
    """The plain function of the script behind button ``tag`` (KeyError for
    an unknown tag, AttributeError for a script this module lacks).

    Under Lite and Server, ``@xw.script`` replaces a function with the
    runtime's wrapper, which expects the runtime's arguments; the ribbon, the
    Lite buttons and the Server commands call the function underneath with
    the book they have."""
    fn = getattr(sys.modules[__name__], BUTTONS[tag])
    if hasattr(fn, "__xlscript__"):
        fn = getattr(fn, "__wrapped__", fn)
    return fn


async def run_button(tag: str, book) -> None:
    """Run the script behind button ``tag`` on ``book`` (Lite and Server).
    An async book (xlwings Lite, ``xw.BookAsync``) arrives without cell
    values: the sheets the button reads are read first, in blocks of rows
    (:func:`read_in_blocks`)."""
    if getattr(getattr(book, "impl", None), "_lazy", False) and READS.get(tag):
        lang = _lang(book)
        try:
            await read_in_blocks(book, READS[tag] or [], lang)
        except _Stop as stop:
            _say(book, str(stop), lang)
            return
    result = button_function(tag)(book)
    if inspect.isawaitable(result):
        await result


# ----------------------------------------------------------------- helpers
def _lang(book) -> str:
    """Russian when the book's sheet names are Russian, else English."""
    names = [s.name for s in book.sheets]
    return "ru" if any(_CYRILLIC.search(n) for n in names) else "en"


def _say(book, text: str, lang: str) -> None:
    try:
        book.app.alert(text, title=label("script.title", lang))
    except Exception:  # an engine without message boxes: the status bar is all we have
        print(text)


def _unexpected(e: Exception, lang: str) -> str:
    """The message for a failure of ours: where it happened, not the library's
    own text; the traceback goes to the log (the console of Lite, the server's
    log, the classic add-in's console)."""
    import traceback

    traceback.print_exception(type(e), e, e.__traceback__)
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if "xlb2b" in f.filename or "udfs" in f.filename] or frames
    where = f"{type(e).__name__}, {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else type(e).__name__
    return label("script.unexpected", lang).format(where=where)


def _failed(book, e: Exception, lang: str) -> None:
    """Say a script's failure in a message box (no traceback reaches the user)."""
    if isinstance(e, _Stop):
        _say(book, str(e), lang)
    elif isinstance(e, InputError):
        _say(book, f"{label('script.input_error', lang)}:\n{e}", lang)
    else:
        _say(book, _unexpected(e, lang), lang)


def _script(func: Callable) -> Callable:
    """Turn every failure into a message box (no traceback reaches the user)."""

    @functools.wraps(func)
    def run(book):
        lang = _lang(book)
        try:
            return func(book, lang)
        except Exception as e:  # noqa: BLE001 - the user gets the reason, not a traceback
            _failed(book, e, lang)
        return book

    return run


def _script_async(func: Callable) -> Callable:
    """:func:`_script` for a script that awaits (flushes in xlwings Lite)."""

    @functools.wraps(func)
    async def run(book, **options):
        lang = _lang(book)
        try:
            return await func(book, lang, **options)
        except Exception as e:  # noqa: BLE001 - the user gets the reason, not a traceback
            _failed(book, e, lang)
        return book

    return run


def _sheet(book, name: str):
    for s in book.sheets:
        if s.name.casefold() == name.casefold():
            return s
    return None


def block_rows(columns: int) -> int:
    """Rows of ``columns`` cells one block read of xlwings Lite takes."""
    columns = max(int(columns), 1)
    return max(1, min(LITE_BLOCK_CELLS // columns, LITE_BLOCK_BYTES // (columns * BYTES_PER_CELL)))


async def read_in_blocks(book, names: list[str], lang: str = "en") -> dict[str, list]:
    """Read the sheets of ``book`` named in ``names`` (case ignored) from
    Excel, a block of rows at a time (:func:`block_rows`; xlwings' own
    ``range.get_value()``, one round trip a block, raw values), printing the
    progress to the Lite pane; the scripts then take the rows from there
    (:func:`_raw`).  Stops, before reading any cell, when the input sheets
    hold more than :data:`MAX_LITE_CELLS` cells."""
    wanted = {n.casefold() for n in names}
    sheets = [s for s in book.sheets if s.name.casefold() in wanted and not is_output(s)]
    shapes: dict[str, tuple[int, int]] = {}
    for s in sheets:
        used = await s.get_used_range()
        shapes[s.name] = (used.last_cell.row, used.last_cell.column) if used is not None else (0, 0)
    inputs = {n.casefold() for n in INPUT_SHEETS}
    transactions = {n.casefold() for n in SHEET_NAMES["transactions"]}
    cells = sum(r * c for n, (r, c) in shapes.items() if n.casefold() in inputs)
    if cells > MAX_LITE_CELLS:
        tx = next((n for n in shapes if n.casefold() in transactions), sheets[0].name)
        raise _Stop(
            label("script.too_large", lang).format(
                sheet=tx,
                lines=f"{max(shapes[tx][0] - 1, 0):,}",
                cells=f"{cells:,}",
                runtime="xlwings Lite",
                limit=f"{MAX_LITE_CELLS:,}",
                book=book.name,
            )
        )
    out: dict[str, list] = {}
    for s in sheets:
        nrows, ncols = shapes[s.name]
        rows: list = []
        step = block_rows(ncols)
        for first in range(0, nrows if ncols else 0, step):
            last = min(first + step, nrows)
            part = await s.range((first + 1, 1), (last, ncols)).options("raw", chunksize=0).get_value()
            if not isinstance(part, (list, tuple)):
                part = [[part]]
            elif part and not isinstance(part[0], (list, tuple)):
                part = [part]
            rows.extend(list(r) for r in part)
            if nrows > step:
                print(label("script.reading", lang).format(sheet=s.name, done=f"{last:,}", rows=f"{nrows:,}"))
        out[s.name] = rows
    book.impl._xlb2b_rows = out
    return out


def _raw(sheet) -> list:
    """The sheet's used range; under Office.js as the engine holds it, without
    xlwings' per-cell conversion (dates arrive as ISO text, which
    :func:`xlb2b.inputs.read_table` converts column-wise); the rows
    :func:`read_in_blocks` read, when it read this sheet."""
    read = getattr(sheet.book.impl, "_xlb2b_rows", None)
    if read is not None and sheet.name in read:
        return read[sheet.name]
    if _officejs(sheet.book) is None:
        # classic COM: xlwings' conversion turns pywin32's dates into plain datetimes
        values = sheet.used_range.options(ndim=2).value
        return [list(r) for r in values] if values else []
    values = sheet.used_range.raw_value
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if values and not isinstance(values[0], (list, tuple)):
        return [list(values)]
    return list(values)


def _rows(sheet) -> list[list[Any]]:
    """A small sheet's cells, empty cells as None (Contents, Settings)."""
    return [[None if v == "" else v for v in r] for r in _raw(sheet) if r is not None]


def _officejs(book) -> str | None:
    """ "xlwings Lite" or "xlwings Server" when the book comes through Office.js."""
    if "_xlremote" not in type(getattr(book, "impl", None)).__module__:
        return None
    return "xlwings Lite" if sys.platform == "emscripten" else "xlwings Server"


def _check_size(book, sheets: dict[str, Any], lang: str) -> None:
    """Stop, before reading them, at input sheets above what a button may read
    through Office.js (:data:`MAX_OFFICEJS_CELLS` cells in all)."""
    runtime = _officejs(book)
    if runtime is None or "transactions" not in sheets or getattr(book.impl, "_xlb2b_rows", None) is not None:
        return  # the classic add-in, or read in blocks (checked there)
    shapes = {kind: s.used_range.shape for kind, s in sheets.items()}
    cells = sum(r * c for r, c in shapes.values())
    if cells > MAX_OFFICEJS_CELLS:
        raise _Stop(
            label("script.too_large", lang).format(
                sheet=sheets["transactions"].name,
                lines=f"{shapes['transactions'][0] - 1:,}",
                cells=f"{cells:,}",
                runtime=runtime,
                limit=f"{MAX_OFFICEJS_CELLS:,}",
                book=book.name,
            )
        )


def _previous_analysis(book, lang: str) -> list[str]:
    """The sheets a previous analysis run wrote into ``book``: those listed on
    its Contents sheet (column A) under our title."""
    for lng in (lang, "en", "ru"):
        contents = _sheet(book, analysis_sheet_names(lng)[0])
        if contents is None:
            continue
        rows = _rows(contents)
        if not rows or rows[0][0] != label("contents.title", lng):
            continue
        ours = set(analysis_sheet_names(lng))
        listed = {str(r[0]) for r in rows[1:] if r and isinstance(r[0], str)}
        return [
            s.name for s in book.sheets if s.name == contents.name or (s.name in listed and _unnumbered(s.name) in ours)
        ]
    return []


def is_output(sheet) -> bool:
    """Whether ``sheet`` is one of ours, marked with :data:`OUTPUT_MARKER`."""
    try:
        return any(str(n.name).split("!")[-1].casefold() == OUTPUT_MARKER for n in sheet.names)
    except Exception:  # an engine that cannot list a sheet's names: not marked
        return False


def _mark_outputs(rec: RecordingWorkbook) -> None:
    """Mark the recorded sheets named like an input sheet (:func:`is_output`)."""
    inputs = {n.casefold() for n in INPUT_SHEETS}
    for rs in rec.sheets:
        if _unnumbered(rs.name).casefold() in inputs:
            quoted = "'" + rs.name.replace("'", "''") + "'"
            rec.define_name(f"{quoted}!{OUTPUT_MARKER}", f"={quoted}!$A$1")


def _inputs(book, skip: set[str], lang: str = "en") -> dict[str, Any]:
    """The workbook's own tables: transactions (required), clients, market,
    found by sheet name (as the command line finds them in files); a sheet of
    ours (:func:`is_output`) is never one of them."""
    sheets: dict[str, Any] = {}
    for kind, names in SHEET_NAMES.items():
        for n in names:
            s = _sheet(book, n)
            if s is not None and s.name not in skip and not is_output(s):
                sheets[kind] = s
                break
    _check_size(book, sheets, lang)
    found: dict[str, Any] = {}
    for kind, s in sheets.items():
        rows = _raw(s)
        if rows and any(v not in ("", None) for v in rows[0]):
            found[kind] = (s.name, rows)
    return found


def _analysis(book, lang: str, *, settings=None, skip: set[str] | None = None):
    skip = skip or set(_previous_analysis(book, lang))
    found = _inputs(book, skip, lang)
    if "transactions" not in found:
        raise _Stop(label("script.no_transactions", lang))
    tables = {kind: read_table(kind, rows, name=f"{book.name}, sheet {sheet}") for kind, (sheet, rows) in found.items()}
    if callable(settings):  # settings that depend on the data read
        settings = settings(tables["transactions"])
    a = analyze(tables["transactions"], tables.get("clients"), tables.get("market"), settings)
    a.dynamics  # noqa: B018 - the two-window section now, before any sheet of the previous run is deleted
    return a


def _record(book, build: Callable[[RecordingWorkbook, list[str]], Any]) -> RecordingWorkbook:
    rec = RecordingWorkbook()
    build(rec, [s.name for s in book.sheets])
    # a sheet of ours named like an input sheet ("Clients") is marked, so that
    # no later run takes it as input
    _mark_outputs(rec)
    existing = {n.name for n in book.names}
    for name, _ in rec.names:
        if "!" not in name and name in existing:
            book.names[name].delete()  # a name of ours from a replaced sheet
    return rec


def _render(book, build: Callable[[RecordingWorkbook, list[str]], Any], *, share_layouts: bool = False) -> list[str]:
    added = render(book, _record(book, build), share_layouts=share_layouts)
    if added:
        book.sheets[added[0]].activate()
    return added


async def _render_flushed(
    book, build: Callable[[RecordingWorkbook, list[str]], Any], *, share_layouts: bool = False
) -> list[str]:
    """:func:`_render`; in xlwings Lite the actions of each sheet are sent to
    Excel as soon as the sheet is complete (``Book.flush``): the pane shows
    the sheets arriving, and a failure leaves whole sheets only."""
    lite = _officejs(book) == "xlwings Lite"
    added = []
    for name in render_steps(book, _record(book, build), share_layouts=share_layouts):
        added.append(name)
        if lite:
            await book.flush()
    if added:
        book.sheets[added[0]].activate()
    return added


def _client_ids(book, analysis, lang: str) -> list[Any]:
    """The client in the selected cell, or in its row (a Clients table row)."""
    try:
        sel = book.selection
    except Exception:
        sel = None
    if sel is None:
        raise _Stop(label("script.no_client", lang))
    ids = analysis.clients["client_id"]
    by_id = {str(v).strip().casefold(): v for v in ids}
    by_name = {}
    if "name" in analysis.clients:
        by_name = {str(n).strip().casefold(): i for n, i in zip(analysis.clients["name"], ids) if isinstance(n, str)}
    value = sel.value
    values = value if isinstance(value, list) else [value]
    flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
    candidates = [v for v in flat if v is not None]
    if not candidates:
        raise _Stop(label("script.no_client", lang))
    # the selected row only, not the whole sheet
    last = sel.sheet.used_range.last_cell
    if sel.row <= last.row:
        row = sel.sheet.range((sel.row, 1), (sel.row, last.column)).options(ndim=2).value
        candidates += [v for v in (row[0] if row else []) if v not in (None, "")]
    for v in candidates:
        key = (f"{v:g}" if isinstance(v, float) else str(v)).strip().casefold()
        if key in by_id:
            return [by_id[key]]
        if key in by_name:
            return [by_name[key]]
    raise _Stop(label("script.unknown_client", lang).format(value=candidates[0]))


# ----------------------------------------------------------------- scripts
@xw.script(include=READS["analyze"])
async def analyze_client_base(book: xw.Book):
    """Analyse the workbook's Transactions (and Clients, Market) sheets and
    write the analysis sheets; a second run replaces them, keeping the values
    edited on Settings."""
    return await _analyze(book)


@xw.script(include=READS["dynamics"])
async def analyze_two_windows(book: xw.Book):
    """The analysis with the two-window section: the sheets of Analyze and
    the nine of the previous window against the analysis window (bridge,
    migrations, cohorts, watch list, client dynamics); a second run replaces
    them, keeping the values edited on Settings."""
    return await _analyze(book, dynamics=True)


def _dynamics_sheet_names() -> set[str]:
    from xlb2b.excel.dynamics_sheets import SHEET_KEYS
    from xlb2b.excel.labels import sheet_name

    return {sheet_name(k, lng) for k in SHEET_KEYS for lng in ("en", "ru")}


@_script_async
async def _analyze(book, lang: str, dynamics: bool | None = None):
    """The analysis sheets; with the two-window section when ``dynamics``
    (None: as the previous run had it, none on a first run -- nine sheets and
    about 300 actions fewer for Excel to apply)."""
    from dataclasses import replace

    from xlb2b.settings import Settings

    previous = _previous_analysis(book, lang)
    old_settings = [n for n in previous if _is_settings_sheet(n)]
    old_rows: list = _rows(_sheet(book, old_settings[0])) if old_settings else []
    if dynamics is None:
        # the previous run had the section: its sheets are here, or its Settings holds the W0 dates
        dynamics = bool(_dynamics_sheet_names() & {_unnumbered(n) for n in previous}) or any(
            len(r) > 2 and r[2] == "previous_start" for r in old_rows
        )

    def settings(transactions):
        """The settings edited on the previous Settings sheet (an edited window
        checked against the data), with or without the two-window section."""
        edited = None
        if old_settings:
            try:
                edited = settings_from_sheet(
                    old_rows, where=f"{book.name}, sheet {old_settings[0]}", dates=transactions.data["date"]
                )
            except ValueError as e:
                raise _Stop(f"{label('script.settings_error', lang)}: {e}") from None
        return replace(edited or Settings(), dynamics=dynamics)

    a = _analysis(book, lang, settings=settings, skip=set(previous))
    for name in previous:
        _sheet(book, name).delete()
    added = await _render_flushed(
        book,
        lambda rec, taken: add_analysis_sheets(
            rec, a, lang=lang, taken=taken, sources={k: v.source for k, v in a.inputs.items()}
        ),
    )
    done = label("script.done_analysis", lang).format(
        clients=f"{len(a.clients):,}",
        sheets=len(added),
        problems=len(a.report),
        issues=label("sheet.input_issues", lang),
    )
    # what was read from each range, in one line each (the full report is on the issues sheet)
    read = [r.summary() for r in getattr(a.report, "readings", []) if r is not None]
    _say(book, "\n".join([done, ""] + read) if read else done, lang)
    return book


@xw.script(include=READS["refresh"])
async def refresh(book: xw.Book):
    """Run the analysis again on the current data (the Analyze button)."""
    return await _analyze(book)


@xw.script(include=READS["adp"])
async def build_adp(book: xw.Book):
    """Add an Account Development Plan sheet for the client in the selected
    cell (its id or name, or any cell of its row in a Clients table)."""
    return await _build_adp(book)


@_script_async
async def _build_adp(book, lang: str):
    a = _analysis(book, lang)
    ids = _client_ids(book, a, lang)
    added = await _render_flushed(
        book,
        lambda rec, taken: _adp.add_adp_sheets(rec, a, ids, lang=lang, taken=taken, plan=False),
        share_layouts=True,
    )
    _say(book, label("script.done_adp", lang).format(sheets=", ".join(added)), lang)
    return book


@xw.script(include=READS["adp_a"])
async def build_adps_a(book: xw.Book):
    """Add an ADP sheet for every A client (by revenue, at most 50) and the
    revenue plan that sums their forecasts."""
    return await _build_adps_a(book)


@_script_async
async def _build_adps_a(book, lang: str):
    a = _analysis(book, lang)
    c = a.clients[a.clients["abc_class"] == "A"].sort_values("revenue", ascending=False, kind="stable")
    if c.empty:
        raise _Stop(label("script.no_a_clients", lang))
    ids = list(c["client_id"][:MAX_ADP_SHEETS])
    added = await _render_flushed(
        book, lambda rec, taken: _adp.add_adp_sheets(rec, a, ids, lang=lang, taken=taken), share_layouts=True
    )
    text = label("script.done_adp", lang).format(sheets=f"{len(added)}")
    if len(c) > MAX_ADP_SHEETS:
        text += "\n" + label("script.too_many", lang).format(count=len(c), limit=MAX_ADP_SHEETS)
    _say(book, text, lang)
    return book


@xw.script(include=READS["bcg"])
def add_bcg_scoring(book: xw.Book):
    """Add the BCG portfolio scoring sheet (automatic ratings prefilled,
    manager ratings editable, tiers, strategy and the bubble chart)."""
    return _add_bcg(book)


@_script
def _add_bcg(book, lang: str):
    a = _analysis(book, lang)

    added = _render(book, lambda rec, taken: _renamed(rec, taken, lambda: add_bcg_sheet(rec, a, lang=lang)))
    _say(book, label("script.done_adp", lang).format(sheets=", ".join(added)), lang)
    return book


def _renamed(rec: RecordingWorkbook, taken: list[str], build: Callable[[], Any]) -> None:
    """Build sheets whose layout code picks its own names, then give any name
    already in the book a number (formulas and names follow)."""
    build()
    free = _adp.sheet_names([s.name for s in rec.sheets], taken)
    for sheet, name in zip(rec.sheets, free):
        if sheet.name != name:
            rec.rename(sheet.name, name)


@xw.script(include=READS["checklist"])
def add_progress_checklist(book: xw.Book):
    """Add the 23-step progress-policy checklist for the selected client (or
    a blank one when no client is selected)."""
    return _add_checklist(book)


@_script
def _add_checklist(book, lang: str):
    client = None
    try:
        a = _analysis(book, lang)
        cid = _client_ids(book, a, lang)[0]
        row = a.clients.set_index("client_id").loc[cid]
        client = str(row.get("name")) if isinstance(row.get("name"), str) else str(cid)
    except _Stop:
        client = None
    added = _render(
        book,
        lambda rec, taken: _renamed(rec, taken, lambda: _adp.add_checklist_sheet(rec, lang=lang, client_name=client)),
    )
    _say(book, label("script.done_adp", lang).format(sheets=", ".join(added)), lang)
    return book


def _names_of(book, sheet=None) -> list[tuple[str, Any, str]]:
    """(name without sheet, its Name object, refers-to text) of the book's
    workbook names, or of ``sheet``'s own names."""
    out = []
    for n in sheet.names if sheet is not None else book.names:
        try:
            refers = n.refers_to or ""
        except Exception:  # a name Excel cannot describe: not ours to fill
            continue
        out.append((n.name.split("!")[-1], n, refers))
    return out


@xw.script(include=READS["fill_template"])
def fill_template_for_client(book: xw.Book):
    """Copy the template sheet (the one with the most sheet-scoped names of
    the fill vocabulary, docs/templates.md) for the client in the selected
    cell and fill the copy's named cells."""
    return _fill_template(book)


@_script
def _fill_template(book, lang: str):
    from xlb2b.excel import fill

    adp_names = {n.name for n in fill.ADP_NAMES}
    best = None
    found: list[tuple[str, str]] = []
    for sh in book.sheets:
        mine = [(n, refers) for n, _, refers in _names_of(book, sh) if n in adp_names]
        if len(mine) > len(found):
            best, found = sh, mine
    if best is None:
        raise _Stop(label("script.no_template", lang))
    a = _analysis(book, lang)
    cid = _client_ids(book, a, lang)[0]
    values = fill.adp_values(a, [cid], lang=lang)[cid]
    refs = {}
    for n, refers in found:
        ref = fill._parse_ref(refers)
        entry = fill._BY_NAME[n.lower()]
        n_rows, n_cols = entry.shape
        if ref is None or (
            entry.kind != "input" and (ref.cols != n_cols or (n_rows is not None and ref.rows != n_rows))
        ):
            raise _Stop(label("script.bad_name", lang).format(name=n, sheet=best.name, cell=refers))
        refs[n] = ref
    name = _adp.sheet_names([str(values.get("company") or cid)], taken=[s.name for s in book.sheets])[0]
    best.copy(after=book.sheets[len(book.sheets) - 1])
    copy = book.sheets[len(book.sheets) - 1]
    copy.name = name
    for n, ref in refs.items():
        if n not in values:
            continue
        v = values[n]
        rows: list[list[Any]] = v if isinstance(v, list) else [[v]]
        if n == "ratings":  # only the DSL level; the manager's five ratings stay
            rows = rows[:1]
        cells = [
            ["" if x is None else (x.to_pydatetime() if hasattr(x, "to_pydatetime") else x) for x in r] for r in rows
        ]
        copy.range((ref.r1 + 1, ref.c1 + 1), (ref.r1 + len(cells), ref.c1 + len(cells[0]))).value = cells
    copy.activate()
    _say(book, label("script.done_adp", lang).format(sheets=name), lang)
    return book


@xw.script(include=READS["refresh_report"])
def refresh_report_tables(book: xw.Book):
    """Write the current analysis into the book's report names of the fill
    vocabulary (summary_abc, summary_psc_group, abc_curve, window_start...);
    a table grows into empty rows below it or shrinks, its first data row's
    formatting repeated and its Total row's kept."""
    return _refresh_report(book)


@_script
def _refresh_report(book, lang: str):
    from xlb2b.excel import fill

    report = {n.name for n in fill.REPORT_NAMES}
    targets = []
    for n, obj, refers in _names_of(book):
        if n.lower() in report:
            ref = fill._parse_ref(refers)
            entry = fill._BY_NAME[n.lower()]
            if ref is None or ref.cols != entry.shape[1] or (entry.shape[0] is not None and ref.rows != entry.shape[0]):
                raise _Stop(label("script.bad_name", lang).format(name=n, sheet=ref.sheet if ref else "", cell=refers))
            targets.append((entry, obj, ref))
    named = {e.name for e, _, _ in targets}
    for sh in book.sheets:  # Excel tables named like a report table
        try:
            tables = list(sh.tables)
        except Exception:  # an engine without tables in its payload
            tables = []
        for tb in tables:
            known = fill._BY_NAME.get(str(tb.name).lower())
            if known is None or known.name not in report or known.kind != "table" or known.name in named:
                continue
            entry = known
            body = tb.data_body_range
            if tb.show_totals or body is None:
                raise _Stop(label("script.bad_name", lang).format(name=tb.name, sheet=sh.name, cell="Total Row"))
            ref = fill._parse_ref(f"{fill.xm._quote_sheet(sh.name)}!{body.address}")
            if ref is None or ref.cols != entry.shape[1]:
                raise _Stop(label("script.bad_name", lang).format(name=tb.name, sheet=sh.name, cell=body.address))
            targets.append((entry, tb, ref))
            named.add(entry.name)
    if not targets:
        raise _Stop(label("script.no_report_names", lang))
    a = _analysis(book, lang)
    values = fill.report_values(a, lang=lang)
    plans = []
    for entry, obj, ref in targets:  # every check first: nothing is written on a refusal
        sheet = book.sheets[ref.sheet]
        v = values[entry.name]
        rows = v if isinstance(v, list) else [[v]]
        new_r2 = ref.r1 + len(rows) - 1
        if new_r2 > ref.r2:
            below = sheet.range((ref.r2 + 2, ref.c1 + 1), (new_r2 + 1, ref.c2 + 1)).options(ndim=2).value
            for i, row in enumerate(below or []):
                for j, x in enumerate(row):
                    if x not in (None, ""):
                        raise _Stop(
                            label("script.table_blocked", lang).format(
                                name=entry.name,
                                sheet=sheet.name,
                                cell=f"{fill.column_letter(ref.c1 + j)}{ref.r2 + 2 + i}",
                            )
                        )
        plans.append((entry, obj, ref, sheet, rows, new_r2))
    for entry, obj, ref, sheet, rows, new_r2 in plans:
        cells = [
            ["" if x is None else (x.to_pydatetime() if hasattr(x, "to_pydatetime") else x) for x in r] for r in rows
        ]
        width = ref.c2 - ref.c1 + 1
        if new_r2 > ref.r2:  # new rows look like the first data row
            sheet.range((ref.r2 + 2, ref.c1 + 1), (new_r2 + 1, ref.c2 + 1)).copy_from(
                sheet.range((ref.r1 + 1, ref.c1 + 1), (ref.r1 + 1, ref.c2 + 1)), copy_type="formats"
            )
        if entry.total and new_r2 != ref.r2:  # the Total row keeps its look
            sheet.range((new_r2 + 1, ref.c1 + 1), (new_r2 + 1, ref.c2 + 1)).copy_from(
                sheet.range((ref.r2 + 1, ref.c1 + 1), (ref.r2 + 1, ref.c2 + 1)), copy_type="formats"
            )
        if new_r2 < ref.r2:
            sheet.range((new_r2 + 2, ref.c1 + 1), (ref.r2 + 1, ref.c2 + 1)).value = [
                [""] * width for _ in range(ref.r2 - new_r2)
            ]
        if new_r2 != ref.r2 and hasattr(obj, "resize"):  # an Excel table: its header row stays on top
            top = ref.r1 if getattr(obj, "show_headers", True) else ref.r1 + 1
            obj.resize(sheet.range((top, ref.c1 + 1), (new_r2 + 1, ref.c2 + 1)))
        sheet.range((ref.r1 + 1, ref.c1 + 1), (new_r2 + 1, ref.c2 + 1)).value = cells
        if new_r2 != ref.r2 and not hasattr(obj, "resize"):
            obj.refers_to = "=" + fill._Ref(ref.sheet, ref.r1, ref.c1, new_r2, ref.c2).text()
    _say(book, label("script.done_report", lang).format(tables=", ".join(e.name for e, *_ in plans)), lang)
    return book


@xw.script(include=READS["settings"])
def open_settings(book: xw.Book):
    """Go to the Settings sheet of the analysis."""
    return _open_settings(book)


@_script
def _open_settings(book, lang: str):
    for name in _previous_analysis(book, lang):
        if _is_settings_sheet(name):
            book.sheets[name].activate()
            return book
    raise _Stop(label("script.no_settings", lang))


@xw.script(include=READS["help"])
def show_help(book: xw.Book):
    """Add a help sheet: what each button does and the functions in cells."""
    return _show_help(book)


@_script
def _show_help(book, lang: str):
    def build(rec, taken):
        ws = rec.add_worksheet(_adp.sheet_names([label("script.help_sheet", lang)], taken)[0])
        title = rec.add_format({"bold": True, "font_size": 14})
        head = rec.add_format({"bold": True, "font_color": "#1F4E78"})
        wrap = rec.add_format({"text_wrap": True, "valign": "top"})
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 100)
        ws.write_string(0, 0, label("script.help_title", lang), title)
        r = 2
        ws.write_string(r, 0, label("script.help_buttons", lang), head)
        r += 1
        for tag in BUTTONS:
            text = label(f"button.{tag}", lang)
            name, _, what = text.partition(": ")
            ws.write_string(r, 0, name, wrap)
            ws.write_string(r, 1, what, wrap)
            r += 1
        r += 1
        ws.write_string(r, 0, label("script.help_functions", lang), head)
        r += 1
        from udfs import functions

        for fname in sorted(n for n in dir(functions) if n.isupper() and callable(getattr(functions, n))):
            doc = (getattr(functions, fname).__doc__ or "").strip().split("\n\n")[0]
            ws.write_string(r, 0, f"={fname}(...)".lstrip("="), wrap)
            ws.write_string(r, 1, " ".join(doc.split()), wrap)
            r += 1
        r += 1
        ws.write_string(r, 0, label("script.help_more", lang), wrap)

    _render(book, build)
    return book


#: xlwings Server: the rows the Server ribbon (ribbon.js) sent a block at a
#: time for a book too large for one read, by the token of that button press,
#: until :func:`run_received` runs the button on them; a press's blocks are
#: dropped after ``RECEIVED_SECONDS`` (the app must run in one process, or
#: route a user's requests to one, for the blocks to meet)
_RECEIVED: dict[str, dict[str, Any]] = {}
RECEIVED_SECONDS = 900


def receive_rows(book, token: str, sheet: str, first_row: int, rows_json: str) -> None:
    """Keep one block of rows of ``sheet`` (JSON, 0-based ``first_row``) that
    the Server ribbon read from Excel, for the button press ``token``."""
    import json
    import time

    now = time.monotonic()
    for old in [t for t, v in _RECEIVED.items() if now - v["at"] > RECEIVED_SECONDS]:
        del _RECEIVED[old]
    got = _RECEIVED.setdefault(str(token), {"at": now, "sheets": {}, "cells": 0})
    rows = json.loads(rows_json)
    got["cells"] += sum(len(r) for r in rows)
    if got["cells"] > MAX_LITE_CELLS:
        got["sheets"] = {}  # too large: run_received says so
        got["over"] = (str(sheet), int(first_row) + len(rows))
        return
    target = got["sheets"].setdefault(str(sheet), [])
    first_row = int(first_row)
    if len(target) < first_row:
        target.extend([[] for _ in range(first_row - len(target))])
    target[first_row : first_row + len(rows)] = rows


async def run_received(book, token: str, script: str) -> None:
    """Run the button script ``script`` on the rows :func:`receive_rows` kept
    for ``token`` (the input sheets; the rest of the book came with this
    request)."""
    lang = _lang(book)
    got = _RECEIVED.pop(str(token), None)
    if got is None:
        _say(book, label("script.blocks_lost", lang), lang)
        return
    if not got["sheets"]:
        _say(
            book,
            label("script.too_large", lang).format(
                sheet=got.get("over", ("", 0))[0],
                lines=f"{max(got.get('over', ('', 1))[1] - 1, 0):,}+",
                cells=f"{got['cells']:,}",
                runtime="xlwings Server",
                limit=f"{MAX_LITE_CELLS:,}",
                book=book.name,
            ),
            lang,
        )
        return
    book.impl._xlb2b_rows = got["sheets"]
    tag = next(t for t, name in BUTTONS.items() if name == script)
    await run_button(tag, book)


def size_message(book, sheet: str, rows: int, cells: int, platform: str = "") -> None:
    """Tell the user that the input sheets are above what a button reads (the
    Server ribbon checks their size before sending the book, and then runs
    this instead of the button's script): ``rows`` of the transactions sheet
    ``sheet``, ``cells`` of all input sheets."""
    lang = _lang(book)
    rows, cells = int(rows), int(cells)
    runtime = "Excel on the web" if platform == "OfficeOnline" else (_officejs(book) or "Excel")
    limit = MAX_OFFICEJS_CELLS
    if platform == "OfficeOnline":
        limit = min(limit, MAX_WEB_REQUEST_BYTES // BYTES_PER_CELL)
    _say(
        book,
        label("script.too_large", lang).format(
            sheet=sheet,
            lines=f"{max(rows - 1, 0):,}",
            cells=f"{cells:,}",
            runtime=runtime,
            limit=f"{limit:,}",
            book=book.name,
        ),
        lang,
    )
