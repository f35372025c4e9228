"""Report layouts found from the numbers and the grid's shape: subtotal and total rows, grouped reports, key cells standing for several rows.

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
  two such rows); rows with a client and an amount but no date that make up a
  fifth of the rows or more without forming a grouped report.
* A **client cell standing for several rows** (merged or written once): lines
  with a date and an amount but no client, right under a line with a client.
  Filled down when such runs occur at least twice and make up at least a fifth
  of the lines; otherwise each is rejected as an empty client id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.errors import ERROR, INFO, WARNING
from xlb2b.inputs.columns import NUMBER, TEXT
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.parse import _parse
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _blank_mask

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

EXPORT_FLAT = ("export a flat list instead: one row per sale line with the client, date and amount "
               "in columns of their own (in 1C: report settings → Structure → remove the groupings, "
               "keep «Detailed records»; or save the list of documents / sales lines)")


def close(x: float, s: float, lines: int) -> bool:
    """Whether amount ``x`` equals the sum ``s`` of ``lines`` lines (rounding allowed)."""
    return abs(x - s) <= SUM_TOLERANCE_PER_LINE * max(lines, 1) + SUM_TOLERANCE_RELATIVE * abs(s)


@dataclass
class SumRow:
    """A row left out because its amount is the sum of other rows."""
    row: int                 # row number as the user sees it
    kind: str                # "subtotal", "total", "group"
    amount: float
    key: str                 # its client cell
    covers: np.ndarray       # row numbers of the lines it adds up (all lines above: total)
    matched: bool = True     # whether the amount equals the sum of its lines as read


@dataclass
class Group:
    """A client group of a grouped report."""
    client: str
    row: int                 # the group row
    subtotal: float          # its amount (NaN when it has none)
    rows: np.ndarray         # row numbers of its lines


@dataclass
class Layout:
    """What the shape and the numbers of the grid say about its layout."""
    name: str = FLAT
    evidence: list[str] = field(default_factory=list)
    sums: list[SumRow] = field(default_factory=list)        # left out: subtotals, totals, group rows
    groups: list[Group] = field(default_factory=list)
    filled: list[tuple[int, int, int]] = field(default_factory=list)   # (from row, first, last)
    notes: list[str] = field(default_factory=list)          # warnings for the reading report
    reconciliation: list[str] = field(default_factory=list)
    amounts: np.ndarray | None = None                       # amount per raw row, when parsed
    amount_rows: np.ndarray | None = None                   # the row numbers of ``amounts``


def _rows_text(rows: np.ndarray, limit: int = 6) -> str:
    rows = [int(r) for r in rows]
    if not rows:
        return "no rows"
    if rows == list(range(rows[0], rows[-1] + 1)) and len(rows) > 2:
        return f"rows {rows[0]}–{rows[-1]}"
    head = ", ".join(map(str, rows[:limit]))
    return f"row{'s' if len(rows) > 1 else ''} {head}" + (f" and {len(rows) - limit} more"
                                                          if len(rows) > limit else "")


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
    key_blank = _blank_mask(f[pk])
    date_blank = _blank_mask(f[pdt])
    if not (key_blank | date_blank).any():
        return raw, positions, lay            # every row has a client and a date: nothing to find
    blank_row = np.ones(n, dtype=bool)
    for p in range(f.shape[1]):
        blank_row &= key_blank if p == pk else date_blank if p == pdt else _blank_mask(f[p])
    live = np.flatnonzero(~blank_row)
    if not len(live):
        return raw, positions, lay
    key = _parse(TEXT, f[pk].reset_index(drop=True), raw)
    ktext = key.values.astype(object).to_numpy()
    ktotal = key.total if key.total is not None else np.zeros(n, dtype=bool)
    amt = _parse(NUMBER, f[pa].reset_index(drop=True), raw).values.to_numpy(dtype=np.float64)
    lay.amounts, lay.amount_rows = amt, np.asarray(raw.rows)
    rows = np.asarray(raw.rows)

    # work over the non-blank rows, in order
    L = live
    marker = (date_blank | ktotal)[L]
    a = amt[L]
    detail_amt = np.where(~marker & ~np.isnan(a), a, 0.0)
    P = np.concatenate([[0.0], np.cumsum(detail_amt)])
    C = np.concatenate([[0], np.cumsum(~marker)])           # lines before position k
    mpos = np.flatnonzero(marker)
    named = ~key_blank[L] & ~ktotal[L]
    norm = np.array([str(t).casefold() if t == t and t is not None else "" for t in ktext[L]],
                    dtype=object) if len(mpos) else None

    kinds: dict[int, tuple[str, int, int]] = {}    # marker position -> (kind, first, last) positions
    sums_before = 0.0                              # amounts of subtotals/groups already found
    sum_lines = 0
    for j, k in enumerate(mpos):
        prev_m = mpos[j - 1] if j else -1
        next_m = mpos[j + 1] if j + 1 < len(mpos) else len(L)
        x = a[k]
        if np.isnan(x):
            if named[k] and next_m > k + 1:
                kinds[k] = ("heading", k + 1, next_m - 1)
            continue
        above = (C[k] - C[prev_m + 1], prev_m + 1, k - 1, P[k] - P[prev_m + 1])
        below = (C[next_m] - C[k + 1], k + 1, next_m - 1, P[next_m] - P[k + 1])
        order = (below, above) if named[k] else (above, below)
        hit = next((b for b in order if b[0] >= 1 and close(x, b[3], b[0])), None)
        if hit is not None:
            _, lo, hi, _s = hit
            same = all(norm[i] == norm[k] for i in range(lo, hi + 1) if named[i])
            if not named[k] or same:
                # the sum of every line, none after it: the grand total
                kind = "total" if (hit is above and C[lo] == 0 and C[len(L)] == C[k + 1]) else "subtotal"
            else:
                kind = "group" if hit is below else "footer"
            kinds[k] = (kind, lo, hi)
            if kind != "total":
                sums_before += x
                sum_lines += hit[0]
            continue
        if C[k] >= 1 and (close(x, P[k], C[k]) or (sum_lines and close(x, sums_before, sum_lines))):
            kinds[k] = ("total", 0, k - 1)
            continue
        kinds[k] = ("unmatched_named" if named[k] else "unmatched", k + 1, next_m - 1)

    groups = [k for k, v in kinds.items() if v[0] == "group"]
    footers = [k for k, v in kinds.items() if v[0] == "footer"]
    loose = [k for k, v in kinds.items() if v[0] == "unmatched_named"]
    totals = [k for k, v in kinds.items() if v[0] == "total"]
    headings = [k for k, v in kinds.items() if v[0] == "heading"]
    where = lambda ks: _rows_text(rows[L[np.asarray(sorted(ks), dtype=np.int64)]])   # noqa: E731

    if len(footers) >= 2 and len(footers) >= len(groups):
        ctx.fatal(f"this looks like a grouped report with each client's name under its lines "
                  f"({where(footers)} hold a client name and the sum of the lines above them); "
                  f"it cannot be read safely: {EXPORT_FLAT}")
    strong = [k for k in groups if kinds[k][2] > kinds[k][1]]
    grouped = bool(groups) and bool(strong) and (len(groups) >= 2 or bool(totals))
    if grouped and len(groups) < GROUPS_MIN_SHARE * (len(groups) + len(loose)):
        ctx.fatal(f"this looks like a grouped report (rows with a client, no date and an amount, the "
                  f"lines beneath them), but only {len(groups)} of {len(groups) + len(loose)} such rows "
                  f"equal the sum of the lines beneath them (those that do not: {where(loose)}); it may "
                  f"be grouped on more than one level; it cannot be read safely: {EXPORT_FLAT}")
    if not grouped and len(loose) >= 2 and len(groups) >= 1:
        ctx.fatal(f"rows with a client, no date and an amount ({where(groups + loose)}) look like the "
                  f"group rows of a grouped report, but most of their amounts do not equal the sum of "
                  f"the lines beneath them; it cannot be read safely: {EXPORT_FLAT}")
    dateless = len(groups) + len(loose) + len(footers)
    if not grouped and dateless >= 2 and dateless >= NOT_LINES_MIN_SHARE * len(L):
        ctx.fatal(f"{dateless} of {len(L)} rows have a client and an amount but no date "
                  f"({where(groups + loose + footers)}): either their dates are missing, or this is a report "
                  f"with group rows (for example grouped by client and document) that is not one row per "
                  f"line; it cannot be read safely: fill in the dates, or {EXPORT_FLAT}")
    if not grouped:
        groups = []
    elif len(headings):
        ctx.fatal(f"a grouped report with group rows both with and without amounts ({where(headings)} "
                  f"have none): it cannot be read safely: {EXPORT_FLAT}")
    if len(headings) >= 2 and not grouped:
        lay.notes.append(
            f"{where(headings)} hold only a text in the client column, like the group headings of a "
            f"report; the lines beneath them were read with their own client cells as the client. If "
            f"those headings are the clients, {EXPORT_FLAT}")

    key_col = f[pk].to_numpy(dtype=object, copy=True)
    sku_text = None
    drop = np.zeros(n, dtype=bool)
    problems: list = []
    key_header = raw.headers[pk]

    def cover(lo: int, hi: int) -> np.ndarray:
        sel = L[lo:hi + 1]
        sel = sel[~marker[lo:hi + 1]]
        return rows[sel]

    if grouped:
        lay.name = GROUPED
        heads = sorted(groups + loose)
        sku_text = np.full(n, None, dtype=object)
        first_head = heads[0]
        orphans = [k for k in range(first_head) if not marker[k]]
        for k in orphans:
            problems.append(ctx.problem("a line above the first client group row: its client is unknown",
                                        row=int(rows[L[k]]), column=key_header,
                                        value=ktext[L[k]], severity=ERROR))
            drop[L[k]] = True
        for j, k in enumerate(heads):
            i = L[k]
            end = next((m for m in mpos if m > k and kinds.get(m, ("",))[0] in
                        ("group", "unmatched_named", "total")), len(L))
            block = [q for q in range(k + 1, end) if not marker[q]]
            ln = L[np.asarray(block, dtype=np.int64)]
            client = str(ktext[i])
            sku_text[ln] = ktext[ln]
            key_col[ln] = f[pk].iat[i]
            matched = kinds[k][0] == "group"
            lay.groups.append(Group(client, int(rows[i]), float(a[k]), rows[ln]))
            lay.sums.append(SumRow(int(rows[i]), "group", float(a[k]), client, rows[ln], matched))
            drop[i] = True
            said = (f"its amount {fmt_amount(a[k])} is the sum of its lines, {_rows_text(rows[ln])}"
                    if matched else f"its amount {fmt_amount(a[k])} differs from the sum of its lines "
                    f"({_rows_text(rows[ln])}) as given; see the reconciliation")
            problems.append(ctx.problem(f"group row of client {client!r}: {said}; its lines are read as "
                                        "this client's, the row itself is left out",
                                        row=int(rows[i]), column=key_header, value=client, severity=WARNING))
        lay.evidence.append(f"{len(groups)} of {len(heads)} group rows (a client, no date) equal the sum "
                            f"of the lines beneath them, whose client cells hold other texts (the "
                            f"nomenclature); read as a flat list, each line with its group's client")

    for k, (kind, lo, hi) in sorted(kinds.items()):
        if kind not in ("subtotal", "total"):
            continue
        i = L[k]
        covered = cover(lo, hi)
        lay.sums.append(SumRow(int(rows[i]), kind, float(a[k]), "" if key_blank[i] else str(ktext[i]),
                               covered))
        drop[i] = True
        what = (f"a subtotal: its amount {fmt_amount(a[k])} is the sum of {_rows_text(covered)}"
                if kind == "subtotal" else
                f"a total: its amount {fmt_amount(a[k])} is the sum of the lines (or subtotals) above it")
        problems.append(ctx.problem(f"{what}; left out", row=int(rows[i]), column=raw.headers[pa],
                                    value=float(a[k]), severity=WARNING))
    if not grouped and any(s.kind in ("subtotal", "total") for s in lay.sums):
        lay.name = FLAT_SUBTOTALS
        lay.evidence.append(f"{len(lay.sums)} row(s) without a date (or labelled as a total) equal the sum "
                            "of the lines next to them")
    for k, (kind, lo, hi) in sorted(kinds.items()):
        if kind == "unmatched" and ktotal[L[k]] and not np.isnan(a[k]):
            lay.sums.append(SumRow(int(rows[L[k]]), "total", float(a[k]), str(ktext[L[k]]),
                                   rows[L[~marker & (np.arange(len(L)) < k)]], matched=False))

    # client cells standing for several rows
    if not grouped:
        keyless = ~marker & key_blank[L]
        runs: list[tuple[int, int, int]] = []
        k = 0
        while k < len(L):
            if keyless[k] and k > 0 and not marker[k - 1] and not keyless[k - 1]:
                s = k
                while k + 1 < len(L) and keyless[k + 1]:
                    k += 1
                runs.append((s - 1, s, k))
            k += 1
        lines = int((~marker).sum())
        filled = sum(e - s + 1 for _, s, e in runs)
        if len(runs) >= FILL_DOWN_MIN_RUNS and filled >= FILL_DOWN_MIN_SHARE * lines:
            lay.name = FILLED if lay.name == FLAT else f"{lay.name}; client cells stand for several rows"
            for src, s, e in runs:
                key_col[L[s:e + 1]] = f[pk].iat[L[src]]
                lay.filled.append((int(rows[L[src]]), int(rows[L[s]]), int(rows[L[e]])))
                problems.append(ctx.problem(
                    f"no client id: taken from row {int(rows[L[src]])} above, whose client cell stands "
                    f"for the rows beneath it (merged or written once)", row=int(rows[L[s]]),
                    column=key_header, value=ktext[L[src]], severity=INFO))
            lay.evidence.append(f"{filled} of {lines} lines have no client, in {len(runs)} runs each under "
                                "a line with one: the client is filled down")

    ctx.report.problems.extend(problems)
    if not drop.any() and not lay.filled and sku_text is None:
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
    out = _Raw(frame, headers, rows[keep], raw.grid, raw.decimal_comma, raw.comma_default)
    return out, positions, lay


def reconcile(lay: Layout, data: pd.DataFrame, ctx: _Ctx, amount_header: str) -> None:
    """Compare the accepted lines with every subtotal and total left out; list each difference."""
    if not lay.sums or "amount" not in data:
        return
    acc = pd.Series(data["amount"].to_numpy(dtype=np.float64), index=data["row"].to_numpy())
    acc = acc[~acc.index.duplicated()]
    ok = bad = 0
    for s in lay.sums:
        if np.isnan(s.amount):
            continue
        got = acc.reindex(s.covers).dropna()
        total = float(got.sum())
        if close(s.amount, total, max(len(s.covers), 1)):
            ok += 1
            continue
        bad += 1
        missing = [int(r) for r in s.covers if r not in acc.index]
        who = {"group": f"client {s.key!r}", "subtotal": "subtotal",
               "total": "total"}[s.kind]
        why = (f"; {_rows_text(np.asarray(missing))} of its lines were rejected (see above)" if missing
               else "; the report's own figure differs from its lines")
        text = (f"{who} (row {s.row}): the report says {fmt_amount(s.amount)}, the accepted lines add up "
                f"to {fmt_amount(total)}, difference {fmt_amount(s.amount - total)}{why}")
        lay.reconciliation.append(text)
        ctx.report.problems.append(ctx.problem(f"does not reconcile: {text}", row=s.row,
                                               column=amount_header, value=s.amount, severity=WARNING))
    if ok + bad:
        lay.reconciliation.insert(0, f"{ok} of {ok + bad} subtotal/total rows equal the sum of the "
                                     "accepted lines they cover")
