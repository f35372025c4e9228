"""first_seen_codes gives what pd.factorize(sort=False) gives, with or without its shortcut."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlb2b.analysis.metrics import first_seen_codes


@pytest.mark.parametrize(
    "values, categories",
    [
        (["b", "b", "a", "c", "a"], ["b", "a", "c"]),  # categories in order of first line: the shortcut
        (["b", "b", "a", "c", "a"], ["a", "b", "c"]),  # another order
        (["b", "a", "b"], ["b", "a", "c"]),  # a category that never occurs
        (["b", None, "a"], ["b", "a"]),  # a missing value
        (["x"], ["x"]),
    ],
)
def test_codes_and_ids_are_those_of_factorize(values, categories):
    s = pd.Series(pd.Categorical(values, categories=categories))
    codes, ids = first_seen_codes(s)
    want_codes, want_ids = pd.factorize(s, sort=False)
    np.testing.assert_array_equal(codes, want_codes)
    assert codes.dtype == np.int64
    assert list(ids) == list(np.asarray(want_ids, dtype=object))


def test_text_column():
    codes, ids = first_seen_codes(pd.Series(["k2", "k1", "k2"], dtype=object))
    assert codes.tolist() == [0, 1, 0] and list(ids) == ["k2", "k1"]


@pytest.mark.parametrize("size", [1 << 10, 1 << 30])  # through the table, and through pd.factorize
def test_factorize_keys_is_factorize(size):
    from xlb2b.analysis.metrics import factorize_keys

    rng = np.random.default_rng(3)
    key = rng.integers(0, 1 << 10, 5000).astype(np.int64)
    codes, uniq = factorize_keys(key, size)
    want_codes, want_uniq = pd.factorize(key, sort=False)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniq, want_uniq)


def test_factorize_keys_takes_negative_keys_to_factorize():
    from xlb2b.analysis.metrics import factorize_keys

    key = np.array([3, -1, 3, 0], dtype=np.int64)
    codes, uniq = factorize_keys(key, 4)
    assert codes.tolist() == [0, 1, 0, 2] and uniq.tolist() == [3, -1, 0]
