"""Planning: ADP and toolkit arithmetic (forecast, progress, TCO, priority) and portfolio scoring.

Portfolio scoring: BCG axes, tiers and strategy, and BANT qualification.

The ADP and toolkit sheets re-express these as live formulas; these functions
are the reference the cell functions and the tests use.
"""

from xlb2b.planning.forecast import (
    PROGRESS_STEPS,
    adp_forecast,
    ltv,
    progress_level,
    progress_share,
    share_of_wallet,
    slots,
    whitespace,
)
from xlb2b.planning.toolkit import (
    PRIORITY_CRITERIA,
    PROFIT_KEYS,
    TCO_APPROACHES,
    TCO_ITEMS,
    priority_rank,
    priority_score,
    tco_advantage,
    tco_approach,
    tco_total,
)

__all__ = [
    "PROGRESS_STEPS",
    "adp_forecast",
    "ltv",
    "progress_level",
    "progress_share",
    "share_of_wallet",
    "slots",
    "whitespace",
    "PRIORITY_CRITERIA",
    "PROFIT_KEYS",
    "TCO_APPROACHES",
    "TCO_ITEMS",
    "priority_rank",
    "priority_score",
    "tco_advantage",
    "tco_approach",
    "tco_total",
]
