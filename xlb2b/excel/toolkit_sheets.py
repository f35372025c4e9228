"""Toolkit sheets: the TCO calculator, the SPIN question bank and the segment-priority plan.

Toolkit sheets rendered into a workbook: the TCO calculator, the SPIN
question bank and the segment-priority plan (METHODOLOGY §10, seeds 001 and
002).

Inputs are yellow cells with data validation, results are green live
formulas that carry the value the Python core computed
(:func:`xlb2b.planning.tco_total`, :func:`~xlb2b.planning.tco_advantage`,
:func:`~xlb2b.planning.tco_approach`, :func:`~xlb2b.planning.priority_score`,
:func:`~xlb2b.planning.priority_rank`), so viewers that do not calculate
show the right numbers.  Inputs and results carry sheet-local names.  The
writers use a small part of XlsxWriter's interface only (``add_worksheet``,
``add_format``, ``define_name``, ``write_*``, ``merge_range``,
``set_column``/``set_row``, ``data_validation``, ``conditional_format``,
``freeze_panes`` and page set-up), so the same calls can be replayed into a
live Excel workbook; formulas use functions of Excel 2016 / LibreOffice 7.4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from xlb2b.excel.rows import new_workbook
from xlb2b.io_util import atomic_write, column_letter
from xlb2b.locale import labels
from xlb2b.planning import (
    PRIORITY_CRITERIA,
    PROFIT_KEYS,
    TCO_ITEMS,
    priority_rank,
    priority_score,
    tco_advantage,
    tco_approach,
    tco_total,
)

#: empty rows for the user's own TCO items, SPIN questions per block, segments
OWN_TCO_ROWS = 3
OWN_SPIN_ROWS = 3
SPARE_SEGMENT_ROWS = 5
BLANK_SEGMENT_ROWS = 10
SPIN_BLOCKS: tuple[str, ...] = ("situation", "problem", "implication", "need_payoff")

#: the worked example of the TCO sheet (ours, competitor) over the period of ownership
EXAMPLE_TCO: dict[str, tuple[float, float]] = {
    "price": (1_200_000, 1_000_000),
    "delivery": (30_000, 60_000),
    "installation": (50_000, 120_000),
    "training": (20_000, 80_000),
    "maintenance": (150_000, 300_000),
    "downtime": (100_000, 400_000),
    "disposal": (20_000, 50_000),
}
#: ratings of the seed's example segments (criteria in PRIORITY_CRITERIA order; None = not rated)
EXAMPLE_RATINGS: tuple[tuple[float | None, ...], ...] = (
    (5, 5, 5, 5, 5),
    (5, 5, 5, 5, 5),
    (2, 5, None, None, 4),
    (1, 1, None, None, 3),
    (1, 1, 1, 1, 1),
)


# ---------------------------------------------------------------- helpers


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _num(v: Any) -> float:
    return float("nan") if _nan(v) else float(v)


def _cached(v: Any) -> Any:
    """A core result as a formula's cached value (missing -> "")."""
    if _nan(v):
        return ""
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    return v


def _a1(r: int, c: int, absolute: bool = False) -> str:
    d = "$" if absolute else ""
    return f"{d}{column_letter(c)}{d}{r + 1}"


def _rng(r1: int, c1: int, r2: int, c2: int, absolute: bool = True) -> str:
    return f"{_a1(r1, c1, absolute)}:{_a1(r2, c2, absolute)}"


def _q(text: str) -> str:
    """A text constant inside a formula."""
    return '"' + text.replace('"', '""') + '"'


def _sheet_ref(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _name(workbook, sheet: str, name: str, ref: str) -> None:
    """A sheet-local defined name ``'Sheet'!name`` for ``ref`` (``$B$7`` or ``$B$7:$B$9``)."""
    workbook.define_name(f"{_sheet_ref(sheet)}!{name}", f"={_sheet_ref(sheet)}!{ref}")


def _add_sheet(workbook, name: str):
    """A new worksheet called ``name`` (``name (2)``… when the workbook has one already)."""
    listing = getattr(workbook, "worksheets", None)
    taken = {ws.get_name().casefold() for ws in listing()} if callable(listing) else set()
    unique, i = name, 2
    while unique.casefold() in taken:
        unique, i = f"{name} ({i})"[:31], i + 1
    return workbook.add_worksheet(unique)


def _new_workbook(path: str):
    return new_workbook(path)


class _Formats:
    """The palette of the planning sheets: yellow inputs, green results, blue headers."""

    def __init__(self, wb):
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        inp = {**base, "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
        res = {**base, "bg_color": "#E2EFDA", "border": 1, "border_color": "#BFBFBF"}
        f = wb.add_format
        self.title = f({**base, "bold": True, "font_size": 14, "font_color": "#1F4E78"})
        self.intro = f({**base, "text_wrap": True, "italic": True, "font_color": "#595959"})
        self.section = f({**base, "bold": True, "font_size": 11, "font_color": "#1F4E78", "bottom": 1})
        self.head = f(
            {**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "border_color": "#BFBFBF", "text_wrap": True}
        )
        self.label = f({**base, "border": 1, "border_color": "#BFBFBF", "text_wrap": True})
        self.label_bold = f({**base, "bold": True, "border": 1, "border_color": "#BFBFBF", "text_wrap": True})
        self.block = f(
            {**base, "bold": True, "border": 1, "border_color": "#BFBFBF", "text_wrap": True, "bg_color": "#F2F2F2"}
        )
        self.money = f({**base, "num_format": "#,##0", "border": 1, "border_color": "#BFBFBF"})
        self.in_text = f({**inp, "text_wrap": True})
        self.in_money = f({**inp, "num_format": "#,##0"})
        self.in_int = f({**inp, "num_format": "0", "align": "center"})
        self.in_num = f({**inp, "num_format": "0.0#", "align": "center"})
        self.in_word = f({**inp, "align": "center"})
        self.out_money = f({**res, "num_format": "#,##0"})
        self.out_money_bold = f({**res, "num_format": "#,##0", "bold": True})
        self.out_diff = f({**res, "num_format": "#,##0;[Red]-#,##0"})
        self.out_diff_bold = f({**res, "num_format": "#,##0;[Red]-#,##0", "bold": True})
        self.out_pct = f({**res, "num_format": "0.0%", "bold": True})
        self.out_pct_signed = f({**res, "num_format": "0.0%;[Red]-0.0%", "bold": True})
        self.out_score = f({**res, "num_format": "0.00", "align": "center"})
        self.out_int = f({**res, "num_format": "0", "align": "center"})
        self.out_text = f({**res, "text_wrap": True})
        self.out_verdict = f({**res, "text_wrap": True, "bold": True})


def _page(ws, last_row: int, last_col: int) -> None:
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, last_row, last_col)


def _lines(text: str, width: float) -> int:
    """Rough number of wrapped lines of ``text`` in a column ``width`` characters wide."""
    return max(1, math.ceil(len(text) / max(width, 1.0)))


# ---------------------------------------------------------------- TCO


def tco_frame(items: Mapping[str, Any] | None) -> tuple[list[str], np.ndarray]:
    """Row names and a (rows × 2) array of (ours, competitor) costs: the
    standard items of :data:`xlb2b.planning.TCO_ITEMS` first, then the other
    keys of ``items`` (the user's own items; at least ``OWN_TCO_ROWS`` rows,
    empty ones named "")."""
    items = dict(items or {})
    names = list(TCO_ITEMS)
    own = [k for k in items if k not in TCO_ITEMS]
    names += own + [""] * max(0, OWN_TCO_ROWS - len(own))
    values = np.full((len(names), 2), np.nan)
    for i, k in enumerate(names):
        if k and k in items:
            pair = items[k]
            values[i] = [_num(pair[0]), _num(pair[1])]
    return names, values


def add_tco_sheet(workbook, *, lang: str = "en", items: Mapping[str, Any] | None = None, blank: bool = False):
    """Add the TCO calculator (ours vs the competitor).

    ``items`` maps a cost item to ``(ours, competitor)``: the keys of
    :data:`xlb2b.planning.TCO_ITEMS` fill their rows, other keys become the
    user's own items; without ``items`` the sheet shows a worked example,
    with ``blank=True`` it is an empty template.  Totals, differences, the
    advantage and the approach verdict are formulas.  Returns the worksheet.
    """
    L = labels("tco_sheet", lang)
    F = _Formats(workbook)
    sheet = L["sheet_name"]
    ws = _add_sheet(workbook, sheet)
    sheet = ws.get_name()
    names, values = tco_frame({} if blank else (EXAMPLE_TCO if items is None else items))
    ws.set_column(0, 0, 40)
    ws.set_column(1, 3, 16)
    ws.set_column(4, 4, 36)

    ws.write_string(0, 0, L["title"], F.title)
    ws.set_row(0, 22)
    texts = (L["intro"], L["healthy_hint"], L["unhealthy_hint"])
    for i, text in enumerate(texts):
        ws.merge_range(1 + i, 0, 1 + i, 4, text, F.intro)
        ws.set_row(1 + i, 14 * _lines(text, 118))
    head = 5
    for c, key in enumerate(("item", "ours", "competitor", "difference", "comment")):
        ws.write_string(head, c, L[key], F.head)
    ws.set_row(head, 28)
    first = head + 1
    last = first + len(names) - 1
    c_us, c_them, c_diff = 1, 2, 3
    for i, key in enumerate(names):
        r = first + i
        if key in TCO_ITEMS:
            ws.write_string(r, 0, L[key], F.label_bold if key == "price" else F.label)
        elif key:
            ws.write_string(r, 0, key, F.in_text)
        else:
            ws.write_blank(r, 0, None, F.in_text)
        for j, c in enumerate((c_us, c_them)):
            v = values[i, j]
            if math.isnan(v):
                ws.write_blank(r, c, None, F.in_money)
            else:
                ws.write_number(r, c, float(v), F.in_money)
        a, b = _a1(r, c_us), _a1(r, c_them)
        diff = "" if np.isnan(values[i]).all() else float(np.nansum([values[i, 1], -values[i, 0]]))
        ws.write_formula(r, c_diff, f'=IF(AND({a}="",{b}=""),"",N({b})-N({a}))', F.out_diff, diff)
        ws.write_blank(r, 4, None, F.in_text)
    ws.data_validation(
        first,
        c_us,
        last,
        c_them,
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "error_title": L["item"],
            "error_message": L["value_error"],
        },
    )

    totals = tco_total(values.T)  # (ours, competitor)
    extra = tco_total(values[1:].T)
    r_total, r_extra, r_adv, r_verdict = last + 1, last + 2, last + 3, last + 4
    ws.write_string(r_total, 0, L["total"], F.label_bold)
    ws.write_string(r_extra, 0, L["additional"], F.label)
    for j, c in enumerate((c_us, c_them)):
        col = _rng(first, c, last, c, absolute=False)
        ws.write_formula(r_total, c, f'=IF(COUNT({col})=0,"",SUM({col}))', F.out_money_bold, _cached(totals[j]))
        ext = _rng(first + 1, c, last, c, absolute=False)
        ws.write_formula(
            r_extra,
            c,
            f'=IF(COUNT({col})=0,"",SUM({ext}))',
            F.out_money,
            _cached(0.0 if math.isnan(extra[j]) and not math.isnan(totals[j]) else extra[j]),
        )
    for r, vals in ((r_total, totals), (r_extra, extra)):
        a, b = _a1(r, c_us), _a1(r, c_them)
        both = np.nan_to_num(vals)
        diff = "" if np.isnan(totals).all() else float(both[1] - both[0])
        ws.write_formula(r, c_diff, f'=IF(AND({a}="",{b}=""),"",N({b})-N({a}))', F.out_diff_bold, diff)
    ws.write_blank(r_total, 4, None, F.label)
    ws.write_blank(r_extra, 4, None, F.label)

    tu, tc = _a1(r_total, c_us), _a1(r_total, c_them)
    ws.write_string(r_adv, 0, L["advantage"], F.label_bold)
    adv = tco_advantage(totals[0], totals[1])
    ws.write_formula(
        r_adv,
        c_us,
        f'=IF(OR({tu}="",{tc}=""),"",IF({tc}=0,"",({tc}-{tu})/{tc}))',
        F.out_pct_signed,
        _cached(float(adv)),
    )

    pu, pc = _a1(first, c_us), _a1(first, c_them)
    eu, ec = _a1(r_extra, c_us), _a1(r_extra, c_them)
    code = str(tco_approach(values[0, 0], values[0, 1], extra[0], extra[1]))
    verdict = {"": "", "healthy": L["healthy"], "unhealthy": L["unhealthy"], "neither": L["neither"]}
    ws.write_string(r_verdict, 0, L["verdict"], F.label_bold)
    ws.merge_range(r_verdict, 1, r_verdict, 4, "", F.out_verdict)
    ws.write_formula(
        r_verdict,
        1,
        f'=IF(OR({pu}="",{pc}=""),"",IF(AND({pu}>{pc},N({eu})<N({ec}),N({tu})<N({tc})),{_q(L["healthy"])},'
        f"IF(AND({pu}<{pc},N({eu})>=N({ec})),{_q(L['unhealthy'])},{_q(L['neither'])})))",
        F.out_verdict,
        verdict[code],
    )
    ws.set_row(r_verdict, 30)

    for key, ref in (
        ("tco_ours_price", _a1(first, c_us, True)),
        ("tco_competitor_price", _a1(first, c_them, True)),
        ("tco_ours_items", _rng(first, c_us, last, c_us)),
        ("tco_competitor_items", _rng(first, c_them, last, c_them)),
        ("tco_ours_total", _a1(r_total, c_us, True)),
        ("tco_competitor_total", _a1(r_total, c_them, True)),
        ("tco_difference", _a1(r_total, c_diff, True)),
        ("tco_advantage", _a1(r_adv, c_us, True)),
        ("tco_approach", _a1(r_verdict, 1, True)),
    ):
        _name(workbook, sheet, key, ref)
    ws.freeze_panes(first, 1)
    _page(ws, r_verdict, 4)
    return ws


# ---------------------------------------------------------------- SPIN


def spin_questions(lang: str = "en") -> dict[str, list[str]]:
    """The seed's example questions of each SPIN block, in ``lang``."""
    L = labels("spin_sheet", lang)
    out = {}
    for block in SPIN_BLOCKS:
        keys = sorted(
            (k for k in L if k.startswith(f"{block}_q") and k[len(block) + 2 :].isdigit()),
            key=lambda k: int(k[len(block) + 2 :]),
        )
        out[block] = [L[k] for k in keys]
    return out


def add_spin_sheet(workbook, *, lang: str = "en"):
    """Add the SPIN question bank: per block its purpose, the seed's example
    questions and empty yellow rows for one's own, with "asked" (yes/no),
    answer and next step to fill in; a summary counts the questions written
    and asked per block.  Returns the worksheet."""
    L = labels("spin_sheet", lang)
    W = labels("toolkit_sheets", lang)
    F = _Formats(workbook)
    sheet = L["sheet_name"]
    ws = _add_sheet(workbook, sheet)
    sheet = ws.get_name()
    widths = (18, 34, 52, 9, 34, 28)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.write_string(0, 0, L["title"], F.title)
    ws.set_row(0, 22)
    ws.merge_range(1, 0, 1, 5, L["intro"], F.intro)
    ws.set_row(1, 14 * _lines(L["intro"], 160))
    head = 3
    for c, key in enumerate(("block", "purpose", "question", "asked", "answer", "next_step")):
        ws.write_string(head, c, L[key], F.head)
    r = head + 1
    questions = spin_questions(lang)
    spans: dict[str, tuple[int, int, int]] = {}
    for block in SPIN_BLOCKS:
        qs = questions[block]
        start = r
        end = start + len(qs) + OWN_SPIN_ROWS - 1
        ws.merge_range(start, 0, end, 0, L[block], F.block)
        ws.merge_range(start, 1, end, 1, L[f"{block}_purpose"], F.label)
        for i in range(end - start + 1):
            row = start + i
            if i < len(qs):
                ws.write_string(row, 2, qs[i], F.label)
                ws.set_row(row, 14 * _lines(qs[i], widths[2]) + 2)
            else:
                ws.write_blank(row, 2, None, F.in_text)
                ws.set_row(row, 28)
            ws.write_blank(row, 3, None, F.in_word)
            ws.write_blank(row, 4, None, F.in_text)
            ws.write_blank(row, 5, None, F.in_text)
        # the merged purpose needs room: spread its lines over the block's rows
        need = 14 * _lines(L[f"{block}_purpose"], widths[1]) + 4
        have = sum(14 * _lines(q, widths[2]) + 2 for q in qs) + 28 * OWN_SPIN_ROWS
        if need > have:
            ws.set_row(start, 14 * _lines(qs[0], widths[2]) + 2 + need - have if qs else 28 + need - have)
        spans[block] = (start, end, len(qs))
        r = end + 1
    ws.data_validation(head + 1, 3, r - 1, 3, {"validate": "list", "source": [W["yes"], W["no"]]})

    r += 1
    ws.merge_range(r, 0, r, 3, L["summary"], F.section)
    r += 1
    for c, key in enumerate(("block", "questions_written", "questions_asked", "asked_share")):
        ws.write_string(r, c, L[key], F.head)
    yes = _q(W["yes"])
    for block in SPIN_BLOCKS:
        r += 1
        start, end, n = spans[block]
        qr, ar = _rng(start, 2, end, 2), _rng(start, 3, end, 3)
        ws.write_string(r, 0, L[block], F.label)
        ws.write_formula(r, 1, f"=COUNTA({qr})", F.out_int, n)
        ws.write_formula(r, 2, f"=COUNTIF({ar},{yes})", F.out_int, 0)
        ws.write_formula(r, 3, f'=IF({_a1(r, 1)}=0,"",{_a1(r, 2)}/{_a1(r, 1)})', F.out_pct, 0.0 if n else "")
        _name(workbook, sheet, f"spin_{block}_questions", qr)
        _name(workbook, sheet, f"spin_{block}_asked", ar)
    ws.freeze_panes(head + 1, 0)
    _page(ws, r, 5)
    return ws


# ---------------------------------------------------------------- segment priority


def _segments(analysis, lang: str, blank: bool) -> tuple[list[dict], bool]:
    """Rows of the priority table (segment, clients, revenue, ratings) and
    whether they come from an analysis."""
    n = len(PRIORITY_CRITERIA)
    empty: dict[str, Any] = {"segment": None, "clients": None, "revenue": None, "ratings": [None] * n}
    if blank:
        return [dict(empty) for _ in range(BLANK_SEGMENT_ROWS)], False
    if analysis is None:
        L = labels("priority_sheet", lang)
        rows: list[dict[str, Any]] = [
            {"segment": L[f"example_{i + 1}"], "clients": None, "revenue": None, "ratings": list(rt)}
            for i, rt in enumerate(EXAMPLE_RATINGS)
        ]
        return rows + [dict(empty) for _ in range(SPARE_SEGMENT_ROWS)], False
    from xlb2b.analysis.summary import TOTAL
    from xlb2b.excel.labels import segment_label

    table = analysis.summary("psc_group")
    rows = []
    for seg, clients, revenue in zip(table["segment"], table["clients"], table["revenue"]):
        if seg == TOTAL or _nan(clients) or int(clients) == 0:
            continue
        rows.append(
            {
                "segment": str(segment_label("psc_group", seg, lang)),
                "clients": int(clients),
                "revenue": _num(revenue),
                "ratings": [None] * n,
            }
        )
    return rows + [dict(empty) for _ in range(SPARE_SEGMENT_ROWS)], True


def add_priority_sheet(workbook, analysis=None, *, lang: str = "en", blank: bool = False, weights=None):
    """Add the segment-priority plan (seed 002): one row per segment, rated
    1..5 on the five criteria, with an editable weight per criterion, a
    priority score (weighted mean of the given ratings) and a rank (equal
    scores: the upper row first); below, a hypotheses table per segment
    against the six keys to profit.

    With ``analysis`` the segments are its PSC groups (clients and revenue
    from ``analysis.summary("psc_group")``) plus empty rows; without one the
    seed's example segments; ``blank=True`` gives an empty template.
    Returns the worksheet."""
    L = labels("priority_sheet", lang)
    F = _Formats(workbook)
    sheet = L["sheet_name"]
    ws = _add_sheet(workbook, sheet)
    sheet = ws.get_name()
    rows, from_analysis = _segments(analysis, lang, blank)
    k = len(PRIORITY_CRITERIA)
    w = np.ones(k) if weights is None else np.asarray(weights, dtype="float64").ravel()
    if w.size != k:
        raise ValueError(f"weights: {k} numbers expected, got {w.size}")
    ratings = np.array([[_num(x) for x in row["ratings"]] for row in rows]).reshape(len(rows), k)
    scores = priority_score(ratings, w)
    ranks = priority_rank(scores)

    c_seg, c_cli, c_rev, c_r0 = 0, 1, 2, 3
    c_score, c_rank = c_r0 + k, c_r0 + k + 1
    last_col = c_rank  # the hypotheses' owner column spans score and rank
    ws.set_column(c_seg, c_seg, 44)
    ws.set_column(c_cli, c_cli, 10)
    ws.set_column(c_rev, c_rev, 17)
    ws.set_column(c_r0, c_r0 + k - 1, 17)
    ws.set_column(c_score, c_rank, 10)
    ws.write_string(0, 0, L["title"], F.title)
    ws.set_row(0, 22)
    ws.merge_range(1, 0, 1, last_col, L["intro"], F.intro)
    ws.set_row(1, 14 * _lines(L["intro"], 170))

    w_row, head = 3, 4
    ws.write_string(w_row, c_rev, L["weights"], F.label_bold)
    for j in range(k):
        ws.write_number(w_row, c_r0 + j, float(w[j]), F.in_num)
    ws.data_validation(
        w_row,
        c_r0,
        w_row,
        c_r0 + k - 1,
        {"validate": "decimal", "criteria": ">=", "value": 0, "error_message": L["weight_error"]},
    )
    heads = [L["segment"], L["clients"], L["revenue"]] + [L[c] for c in PRIORITY_CRITERIA] + [L["score"], L["rank"]]
    for c, h in enumerate(heads):
        ws.write_string(head, c, h, F.head)
    ws.set_row(head, 58)
    first = head + 1
    last = first + len(rows) - 1
    w_rng = _rng(w_row, c_r0, w_row, c_r0 + k - 1)
    s_rng = _rng(first, c_score, last, c_score)
    for i, row in enumerate(rows):
        r = first + i
        if row["segment"]:
            ws.write_string(r, c_seg, row["segment"], F.in_text)
            ws.set_row(r, 14 * _lines(row["segment"], 44) + 2)
        else:
            ws.write_blank(r, c_seg, None, F.in_text)
        fixed = from_analysis and row["clients"] is not None  # figures of the analysis
        for c, key in ((c_cli, "clients"), (c_rev, "revenue")):
            if row[key] is None or _nan(row[key]):
                ws.write_blank(r, c, None, F.money if fixed else F.in_money)
            else:
                ws.write_number(r, c, float(row[key]), F.money if fixed else F.in_money)
        for j in range(k):
            v = ratings[i, j]
            if math.isnan(v):
                ws.write_blank(r, c_r0 + j, None, F.in_int)
            else:
                ws.write_number(r, c_r0 + j, float(v), F.in_int)
        rr = _rng(r, c_r0, r, c_r0 + k - 1, absolute=False)
        ws.write_formula(
            r,
            c_score,
            f'=IF(COUNT({rr})=0,"",IFERROR(SUMPRODUCT({w_rng},{rr})/SUMPRODUCT({w_rng},--ISNUMBER({rr})),""))',
            F.out_score,
            _cached(scores[i]),
        )
        s = _a1(r, c_score)
        above = f"{_a1(first, c_score, True)}:{s}"
        ws.write_formula(
            r,
            c_rank,
            f'=IF({s}="","",RANK({s},{s_rng},0)+COUNTIF({above},{s})-1)',
            F.out_int,
            _cached(None if math.isnan(ranks[i]) else int(ranks[i])),
        )
    ws.data_validation(
        first,
        c_r0,
        last,
        c_r0 + k - 1,
        {"validate": "whole", "criteria": "between", "minimum": 1, "maximum": 5, "error_message": L["rating_error"]},
    )
    n_fixed = sum(1 for row in rows if from_analysis and row["clients"] is not None)
    if n_fixed < len(rows):
        ws.data_validation(first + n_fixed, c_cli, last, c_rev, {"validate": "decimal", "criteria": ">=", "value": 0})
    ws.conditional_format(
        first,
        c_score,
        last,
        c_score,
        {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"},
    )
    ws.conditional_format(
        first,
        c_rank,
        last,
        c_rank,
        {
            "type": "cell",
            "criteria": "between",
            "minimum": 1,
            "maximum": 3,
            "format": workbook.add_format({"bold": True, "font_color": "#006100"}),
        },
    )

    # hypotheses per segment against the six keys to profit
    hr = last + 2
    ws.merge_range(hr, 0, hr, last_col, L["hypotheses"], F.section)
    ws.merge_range(hr + 1, 0, hr + 1, last_col, L["hypotheses_hint"], F.intro)
    hh = hr + 2
    hyp_heads = [L["segment"], L["rank"]] + [L[p] for p in PROFIT_KEYS]
    for c, h in enumerate(hyp_heads):
        ws.write_string(hh, c, h, F.head)
    c_owner = len(hyp_heads)
    ws.merge_range(hh, c_owner, hh, last_col, L["owner"], F.head)
    ws.set_row(hh, 44)
    for i, row in enumerate(rows):
        r = hh + 1 + i
        src = first + i
        seg = _a1(src, c_seg)
        ws.write_formula(r, 0, f'=IF({seg}="","",{seg})', F.out_text, row["segment"] or "")
        rk = _a1(src, c_rank)
        ws.write_formula(
            r, 1, f'=IF({rk}="","",{rk})', F.out_int, _cached(None if math.isnan(ranks[i]) else int(ranks[i]))
        )
        for j in range(len(PROFIT_KEYS)):
            ws.write_blank(r, 2 + j, None, F.in_text)
        ws.merge_range(r, c_owner, r, last_col, "", F.in_text)
        ws.set_row(r, max(44, 14 * _lines(row["segment"] or "", 44) + 2))
    h_last = hh + len(rows)

    _name(workbook, sheet, "priority_weights", w_rng)
    _name(workbook, sheet, "priority_segments", _rng(first, c_seg, last, c_seg))
    _name(workbook, sheet, "priority_ratings", _rng(first, c_r0, last, c_r0 + k - 1))
    _name(workbook, sheet, "priority_scores", s_rng)
    _name(workbook, sheet, "priority_ranks", _rng(first, c_rank, last, c_rank))
    _name(workbook, sheet, "priority_hypotheses", _rng(hh + 1, 2, h_last, 2 + len(PROFIT_KEYS)))
    ws.freeze_panes(first, 1)
    _page(ws, h_last, last_col)
    return ws


# ---------------------------------------------------------------- file


def write_toolkit_workbook(
    path, *, analysis=None, lang: str = "en", blank: bool = False, tco_items: Mapping[str, Any] | None = None
) -> Path:
    """Write the TCO, SPIN and segment-priority sheets into a new workbook at
    ``path`` (atomically); returns the path."""
    path = Path(path)

    def write(tmp: str) -> None:
        wb = _new_workbook(tmp)
        add_tco_sheet(wb, lang=lang, items=tco_items, blank=blank)
        add_spin_sheet(wb, lang=lang)
        add_priority_sheet(wb, None if blank else analysis, lang=lang, blank=blank)
        wb.close()

    atomic_write(path, write)
    return path
