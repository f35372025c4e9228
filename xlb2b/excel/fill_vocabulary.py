"""The template fill's vocabulary: the defined names it knows, with their scope, kind and shape."""

from __future__ import annotations

from dataclasses import dataclass

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
    table = lambda n, shape, what, ex: Name(n, "sheet", "table", shape, what, ex)  # noqa: E731
    return [
        f("client_id", "the client's id", "C0042"),
        f("company", "the client's name (Clients table; the id when it has none)", "Acme Ltd"),
        f("manager", "responsible manager (Clients table, else the last manager in the transactions)", "Anna Petrova"),
        f("industry", "client type / industry (Clients table)", "Dental clinics"),
        table(
            "years",
            (1, 2),
            "the previous and the current calendar year (headers of the financials)",
            "2024 · 2025",
        ),
        table(
            "financials",
            (len(FINANCIALS), 2),
            "§6 item 7 for the previous and the current year, one row each: " + ", ".join(k for k, _ in FINANCIALS),
            "revenue row: 118 400 · 131 250",
        ),
        table(
            "trajectory_windows",
            (1, 2),
            "the preceding window W0 and the analysis window W1 (headers of the trajectory)",
            "W0 2024-01-01 – 2024-12-31 · W1 2025-01-01 – 2025-12-31",
        ),
        table(
            "trajectory",
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
        table(
            "ratings",
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
