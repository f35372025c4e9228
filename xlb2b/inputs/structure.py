"""Report layouts found from the numbers and the grid's shape: subtotals, totals, grouped reports, filled-down keys.

The rules (docs/reading.md states them for users):

* A **marker row** is a non-blank row whose date cell is empty, or whose client
  cell says «Итого»/«Total».  Only marker rows can be dropped as sums: a row
  with a client and a date is a line, whatever its amount.  So a genuine line
  whose amount happens to equal the sum of two others is never dropped.
* A marker row is a **subtotal** when its amount equals the sum of the
  contiguous lines between it and the neighbouring marker row (above, or
  below when its client cell names a client), a **grand total** when it equals
  the sum of every line above it, or the sum of the subtotals above it.
  Equality allows half a kopeck per line summed.
* A **grouped report** (1C «Продажи» and the like): marker rows that name a
  client (the group rows) and whose amounts equal the sum of the lines beneath
  them, whose client cells hold other texts (the nomenclature).  Read when at
  least two group rows add up (one of them over two lines or more), or one
  does and a total row confirms it, and at least half of all such rows add up.
  Each line then takes the client of its group row; its own text becomes the
  ``sku`` (or a column of its own when the table has one).  Group rows, their
  subtotals and totals are left out and listed; the accepted lines are later
  reconciled against every subtotal and total (:func:`reconcile`).
* Refused: group rows that mostly do not add up (another layout, e.g. more than
  one level of grouping); client names written under their lines (at least
  two such rows); in a transactions table, rows with a client and an amount
  but no date that make up a fifth of the rows or more without forming a
  grouped report.
* A row naming something other than the lines' clients, with no date and the
  sum of every line above it and nothing after it, is taken as the total and
  said in a warning (it could be the one client of a report with its name
  under its lines).
* A row with a date but no client whose amount equals the sum of two or more lines with a
  client right beneath (or above) it, all of its date, is a **subtotal** too (per day or
  per document), never a line whose client cell stands for it, when two such rows or more
  make up at least half of the rows without a client.
* A **client cell standing for several rows** (merged or written once): lines
  with a date and an amount but no client, right under a line with a client.
  Filled down when such runs occur at least twice and make up at least a fifth
  of the lines (and said in a warning); otherwise each is rejected as an empty
  client id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, INFO, WARNING
from xlb2b.inputs.columns import NUMBER, TEXT
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.parse import _parse
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _blank_mask, _Parsed

#: fill a blank client cell down only when blank-client lines are at least this share of lines
FILL_DOWN_MIN_SHARE = 0.2
#: ... and come in at least this many runs
FILL_DOWN_MIN_RUNS = 2
#: group rows that add up, as a share of all rows that look like group rows, to read a grouped report
GROUPS_MIN_SHARE = 0.5
#: rows with a client and an amount but no date, as a share of the rows, that make a table
#: refused when they do not form a grouped report
NOT_LINES_MIN_SHARE = 0.2
#: a sum matches when it differs by at most this per line summed (half a kopeck / cent) ...
SUM_TOLERANCE_PER_LINE = 0.005
#: ... plus this fraction of the sum (floating-point rounding of large sums)
SUM_TOLERANCE_RELATIVE = 1e-9

FLAT = "flat list (one row per line)"
FLAT_SUBTOTALS = "flat list with subtotal or total rows"
GROUPED = "grouped report: client group rows with their subtotals, the lines beneath them"
FILLED = "flat list whose client cell stands for the rows beneath it"

EXPORT_FLAT = (
    "export a flat list instead: one row per sale line with the client, date and amount "
    "in columns of their own (in 1C: report settings → Structure → remove the groupings, "
    "keep «Detailed records»; or save the list of documents / sales lines)"
)


def close(x: float, s: float, lines: int) -> bool:
    """Whether amount ``x`` equals the sum ``s`` of ``lines`` lines (rounding allowed)."""
    return abs(x - s) <= SUM_TOLERANCE_PER_LINE * max(lines, 1) + SUM_TOLERANCE_RELATIVE * abs(s)


@dataclass
class SumRow:
    """A row left out because its amount is the sum of other rows."""

    row: int  # row number as the user sees it
    kind: str  # "subtotal", "total", "group"
    amount: float
    key: str  # its client cell
    covers: np.ndarray  # row numbers of the lines it adds up (all lines above: total)
    matched: bool = True  # whether the amount equals the sum of its lines as read


@dataclass
class Group:
    """A client group of a grouped report."""

    client: str
    row: int  # the group row
    subtotal: float  # its amount (NaN when it has none)
    rows: np.ndarray  # row numbers of its lines


@dataclass
class Layout:
    """What the shape and the numbers of the grid say about its layout."""

    name: str = FLAT
    evidence: list[str] = field(default_factory=list)
    sums: list[SumRow] = field(default_factory=list)  # left out: subtotals, totals, group rows
    groups: list[Group] = field(default_factory=list)
    filled: list[tuple[int, int, int]] = field(default_factory=list)  # (from row, first, last)
    notes: list[str] = field(default_factory=list)  # warnings for the reading report
    reconciliation: list[str] = field(default_factory=list)
    amounts: np.ndarray | None = None  # amount per raw row, when parsed
    amount_rows: np.ndarray | None = None  # the row numbers of ``amounts``


def _rows_text(row_numbers: np.ndarray, limit: int = 6) -> str:
    rows = [int(r) for r in row_numbers]
    if not rows:
        return "no rows"
    if rows == list(range(rows[0], rows[-1] + 1)) and len(rows) > 2:
        return f"rows {rows[0]}–{rows[-1]}"
    head = ", ".join(map(str, rows[:limit]))
    return f"row{'s' if len(rows) > 1 else ''} {head}" + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def fmt_amount(x: float) -> str:
    return f"{x:,.2f}".replace(",", " ")


def find_layout(raw: _Raw, positions: dict[str, int], ctx: _Ctx) -> tuple[_Raw, dict[str, int], Layout]:
    """The grid read as a flat list: subtotal/total/group rows taken out and listed, the client
    filled in where the layout says so; refuses a layout that cannot be read safely."""
    lay = Layout()
    if "client_id" not in positions or "amount" not in positions or "date" not in positions:
        return raw, positions, lay
    f = raw.frame
    n = len(f)
    pk, pa, pdt = positions["client_id"], positions["amount"], positions["date"]
    # the client column is parsed once, here: its empty cells are its blank ones, and validation
    # takes the parsed column instead of parsing it again
    key = _parse(TEXT, f[pk].reset_index(drop=True), raw)
    key_blank = key.empty
    date_blank = _blank_mask(f[pdt])
    if not (key_blank | date_blank).any():
        raw.parsed[pk] = key
        return raw, positions, lay  # every row has a client and a date: nothing to find
    blank_row = np.ones(n, dtype=bool)
    for p in range(f.shape[1]):
        blank_row &= key_blank if p == pk else date_blank if p == pdt else _blank_mask(f[p])
    live = np.flatnonzero(~blank_row)
    if not len(live):
        return raw, positions, lay
    ktext = key.values.astype(object).to_numpy()
    ktotal = key.total if key.total is not None else np.zeros(n, dtype=bool)
    amt_parsed = _parse(NUMBER, f[pa].reset_index(drop=True), raw)
    amt = amt_parsed.values.to_numpy(dtype=np.float64)
    lay.amounts, lay.amount_rows = amt, np.asarray(raw.rows)
    rows = np.asarray(raw.rows)

    # work over the non-blank rows, in order
    L = live
    marker = (date_blank | ktotal)[L]
    a = amt[L]
    detail_amt = np.where(~marker & ~np.isnan(a), a, 0.0)
    P = np.concatenate([[0.0], np.cumsum(detail_amt)])
    C = np.concatenate([[0], np.cumsum(~marker)])  # lines before position k
    mpos = np.flatnonzero(marker)
    named = ~key_blank[L] & ~ktotal[L]

    kinds: dict[int, tuple[str, int, int]] = {}  # marker position -> (kind, first, last) positions
    # the blocks of lines between neighbouring markers, for every marker at once
    prev_m = np.r_[-1, mpos[:-1]]
    next_m = np.r_[mpos[1:], len(L)]
    x_all = a[mpos]
    cnt_above, sum_above = C[mpos] - C[prev_m + 1], P[mpos] - P[prev_m + 1]
    cnt_below, sum_below = C[next_m] - C[mpos + 1], P[next_m] - P[mpos + 1]

    def fits(cnt, tot):
        return (cnt >= 1) & (
            np.abs(x_all - tot) <= SUM_TOLERANCE_PER_LINE * np.maximum(cnt, 1) + SUM_TOLERANCE_RELATIVE * np.abs(tot)
        )

    hit_above, hit_below = fits(cnt_above, sum_above), fits(cnt_below, sum_below)
    lines_total = int(C[len(L)])
    sums_before = 0.0  # amounts of subtotals/groups already found
    sum_lines = 0
    for k, x, pm, nm, ha, hb, ca, cb, nk in zip(
        mpos.tolist(),
        x_all.tolist(),
        prev_m.tolist(),
        next_m.tolist(),
        hit_above.tolist(),
        hit_below.tolist(),
        cnt_above.tolist(),
        cnt_below.tolist(),
        named[mpos].tolist(),
    ):
        if x != x:  # no amount
            if nk and nm > k + 1:
                kinds[k] = ("heading", k + 1, nm - 1)
            continue
        hit = None
        for side in ("below", "above") if nk else ("above", "below"):
            if side == "below" and hb:
                hit = ("below", k + 1, nm - 1, cb)
                break
            if side == "above" and ha:
                hit = ("above", pm + 1, k - 1, ca)
                break
        if hit is not None:
            side, lo, hi, cnt = hit
            same = True
            if nk:
                keys = ktext[L[lo : hi + 1]][named[lo : hi + 1]]
                same = bool(np.all(keys == ktext[L[k]]))
            everything = side == "above" and C[lo] == 0 and lines_total == C[k + 1]
            if not nk or same:
                # the sum of every line, none after it: the grand total
                kind = "total" if everything else "subtotal"
            elif everything:
                # a name under all the lines with their sum: a total with a label of its own, or the one
                # client of a report with its name under its lines; taken as the total, and said
                kind = "total"
                lay.notes.append(
                    f"row {int(rows[L[k]])} has {ktext[L[k]]!r} in the client column, no date and "
                    f"the sum of every line above it: it was taken as a total and left out; if it is "
                    f"the client of those lines, {EXPORT_FLAT}"
                )
            else:
                kind = "group" if side == "below" else "footer"
            kinds[k] = (kind, lo, hi)
            if kind != "total":
                sums_before += x
                sum_lines += cnt
            continue
        ck = int(C[k])
        if ck >= 1 and (close(x, float(P[k]), ck) or (sum_lines and close(x, sums_before, sum_lines))):
            kinds[k] = ("total", 0, k - 1)
            continue
        kinds[k] = ("unmatched_named" if nk else "unmatched", k + 1, nm - 1)
    # a total above every line (some reports put it first): the sum of all lines, or of all subtotals
    if lines_total:
        for k, (kind, _lo, _hi) in list(kinds.items()):
            if (
                kind == "unmatched"
                and C[k] == 0
                and (
                    close(float(a[k]), float(P[len(L)]), lines_total)
                    or (sum_lines and close(float(a[k]), sums_before, sum_lines))
                )
            ):
                kinds[k] = ("total", 0, len(L) - 1)

    groups = [k for k, v in kinds.items() if v[0] == "group"]
    footers = [k for k, v in kinds.items() if v[0] == "footer"]
    loose = [k for k, v in kinds.items() if v[0] == "unmatched_named"]
    totals = [k for k, v in kinds.items() if v[0] == "total"]
    headings = [k for k, v in kinds.items() if v[0] == "heading"]
    where = lambda ks: _rows_text(rows[L[np.asarray(sorted(ks), dtype=np.int64)]])  # noqa: E731

    if len(footers) >= 2 and len(footers) >= len(groups):
        ctx.fatal(
            f"this looks like a grouped report with each client's name under its lines "
            f"({where(footers)} hold a client name and the sum of the lines above them); "
            f"it cannot be read safely: {EXPORT_FLAT}"
        )
    strong = [k for k in groups if kinds[k][2] > kinds[k][1]]
    grouped = bool(groups) and bool(strong) and (len(groups) >= 2 or bool(totals))
    if grouped and len(groups) < GROUPS_MIN_SHARE * (len(groups) + len(loose)):
        ctx.fatal(
            f"this looks like a grouped report (rows with a client, no date and an amount, the "
            f"lines beneath them), but only {len(groups)} of {len(groups) + len(loose)} such rows "
            f"equal the sum of the lines beneath them (those that do not: {where(loose)}); it may "
            f"be grouped on more than one level; it cannot be read safely: {EXPORT_FLAT}"
        )
    if not grouped and len(loose) >= 2 and len(groups) >= 1:
        ctx.fatal(
            f"rows with a client, no date and an amount ({where(groups + loose)}) look like the "
            f"group rows of a grouped report, but most of their amounts do not equal the sum of "
            f"the lines beneath them; it cannot be read safely: {EXPORT_FLAT}"
        )
    dateless = len(groups) + len(loose) + len(footers)
    if not grouped and ctx.kind == "transactions" and dateless >= 2 and dateless >= NOT_LINES_MIN_SHARE * len(L):
        ctx.fatal(
            f"{dateless} of {len(L)} rows have a client and an amount but no date "
            f"({where(groups + loose + footers)}): either their dates are missing, or this is a report "
            f"with group rows (for example grouped by client and document) that is not one row per "
            f"line; it cannot be read safely: fill in the dates, or {EXPORT_FLAT}"
        )
    if not grouped:
        groups = []
    elif len(headings):
        ctx.fatal(
            f"a grouped report with group rows both with and without amounts ({where(headings)} "
            f"have none): it cannot be read safely: {EXPORT_FLAT}"
        )
    if len(headings) >= 2 and not grouped:
        lay.notes.append(
            f"{where(headings)} hold only a text in the client column, like the group headings of a "
            f"report; the lines beneath them were read with their own client cells as the client. If "
            f"those headings are the clients, {EXPORT_FLAT}"
        )

    key_col = f[pk].to_numpy(dtype=object, copy=True)
    key_raw = f[pk].to_numpy(dtype=object)
    sku_text = None
    drop = np.zeros(n, dtype=bool)
    problems: list = []
    key_header = raw.headers[pk]

    def cover(lo: int, hi: int) -> np.ndarray:
        sel = L[lo : hi + 1]
        sel = sel[~marker[lo : hi + 1]]
        return rows[sel]

    if grouped:
        lay.name = GROUPED
        heads = sorted(groups + loose)
        sku_text = np.full(n, None, dtype=object)
        first_head = heads[0]
        orphans = [k for k in range(first_head) if not marker[k]]
        for k in orphans:
            problems.append(
                ctx.problem(
                    "a line above the first client group row: its client is unknown",
                    row=int(rows[L[k]]),
                    column=key_header,
                    value=ktext[L[k]],
                    severity=ERROR,
                )
            )
            drop[L[k]] = True
        bounds = np.asarray(
            sorted(m for m, v in kinds.items() if v[0] in ("group", "unmatched_named", "total")), dtype=np.int64
        )
        for k in heads:
            i = L[k]
            nxt = np.searchsorted(bounds, k, side="right")
            end = int(bounds[nxt]) if nxt < len(bounds) else len(L)
            block = np.arange(k + 1, end)
            ln = L[block[~marker[k + 1 : end]]]
            client = str(ktext[i])
            sku_text[ln] = ktext[ln]
            key_col[ln] = key_raw[i]
            matched = kinds[k][0] == "group"
            lay.groups.append(Group(client, int(rows[i]), float(a[k]), rows[ln]))
            lay.sums.append(SumRow(int(rows[i]), "group", float(a[k]), client, rows[ln], matched))
            drop[i] = True
            said = (
                f"its amount {fmt_amount(a[k])} is the sum of its lines, {_rows_text(rows[ln])}"
                if matched
                else f"its amount {fmt_amount(a[k])} differs from the sum of its lines "
                f"({_rows_text(rows[ln])}) as given; see the reconciliation"
            )
            problems.append(
                ctx.problem(
                    f"group row of client {client!r}: {said}; its lines are read as "
                    "this client's, the row itself is left out",
                    row=int(rows[i]),
                    column=key_header,
                    value=client,
                    severity=INFO if matched else WARNING,
                )
            )
        lay.evidence.append(
            f"{len(groups)} of {len(heads)} group rows (a client, no date) equal the sum "
            f"of the lines beneath them, whose client cells hold other texts (the "
            f"nomenclature); read as a flat list, each line with its group's client"
        )

    if not grouped:  # rows with a date but no client that add up the lines of their date next to them
        for k, lo, hi in _dated_subtotals(marker, key_blank[L], a, f[pdt].to_numpy(dtype=object)[L]):
            kinds[k] = ("subtotal", lo, hi)

    for k, (kind, lo, hi) in sorted(kinds.items()):
        if kind not in ("subtotal", "total"):
            continue
        i = L[k]
        covered = cover(lo, hi)
        lay.sums.append(SumRow(int(rows[i]), kind, float(a[k]), "" if key_blank[i] else str(ktext[i]), covered))
        drop[i] = True
        what = (
            f"a subtotal: its amount {fmt_amount(a[k])} is the sum of {_rows_text(covered)}"
            if kind == "subtotal"
            else f"a total: its amount {fmt_amount(a[k])} is the sum of the lines (or subtotals) above it"
        )
        problems.append(
            ctx.problem(
                f"{what}; left out", row=int(rows[i]), column=raw.headers[pa], value=float(a[k]), severity=WARNING
            )
        )
    if not grouped and any(s.kind in ("subtotal", "total") for s in lay.sums):
        lay.name = FLAT_SUBTOTALS
        lay.evidence.append(
            f"{len(lay.sums)} row(s) without a date or a client (or labelled as a total) equal the sum of the "
            "lines next to them"
        )
    for k, (kind, _lo, _hi) in sorted(kinds.items()):
        if kind == "unmatched" and ktotal[L[k]] and not np.isnan(a[k]):
            above = ~marker & (np.arange(len(L)) < k)
            lay.sums.append(
                SumRow(
                    int(rows[L[k]]),
                    "total",
                    float(a[k]),
                    str(ktext[L[k]]),
                    rows[L[above if above.any() else ~marker]],
                    matched=False,
                )
            )

    # a subtotal naming a client over lines below it that name none (1C: the client's group row with
    # its subtotal, the documents beneath it in a column of their own): the lines are that client's
    given = np.zeros(len(L), dtype=bool)
    for k, (kind, lo, hi) in sorted(kinds.items()):
        if kind != "subtotal" or lo != k + 1 or not named[k]:
            continue
        block = np.arange(lo, hi + 1)
        block = block[~marker[lo : hi + 1] & key_blank[L[lo : hi + 1]]]
        if not len(block):
            continue
        given[block] = True
        key_col[L[block]] = key_raw[L[k]]
        lay.filled.append((int(rows[L[k]]), int(rows[L[block[0]]]), int(rows[L[block[-1]]])))
        problems.append(
            ctx.problem(
                f"no client id: taken from the group row {int(rows[L[k]])} above, whose amount "
                f"{fmt_amount(a[k])} is the sum of {_rows_text(rows[L[block]])}",
                row=int(rows[L[block[0]]]),
                column=key_header,
                value=ktext[L[k]],
                severity=INFO,
            )
        )
    if given.any():
        heads_given = sorted({r for r, _s, _e in lay.filled})
        lay.name = f"{lay.name}; client given by the group row above the lines"
        lay.evidence.append(
            f"{int(given.sum())} lines without a client lie under {len(heads_given)} row(s) with a client, "
            "no date and the sum of those lines: each line takes that client"
        )
        lay.notes.append(
            f"{int(given.sum())} line(s) without a client were given the client of the group row above "
            f"them ({_rows_text(np.asarray(heads_given))}), whose amount is their sum (listed as info); if "
            "those rows are not the lines' clients, fill the client cells in and read again"
        )

    # client cells standing for several rows
    if not grouped:
        keyless = ~marker & key_blank[L] & ~given & ~drop[L]
        before = np.r_[False, keyless[:-1]]
        after = np.r_[keyless[1:], False]
        s_pos = np.flatnonzero(keyless & ~before)
        e_pos = np.flatnonzero(keyless & ~after)
        valid = s_pos > 0
        valid[valid] = ~marker[s_pos[valid] - 1]
        runs = list(zip((s_pos[valid] - 1).tolist(), s_pos[valid].tolist(), e_pos[valid].tolist()))
        lines = int((~marker).sum())
        filled = sum(e - s + 1 for _, s, e in runs)
        if len(runs) >= FILL_DOWN_MIN_RUNS and filled >= FILL_DOWN_MIN_SHARE * lines:
            lay.name = FILLED if lay.name == FLAT else f"{lay.name}; client cells stand for several rows"
            for src, s, e in runs:
                key_col[L[s : e + 1]] = key_raw[L[src]]
                lay.filled.append((int(rows[L[src]]), int(rows[L[s]]), int(rows[L[e]])))
                problems.append(
                    ctx.problem(
                        f"no client id: taken from row {int(rows[L[src]])} above, whose client cell stands "
                        f"for the rows beneath it (merged or written once)",
                        row=int(rows[L[s]]),
                        column=key_header,
                        value=ktext[L[src]],
                        severity=INFO,
                    )
                )
            lay.evidence.append(
                f"{filled} of {lines} lines have no client, in {len(runs)} runs each under "
                "a line with one: the client is filled down"
            )
            lay.notes.append(
                f"{filled} line(s) without a client were given the client of the line above them "
                f"({len(runs)} runs, listed as info); if those cells were simply left empty, fill "
                "them in and read again"
            )

    ctx.report.problems.extend(problems)
    if not drop.any() and not lay.filled and sku_text is None:
        raw.parsed[pa] = amt_parsed  # validation takes these instead of parsing again
        raw.parsed[pk] = key
        return raw, positions, lay
    frame = f.copy()
    frame[pk] = key_col
    positions = dict(positions)
    headers = list(raw.headers)
    if sku_text is not None:
        name = "sku" if "sku" not in positions and ctx.kind == "transactions" else None
        header = f"{key_header} (line)"
        while header in headers:
            header += "'"
        frame[len(headers)] = sku_text
        if name:
            positions["sku"] = len(headers)
        headers.append(header)
    keep = ~drop
    frame = frame.loc[keep].reset_index(drop=True)
    keys, places = raw.keys, raw.places
    if len(headers) > len(raw.headers):  # the column of the grouped report's line texts
        keys = None if keys is None else list(keys) + [(headers[-1],)]
        places = None if places is None else list(places) + [raw.places[pk] if raw.places else ""]
    out = _Raw(
        frame,
        headers,
        rows[keep],
        raw.grid,
        raw.decimal_comma,
        raw.comma_default,
        keys=keys,
        places=places,
        header_row=raw.header_row,
        date1904=raw.date1904,
    )
    out.parsed[pa] = _subset(amt_parsed, keep)
    if not lay.filled and sku_text is None:  # the client cells are as read
        out.parsed[pk] = _subset(key, keep)
    return out, positions, lay


def _dated_subtotals(
    marker: np.ndarray, blank: np.ndarray, a: np.ndarray, dates: np.ndarray
) -> list[tuple[int, int, int]]:
    """(position, first, last line position) of every row without a client, with a date and an
    amount, whose amount equals the sum of the two or more lines with a client right beneath it
    (or right above it), all of the row's date: a report's subtotal per day (or
    per document), not a line whose client cell stands for it.  Only when at least two such rows
    are found and they are at least half of the rows without a client; else none (a coincidence
    among lines whose client cell stands for them).  Positions over the non-blank rows."""
    n = len(marker)
    cand = np.flatnonzero(~marker & blank & ~np.isnan(a))
    if not len(cand):
        return []
    named = ~marker & ~blank
    amt = np.where(named & ~np.isnan(a), a, 0.0)
    P = np.concatenate([[0.0], np.cumsum(amt)])
    C = np.concatenate([[0], np.cumsum(named)])
    codes, _u = pd.factorize(pd.Series(dates, dtype=object), use_na_sentinel=True)
    change = np.concatenate([[0], np.cumsum(np.r_[False, codes[1:] != codes[:-1]])])  # date changes up to k
    breaks = np.flatnonzero(~named)
    nxt = np.searchsorted(breaks, cand, side="right")
    below_end = np.where(nxt < len(breaks), breaks[np.minimum(nxt, len(breaks) - 1)], n)  # exclusive
    prv = np.searchsorted(breaks, cand, side="left") - 1
    above_start = np.where(prv >= 0, breaks[np.maximum(prv, 0)], -1) + 1
    x = a[cand]
    ok_date = codes[cand] >= 0

    def side(lo: np.ndarray, hi: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Whether the lines lo..hi (inclusive) are two or more, add up to the row's amount and
        share its date (no change of date from ``first`` to ``last``)."""
        cnt = np.where(hi >= lo, C[hi + 1] - C[np.minimum(lo, n)], 0)
        tot = np.where(hi >= lo, P[hi + 1] - P[np.minimum(lo, n)], 0.0)
        fit = (cnt >= 2) & (
            np.abs(x - tot) <= SUM_TOLERANCE_PER_LINE * np.maximum(cnt, 1) + SUM_TOLERANCE_RELATIVE * np.abs(tot)
        )
        return fit & ok_date & (change[last + 1] - change[first + 1] == 0)

    lo_b, hi_b = cand + 1, below_end - 1
    below = side(lo_b, hi_b, cand, np.maximum(hi_b, cand))
    lo_a, hi_a = above_start, cand - 1
    above = ~below & side(lo_a, hi_a, np.minimum(lo_a, cand), cand)
    hit = below | above
    if hit.sum() < 2 or hit.sum() < GROUPS_MIN_SHARE * len(cand):
        return []  # a coincidence among lines whose client cell stands for them (merged cells)
    lo = np.where(below, lo_b, lo_a)[hit]
    hi = np.where(below, hi_b, hi_a)[hit]
    return list(zip(cand[hit].tolist(), lo.tolist(), hi.tolist()))


def _subset(p: _Parsed, keep: np.ndarray) -> _Parsed:
    """A parsed column restricted to the rows kept (positions renumbered)."""
    new_pos = np.cumsum(keep) - 1
    bad_idx = p.bad.index.to_numpy(dtype=np.int64)
    ok = keep[bad_idx] if len(bad_idx) else np.zeros(0, dtype=bool)
    bad = pd.Series(p.bad.to_numpy()[ok], index=pd.Index(new_pos[bad_idx[ok]], dtype=np.int64), dtype=object)
    return _Parsed(
        p.values[keep].reset_index(drop=True), p.empty[keep], bad, None if p.total is None else p.total[keep]
    )


def reconcile(lay: Layout, data: pd.DataFrame, ctx: _Ctx, amount_header: str) -> None:
    """Compare the accepted lines with every subtotal and total left out; list each difference."""
    sums = [x for x in lay.sums if not np.isnan(x.amount)]
    if not sums or "amount" not in data:
        return
    rows = data["row"].to_numpy(dtype=np.int64)
    amt = data["amount"].to_numpy(dtype=np.float64)
    order = np.argsort(rows, kind="stable")
    rows, amt = rows[order], amt[order]
    cov = np.concatenate([x.covers for x in sums]).astype(np.int64)
    sizes = np.array([len(x.covers) for x in sums], dtype=np.int64)
    sid = np.repeat(np.arange(len(sums)), sizes)
    offsets = np.r_[0, np.cumsum(sizes)]
    pos = np.minimum(np.searchsorted(rows, cov), max(len(rows) - 1, 0))
    found = (rows[pos] == cov) if len(rows) else np.zeros(len(cov), dtype=bool)
    got = np.bincount(
        sid, weights=np.where(found, np.nan_to_num(amt[pos] if len(rows) else 0.0), 0.0), minlength=len(sums)
    )
    ok = bad = 0
    for j, x in enumerate(sums):
        total = float(got[j])
        if close(x.amount, total, max(len(x.covers), 1)):
            ok += 1
            continue
        bad += 1
        missing = x.covers[~found[offsets[j] : offsets[j + 1]]]
        who = {"group": f"client {x.key!r}", "subtotal": "subtotal", "total": "total"}[x.kind]
        why = (
            f"; rejected among its lines: {_rows_text(missing)} (see above)"
            if len(missing)
            else "; the report's own figure differs from its lines"
        )
        text = (
            f"{who} (row {x.row}): the report says {fmt_amount(x.amount)}, the accepted lines add up "
            f"to {fmt_amount(total)}, difference {fmt_amount(x.amount - total)}{why}"
        )
        lay.reconciliation.append(text)
        ctx.report.problems.append(
            ctx.problem(
                f"does not reconcile: {text}", row=x.row, column=amount_header, value=x.amount, severity=WARNING
            )
        )
    lay.reconciliation.insert(
        0, f"{ok} of {ok + bad} subtotal/total rows equal the sum of the accepted lines they cover"
    )
