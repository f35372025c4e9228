"""Fill users' own template workbooks through defined names: one ADP sheet per client, report tables in place.

The **fill vocabulary** (:data:`VOCABULARY`, documented in ``docs/templates.md``)
is the list of defined names this module knows.  A template author puts those
names on the cells of their own layout (Formulas > Name Manager); nothing
else of the layout matters: rows, columns, styles, logos, extra fields, their
own formulas and macros are theirs.

* **ADP names** are sheet-scoped (``'ADP'!company``): :func:`fill_adp_template`
  copies the template sheet once per client at the package level (the
  machinery of :mod:`xlb2b.excel.merge`: images, charts, tables, comments,
  validations and the sheet's own names travel with each copy) and writes the
  client's values into the named cells of each copy.
* **Report names** are workbook names (``summary_abc``): :func:`fill_report`
  writes the current analysis into them in place.  A table whose row count
  changed grows or shrinks (see :func:`fill_report` for the rule).

Kinds of names: *field* and *table* names are written; *result* names are
the template's own formulas (forecast, current SOW...): their formula stays
and the value the engine computes is stored as its cached value; *input*
names (the manager's ratings, decision-maker map, tasks...) are known and left
as they are.  Every other formula on a filled sheet loses its cached value
(it would be the template's stale number) and the workbook is marked
``fullCalcOnLoad`` so Excel recalculates everything when it opens the file.

Before anything is written every target is checked: a known name that points
at a range of the wrong shape, at a merged cell (other than the top-left cell
of its merge), at a formula it would overwrite, into a protected sheet or an
Excel table, or a table that cannot grow without overwriting something, is
refused with the name, sheet and cell, and nothing is written.  Names unknown
to the vocabulary are listed as information.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b import planning
from xlb2b.errors import FATAL, INFO, WARNING, Report
from xlb2b.excel import merge as xm
from xlb2b.excel.adp_sheets import _text
from xlb2b.io_util import atomic_write_bytes, column_letter
from xlb2b.locale import label

__all__ = [
    "Name",
    "VOCABULARY",
    "FillError",
    "FillResult",
    "adp_values",
    "report_values",
    "fill_adp_template",
    "fill_report",
    "template_names",
]

#: the largest row Excel has
MAX_ROWS = 1_048_576


# =========================================================================== vocabulary


@dataclass(frozen=True)
class Name:
    """One name of the fill vocabulary."""

    name: str
    #: "sheet" (an ADP sheet's own name) or "workbook" (a report table)
    scope: str
    #: "field" / "table": written; "result": the template's formula, cached
    #: value written; "input": known, left as it is
    kind: str
    #: (rows, columns) the range must have; rows None: any, grows and shrinks
    shape: tuple[int | None, int]
    what: str
    example: str = ""
    #: the table ends with a Total row (its formatting moves with it)
    total: bool = False


def _adp_vocabulary() -> list[Name]:
    from xlb2b.excel.adp_sheets import FINANCIALS, RATINGS, TRAJECTORY_ROWS

    f = lambda n, what, ex: Name(n, "sheet", "field", (1, 1), what, ex)  # noqa: E731
    return [
        f("client_id", "the client's id", "C0042"),
        f("company", "the client's name (Clients table; the id when it has none)", "Acme Ltd"),
        f("manager", "responsible manager (Clients table, else the last manager in the transactions)", "Anna Petrova"),
        f("industry", "client type / industry (Clients table)", "Dental clinics"),
        Name(
            "years",
            "sheet",
            "table",
            (1, 2),
            "the previous and the current calendar year (headers of the financials)",
            "2024 · 2025",
        ),
        Name(
            "financials",
            "sheet",
            "table",
            (len(FINANCIALS), 2),
            "§6 item 7 for the previous and the current year, one row each: " + ", ".join(k for k, _ in FINANCIALS),
            "revenue row: 118 400 · 131 250",
        ),
        Name(
            "trajectory_windows",
            "sheet",
            "table",
            (1, 2),
            "the preceding window W0 and the analysis window W1 (headers of the trajectory)",
            "W0 2024-01-01 – 2024-12-31 · W1 2025-01-01 – 2025-12-31",
        ),
        Name(
            "trajectory",
            "sheet",
            "table",
            (TRAJECTORY_ROWS, 2),
            "§11–§12 the client from W0 to W1, one row each (W0 · W1): revenue, status, price effect, volume "
            "effect, PSC group, ABC / XYZ, RFM segment / DSL level, lapse status (ratio); status, effects and "
            "lapse in the W1 column only; empty when the analysis did not compare two windows",
            "status row: · Grown; price effect row: · 55",
        ),
        f("psc_group", "PSC group (translated)", "01 Best"),
        f("psc_code", "PSC code", "P3_S3_C2"),
        f("dsl_level", "DSL level 1..3 (a number)", "2"),
        f("kml_code", "KML code (empty without a market table)", "K2_M3_L1"),
        f("abc_xyz", "ABC class / XYZ class", "A / Y"),
        f("rfm_code", "RFM code", "R5F4M4"),
        f("rfm_segment", "RFM segment (translated)", "Champions"),
        f("bcg_attractiveness", "BCG attractiveness tier", "High"),
        f("bcg_relationship", "BCG relationship tier", "Medium"),
        f("bcg_strategy", "BCG strategy", "Invest"),
        f("need", "the client's need: its market spend in the window (empty without a market table)", "250 000"),
        f("our_revenue", "our revenue from the client in the window", "131 250"),
        Name(
            "ratings",
            "sheet",
            "table",
            (len(RATINGS), 1),
            "the six 1..5 ratings of the progress level, DSL first: the DSL level is written into the "
            "first cell, the other five are the manager's and are kept",
            "2 (then five inputs)",
        ),
        Name("progress_level", "sheet", "result", (1, 1), "mean of the ratings (formula)", "=AVERAGE(ratings)"),
        Name("current_sow", "sheet", "result", (1, 1), "our revenue / need (formula)", "=our_revenue/need"),
        Name("whitespace", "sheet", "result", (1, 1), "need − our revenue (formula)", "=need-our_revenue"),
        Name(
            "forecast",
            "sheet",
            "result",
            (1, 1),
            "need × (1 + need growth) × target SOW (formula)",
            "=need*(1+need_growth)*target_sow",
        ),
        Name(
            "completion_share",
            "sheet",
            "result",
            (1, 1),
            "checklist steps done / 23 (formula)",
            '=COUNTIF(steps_done,"yes")/23',
        ),
        Name(
            "coverage",
            "sheet",
            "result",
            (1, 1),
            "average share of the initiatives we can help with (formula over the second column of initiatives)",
            "=AVERAGE(B60:B63)",
        ),
        Name("need_growth", "sheet", "input", (1, 1), "expected growth of the need (manager)", "5%"),
        Name("target_sow", "sheet", "input", (1, 1), "target share of wallet (manager)", "40%"),
        Name("company_revenue", "sheet", "input", (1, 1), "the client's own revenue (manager)", "12 000 000"),
        Name("sales_plan", "sheet", "input", (1, 1), "our sales plan for the client (manager)", "150 000"),
        Name(
            "projects",
            "sheet",
            "input",
            (None, 8),
            "joint projects: project, status, notes (manager)",
            "Joint seminar · planned · for the clinic's staff",
        ),
        Name(
            "activities",
            "sheet",
            "input",
            (None, 8),
            "the client's activities from open sources: date, activity, source (manager)",
            "2025-11-02 · opened a second clinic · city news",
        ),
        Name(
            "initiatives",
            "sheet",
            "input",
            (None, 2),
            "the client's initiatives and the share we can help with (manager)",
            "digital X-ray · 40%",
        ),
        Name(
            "dm_map",
            "sheet",
            "input",
            (None, 8),
            "decision-maker map: name, position, role, influence, attitude, status, last contact, owner (manager)",
            "Ivan Orlov · CFO · decision maker · 5 · ...",
        ),
        Name(
            "tasks",
            "sheet",
            "input",
            (None, 7),
            "tasks: what, who, due, done (manager)",
            "Visit plant · Anna · 2026-03-01 · no",
        ),
        Name(
            "steps_done",
            "sheet",
            "input",
            (None, 1),
            "the progress-policy checklist: done yes/no per step (manager)",
            "yes",
        ),
    ]


_SUMMARY_EXAMPLES = {
    "psc": "P3_S3_C2",
    "psc_group": "01 Best",
    "spl": "S3_P3_L2",
    "kml": "K2_M3_L1",
    "dsl": "D2_S2_L3",
    "dsl_level": "2",
    "rfm": "R5F4M4",
    "rfm_segment": "Champions",
    "abc": "A",
    "xyz": "Y",
}


def _report_vocabulary() -> list[Name]:
    from xlb2b.analysis.summary import BASE_COLUMNS, KML_COLUMNS, SEGMENT_COLUMNS

    out = [
        Name("window_start", "workbook", "field", (1, 1), "first day of the analysis window (a date)", "2025-01-01"),
        Name("window_end", "workbook", "field", (1, 1), "last day of the analysis window (a date)", "2025-12-31"),
        Name("clients_analysed", "workbook", "field", (1, 1), "number of analysed clients", "2 874"),
    ]
    for key in SEGMENT_COLUMNS:
        cols = BASE_COLUMNS + (KML_COLUMNS if key == "kml" else [])
        out.append(
            Name(
                f"summary_{key}",
                "workbook",
                "table",
                (None, len(cols)),
                f"§9 summary by {key}: one row per segment, then Total; columns " + ", ".join(cols),
                f"{_SUMMARY_EXAMPLES.get(key, key)} · 1 250 000 · 41.2% · ...",
                total=True,
            )
        )
    out += _bridge_vocabulary()
    out.append(
        Name(
            "abc_curve",
            "workbook",
            "table",
            (None, 2),
            "the ABC (Pareto) curve: cumulative share "
            "of clients, cumulative share of revenue, from (0, 0), at most 1001 points",
            "0.05 · 0.38",
        )
    )
    return out


def _bridge_vocabulary() -> list[Name]:
    """The two-window report names (§11): W0's dates, the bridge, by PSC group and manager, retention."""
    from xlb2b.analysis.dynamics import BRIDGE_ROWS

    rows = ", ".join(BRIDGE_ROWS)
    by = lambda key, what, ex: Name(  # noqa: E731
        f"bridge_by_{key}",
        "workbook",
        "table",
        (None, 1 + len(BRIDGE_ROWS)),
        f"the bridge by {what}: one row per group (its W1 value, else its W0 value; the Bridge sheet's grid "
        f"turned so a group is a row); columns {key}, {rows}",
        ex,
    )
    field = lambda n, what, ex: Name(n, "workbook", "field", (1, 1), what, ex)  # noqa: E731
    return [
        field("previous_start", "first day of the preceding window W0 (a date)", "2024-01-01"),
        field("previous_end", "last day of the preceding window W0 (a date)", "2024-12-31"),
        Name(
            "bridge",
            "workbook",
            "table",
            (len(BRIDGE_ROWS), 3),
            f"§11 revenue bridge W0 -> W1, one row each: {rows}; columns label, clients, revenue "
            "(start + the ten contributions = end)",
            "New clients · 12 · 118 400",
        ),
        by("psc_group", "PSC group", "01 Best · 1 250 000 · 80 000 · ..."),
        by("manager", "manager", "Anna Petrova · 640 000 · 25 000 · ..."),
        field("logo_retention", "W0 buyers that buy in W1 / W0 buyers (a fraction)", "0.82"),
        field("nrr", "net revenue retention: Σ max(R1, 0) / Σ R0 over W0's buyers (a fraction)", "1.04"),
        field("grr", "gross revenue retention: Σ min(max(R1, 0), R0) / Σ R0 over W0's buyers (a fraction)", "0.91"),
    ]


#: the names of our other blank templates (workbook_templates/): known to the
#: fill, left as they are (they hold those sheets' own inputs and formulas)
_OTHER_TEMPLATES = {
    "revenue plan": ("clients | forecasts | forecast_total | target | gap", "='ADP Acme'!forecast"),
    "BCG scoring": (
        "bcg_clients | bcg_names | bcg_revenue | bcg_ratings | bcg_weights | bcg_middle_from | "
        "bcg_top_from | bcg_strategy | bcg_policy | bcg_strategy_matrix | bcg_policy_matrix",
        "4",
    ),
    "BANT": ("bant_threshold | bant_clients | bant_names | bant_answers | bant_scores | bant_qualified", "yes"),
    "satisfaction": ("nps_answers | csi_pairs | csi_clients | deliveries | nps | csi_scale_max | csi | otif", "9"),
    "toolkit": (
        "tco_ours_price | tco_ours_items | tco_ours_total | tco_competitor_price | tco_competitor_items | "
        "tco_competitor_total | tco_difference | tco_advantage | tco_approach | spin_situation_questions | "
        "spin_situation_asked | spin_problem_questions | spin_problem_asked | spin_implication_questions | "
        "spin_implication_asked | spin_need_payoff_questions | spin_need_payoff_asked | priority_segments | "
        "priority_weights | priority_ratings | priority_scores | priority_ranks | priority_hypotheses",
        "12 500",
    ),
}


def _other_vocabulary() -> list[Name]:
    """The other templates' names that are not already ADP or report names
    (``bcg_strategy`` is both the BCG sheet's strategy column and an ADP field:
    the ADP meaning wins on an ADP sheet)."""
    taken = {n.name for n in _adp_vocabulary() + _report_vocabulary()}
    return [
        Name(n.strip(), "sheet", "input", (None, 1), f"{template} template: its own input or result", example)
        for template, (names, example) in _OTHER_TEMPLATES.items()
        for n in names.split("|")
        if n.strip() not in taken
    ]


VOCABULARY: list[Name] = _adp_vocabulary() + _report_vocabulary() + _other_vocabulary()
_BY_NAME = {n.name.lower(): n for n in VOCABULARY}
ADP_NAMES = _adp_vocabulary()
REPORT_NAMES = [n for n in VOCABULARY if n.scope == "workbook"]


def template_names(scope: str) -> list[str]:
    """The vocabulary's names of one scope ("sheet" or "workbook")."""
    return [n.name for n in VOCABULARY if n.scope == scope]


class _Keep:
    """A cell of a table that the fill leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


# =========================================================================== values


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _value(v: Any) -> Any:
    """A value as a cell holds it: numbers as float, NaN/None as None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(v)
    s = str(v)
    return s if s else None


def adp_values(analysis, client_ids: Sequence[Any], *, lang: str = "en") -> dict[Any, dict[str, Any]]:
    """{client_id: {name: value or rows}} for the ADP names we write
    (fields: one value; tables: a list of rows, :data:`KEEP` for cells left
    as they are).  Values are the ones our own ADP sheets show."""
    from xlb2b.excel.adp_sheets import FINANCIALS, RATINGS, TRAJECTORY_ROWS, _Context, trajectory_rows
    from xlb2b.excel.labels import _Labels

    ids = list(dict.fromkeys(client_ids))
    ctx = _Context(analysis, ids)
    group_tr, rfm_tr = _Labels(lang).translator("psc_group"), _Labels(lang).translator("rfm_segment")
    out = {}
    for cid in ids:
        row, port = ctx.c.loc[cid], ctx.port.loc[cid]
        at, rt = _text(port.get("attractiveness_tier")), _text(port.get("relationship_tier"))
        strategy = _text(port.get("strategy_key"))
        prev, cur = ctx.fin[ctx.year - 1].loc[cid], ctx.fin[ctx.year].loc[cid]
        dsl = _num(row.get("dsl_level"))
        windows = ctx.windows if ctx.windows is not None and "status" in row else None
        two = windows is not None
        v = {
            "client_id": cid if isinstance(cid, (int, float, np.integer, np.floating)) else str(cid),
            "company": _text(row.get("name")) or str(cid),
            "manager": _text(row.get("manager")),
            "industry": _text(row.get("industry")),
            "years": [[float(ctx.year - 1), float(ctx.year)]],
            "financials": [[_num(prev[k]), _num(cur[k])] for k, _ in FINANCIALS],
            # the trajectory as our ADP sheets show it; empty without two windows
            "trajectory_windows": [[f"W0 {windows[0]}", f"W1 {windows[1]}"]] if windows else [[None, None]],
            "trajectory": (
                [[v0, v1] for _, v0, v1, _ in trajectory_rows(row, lang, group_tr, rfm_tr)]
                if two
                else [[None, None]] * TRAJECTORY_ROWS
            ),
            "psc_group": group_tr(_text(row.get("psc_group"))),
            "psc_code": _text(row.get("psc_code")),
            "dsl_level": dsl,
            "kml_code": _text(row.get("kml_code")),
            "abc_xyz": " / ".join(x for x in (_text(row.get("abc_class")), _text(row.get("xyz_class"))) if x),
            "rfm_code": _text(row.get("rfm_code")),
            "rfm_segment": rfm_tr(_text(row.get("rfm_segment"))),
            "bcg_attractiveness": label(f"tier.attractiveness_{at.lower()}", lang) if at else "",
            "bcg_relationship": label(f"tier.relationship_{rt.lower()}", lang) if rt else "",
            "bcg_strategy": label(f"strategy.{strategy}", lang) if strategy else "",
            "need": _num(row.get("market_spend")),
            "our_revenue": _num(row.get("revenue")),
            "ratings": [[dsl]] + [[KEEP]] * (len(RATINGS) - 1),
        }
        out[cid] = {
            k: ([[_value(c) if c is not KEEP else KEEP for c in r] for r in x] if isinstance(x, list) else _value(x))
            for k, x in v.items()
        }
    return out


def report_values(analysis, *, lang: str = "en") -> dict[str, Any]:
    """{name: value or rows} for every report name of the vocabulary."""
    from xlb2b.analysis.summary import BASE_COLUMNS, KML_COLUMNS, SEGMENT_COLUMNS, abc_curve_points
    from xlb2b.excel.labels import segment_label

    out: dict[str, Any] = {
        "window_start": pd.Timestamp(analysis.window.start),
        "window_end": pd.Timestamp(analysis.window.end),
        "clients_analysed": float(len(analysis.clients)),
    }
    for key in SEGMENT_COLUMNS:
        t = analysis.summary(key)
        cols = BASE_COLUMNS + (KML_COLUMNS if key == "kml" else [])
        rows = []
        for rec in t.reindex(columns=cols).itertuples(index=False):
            rec = list(rec)
            seg = segment_label(key, rec[0], lang)
            rows.append(
                [_value(seg if not isinstance(seg, (int, np.integer)) else float(seg))] + [_value(x) for x in rec[1:]]
            )
        out[f"summary_{key}"] = rows
    out["abc_curve"] = [[float(x), float(y)] for x, y in abc_curve_points(analysis.clients["revenue"])]
    out.update(_bridge_values(analysis, lang))
    return out


def _bridge_values(analysis, lang: str) -> dict[str, Any]:
    """The two-window report names' values, as the Bridge sheet shows them
    (empty cells when the analysis did not compare two windows)."""
    from xlb2b.analysis.dynamics import BRIDGE_ROWS, NOT_SEGMENTED, group_values, revenue_bridge
    from xlb2b.excel.labels import _Labels

    d = analysis.dynamics
    n = len(BRIDGE_ROWS)
    if d is None:
        return {
            "previous_start": None,
            "previous_end": None,
            "bridge": [[None] * 3] * n,
            "bridge_by_psc_group": [[None] * (n + 1)],
            "bridge_by_manager": [[None] * (n + 1)],
            "logo_retention": None,
            "nrr": None,
            "grr": None,
        }
    t = _Labels(lang)
    b = d.bridge().set_index("row")
    out: dict[str, Any] = {
        "previous_start": pd.Timestamp(d.w0.start),
        "previous_end": pd.Timestamp(d.w0.end),
        "bridge": [[t(f"bridge.{k}", k), _value(b.loc[k, "clients"]), _value(b.loc[k, "amount"])] for k in BRIDGE_ROWS],
    }
    c = d.clients
    special = {NOT_SEGMENTED: t("dynamics.not_segmented", NOT_SEGMENTED)}
    group_tr = t.translator("psc_group")
    for key in ("psc_group", "manager"):
        if key == "psc_group":
            g = pd.Series(group_values(c, "psc_group"), dtype=object)
            g = g.map(lambda v: special.get(v) or group_tr(v))
        else:
            m = c["manager"] if "manager" in c else pd.Series([None] * len(c), dtype=object)
            g = m.astype(object).where(m.notna(), special[NOT_SEGMENTED])
        frame = c.copy()
        frame["_g"] = g.to_numpy()
        bt = revenue_bridge(frame, "_g")
        amount = {(gr, k): a for gr, k, a in zip(bt["group"], bt["row"], bt["amount"])}
        groups = list(dict.fromkeys(bt["group"]))
        out[f"bridge_by_{key}"] = [
            [_value(gr)] + [_value(amount.get((gr, k), 0.0)) for k in BRIDGE_ROWS] for gr in groups
        ] or [[None] * (n + 1)]
    ret = d.retention().iloc[0]
    out.update({k: _value(ret[k]) for k in ("logo_retention", "nrr", "grr")})
    return out


# =========================================================================== cells

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _addr(r: int, c: int) -> str:
    """0-based (row, col) -> "B5"."""
    return f"{column_letter(c)}{r + 1}"


def _abs_area(r1: int, c1: int, r2: int, c2: int) -> str:
    a = f"${column_letter(c1)}${r1 + 1}"
    return a if (r1, c1) == (r2, c2) else f"{a}:${column_letter(c2)}${r2 + 1}"


def _parse_cell(text: str) -> tuple[int, int] | None:
    m = _CELL.match(text)
    if not m:
        return None
    return int(m.group(2)) - 1, _col_index(m.group(1))


@dataclass
class _Ref:
    """A defined name's target: one rectangular range on one sheet."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def rows(self) -> int:
        return self.r2 - self.r1 + 1

    @property
    def cols(self) -> int:
        return self.c2 - self.c1 + 1

    def text(self) -> str:
        return f"{xm._quote_sheet(self.sheet)}!{_abs_area(self.r1, self.c1, self.r2, self.c2)}"

    def where(self) -> str:
        return _addr(self.r1, self.c1) + (
            "" if (self.r1, self.c1) == (self.r2, self.c2) else ":" + _addr(self.r2, self.c2)
        )


def _parse_ref(text: str) -> _Ref | None:
    """``'My sheet'!$B$4:$C$11`` -> _Ref; None for anything else (several
    areas, functions, whole columns, other workbooks, #REF!)."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    if text.startswith("'"):
        j = xm._closing_quote(text, 0)
        sheet, rest = text[1:j].replace("''", "'"), text[j + 1 :]
    else:
        m = re.match(r"([^!'\[\]:*?/\\]+)(?=!)", text)
        if not m:
            return None
        sheet, rest = m.group(1), text[m.end() :]
    if not rest.startswith("!") or sheet.startswith("["):
        return None
    parts = rest[1:].split(":")
    if len(parts) > 2:
        return None
    cells = [c for c in (_parse_cell(p) for p in parts) if c is not None]
    if len(cells) != len(parts):
        return None
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return _Ref(sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


# =========================================================================== sheet XML


def _esc(text: str) -> str:
    text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
    return xm._esc_text(text)


def _number(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _excel_serial(ts: pd.Timestamp) -> float:
    delta = ts.to_pydatetime().replace(tzinfo=None) - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


@dataclass
class _Cell:
    attrs: dict[str, str]
    inner: str

    @property
    def style(self) -> str | None:
        return self.attrs.get("s")

    def formula(self, p: str) -> bool:
        return re.search(rf"<{re.escape(p)}f[\s/>]", self.inner) is not None


@dataclass
class _Row:
    attrs: dict[str, str]
    cells: dict[int, _Cell] = field(default_factory=dict)
    raw: str | None = None  # the original text while the row is untouched


class _Sheet:
    """A worksheet part held as text: its rows parsed, the rest kept verbatim."""

    def __init__(self, xml: str, strings: list[str], label: str, name: str):
        self.label, self.name, self.strings = label, name, strings
        self.p, _ = xm._root_prefixes(xml, f"{label} ({name})")
        p = re.escape(self.p)
        m = re.search(rf"<{p}sheetData\b[^>]*?(/?)>", xml)
        if m is None:
            raise FillError(f"{label}: sheet {name} has no cell data part")
        if m.group(1):
            self.head, self.tail, body = (
                xml[: m.start()] + f"<{self.p}sheetData>",
                f"</{self.p}sheetData>" + xml[m.end() :],
                "",
            )
        else:
            close = xml.find(f"</{self.p}sheetData>", m.end())
            self.head, self.tail, body = xml[: m.end()], xml[close:], xml[m.end() : close]
        self.rows: dict[int, _Row] = {}
        self.order: list[int] = []
        last = -1
        for rm in re.finditer(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)", body, re.S):
            attrs = dict(_ATTR.findall(rm.group(1)))
            r = int(attrs["r"]) - 1 if attrs.get("r", "").isdigit() else last + 1
            last = r
            row = _Row(attrs, raw=rm.group(0))
            col = -1
            for cm in re.finditer(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", rm.group(2) or "", re.S):
                ca = dict(_ATTR.findall(cm.group(1)))
                pos = _parse_cell(ca.get("r", ""))
                col = pos[1] if pos else col + 1
                row.cells[col] = _Cell(ca, cm.group(2) or "")
            self.rows[r] = row
            self.order.append(r)
        areas = (self._area(a) for a in re.findall(rf'<{p}mergeCell\b[^>]*\sref="([^"]+)"', self.tail))
        self.merges = [a for a in areas if a is not None]
        self.protected = re.search(rf'<{p}sheetProtection\b[^>]*\ssheet="(?:1|true)"', self.tail) is not None
        self.cols = self._col_styles(self.head)

    @staticmethod
    def _area(ref: str) -> tuple[int, int, int, int] | None:
        texts = ref.split(":")
        parts = [x for x in (_parse_cell(t) for t in texts) if x is not None]
        if len(parts) != len(texts):
            return None
        (r1, c1), (r2, c2) = parts[0], parts[-1]
        return r1, c1, r2, c2

    def _col_styles(self, head: str) -> list[tuple[int, int, str]]:
        out = []
        for m in re.finditer(rf"<{re.escape(self.p)}col\b([^>]*)/?>", head):
            a = dict(_ATTR.findall(m.group(1)))
            if "style" in a and a.get("min", "").isdigit() and a.get("max", "").isdigit():
                out.append((int(a["min"]) - 1, int(a["max"]) - 1, a["style"]))
        return out

    # ------------------------------------------------------------ reading
    def cell(self, r: int, c: int) -> _Cell | None:
        row = self.rows.get(r)
        return None if row is None else row.cells.get(c)

    def has_content(self, r: int, c: int) -> bool:
        cell = self.cell(r, c)
        if cell is None:
            return False
        return bool(re.search(rf"<{re.escape(self.p)}(?:f|v|is)\b", cell.inner))

    def value(self, r: int, c: int) -> Any:
        cell = self.cell(r, c)
        if cell is None:
            return None
        p = re.escape(self.p)
        t = cell.attrs.get("t", "n")
        if t == "inlineStr":
            return "".join(xm._unescape(x) for x in re.findall(rf"<{p}t\b[^>]*>(.*?)</{p}t>", cell.inner, re.S))
        m = re.search(rf"<{p}v>(.*?)</{p}v>", cell.inner, re.S)
        if m is None:
            return None
        v = xm._unescape(m.group(1))
        if t == "s":
            k = int(v)
            return self.strings[k] if 0 <= k < len(self.strings) else None
        if t in ("str", "e"):
            return v
        if t == "b":
            return v.strip() in ("1", "true")
        try:
            return float(v)
        except ValueError:
            return None

    def merged_at(self, r: int, c: int) -> tuple[int, int, int, int] | None:
        for a in self.merges:
            if a[0] <= r <= a[2] and a[1] <= c <= a[3]:
                return a
        return None

    def style_at(self, r: int, c: int) -> str | None:
        cell = self.cell(r, c)
        if cell is not None:
            return cell.style
        row = self.rows.get(r)
        if row is not None and row.attrs.get("customFormat") in ("1", "true") and "s" in row.attrs:
            return row.attrs["s"]
        for lo, hi, s in self.cols:
            if lo <= c <= hi:
                return s
        return None

    # ------------------------------------------------------------ writing
    def _row(self, r: int, like: int | None = None) -> _Row:
        row = self.rows.get(r)
        if row is None:
            attrs = {}
            if like is not None and like in self.rows:
                attrs = {k: v for k, v in self.rows[like].attrs.items() if k not in ("r", "spans")}
            row = _Row(attrs)
            self.rows[r] = row
            self.order.append(r)
        row.raw = None
        return row

    def write(self, r: int, c: int, value: Any, style: str | None = None, like_row: int | None = None) -> None:
        """Put ``value`` into the cell (None empties it); the cell keeps its
        style unless ``style`` is given."""
        row = self._row(r, like_row)
        old = row.cells.get(c)
        s = style if style is not None else (old.style if old is not None else self.style_at(r, c))
        attrs = {"r": _addr(r, c)}
        if s is not None and s != "0":
            attrs["s"] = s
        if isinstance(value, pd.Timestamp):
            value = _excel_serial(value)
        if value is None:
            inner = ""
        elif isinstance(value, bool):
            attrs["t"] = "b"
            inner = f"<{self.p}v>{int(value)}</{self.p}v>"
        elif isinstance(value, (int, float)):
            inner = f"<{self.p}v>{_number(value)}</{self.p}v>"
        else:
            attrs["t"] = "inlineStr"
            text = str(value)
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            inner = f"<{self.p}is><{self.p}t{space}>{_esc(text)}</{self.p}t></{self.p}is>"
        row.cells[c] = _Cell(attrs, inner)

    def set_cached(self, r: int, c: int, value: Any) -> None:
        """Store ``value`` as the cached result of the formula in the cell."""
        row = self._row(r)
        cell = row.cells[c]
        p = re.escape(self.p)
        f = re.search(rf"<{p}f\b[^>]*/>|<{p}f\b[^>]*>.*?</{p}f>", cell.inner, re.S)
        attrs = {k: v for k, v in cell.attrs.items() if k not in ("t",)}
        inner = f.group(0) if f else ""
        if isinstance(value, str):
            attrs["t"] = "str"
            inner += f"<{self.p}v>{_esc(value)}</{self.p}v>"
        elif isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
            inner += f"<{self.p}v>{_number(value)}</{self.p}v>"
        row.cells[c] = _Cell(attrs, inner)

    def strip_caches(self, keep: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()) -> int:
        """Drop the cached value of every formula cell but those of ``keep``;
        returns how many were dropped."""
        p = re.escape(self.p)
        n = 0
        for r, row in self.rows.items():
            for c, cell in row.cells.items():
                if (r, c) in keep or not cell.formula(self.p):
                    continue
                if re.search(rf"<{p}v>|<{p}v/>", cell.inner) is None and "t" not in cell.attrs:
                    continue
                new_inner = re.sub(rf"<{p}v>.*?</{p}v>|<{p}v/>", "", cell.inner, flags=re.S)
                attrs = {k: v for k, v in cell.attrs.items() if k != "t"}
                row.cells[c] = _Cell(attrs, new_inner)
                row.raw = None
                n += 1
        return n

    def follow_table(self, r1: int, c1: int, r2: int, c2: int, new_r2: int) -> int:
        """Conditional formats and data validations whose area covers exactly
        the table's rows (within its columns) follow the table to ``new_r2``;
        returns how many areas changed."""
        changed = 0

        def area(text: str) -> str:
            nonlocal changed
            a = self._area(text.replace("$", ""))
            if a is None or (a[0], a[2]) != (r1, r2) or a[1] < c1 or a[3] > c2:
                return text
            changed += 1
            return f"{_addr(a[0], a[1])}:{_addr(new_r2, a[3])}"

        def sqref(m: re.Match) -> str:
            return m.group(1) + " ".join(area(t) for t in m.group(2).split()) + m.group(3)

        p = re.escape(self.p)
        tail = re.sub(rf'(<{p}(?:conditionalFormatting|dataValidation)\b[^>]*\ssqref=")([^"]*)(")', sqref, self.tail)
        tail = re.sub(r"(<(?:\w+:)?sqref>)([^<]*)(</(?:\w+:)?sqref>)", sqref, tail)
        self.tail = tail
        return changed

    def formula_cells(self) -> Iterable[tuple[int, int, str]]:
        p = re.escape(self.p)
        for r, row in self.rows.items():
            for c, cell in row.cells.items():
                m = re.search(rf"<{p}f\b[^>]*>(.*?)</{p}f>", cell.inner, re.S)
                if m:
                    yield r, c, xm._unescape(m.group(1))

    def _row_xml(self, r: int, row: _Row) -> str:
        if row.raw is not None:
            return row.raw
        attrs = {"r": str(r + 1), **{k: v for k, v in row.attrs.items() if k not in ("r", "spans")}}
        head = f"<{self.p}row" + "".join(f' {k}="{v}"' for k, v in attrs.items())
        if not row.cells:
            return head + "/>"
        cells = []
        for c in sorted(row.cells):
            cell = row.cells[c]
            a = {"r": _addr(r, c), **{k: v for k, v in cell.attrs.items() if k != "r"}}
            tag = f"<{self.p}c" + "".join(f' {k}="{v}"' for k, v in a.items())
            cells.append(f"{tag}>{cell.inner}</{self.p}c>" if cell.inner else f"{tag}/>")
        return head + ">" + "".join(cells) + f"</{self.p}row>"

    def xml(self) -> str:
        body = "".join(self._row_xml(r, self.rows[r]) for r in sorted(self.rows))
        head = self.head
        if self.rows:
            rows = [r for r in self.rows if self.rows[r].cells]
            cols = [c for r in rows for c in self.rows[r].cells]
            if rows and cols:
                dim = f"A1:{_addr(max(rows), max(cols))}" if (max(rows), max(cols)) != (0, 0) else "A1"
                first = min(rows), min(cols)
                if first != (0, 0):
                    dim = f"{_addr(*first)}:{_addr(max(rows), max(cols))}"
                head = re.sub(
                    rf'(<{re.escape(self.p)}dimension\b[^>]*\sref=")[^"]*(")',
                    lambda m: m.group(1) + dim + m.group(2),
                    head,
                    count=1,
                )
        return head + body + self.tail


# =========================================================================== workbook


class FillError(xm.MergeError):
    """The template cannot be filled; ``.report`` names every name, sheet and cell."""


def _refuse(label: str, reason: str) -> FillError:
    report = Report()
    report.add(reason, file=label, severity=FATAL)
    return FillError(f"cannot fill {label}: {reason}", report)


@dataclass
class FillResult:
    """What a fill did: the sheets added (ADP) or filled (report), the names
    written, and the information about names the vocabulary does not know."""

    path: Path
    sheets: list[str]
    filled: list[str]
    info: Report


@dataclass
class _DefinedName:
    name: str
    local: int | None
    text: str
    span: tuple[int, int]  # of the element's text in the workbook part
    attrs: dict[str, str]


class _Book:
    """A workbook package with its sheets, names and shared strings."""

    def __init__(self, pkg: xm._Package):
        self.pkg = pkg
        self.wb_part = xm._Merge.workbook_part(pkg)
        ct = xm._ContentTypes.of(pkg)
        self.kind = xm.WORKBOOK_TYPES.get(ct.type_of(self.wb_part) or "")
        if self.kind is None:
            raise _refuse(pkg.label, "its workbook part is not SpreadsheetML XML; save it as .xlsx or .xlsm")
        self.ct = ct
        self.wb_xml = pkg.text(self.wb_part)
        self.p, decls = xm._root_prefixes(self.wb_xml, f"{pkg.label} (workbook)")
        root = xm._parse(self.wb_xml, f"{pkg.label} (workbook)")
        rels = {r.id: r for r in xm._rels(pkg, self.wb_part)}
        self.rels = rels
        self.sheets: list[tuple[str, str | None]] = []  # (name, part)
        for e in root.iter(f"{{{xm.MAIN_NS}}}sheet"):
            rel = rels.get(e.get(f"{{{xm.REL_NS}}}id", ""))
            part = xm._resolve(self.wb_part, rel.target) if rel is not None and rel.type == xm.RT_WORKSHEET else None
            self.sheets.append((e.get("name", ""), part))
        p = re.escape(self.p)
        self.names: list[_DefinedName] = []
        for m in re.finditer(rf"<{p}definedName\b([^>]*)>(.*?)</{p}definedName>", self.wb_xml, re.S):
            attrs = {k: xm._unescape(v) for k, v in _ATTR.findall(m.group(1))}
            local = attrs.get("localSheetId")
            self.names.append(
                _DefinedName(
                    attrs.get("name", ""),
                    int(local) if local and local.isdigit() else None,
                    xm._unescape(m.group(2)),
                    m.span(2),
                    attrs,
                )
            )
        sst = next((xm._resolve(self.wb_part, r.target) for r in rels.values() if r.type == xm.RT_SHARED_STRINGS), None)
        self.sst_part = sst if sst and pkg.has(sst) else None
        self.styles_part = next(
            (xm._resolve(self.wb_part, r.target) for r in rels.values() if r.type == xm.RT_STYLES), None
        )
        self._strings: list[str] | None = None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            out = []
            if self.sst_part:
                xml = self.pkg.text(self.sst_part)
                for m in re.finditer(r"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", xml, re.S):
                    inner = re.sub(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", "", m.group(1) or "", flags=re.S)
                    out.append(
                        "".join(
                            xm._unescape(t) for t in re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", inner, re.S)
                        )
                    )
            self._strings = out
        return self._strings

    def sheet_index(self, name: str) -> int | None:
        for i, (n, _) in enumerate(self.sheets):
            if n.lower() == name.lower():
                return i
        return None

    def sheet_part(self, name: str) -> str:
        """The worksheet part of sheet ``name`` (FillError when it has none)."""
        i = self.sheet_index(name)
        part = None if i is None else self.sheets[i][1]
        if part is None:
            raise FillError(f"{self.pkg.label}: {name!r} is not a worksheet of the workbook")
        return part

    def sheet(self, name: str) -> _Sheet:
        part = self.sheet_part(name)
        i = self.sheet_index(name)
        return _Sheet(self.pkg.text(part), self.strings, self.pkg.label, self.sheets[i or 0][0])

    def tables_on(self, part: str) -> list[tuple[str, tuple[int, int, int, int]]]:
        out = []
        for r in xm._rels(self.pkg, part):
            if r.type.endswith("/table") and not r.external:
                t = xm._resolve(part, r.target)
                if self.pkg.has(t):
                    root = xm._parse(self.pkg.get(t) or b"", f"{self.pkg.label} ({t})")
                    area = _Sheet._area(root.get("ref", ""))
                    if area:
                        out.append((root.get("displayName") or root.get("name") or "", area))
        return out

    def table_parts(self) -> list[dict[str, Any]]:
        """Every Excel table of the workbook: sheet, part, name, area
        (0-based, header included), header and totals row counts."""
        out = []
        for sheet, part in self.sheets:
            if part is None:
                continue
            for r in xm._rels(self.pkg, part):
                if not r.type.endswith("/table") or r.external:
                    continue
                t = xm._resolve(part, r.target)
                if not self.pkg.has(t):
                    continue
                root = xm._parse(self.pkg.get(t) or b"", f"{self.pkg.label} ({t})")
                area = _Sheet._area(root.get("ref", ""))
                if area:
                    out.append(
                        {
                            "sheet": sheet,
                            "part": self.pkg.lower[t.lower()],
                            "name": root.get("displayName") or root.get("name", ""),
                            "area": area,
                            "header": int(root.get("headerRowCount", "1") or 1),
                            "totals": int(root.get("totalsRowCount", "0") or 0),
                        }
                    )
        return out


def _read_book(path: Path) -> _Book:
    xm._check_target_file(path)
    return _Book(xm._Package.read(path.read_bytes(), path.name))


def _set_full_calc(xml: str, p: str) -> str:
    """The workbook part with ``<calcPr fullCalcOnLoad="1">``."""
    loc = xm._find(xml, p, "calcPr")
    if loc is not None:
        tag = xm._set_attr(xml[loc[0] : loc[1]], "fullCalcOnLoad", "1")
        return xml[: loc[0]] + tag + xml[loc[1] :]
    for later in (
        "oleSize",
        "customWorkbookViews",
        "pivotCaches",
        "smartTagPr",
        "smartTagTypes",
        "webPublishing",
        "fileRecoveryPr",
        "webPublishObjects",
        "extLst",
    ):
        loc = xm._find(xml, p, later)
        if loc is not None:
            return xml[: loc[0]] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[loc[0] :]
    end = xml.rfind(f"</{p}workbook>")
    return xml[:end] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[end:]


def _write_package(pkg: xm._Package, changed: dict[str, bytes]) -> bytes:
    """The package with ``changed`` members replaced; every other member's
    compressed bytes copied as they are."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in pkg.infos:
            if info.filename in changed or not xm._copy_raw(zf, buf, pkg.raw, info):
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr, zi.create_system = info.external_attr, info.create_system
                zf.writestr(zi, changed.get(info.filename, pkg.data[info.filename]))
    return buf.getvalue()


# =========================================================================== checks


@dataclass
class _Target:
    entry: Name
    dn: _DefinedName | None
    ref: _Ref
    #: the Excel table whose data rows the target is (report tables named as tables)
    table: dict[str, Any] | None = None


class _Checks:
    def __init__(self, label: str):
        self.label = label
        self.report = Report()
        self.protected: set[str] = set()

    def refuse(self, name: str, sheet: str, cell: str, reason: str) -> None:
        self.report.add(f"name {name!r} ({cell}): {reason}", file=self.label, sheet=sheet, column=cell, severity=FATAL)

    def info(self, reason: str, sheet: str = "") -> None:
        self.report.add(reason, file=self.label, sheet=sheet, severity=INFO)

    def raise_if_refused(self, what: str) -> None:
        if self.report.fatal:
            raise FillError(f"cannot {what} {self.label}; nothing was written", self.report)


def _check_cells(
    chk: _Checks,
    sheet: _Sheet,
    t: _Target,
    cells: Iterable[tuple[int, int]],
    *,
    result: bool = False,
    tables: Sequence[tuple[str, tuple[int, int, int, int]]] = (),
) -> None:
    """Refuse a write into a merged cell (other than its top-left cell), over a
    formula (unless the name is a result), into a protected sheet or an Excel table."""
    name = t.entry.name
    if sheet.protected:
        if sheet.name not in chk.protected:
            chk.protected.add(sheet.name)
            chk.refuse(
                name,
                sheet.name,
                t.ref.where(),
                "the sheet is protected (Review > Unprotect Sheet); unprotect it, or copy it unprotected, to fill it",
            )
        return
    for r, c in cells:
        m = sheet.merged_at(r, c)
        if m is not None and (m[0], m[1]) != (r, c):
            chk.refuse(
                name,
                sheet.name,
                _addr(r, c),
                f"the cell is inside the merged cells {_addr(m[0], m[1])}:{_addr(m[2], m[3])}; "
                "point the name at the merge's top-left cell or unmerge",
            )
            return
        cell = sheet.cell(r, c)
        if result:
            if cell is None or not cell.formula(sheet.p):
                chk.info(
                    f"name {name!r} ({_addr(r, c)}) is a result but the cell holds no formula; left as it is",
                    sheet.name,
                )
            return
        if cell is not None and cell.formula(sheet.p):
            chk.refuse(
                name,
                sheet.name,
                _addr(r, c),
                "the cell holds a formula that the fill would overwrite; move the formula or the name",
            )
            return
        for tname, (tr1, tc1, tr2, tc2) in tables:
            if tr1 <= r <= tr2 and tc1 <= c <= tc2:
                chk.refuse(
                    name,
                    sheet.name,
                    _addr(r, c),
                    f"the cell is in the Excel table {tname}; "
                    "point the name at cells outside tables (or convert the table to a range)",
                )
                return


def _match_names(
    book: _Book, chk: _Checks, names: Iterable[_DefinedName], scope: str, sheet_name: str | None = None
) -> list[_Target]:
    """The vocabulary names of ``scope`` among ``names`` with their ranges;
    unknown names as information, bad ranges and shapes refused."""
    out = []
    for dn in names:
        if dn.name.lower().startswith("_xlnm.") or dn.attrs.get("hidden") in ("1", "true"):
            continue
        entry = _BY_NAME.get(dn.name.lower())
        where = sheet_name or ""
        if entry is None:
            chk.info(f"name {dn.name!r} is not in the fill vocabulary; left as it is", where)
            continue
        if entry.scope != scope:
            want = (
                "sheet-scoped (Name Manager: Scope = the template sheet)"
                if entry.scope == "sheet"
                else "a workbook name (Name Manager: Scope = Workbook)"
            )
            chk.info(f"name {dn.name!r} is known but must be {want} to be filled; left as it is", where)
            continue
        ref = _parse_ref(dn.text)
        if ref is None:
            chk.refuse(dn.name, where, dn.text, "the name does not point at one range of cells")
            continue
        index = book.sheet_index(ref.sheet)
        if index is None or book.sheets[index][1] is None:
            chk.refuse(
                dn.name,
                ref.sheet,
                ref.where(),
                f"the name points at sheet {ref.sheet!r}, which is not a worksheet of this workbook",
            )
            continue
        if sheet_name is not None and ref.sheet.lower() != sheet_name.lower():
            chk.refuse(
                dn.name,
                sheet_name,
                ref.where(),
                f"the name points at sheet {ref.sheet!r}, not at the template sheet it belongs to",
            )
            continue
        rows, cols = entry.shape
        if entry.kind != "input" and (ref.cols != cols or (rows is not None and ref.rows != rows)):
            shape = f"{rows if rows is not None else 'any number of'} row(s) × {cols} column(s)"
            chk.refuse(
                dn.name,
                ref.sheet,
                ref.where(),
                f"the range has {ref.rows} row(s) × {ref.cols} column(s); {dn.name} needs {shape}",
            )
            continue
        out.append(_Target(entry, dn, ref))
    return out


# =========================================================================== ADP


def _pick_template_sheet(book: _Book, wanted: str | None) -> int:
    if wanted is not None:
        i = book.sheet_index(wanted)
        if i is None:
            raise FillError(
                f"{book.pkg.label} has no sheet {wanted!r} (its sheets: " + ", ".join(n for n, _ in book.sheets) + ")"
            )
        if book.sheets[i][1] is None:
            raise FillError(f"{book.pkg.label}: sheet {wanted!r} is not a worksheet")
        return i
    adp = {n.name.lower() for n in ADP_NAMES}
    counts = [sum(1 for dn in book.names if dn.local == i and dn.name.lower() in adp) for i in range(len(book.sheets))]
    if not counts or max(counts) == 0:
        raise FillError(
            f"{book.pkg.label}: no sheet has sheet-scoped names of the fill vocabulary "
            "(company, financials, forecast...); name the template's cells as docs/templates.md "
            "says, or pass --template-sheet"
        )
    return counts.index(max(counts))


def _adp_results(sheet: _Sheet, pos: dict[str, _Ref], yes: str) -> dict[str, Any]:
    """The cached values of the result names we can compute, from the sheet's
    cells after filling ('' when the formula would show nothing)."""

    def val(name: str, k: int = 0) -> Any:
        ref = pos.get(name)
        if ref is None:
            return None
        return sheet.value(ref.r1 + k, ref.c1)

    def number(v: Any) -> float:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")

    out: dict[str, Any] = {}
    if "ratings" in pos:
        level = planning.progress_level([number(val("ratings", k)) for k in range(pos["ratings"].rows)])
        out["progress_level"] = "" if math.isnan(level) else level
    need, ours = number(val("need")), number(val("our_revenue"))
    if "need" in pos and "our_revenue" in pos:
        out["current_sow"] = float(planning.share_of_wallet(ours, need)) if not math.isnan(need) and need != 0 else ""
        out["whitespace"] = float(planning.whitespace(need, ours)) if not math.isnan(need) else ""
    if "need" in pos:
        g = number(val("need_growth")) if "need_growth" in pos else 0.0
        t = number(val("target_sow")) if "target_sow" in pos else 0.0
        out["forecast"] = (
            float(planning.adp_forecast(need, 0.0 if math.isnan(g) else g, 0.0 if math.isnan(t) else t))
            if not math.isnan(need)
            else ""
        )
    if "initiatives" in pos:
        ref = pos["initiatives"]
        shares = [number(sheet.value(r, ref.c2)) for r in range(ref.r1, ref.r2 + 1)]
        shares = [x for x in shares if not math.isnan(x)]
        out["coverage"] = sum(shares) / len(shares) if shares else ""
    if "steps_done" in pos:
        ref = pos["steps_done"]
        done = [
            isinstance(v, str) and v.strip().casefold() == yes.casefold()
            for v in (sheet.value(r, ref.c1) for r in range(ref.r1, ref.r2 + 1))
        ]
        out["completion_share"] = float(sum(done)) / planning.PROGRESS_STEPS
    return out


def _fill_sheet(sheet: _Sheet, targets: list[_Target], values: dict[str, Any], yes: str) -> None:
    pos = {t.entry.name: t.ref for t in targets}
    for t in targets:
        if t.entry.kind not in ("field", "table") or t.entry.name not in values:
            continue
        v = values[t.entry.name]
        rows = v if isinstance(v, list) else [[v]]
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if x is not KEEP:
                    sheet.write(t.ref.r1 + i, t.ref.c1 + j, x)
    results = _adp_results(sheet, pos, yes)
    keep = set()
    for t in targets:
        cell = sheet.cell(t.ref.r1, t.ref.c1)
        if t.entry.kind == "result" and t.entry.name in results and cell is not None and cell.formula(sheet.p):
            sheet.set_cached(t.ref.r1, t.ref.c1, results[t.entry.name])
            keep.add((t.ref.r1, t.ref.c1))
    sheet.strip_caches(keep)


def _as_copy(xml: str, p: str) -> str:
    """A sheet made ready to be a second sheet of its workbook: no VBA code
    name (two sheets cannot share one; Excel gives the copy its own, as it
    does for any sheet added without one) and no revision uid on the root."""

    def sheet_pr(m: re.Match) -> str:
        return re.sub(r'\s+codeName\s*=\s*"[^"]*"', "", m.group(0))

    xml = re.sub(rf"<{re.escape(p)}sheetPr\b[^>]*>", sheet_pr, xml, count=1)
    root = re.search(rf"<{re.escape(p)}worksheet\b[^>]*>", xml)
    if root:
        tag = re.sub(r'\s+xr:uid\s*=\s*"[^"]*"', "", root.group(0))
        xml = xml[: root.start()] + tag + xml[root.end() :]
    return xml


def _reachable(pkg: xm._Package, part: str) -> list[str]:
    """``part`` and every internal part its relationships lead to."""
    seen: list[str] = []
    todo = [part]
    while todo:
        p = todo.pop()
        if p.lower() in {s.lower() for s in seen} or not pkg.has(p):
            continue
        seen.append(p)
        for r in xm._rels(pkg, p):
            if not r.external:
                todo.append(xm._resolve(p, r.target))
    return seen


def _copies_source(book: _Book, index: int, copies: list[tuple[str, str]]) -> xm._Package:
    """A package holding one copy per ``(sheet name, filled sheet XML)`` of
    the template sheet: each with its own drawing, chart, comment and table
    parts (images are shared), its references to the template sheet and its
    tables renamed to its own, and its own copy of the sheet's names; plus the
    template's styles and shared strings.  :class:`xlsx_merge._Merge` adds it
    to the target in one pass."""
    import posixpath

    tpl_name = book.sheets[index][0]
    part = book.sheet_part(tpl_name)
    pkg = book.pkg
    ct = xm._ContentTypes.of(pkg)
    reach = [pkg.lower[p.lower()] for p in _reachable(pkg, part)]
    data: dict[str, bytes] = {}
    overrides: dict[str, str] = {}
    table_names = {}
    for p in reach:
        if (ct.type_of(p) or "").endswith("spreadsheetml.table+xml"):
            root = xm._parse(pkg.data[p], f"{pkg.label} ({p})")
            table_names[p] = root.get("displayName") or root.get("name") or ""
    sheet_parts = []
    for k, (new_name, xml) in enumerate(copies, start=1):

        def renamed(real: str, k: int = k) -> str:
            if real.lower().startswith("xl/media/"):
                return real  # pictures: one part for every copy
            d, b = posixpath.split(real)
            stem, ext = posixpath.splitext(b)
            return posixpath.join(d, f"{stem.rstrip('0123456789') or stem}{100000 * k + len(stem)}{ext}")

        sheets = {tpl_name.lower(): new_name}
        tables = {old.lower(): f"{old}_{k}" for old in table_names.values() if old}
        for p in reach:
            new = renamed(p)
            ctype = ct.type_of(p) or "application/octet-stream"
            overrides[new] = ctype
            if p == pkg.lower[part.lower()]:
                raw = xm._rename_in_xml(xml, sheets, tables).encode("utf-8")
                sheet_parts.append(new)
            elif ctype.endswith(("drawingml.chart+xml", "spreadsheetml.table+xml")):
                text = xm._rename_in_xml(pkg.data[p].decode("utf-8"), sheets, tables)
                if p in table_names and table_names[p]:
                    m = re.search(r"<(?:\w+:)?table\b[^>]*>", text)
                    if m:
                        tag = xm._set_attr(
                            xm._set_attr(m.group(0), "name", tables[table_names[p].lower()]),
                            "displayName",
                            tables[table_names[p].lower()],
                        )
                        text = text[: m.start()] + tag + text[m.end() :]
                raw = text.encode("utf-8")
            else:
                raw = pkg.data[p]
            data[new] = raw
            rels = xm._rels(pkg, p)
            if rels:
                lines = []
                for r in rels:
                    target = r.target
                    if not r.external:
                        real = pkg.lower.get(xm._resolve(p, r.target).lower())
                        if real is None:
                            continue  # a dangling relationship: not carried over
                        target = xm._relative(new, renamed(real))
                    mode = ' TargetMode="External"' if r.external else ""
                    lines.append(
                        f'<Relationship Id="{xm._esc_attr(r.id)}" Type="{xm._esc_attr(r.type)}" '
                        f'Target="{xm._esc_attr(target)}"{mode}/>'
                    )
                data[xm._rels_name(new)] = (
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{xm.PKG_REL_NS}">' + "".join(lines) + "</Relationships>"
                ).encode("utf-8")
    wb = "xl/workbook.xml"
    rel_lines = [
        f'<Relationship Id="rIdS{k}" Type="{xm.RT_WORKSHEET}" Target="/{sp}"/>'
        for k, sp in enumerate(sheet_parts, start=1)
    ]
    if book.styles_part and pkg.has(book.styles_part):
        st = pkg.lower[book.styles_part.lower()]
        data[st] = pkg.data[st]
        rel_lines.append(f'<Relationship Id="rIdStyles" Type="{xm.RT_STYLES}" Target="/{st}"/>')
    if book.sst_part:
        st = pkg.lower[book.sst_part.lower()]
        data[st] = pkg.data[st]
        rel_lines.append(f'<Relationship Id="rIdStrings" Type="{xm.RT_SHARED_STRINGS}" Target="/{st}"/>')
    local = [dn for dn in book.names if dn.local == index]
    names = []
    for k, (new_name, _) in enumerate(copies):
        sheets = {tpl_name.lower(): new_name}
        tables = {old.lower(): f"{old}_{k + 1}" for old in table_names.values() if old}
        for dn in local:
            names.append(
                f'<definedName name="{xm._esc_attr(dn.name)}" localSheetId="{k}"'
                + "".join(f' {a}="{xm._esc_attr(v)}"' for a, v in dn.attrs.items() if a not in ("name", "localSheetId"))
                + f">{xm._esc_text(xm.rename_references(dn.text, sheets, tables))}</definedName>"
            )
    sheet_list = "".join(
        f'<sheet name="{xm._esc_attr(n)}" sheetId="{k}" r:id="rIdS{k}"/>' for k, (n, _) in enumerate(copies, start=1)
    )
    data[wb] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{xm.MAIN_NS}" '
        f'xmlns:r="{xm.REL_NS}"><sheets>{sheet_list}</sheets>'
        + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
        + "</workbook>"
    ).encode("utf-8")
    data["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{xm.PKG_REL_NS}">' + "".join(rel_lines) + "</Relationships>"
    ).encode("utf-8")
    data["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="{xm.PKG_REL_NS}"><Relationship Id="rId1" Type="{xm.RT_OFFICE_DOCUMENT}" '
        f'Target="{wb}"/></Relationships>'
    ).encode()
    types = [
        f'<Default Extension="{xm._esc_attr(e)}" ContentType="{xm._esc_attr(t)}"/>' for e, t in ct.defaults.items()
    ]
    types += [
        f'<Override PartName="/{xm._esc_attr(n)}" ContentType="{xm._esc_attr(t)}"/>' for n, t in overrides.items()
    ]
    for workbook_part in (book.styles_part, book.sst_part):
        if workbook_part and pkg.has(workbook_part):
            types.append(
                f'<Override PartName="/{pkg.lower[workbook_part.lower()]}" ContentType="{ct.type_of(workbook_part)}"/>'
            )
    types.append(
        f'<Override PartName="/{wb}" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/>'
    )
    data["[Content_Types].xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
        f'xmlns="{xm.CT_NS}">' + "".join(types) + "</Types>"
    ).encode("utf-8")
    src = xm._Package(f"{pkg.label} (sheet {tpl_name})", [], data)
    src.lower = {k.lower(): k for k in data}
    return src


def _check_references(chk: _Checks, sheet: _Sheet, source: _Book, target: _Book) -> None:
    """Warn about the template sheet's formulas that refer to sheets or
    workbook names the target workbook lacks (they show #REF! / #NAME? there)."""
    t_sheets = {n.lower() for n, _ in target.sheets}
    s_globals = {dn.name.lower() for dn in source.names if dn.local is None}
    t_globals = {dn.name.lower() for dn in target.names if dn.local is None}
    seen = set()
    for r, c, f in sheet.formula_cells():
        words = {w.lower() for w in re.findall(r"[A-Za-z_\\\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*", f)}
        missing = [f"sheet {x!r}" for x in sorted(_sheet_refs(f) - t_sheets - {sheet.name.lower()})]
        missing += [f"name {x!r}" for x in sorted((words & s_globals) - t_globals)]
        for m in missing:
            if m not in seen:
                seen.add(m)
                chk.report.add(
                    f"the formula in {_addr(r, c)} refers to {m}, which {target.pkg.label} lacks; "
                    "the copies show an error there until you add it",
                    file=chk.label,
                    sheet=sheet.name,
                    column=_addr(r, c),
                    severity=WARNING,
                )


def _client_sheet_titles(values: dict[Any, dict[str, Any]]) -> list[str]:
    return [str(v.get("company") or cid) for cid, v in values.items()]


def fill_adp_template(
    analysis,
    client_ids: Sequence[Any],
    template: str | Path,
    out: str | Path | None = None,
    *,
    into: str | Path | None = None,
    template_sheet: str | None = None,
    lang: str = "en",
) -> FillResult:
    """One filled copy of the template sheet of ``template`` per client of
    ``client_ids``, named after the client (a taken name gets a number).

    The copies go into a copy of the template workbook written to ``out``
    (default ``<template>-filled<ext>``), or with ``into`` into that workbook
    (written to ``out``, default ``into`` itself).  Every part of the target
    the copies do not need is kept byte for byte.  The template sheet is the
    one named ``template_sheet``, else the sheet with the most sheet-scoped
    vocabulary names.  Raises :class:`FillError` (nothing written) when a
    check fails; ``result.info`` lists the names the vocabulary does not know.
    """
    tpl_path = Path(template)
    book = _read_book(tpl_path)
    index = _pick_template_sheet(book, template_sheet)
    sheet_name = book.sheets[index][0]
    chk = _Checks(tpl_path.name)
    local = [dn for dn in book.names if dn.local == index]
    targets = _match_names(book, chk, local, "sheet", sheet_name)
    base = book.sheet(sheet_name)
    tables = book.tables_on(book.sheet_part(sheet_name))
    for t in targets:
        if t.entry.kind == "input":
            continue
        cells = [(r, c) for r in range(t.ref.r1, t.ref.r2 + 1) for c in range(t.ref.c1, t.ref.c2 + 1)]
        if t.entry.name == "ratings":
            cells = cells[:1]
        _check_cells(chk, base, t, cells, result=t.entry.kind == "result", tables=tables)
    if not any(t.entry.kind in ("field", "table") for t in targets) and not chk.report.fatal:
        chk.refuse(
            "(none)",
            sheet_name,
            "",
            "the sheet has no vocabulary name that the fill writes (company, financials, need...)",
        )
    chk.raise_if_refused("fill the template")

    values = adp_values(analysis, client_ids, lang=lang)
    target_path = Path(into) if into is not None else tpl_path
    if into is not None:
        target_book = _read_book(target_path)
        out = target_path if out is None else Path(out)
    else:
        target_book = book
        out = tpl_path.with_name(f"{tpl_path.stem}-filled{tpl_path.suffix}") if out is None else Path(out)
    if target_book.kind in (".xlsm", ".xltm", ".xlam") and out.suffix.lower() == ".xlsx":
        raise _refuse(target_path.name, f"it holds macros; write it to a {target_book.kind} file, not {out.name}")
    if into is not None:
        _check_references(chk, base, book, target_book)
    from xlb2b.excel.names import sheet_names

    names = sheet_names(_client_sheet_titles(values), taken=[n for n, _ in target_book.sheets])
    yes = label("adp.yes", lang)
    copies = []
    for cid, new_name in zip(values, names):
        sheet = book.sheet(sheet_name)
        _fill_sheet(sheet, targets, values[cid], yes)
        copies.append((new_name, _as_copy(sheet.xml(), sheet.p)))
    source = _copies_source(book, index, copies)
    try:
        merge = xm._Merge(target_book.pkg, source, True, names=names)
        merge.run()
        data = merge.write()
    except xm.MergeError as e:
        raise FillError(
            str(e).replace("the generated workbook", f"the template sheet {sheet_name!r}"), e.report
        ) from None
    t_pkg = xm._Package.read(data, target_path.name)
    final = _Book(t_pkg)
    wb_real = t_pkg.lower[final.wb_part.lower()]
    data = _write_package(t_pkg, {wb_real: _set_full_calc(final.wb_xml, final.p).encode("utf-8")})
    atomic_write_bytes(out, data)
    filled = sorted({t.entry.name for t in targets if t.entry.kind != "input"})
    return FillResult(out, names, filled, chk.report)


# =========================================================================== report


def _sheet_refs(formula: str) -> set[str]:
    """Lower-cased sheet names a formula refers to (quoted or not)."""
    out = set()
    for m in re.finditer(r"'((?:[^']|'')+)'!|([A-Za-z_\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*)!", formula):
        out.add((m.group(1).replace("''", "'") if m.group(1) else m.group(2)).lower())
    return out


def _mentions(formula: str, sheets: set[str], names: set[str]) -> bool:
    if _sheet_refs(formula) & sheets:
        return True
    words = {w.lower() for w in re.findall(r"[A-Za-z_\\\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*", formula)}
    return bool(words & names)


def _resize_table(xml: str, table: dict[str, Any], new_r2: int) -> bytes:
    """The table part with its range (and its filter's) ending at row ``new_r2``."""
    r1, c1, _, c2 = table["area"]
    ref = f"{_addr(r1, c1)}:{_addr(new_r2, c2)}"

    def fix(m: re.Match) -> str:
        return xm._set_attr(m.group(0), "ref", ref)

    xml = re.sub(r"<(?:\w+:)?table\b[^>]*>", fix, xml, count=1)
    xml = re.sub(r"<(?:\w+:)?autoFilter\b[^>]*>", fix, xml, count=1)
    return xml.encode("utf-8")


def fill_report(analysis, template: str | Path, out: str | Path | None = None, *, lang: str = "en") -> FillResult:
    """Write the current analysis into every report name of the vocabulary
    that ``template`` defines (workbook names), to ``out`` (default: the
    template itself).

    **Grow/shrink rule.** A table name covers the table's data rows (no
    header; the summaries' Total row included).  When the analysis has more
    rows, the range grows downward into the rows below it: those cells must
    be empty, or the fill is refused naming the first cell in the way (insert
    empty rows below the table, or make the name bigger: spare rows are
    emptied).  New rows take the formatting of the first data row (and the
    height of its row); a summary's Total row keeps the formatting of the
    range's last row wherever it lands.  When there are fewer rows, the rows
    no longer used are emptied and take the formatting of the row below the
    old range.  The name is redefined to the new size, and conditional
    formats and validations over exactly the table's rows follow it.
    Nothing else moves.

    An Excel table (Insert > Table) named like a report table (``summary_abc``)
    is filled the same way: its data rows are the range (the header row is
    the user's), and the table's range and filter grow or shrink with them.
    A table with a Total Row is refused (the summaries bring their own).
    """
    path = Path(template)
    out = path if out is None else Path(out)
    book = _read_book(path)
    if book.kind in (".xlsm", ".xltm", ".xlam") and out.suffix.lower() == ".xlsx":
        raise _refuse(path.name, f"it holds macros; write it to a {book.kind} file, not {out.name}")
    chk = _Checks(path.name)
    targets = _match_names(book, chk, [dn for dn in book.names if dn.local is None], "workbook")
    for dn in book.names:
        if dn.local is not None and dn.name.lower() in {n.name for n in REPORT_NAMES}:
            chk.info(
                f"name {dn.name!r} is sheet-scoped; report tables are workbook names; left as it is",
                book.sheets[dn.local][0] if dn.local < len(book.sheets) else "",
            )
    # Excel tables (Insert > Table) named like a report table: their data rows are the range
    named = {t.entry.name for t in targets}
    for tb in book.table_parts():
        entry = _BY_NAME.get(tb["name"].lower())
        if entry is None or entry.scope != "workbook" or entry.kind != "table" or entry.name in named:
            continue
        r1, c1, r2, c2 = tb["area"]
        ref = _Ref(tb["sheet"], r1 + tb["header"], c1, r2, c2)
        if tb["totals"]:
            chk.refuse(
                entry.name,
                tb["sheet"],
                _addr(r2, c1),
                "the Excel table has a Total Row; turn it off "
                "(Table Design > Total Row): the summaries bring their own Total row",
            )
        elif ref.cols != entry.shape[1] or ref.r2 < ref.r1:
            chk.refuse(
                entry.name,
                tb["sheet"],
                ref.where(),
                f"the Excel table has {ref.cols} column(s) and "
                f"{max(ref.rows, 0)} data row(s); {entry.name} needs {entry.shape[1]} columns and at "
                "least one data row",
            )
        else:
            targets.append(_Target(entry, None, ref, tb))
            named.add(entry.name)
    if not targets and not chk.report.fatal:
        chk.refuse(
            "(none)",
            "",
            "",
            "the workbook has no report name of the fill vocabulary (summary_abc, "
            "summary_psc_group, abc_curve, window_start...); see docs/templates.md",
        )
    values = report_values(analysis, lang=lang) if targets else {}
    sheets: dict[str, _Sheet] = {}
    plans = []
    for t in targets:
        key = t.ref.sheet.lower()
        if key not in sheets:
            sheets[key] = book.sheet(t.ref.sheet)
        sheet = sheets[key]
        v = values[t.entry.name]
        rows = v if isinstance(v, list) else [[v]]
        n = len(rows)
        new_r2 = t.ref.r1 + n - 1
        tables = [
            (name, area)
            for name, area in book.tables_on(book.sheet_part(t.ref.sheet))
            if t.table is None or name != t.table["name"]
        ]
        cells = [(r, c) for r in range(t.ref.r1, max(t.ref.r2, new_r2) + 1) for c in range(t.ref.c1, t.ref.c2 + 1)]
        if new_r2 >= MAX_ROWS:
            chk.refuse(t.entry.name, sheet.name, t.ref.where(), f"{n} rows do not fit below row {t.ref.r1 + 1}")
            continue
        before = len(chk.report.fatal)
        _check_cells(chk, sheet, t, [(r, c) for r, c in cells if r <= t.ref.r2], tables=tables)
        if len(chk.report.fatal) > before:
            continue
        for r in range(t.ref.r2 + 1, new_r2 + 1):
            blocked = next(
                (
                    c
                    for c in range(t.ref.c1, t.ref.c2 + 1)
                    if sheet.has_content(r, c)
                    or sheet.merged_at(r, c)
                    or any(a[0] <= r <= a[2] and a[1] <= c <= a[3] for _, a in tables)
                ),
                None,
            )
            if blocked is not None:
                chk.refuse(
                    t.entry.name,
                    sheet.name,
                    _addr(r, blocked),
                    f"the table needs {n} rows ({_addr(t.ref.r1, t.ref.c1)}:{_addr(new_r2, t.ref.c2)}) and "
                    f"cell {_addr(r, blocked)} below it is not empty; insert "
                    f"{new_r2 - t.ref.r2} empty row(s) below the table"
                    + (", or make the name bigger" if t.table is None else ""),
                )
                break
        plans.append((t, rows, new_r2, cells))
    # two filled ranges must not overlap
    for i, (a, _, a2, _) in enumerate(plans):
        for b, _, b2, _ in plans[i + 1 :]:
            if (
                a.ref.sheet.lower() == b.ref.sheet.lower()
                and a.ref.r1 <= b2
                and b.ref.r1 <= a2
                and a.ref.c1 <= b.ref.c2
                and b.ref.c1 <= a.ref.c2
            ):
                chk.refuse(
                    b.entry.name,
                    b.ref.sheet,
                    b.ref.where(),
                    f"the range would overlap {a.entry.name!r} once the tables are filled",
                )
    chk.raise_if_refused("refresh the report tables of")

    renamed: dict[int, str] = {}
    changed: dict[str, bytes] = {}
    for t, rows, new_r2, _ in plans:
        sheet = sheets[t.ref.sheet.lower()]
        old_n, n = t.ref.rows, len(rows)
        first = {c: sheet.style_at(t.ref.r1, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        last = {c: sheet.style_at(t.ref.r2, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        below = {c: sheet.style_at(t.ref.r2 + 1, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        for i, row in enumerate(rows):
            r = t.ref.r1 + i
            for j, x in enumerate(row):
                c = t.ref.c1 + j
                if t.entry.total and i == n - 1:
                    style = last[c]  # the Total row keeps its look
                elif i < (old_n - 1 if t.entry.total else old_n):
                    style = None  # a row of the old range keeps its own
                else:
                    style = first[c]  # a new row looks like the first data row
                sheet.write(r, c, x, style=style, like_row=t.ref.r1 if r > t.ref.r2 else None)
        for r in range(t.ref.r1 + n, t.ref.r2 + 1):
            for c in range(t.ref.c1, t.ref.c2 + 1):
                sheet.write(r, c, None, style=below[c] or "0")
        if new_r2 != t.ref.r2:
            sheet.follow_table(t.ref.r1, t.ref.c1, t.ref.r2, t.ref.c2, new_r2)
        if new_r2 != t.ref.r2 and t.dn is not None:
            renamed[id(t.dn)] = _Ref(t.ref.sheet, t.ref.r1, t.ref.c1, new_r2, t.ref.c2).text()
        elif new_r2 != t.ref.r2 and t.table is not None:
            changed[t.table["part"]] = _resize_table(book.pkg.text(t.table["part"]), t.table, new_r2)

    # stale cached values: formulas on the filled sheets, and on every sheet
    # (or name) that refers to a changed sheet or a filled name
    changed_sheets = set(sheets)
    stale_names = {t.entry.name.lower() for t, *_ in plans}
    grew = True
    while grew:
        grew = False
        for dn in book.names:
            if dn.name.lower() not in stale_names and _mentions(dn.text, changed_sheets, stale_names):
                stale_names.add(dn.name.lower())
                grew = True
        for name, part in book.sheets:
            if part is None or name.lower() in changed_sheets:
                continue
            raw = book.pkg.get(part) or b""
            if b"<f" not in raw and b":f" not in raw:
                continue
            s = _Sheet(raw.decode("utf-8"), book.strings, book.pkg.label, name)
            if any(_mentions(f, changed_sheets, stale_names) for _, _, f in s.formula_cells()):
                sheets[name.lower()] = s
                changed_sheets.add(name.lower())
                grew = True
    for sheet in sheets.values():
        sheet.strip_caches()
        part = book.sheet_part(sheet.name)
        changed[book.pkg.lower[part.lower()]] = sheet.xml().encode("utf-8")
    xml = book.wb_xml
    for dn in sorted(book.names, key=lambda d: -d.span[0]):
        if id(dn) in renamed:
            xml = xml[: dn.span[0]] + xm._esc_text(renamed[id(dn)]) + xml[dn.span[1] :]
    changed[book.pkg.lower[book.wb_part.lower()]] = _set_full_calc(xml, book.p).encode("utf-8")
    atomic_write_bytes(out, _write_package(book.pkg, changed))
    return FillResult(out, [s.name for s in sheets.values()], [t.entry.name for t, *_ in plans], chk.report)
