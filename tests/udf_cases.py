"""The bad-argument cases of the cell functions (function, arguments, a word of
the reason, the Excel error), shared by the tests of every runtime, and the
shape Excel hands arguments over in."""
import math

import numpy as np


def xl(v):
    """A Python value as Excel sends it: a 2-D list (a 1-D list is a column)."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return v
        return [[None if (isinstance(x, float) and math.isnan(x)) else x] for x in v]
    return [[v]]


BAD = [
    ("PSC_SEGMENT", (["a", 20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "text", "#VALUE!"),
    ("PSC_SEGMENT", (["12", 20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "stored as text", "#VALUE!"),
    ("PSC_SEGMENT", ([None, None], [None, None], [None, None]), "empty", "#VALUE!"),
    ("PSC_SEGMENT", ([10, 20, 30], [0.5, 0.5], [1, 2, 3]), "different lengths", "#VALUE!"),
    ("PSC_SEGMENT", ([10, 10, 10], [0.5, 0.5, 0.5], [1, 2, 3]), "equal", "#NUM!"),
    ("PSC_SEGMENT", ([10, -20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "≥ 0", "#VALUE!"),
    ("PSC_SEGMENT", ([10, 20, 30], [0.5, 0.5, 0.5], [1, 2, 3], [[1, 2]]), "cut_points", "#VALUE!"),
    ("PSC_CUTS", ([10, 10], [0.5, 0.5], [1, 2]), "equal", "#NUM!"),
    ("PSC_GROUP", (["X1"],), "not a code", "#VALUE!"),
    ("SPL_SEGMENT", ([0.5, 0.6], [None, None], [1, 2]), "payment", "#N/A"),
    ("KML_SEGMENT", ([1, 2], [0.5, 1.5], [10, 20]), "between 0 and 1", "#VALUE!"),
    ("DSL_SEGMENT", ([1, 2], [0.5, 0.9], [10, 10]), "equal", "#NUM!"),
    ("DSL_LEVEL", ([True],), "code", "#VALUE!"),
    ("RFM_SCORE", ([1, 2], [1, 1], [3, 4]), "equal", "#NUM!"),
    ("RFM_SEGMENT", (["R9F1M1"],), "above 5", "#VALUE!"),
    ("ABC_CLASS", ([10, -1],), "≥ 0", "#VALUE!"),
    ("ABC_CLASS", ([10, 5], 0.9, 0.5), "increasing", "#VALUE!"),
    ("XYZ_CLASS", ([[None, None]],), "empty", "#VALUE!"),
    ("QUANTILE_SCORE", ([1, 2, 3], 1), "k", "#VALUE!"),
    ("HHI", ([None],), "empty", "#VALUE!"),
    ("HHI", ([0, 0],), "total", "#NUM!"),
    ("SOW", ([10], [0]), "> 0", "#VALUE!"),
    ("SOW", ([10], [5]), "above", "#VALUE!"),
    ("REGULARITY", (["soon"],), "not a date", "#VALUE!"),
    ("REGULARITY", ([45292], 45292), "both", "#VALUE!"),
    ("SLOTS", ([10], [-2]), "> 0", "#VALUE!"),
    ("LTV_B2B", ([-1], [2]), "≥ 0", "#VALUE!"),
    ("BCG_SCORE", ([[6, 2]],), "1..5", "#VALUE!"),
    ("BCG_SCORE", ([[3, 2]], [[1, 1, 1]]), "weights", "#VALUE!"),
    ("BCG_TIER", ([7],), "1..5", "#VALUE!"),
    ("BCG_TIER", ([3], "sideways"), "axis", "#VALUE!"),
    ("BCG_STRATEGY", (["Huge"], ["Weak"]), "tier", "#VALUE!"),
    ("BCG_STRATEGY", ([3], [3], "de"), "lang", "#VALUE!"),
    ("BANT_SCORE", (["maybe"], ["yes"], ["yes"], ["yes"]), "yes/no", "#VALUE!"),
    ("ADP_FORECAST", ([100], [0.1], [1.5]), "0..1", "#VALUE!"),
    ("PROGRESS_LEVEL", ([[3, 9]],), "1..5", "#VALUE!"),
    ("NPS", ([11, 5],), "0..10", "#VALUE!"),
    ("NPS", (["great"],), "text", "#VALUE!"),
    ("CSI", ([1, 2], [6, 3]), "scale_max", "#VALUE!"),
    ("CSI", ([0, 0], [3, 3]), "sum to 0", "#NUM!"),
    ("OTIF", (["yes", "perhaps"], ["yes", "yes"]), "yes/no", "#VALUE!"),
    ("OTIF", ([None], ["yes"]), "empty", "#VALUE!"),
    ("B2B_METRICS", ([["client", "date", "amount"]],), "header row", "#VALUE!"),
    ("B2B_METRICS", ([["who", "when"], ["A", 1]],), "column", "#VALUE!"),
    ("B2B_SEGMENTS", ([["client", "date", "amount"], ["A", 45292, 10]], 45292), "both", "#VALUE!"),
]
