"""The copied-block check (inputs.plausibility) against a line-by-line reading of its rule: a line
repeats the first earlier line equal to it in every field; at least COPIES_MIN such lines in a row,
each repeating the line after the previous one's original, form a block."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlb2b.inputs.plausibility import COPIES_MIN, _codes, _copies


def _by_hand(data):
    cols = ["client_id", "date", "amount"]
    # an empty amount equals an empty amount
    keys = [tuple("empty" if pd.isna(v) else v for v in r) for r in data[cols].astype(object).itertuples(index=False)]
    first: dict = {}
    orig = []
    for i, k in enumerate(keys):
        orig.append(first.setdefault(k, i))
    dup = [o != i for i, o in enumerate(orig)]
    blocks, run = [], []
    for i in range(len(keys)):
        if dup[i] and run and run[-1] == i - 1 and orig[i] == orig[i - 1] + 1:
            run.append(i)
        else:
            if len(run) >= COPIES_MIN:
                blocks += run
            run = [i] if dup[i] else []
    if len(run) >= COPIES_MIN:
        blocks += run
    return [int(data["row"].iloc[i]) for i in blocks], [int(data["row"].iloc[orig[i]]) for i in blocks]


@pytest.mark.parametrize("seed", range(8))
def test_blocks_found_as_the_rule_says(seed):
    rng = np.random.default_rng(seed)
    n = 60
    base = pd.DataFrame(
        {
            "client_id": pd.Categorical(rng.choice(["A", "B", "C"], n)),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 4, n), "D"),
            "amount": rng.choice([1.0, 2.0, np.nan], n),
        }
    )
    # paste a few earlier stretches again, at random places
    parts = [base]
    for _ in range(3):
        a = int(rng.integers(0, n - 5))
        parts.append(base.iloc[a : a + int(rng.integers(1, 6))])
    data = pd.concat(parts, ignore_index=True)
    data["row"] = np.arange(2, len(data) + 2)
    copies, originals = _by_hand(data)
    got = _copies(data, _codes(data["client_id"])[0])
    if len(copies) < COPIES_MIN:
        assert got == []
    else:
        assert len(got) == 1
        text, row, _col = got[0]
        assert row == copies[0]
        assert text.startswith(f"{len(copies):,} lines")
        shown = ", ".join(map(str, copies[:5]))
        assert shown in text and ", ".join(map(str, originals[:5])) in text
