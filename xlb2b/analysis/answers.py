"""Yes/no answers as numbers: the one reader of survey, delivery and qualification answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

_YES = {"yes", "y", "да", "д", "true", "истина"}
_NO = {"no", "n", "нет", "н", "false", "ложь"}


def yes_no(values) -> np.ndarray:
    """Yes/no answers as a float array: 1.0 yes, 0.0 no, NaN anything else.

    Accepted: booleans, the numbers 1 and 0 (also as text), and the words
    yes/no, y/n, true/false, да/нет (any case, surrounding spaces ignored).
    """
    arr = np.asarray(values, dtype=object)
    shape = arr.shape
    s = pd.Series(arr.ravel(), dtype=object)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.where((num == 0) | (num == 1), num, np.nan)
    words = s.map(lambda v: v.strip().casefold() if isinstance(v, str) else None)
    out = np.where(words.isin(_YES).to_numpy(), 1.0, out)
    out = np.where(words.isin(_NO).to_numpy(), 0.0, out)
    return out.reshape(shape)
