"""Every tunable number of the methodology in one object, loadable from TOML.

Defaults are exactly those of METHODOLOGY.md (sections 1, 3, 4, 5). The same
object is written into the workbook's Settings sheet and read back from it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from xlb2b.errors import FATAL, InputError, Report

# --------------------------------------------------------------------------
# rule tables

#: PSC named-group rules, evaluated top-down, first match wins.  Every bound
#: is inclusive; ``None`` means "no limit".  Scores are 1..3, tenure in months.
DEFAULT_PSC_GROUPS: list[dict[str, Any]] = [
    {"group": "06 New", "tenure_max": 3},
    {"group": "01 Best", "p_min": 2, "s_min": 3, "s_max": 3, "c_min": 3, "c_max": 3},
    {"group": "05 Misers", "p_min": 1, "p_max": 1, "s_min": 2, "c_min": 2},
    {"group": "02 Unstable best", "p_min": 2, "s_max": 1, "c_min": 2},
    {"group": "03 Systematic expensive, but little", "p_min": 3, "s_min": 2, "c_max": 1},
    {"group": "04 Normal"},
]
PSC_RULE_KEYS = ("p_min", "p_max", "s_min", "s_max", "c_min", "c_max", "tenure_min", "tenure_max")

#: RFM grid: rows R = 5..1 (top to bottom), columns FM = 1..5.
DEFAULT_RFM_GRID: list[list[str]] = [
    ["New customers", "Potential loyalists", "Loyal", "Champions", "Champions"],  # R5
    ["Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Champions"],  # R4
    ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],  # R3
    ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],  # R2
    ["Lost", "Lost", "At risk", "At risk", "Can't lose them"],  # R1
]

#: BCG factors: (key, axis). Axis "relationship" or "attractiveness".
BCG_FACTORS: list[tuple[str, str]] = [
    ("sow", "relationship"),  # our share of the client's wallet (auto)
    ("price_orientation", "relationship"),
    ("dependence", "relationship"),
    ("loyalty", "relationship"),
    ("decision_makers", "relationship"),  # contacts with decision makers (ЛПР)
    ("potential", "attractiveness"),
    ("growth", "attractiveness"),  # auto
    ("margin", "attractiveness"),  # auto
    ("competition", "attractiveness"),  # auto, from KML K
    ("assortment", "attractiveness"),  # auto, from categories
]

#: strategy matrix keys: (attractiveness tier, relationship tier) -> strategy key
STRATEGY_KEYS: dict[tuple[str, str], str] = {
    ("High", "Strong"): "strengthen",
    ("High", "Medium"): "invest",
    ("High", "Weak"): "invest",
    ("Medium", "Strong"): "invest_selectively",
    ("Medium", "Medium"): "protect_focus",
    ("Medium", "Weak"): "harvest_minimise",
    ("Low", "Strong"): "protect_position",
    ("Low", "Medium"): "harvest",
    ("Low", "Weak"): "consider_ending",
}

DEFAULT_POLICIES: dict[str, str] = {
    "strengthen": "Full service; discounts only against volume and share-of-wallet commitments.",
    "invest": "Invest in the relationship: project discounts tied to growth of our share.",
    "invest_selectively": "Invest where the client grows; discounts only for new categories.",
    "protect_focus": "Keep service level; standard price list, discounts tied to targets.",
    "harvest_minimise": "Minimise investment: list prices, no special terms.",
    "protect_position": "Protect position and income: keep terms, no new discounts.",
    "harvest": "Harvest: standard terms, cheaper service channels.",
    "consider_ending": "Consider ending: prepayment, no discounts, minimum order.",
}


def _tuple(x) -> tuple[float, ...]:
    return tuple(float(v) for v in x)


@dataclass
class Settings:
    """All settings of an analysis.  Field names are the TOML keys."""

    # --- window (section 1)
    window: str = "default"  # "default" | "all" | "explicit"
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    months_observed_floor: int = 3

    # --- scores (section 3)
    quantile_k: int = 3  # terciles for P, C and every L
    # --- PSC (section 4)
    psc_price_basis: str = "price"  # "price" (avg unit price) | "margin"
    psc_s_bounds: tuple[float, ...] = (0.40, 0.75)  # ascending lower bounds: S2, S3
    psc_groups: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PSC_GROUPS))
    # --- SPL
    spl_overdue_days: float = 30.0  # P2 if overdue days <= this, P1 above
    # --- KML
    our_supplier: str = ""  # our name in the Market table
    kml_k_bounds: tuple[float, ...] = (2, 4)  # K2 >= 2, K3 >= 4
    kml_m_bounds: tuple[float, ...] = (0.35, 0.60)  # M2 >= 0.35, M3 >= 0.60
    # --- DSL
    dsl_d_bounds: tuple[float, ...] = (2, 4)  # D2 >= 2, D3 >= 4
    dsl_s_bounds: tuple[float, ...] = (0.50, 0.80)  # descending upper bounds on top share
    # --- RFM
    rfm_k: int = 5
    rfm_grid: list[list[str]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_RFM_GRID))
    # --- ABC / XYZ
    abc_cuts: tuple[float, ...] = (0.80, 0.95)
    xyz_cuts: tuple[float, ...] = (0.10, 0.25)
    # --- two windows (section 11) and lapse risk (section 12)
    dynamics: bool = True  # compute the W0 -> W1 section
    previous_start: dt.date | None = None  # explicit W0 (both or neither)
    previous_end: dt.date | None = None
    migration_cuts: str = "own"  # "own" | "current": W0 segmented on its own cut points or W1's
    cohort_period: str = "quarter"  # "quarter" | "year"
    lapse_bounds: tuple[float, ...] = (1.5, 3.0)  # late >=, lapsing >=
    # --- BCG scoring (section 5)
    bcg_weights: dict[str, float] = field(default_factory=lambda: {k: 1.0 for k, _ in BCG_FACTORS})
    bcg_tier_bounds: tuple[float, ...] = (7 / 3, 11 / 3)  # Medium >=, High >=
    bcg_sow_bounds: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75)
    bcg_quantile_k: int = 5
    bcg_policies: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    # --- BANT
    bant_threshold: int = 4
    # --- presentation
    locale: str = "en"

    # ------------------------------------------------------------------
    def __post_init__(self) -> None:
        self.validate()

    def copy(self, **changes: Any) -> Settings:
        d = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        d.update(changes)
        return Settings(**d)

    def validate(self) -> None:
        """Normalise types and refuse impossible values with a clear message."""
        r = Report()
        shapes = (
            ("psc_groups", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v), "a list of rules"),
            ("rfm_grid", lambda v: isinstance(v, list) and all(isinstance(x, list) for x in v), "5 rows of 5 names"),
            ("bcg_weights", lambda v: isinstance(v, dict), "a table of factor = weight"),
        )
        for name, fits, what in shapes:
            if not fits(getattr(self, name)):
                r.add(f"must be {what}", column=name, value=repr(getattr(self, name)), severity=FATAL)
        if r.fatal:
            raise InputError("invalid settings", r)
        for name in (
            "psc_s_bounds",
            "kml_k_bounds",
            "kml_m_bounds",
            "dsl_d_bounds",
            "dsl_s_bounds",
            "abc_cuts",
            "xyz_cuts",
            "bcg_tier_bounds",
            "bcg_sow_bounds",
            "lapse_bounds",
        ):
            try:
                v = _tuple(getattr(self, name))
            except (TypeError, ValueError):
                r.add("must be a list of numbers", column=name, value=getattr(self, name), severity=FATAL)
                continue
            if any(math.isnan(x) for x in v) or any(b <= a for a, b in zip(v, v[1:])):
                r.add("bounds must be numbers in strictly increasing order", column=name, value=list(v), severity=FATAL)
            setattr(self, name, v)
        if not r.fatal and not (0 < self.abc_cuts[0] < self.abc_cuts[-1] <= 1):
            r.add("ABC cuts must lie in (0, 1]", column="abc_cuts", value=list(self.abc_cuts), severity=FATAL)
        if self.window not in ("default", "all", "explicit"):
            r.add("window must be 'default', 'all' or 'explicit'", column="window", value=self.window, severity=FATAL)
        for name in ("window_start", "window_end", "previous_start", "previous_end"):
            day: Any = getattr(self, name)
            if isinstance(day, str) and day:
                try:
                    day = dt.date.fromisoformat(day)
                except ValueError:
                    r.add("not a date (use YYYY-MM-DD)", column=name, value=day, severity=FATAL)
            if isinstance(day, dt.datetime):
                day = day.date()
            setattr(self, name, day or None)
        if self.window == "explicit":
            if self.window_start is None or self.window_end is None:
                r.add("an explicit window needs both window_start and window_end", column="window", severity=FATAL)
            elif self.window_end < self.window_start:
                r.add(
                    "window_end is before window_start", column="window_end", value=str(self.window_end), severity=FATAL
                )
        if (self.previous_start is None) != (self.previous_end is None):
            r.add(
                "an explicit preceding window needs both previous_start and previous_end",
                column="previous_start" if self.previous_start is None else "previous_end",
                severity=FATAL,
            )
        elif (
            self.previous_start is not None
            and isinstance(self.previous_start, dt.date)
            and isinstance(self.previous_end, dt.date)
            and self.previous_end < self.previous_start
        ):
            r.add(
                "previous_end is before previous_start",
                column="previous_end",
                value=str(self.previous_end),
                severity=FATAL,
            )
        if self.migration_cuts not in ("own", "current"):
            r.add("must be 'own' or 'current'", column="migration_cuts", value=self.migration_cuts, severity=FATAL)
        if self.cohort_period not in ("quarter", "year"):
            r.add("must be 'quarter' or 'year'", column="cohort_period", value=self.cohort_period, severity=FATAL)
        if not r.fatal and (len(self.lapse_bounds) != 2 or self.lapse_bounds[0] <= 0):
            r.add(
                "two positive bounds: late from, lapsing from",
                column="lapse_bounds",
                value=list(self.lapse_bounds),
                severity=FATAL,
            )
        if not isinstance(self.dynamics, bool):
            r.add("must be true or false", column="dynamics", value=self.dynamics, severity=FATAL)
        for name in ("quantile_k", "rfm_k", "bcg_quantile_k"):
            k = getattr(self, name)
            whole = not isinstance(k, bool) and (isinstance(k, int) or (isinstance(k, float) and k.is_integer()))
            if not whole:
                r.add("must be a whole number of classes (at least 2)", column=name, value=k, severity=FATAL)
                continue
            if int(k) < 2:
                r.add("needs at least 2 classes", column=name, value=k, severity=FATAL)
            setattr(self, name, int(k))
        if self.psc_price_basis not in ("price", "margin"):
            r.add("must be 'price' or 'margin'", column="psc_price_basis", value=self.psc_price_basis, severity=FATAL)
        if self.locale not in ("en", "ru"):
            r.add("locale must be 'en' or 'ru'", column="locale", value=self.locale, severity=FATAL)
        for i, rule in enumerate(self.psc_groups, 1):
            if not rule.get("group"):
                r.add("every PSC rule needs a group name", column="psc_groups", row=i, severity=FATAL)
            for k in rule:
                if k != "group" and k not in PSC_RULE_KEYS:
                    r.add(
                        f"unknown key; use {', '.join(PSC_RULE_KEYS)}",
                        column="psc_groups",
                        row=i,
                        value=k,
                        severity=FATAL,
                    )
        if len(self.rfm_grid) != 5 or any(len(row) != 5 for row in self.rfm_grid):
            r.add("the RFM grid must be 5 rows (R5..R1) by 5 columns (FM1..FM5)", column="rfm_grid", severity=FATAL)
        known = {k for k, _ in BCG_FACTORS}
        for k, w in self.bcg_weights.items():
            if k not in known:
                r.add(
                    f"unknown BCG factor; use {', '.join(sorted(known))}", column="bcg_weights", value=k, severity=FATAL
                )
            elif not (isinstance(w, (int, float)) and w >= 0):
                r.add("weights must be numbers >= 0", column=f"bcg_weights.{k}", value=w, severity=FATAL)
        self.bcg_weights = {**{k: 1.0 for k, _ in BCG_FACTORS}, **self.bcg_weights}
        if r.fatal:
            raise InputError("invalid settings", r)

    # ------------------------------------------------------------------
    def psc_group_for(self, p: float, s: float, c: float, tenure: float) -> str | None:
        """Scalar reference of the rule table (the vectorised one is in segments)."""
        vals = {"p": p, "s": s, "c": c, "tenure": tenure}
        for rule in self.psc_groups:
            ok = True
            for key, bound in rule.items():
                if key == "group" or bound is None:
                    continue
                dim, side = key.rsplit("_", 1)
                v = vals[dim]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    ok = False
                elif side == "min" and v < bound or side == "max" and v > bound:
                    ok = False
            if ok:
                return rule["group"]
        return None

    # ------------------------------------------------------------------ TOML
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in list(d.items()):
            if isinstance(v, tuple):
                d[k] = list(v)
            elif v is None:
                del d[k]  # TOML has no null
        d["psc_groups"] = [{k: v for k, v in rule.items() if v is not None} for rule in self.psc_groups]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "") -> Settings:
        known = {f.name for f in fields(cls)}
        r = Report()
        for k in d:
            if k not in known:
                r.add("unknown setting", file=source, column=k, severity=FATAL)
        if r.fatal:
            raise InputError(f"{source or 'settings'}: unknown settings", r)
        try:
            s = cls(**d)
        except InputError as e:
            for p in e.report:
                object.__setattr__(p, "file", source)
            raise
        except TypeError as e:
            raise InputError(f"{source or 'settings'}: {e}") from None
        return s

    def save(self, path: str | Path) -> None:
        """Write TOML atomically."""
        import tomli_w

        from xlb2b.io_util import atomic_write_bytes

        atomic_write_bytes(path, tomli_w.dumps(self.to_dict()).encode("utf-8"))

    @classmethod
    def load(cls, path: str | Path) -> Settings:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: settings file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: not a valid TOML file: {e}") from None
        return cls.from_dict(data, source=str(path))
