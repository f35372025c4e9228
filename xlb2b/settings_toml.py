"""Settings as a commented TOML file: every setting with what it means and its default.

``commented_toml(settings)`` gives text that :meth:`Settings.load` reads back
to an equal object; ``xlb2b settings init`` writes it, and workbooks and docs
may show the same text.

>>> import tomllib
>>> from xlb2b.settings import Settings
>>> Settings.from_dict(tomllib.loads(commented_toml(Settings()))) == Settings()
True
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import fields
from typing import Any

from xlb2b.settings import BCG_FACTORS, STRATEGY_KEYS, Settings

__all__ = ["commented_toml", "DESCRIPTIONS"]

#: what each setting means (the comment written above it); the default is
#: appended from ``Settings()``.
DESCRIPTIONS: dict[str, str] = {
    "window": (
        'Analysis window. "default" = the 12 calendar months ending with the month of the latest '
        'transaction; "all" = whole months spanning all the data; "explicit" = from window_start to '
        "window_end. Both ends are inclusive; recency is measured from the window's last day."
    ),
    "window_start": (
        'First day of an explicit window, a TOML date without quotes (YYYY-MM-DD). Used only when window = "explicit".'
    ),
    "window_end": (
        'Last day of an explicit window, a TOML date without quotes (YYYY-MM-DD). Used only when window = "explicit".'
    ),
    "months_observed_floor": (
        "months_observed (the months a client could have bought in: from the later of the window "
        "start and the client's first purchase to the window end) is never less than this, so a "
        "client who started recently does not look perfectly regular after one purchase."
    ),
    "quantile_k": (
        "Number of classes of every quantile score: P and C of PSC, L of SPL, KML and DSL "
        "(3 = terciles). Cut points are PERCENTILE.INC(values, j/k); a value exactly on a cut point "
        "stays in the lower class."
    ),
    "psc_price_basis": (
        'What P of PSC measures: "price" = average unit price (revenue / units), '
        '"margin" = gross margin (gross profit / revenue).'
    ),
    "psc_s_bounds": (
        "PSC S, regularity (active months / months observed): lower bounds of S2 and S3. "
        "A value exactly on a bound goes up (S3 >= 0.75, S2 >= 0.40, else S1)."
    ),
    "psc_groups": (
        "PSC named groups: a rule table evaluated from top to bottom; the FIRST rule a client "
        "matches gives its group, so order matters. Each rule has a group name and any of the "
        "bounds p_min, p_max, s_min, s_max, c_min, c_max (P, S and C scores, 1..3 by default) and "
        "tenure_min, tenure_max (months from the first purchase's month to the window's last month). "
        "Bounds are inclusive: p_min = 2 means P >= 2. A bound left out means no limit, so a rule "
        "with a name only matches every client (keep such a catch-all last). A client without a "
        "PSC code gets no group."
    ),
    "spl_overdue_days": (
        "SPL P, payment discipline from the Clients table: no overdue -> P3, overdue days up to "
        "this number -> P2, more -> P1. (With only an overdue amount or a yes/no flag: none -> P3, "
        "some -> P1.)"
    ),
    "our_supplier": (
        "Our company's name as it appears in the supplier column of the Market table (matched "
        "ignoring case and surrounding spaces). Needed for the share of wallet (SOW); empty = not set."
    ),
    "kml_k_bounds": (
        "KML K, number of distinct suppliers the client buys from (Market table): lower bounds of "
        "K2 and K3 (K1 = 1, K2 = 2-3, K3 >= 4)."
    ),
    "kml_m_bounds": (
        "KML M, concentration of the client's market purchases (Herfindahl-Hirschman index of "
        "supplier shares, 0..1; one supplier = 1): lower bounds of M2 and M3."
    ),
    "dsl_d_bounds": (
        "DSL D, number of product categories the client buys: lower bounds of D2 and D3 (D1 = 1, D2 = 2-3, D3 >= 4)."
    ),
    "dsl_s_bounds": (
        "DSL S, evenness, from the share of the client's largest category in its revenue: "
        "share >= 0.80 -> S1, >= 0.50 -> S2, below 0.50 -> S3 (the two numbers, ascending)."
    ),
    "rfm_k": ("Number of classes of R (recency, more recent = higher), F (orders) and M (revenue); 5 = quintiles."),
    "rfm_grid": (
        "RFM segment names: 5 rows for R = 5 (top) down to R = 1, 5 columns for FM = 1..5, "
        "where FM = (F + M) / 2 rounded half up."
    ),
    "abc_cuts": (
        "ABC: clients sorted by revenue, largest first (ties by client id); share_before = revenue "
        "of the clients before this one / total revenue. A if share_before < the first cut, B if "
        "< the second, else C (the client that crosses the first cut is still A). 0.80, 0.95 = "
        "the 80/15/5 rule."
    ),
    "xyz_cuts": (
        "XYZ on monthly_cv (standard deviation / mean of monthly revenue): X if <= the first cut, "
        "Y if <= the second, else Z."
    ),
    "dynamics": (
        "Compare the analysis window W1 with the preceding window W0: client status, revenue bridge "
        "(price and volume effects), retention, segment migration, cohorts and the lapse watch list. "
        "false skips all of it."
    ),
    "previous_start": (
        "First day of an explicit preceding window W0, a TOML date without quotes (YYYY-MM-DD); set "
        "previous_end too. Left out: W0 is the same number of whole months immediately before W1."
    ),
    "previous_end": (
        "Last day of an explicit preceding window W0 (inclusive), a TOML date without quotes; it must "
        "be before the analysis window starts."
    ),
    "migration_cuts": (
        'Segment migration: "own" = W0 is segmented with its own quantile cut points, "current" = '
        "with W1's cut points (PSC P and C, RFM R, F and M; ABC on W1's revenue of the smallest A and "
        "B client). Fixed bounds (S, XYZ, DSL D and S) are the same in both."
    ),
    "cohort_period": 'Cohorts by the "quarter" or the "year" of the client\'s first purchase.',
    "lapse_bounds": (
        "Lapse ratio (days since the last purchase / median days between purchase dates): late from "
        "the first bound, lapsing from the second (a ratio exactly on a bound goes up), on track "
        "below the first."
    ),
    "bcg_weights": (
        "BCG portfolio scoring: weight of each factor in its axis score; axis score = "
        "sum(weight * rating) / sum(weight) over the factors rated for the client. 0 leaves a "
        "factor out."
    ),
    "bcg_tier_bounds": (
        "BCG tiers of each axis score (1..5): Medium if >= the first bound, High (Strong on the "
        "relationship axis) if >= the second, else Low (Weak)."
    ),
    "bcg_sow_bounds": (
        "Automatic BCG rating of our share of the client's wallet (SOW): lower bounds of ratings "
        "2, 3, 4 and 5; a share exactly on a bound goes up."
    ),
    "bcg_quantile_k": (
        "Number of classes of the automatic BCG ratings computed as quantiles (growth, margin, "
        "assortment), put on the 1..5 scale."
    ),
    "bcg_policies": (
        "Discount and service policy of each cell of the BCG strategy matrix (client "
        "attractiveness x our relationship), shown next to each client's strategy."
    ),
    "bant_threshold": (
        "BANT: a lead is qualified when at least this many of Budget, Account (we talk to the "
        "decision maker), Need and Time are yes."
    ),
    "locale": 'Language of the labels in workbooks and reports: "en" or "ru".',
}

#: the groups of settings, in file order: (heading, setting names)
SECTIONS: list[tuple[str, list[str]]] = [
    ("Analysis window", ["window", "window_start", "window_end", "months_observed_floor"]),
    ("Scores", ["quantile_k"]),
    ("PSC: price (P), regularity (S), capacity in units (C)", ["psc_price_basis", "psc_s_bounds"]),
    ("SPL: payment behaviour", ["spl_overdue_days"]),
    ("KML: the client in the market (needs a Market table)", ["our_supplier", "kml_k_bounds", "kml_m_bounds"]),
    ("DSL: what to sell", ["dsl_d_bounds", "dsl_s_bounds"]),
    ("RFM", ["rfm_k", "rfm_grid"]),
    ("ABC / XYZ", ["abc_cuts", "xyz_cuts"]),
    (
        "Two windows: bridge, migration, cohorts, lapse risk",
        ["dynamics", "previous_start", "previous_end", "migration_cuts", "cohort_period", "lapse_bounds"],
    ),
    ("BCG portfolio scoring and BANT", ["bcg_tier_bounds", "bcg_sow_bounds", "bcg_quantile_k", "bant_threshold"]),
    ("Presentation", ["locale"]),
]
#: settings written as TOML tables, after every plain key (TOML requires that order)
TABLES = ["bcg_weights", "bcg_policies", "psc_groups"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_WIDTH = 92


def _str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _str(k)


def _value(v: Any) -> str:
    """One TOML value (inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(str(k))} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _wrap(text: str, indent: str = "") -> list[str]:
    """Comment lines of at most _WIDTH characters."""
    # "Default: 3." stays on one line
    words, lines, line = text.replace("Default: ", "Default:\0").split(), [], ""
    for w in words:
        if line and len(indent) + 2 + len(line) + 1 + len(w) > _WIDTH:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return [f"{indent}# {x}".replace("\0", " ") for x in lines]


def _heading(text: str) -> str:
    return f"# ---- {text} " + "-" * max(3, _WIDTH - 8 - len(text))


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _default_text(name: str, default: Any) -> str:
    if name in ("psc_groups", "rfm_grid", "bcg_policies"):
        return "Default: the methodology's table, as written below when unchanged."
    if name == "bcg_weights":
        return "Default: 1 for every factor."
    if default is None:
        return "Default: not set."
    if name == "bcg_tier_bounds":
        return "Default: [7/3,\011/3]."
    if isinstance(default, (list, tuple)):
        return "Default: [" + ",\0".join(_number(x) for x in default) + "]."  # \0: no line break
    if isinstance(default, str):
        return f"Default: {_str(default)}" + (" (not set)." if not default else ".")
    if isinstance(default, float):
        return f"Default: {_number(default)}."
    return f"Default: {default}."


def _rfm_grid(grid: list[list[str]]) -> list[str]:
    lines = ["rfm_grid = [", "  #  FM = 1 .. 5"]
    n = len(grid)
    for i, row in enumerate(grid):
        r = n - i
        lines.append(f"  {_value(list(row))},  # R{r}" if n == 5 else f"  {_value(list(row))},")
    lines.append("]")
    return lines


def _psc_rule(rule: dict[str, Any]) -> list[str]:
    out = ["[[psc_groups]]"]
    for k, v in rule.items():
        if v is None:
            continue
        out.append(f"{_key(str(k))} = {_value(v)}")
    return out


def commented_toml(settings: Settings | None = None) -> str:
    """``settings`` (default: the defaults) as TOML with a comment above every
    setting saying what it is and its default.  ``Settings.load`` of the text
    gives back an equal object."""
    s = settings if settings is not None else Settings()
    defaults = Settings()
    data = s.to_dict()
    names = [f.name for f in fields(Settings)]
    placed = {n for _, group in SECTIONS for n in group} | set(TABLES)
    # settings added later without a section still get written
    sections = SECTIONS + (
        [("Other settings", [n for n in names if n not in placed])] if any(n not in placed for n in names) else []
    )

    lines = [
        "# xlb2b settings",
        "#",
        "# Every setting the analysis uses, with what it means and its default. Lines starting with",
        "# '#' are comments. Change a value, or delete a line to use the default; then run",
        "#   xlb2b analyze TRANSACTIONS --settings THIS_FILE",
        "# Lists of bounds must be in strictly increasing order. Text goes in double quotes;",
        "# dates are written without quotes, as 2025-01-31.",
    ]

    def describe(name: str, indent: str = "") -> list[str]:
        text = DESCRIPTIONS.get(name, name.replace("_", " ").capitalize() + ".")
        return _wrap(f"{text} {_default_text(name, getattr(defaults, name))}", indent)

    empty_tables = []
    for heading, group in sections:
        lines += ["", _heading(heading)]
        for name in group:
            lines.append("")
            lines += describe(name)
            if name not in data:  # None: TOML has no null
                example = {
                    "window_start": "2025-01-01",
                    "window_end": "2025-12-31",
                    "previous_start": "2024-01-01",
                    "previous_end": "2024-12-31",
                }.get(name)
                lines.append(f"# {name} = {example}" if example else f"# {name} =")
            elif name == "rfm_grid":
                lines += _rfm_grid(data[name])
            else:
                lines.append(f"{name} = {_value(data[name])}")
        # a table that is empty must be written as a plain key (before any table)
    for name in TABLES:
        if name in data and not data[name]:
            empty_tables.append(name)
    if empty_tables:
        lines += ["", _heading("Empty tables")]
        for name in empty_tables:
            lines += [""] + describe(name) + [f"{name} = {'[]' if name == 'psc_groups' else '{}'}"]

    factor_axis = dict(BCG_FACTORS)
    if data.get("bcg_weights"):
        lines += ["", _heading("BCG factor weights"), ""]
        lines += describe("bcg_weights")
        lines.append("[bcg_weights]")
        for k, w in data["bcg_weights"].items():
            axis = factor_axis.get(k)
            note = f"  # {axis} axis" if axis else ""
            lines.append(f"{_key(str(k))} = {_value(w)}{note}")

    if data.get("bcg_policies"):
        lines += ["", _heading("BCG strategy policies"), ""]
        lines += describe("bcg_policies")
        lines.append("[bcg_policies]")
        cell = {v: k for k, v in STRATEGY_KEYS.items()}  # one matrix cell per key is enough
        cells: dict[str, list[str]] = {}
        for (attr, rel), key in STRATEGY_KEYS.items():
            cells.setdefault(key, []).append(f"{attr} attractiveness x {rel} relationship")
        for k, text in data["bcg_policies"].items():
            if k in cell:
                lines.append("# " + "; ".join(cells[k]))
            lines.append(f"{_key(str(k))} = {_value(text)}")

    if data.get("psc_groups"):
        lines += ["", _heading("PSC group rules"), ""]
        lines += describe("psc_groups")
        for i, rule in enumerate(data["psc_groups"]):
            lines += ([""] if i else []) + _psc_rule(rule)
    return "\n".join(lines) + "\n"
