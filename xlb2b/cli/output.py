"""What the command line checks, prints and writes: exit statuses, output checks, tables, progress, the summary."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from xlb2b.errors import FATAL

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


def open_lock_file(path: Path) -> Path | None:
    """The lock file Excel (``~$NAME``) or LibreOffice (``.~lock.NAME#``) keeps
    next to a workbook while it is open, when there is one."""
    path = Path(path)
    for name in (f"~${path.name}", f".~lock.{path.name}#"):
        lock = path.with_name(name)
        if lock.is_file():
            return lock
    return None


def refuse_open_workbook(path: Path) -> None:
    """Refuse to write a workbook that is open in Excel or LibreOffice: the
    program would save its own copy over ours (and the added sheets with it),
    or on Windows the write fails half-way through the run."""
    lock = open_lock_file(path)
    if lock is not None:
        raise CliError(
            f"{Path(path).name} is open in Excel or LibreOffice (its lock file {lock.name} is next to it): "
            "close it there and run again, or write to another file with -o; if it is not open, "
            f"the lock file was left by a crash: delete {lock.name}"
        )


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
        if out.exists():
            refuse_open_workbook(out)
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
