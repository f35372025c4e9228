"""ABC's text order of short ids from their packed bytes is pyarrow's sort of the texts."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from xlb2b.analysis.segments import _packed_order


@pytest.mark.parametrize(
    "texts",
    [
        ["K2", "K10", "K1", "k1", "K"],  # different lengths, a prefix of another
        ["00-002", "00-001", "01-000"],  # one width
        ["Ёж", "ёж", "Я", "A", "яя"],  # Cyrillic: two bytes a letter
        ["b", "a", "b", "a"],  # repeated texts keep their order (a stable sort)
    ],
)
def test_same_order_as_pyarrow(texts):
    for arr in (pa.array(texts, type=pa.string()), pa.array(texts, type=pa.large_string())):
        np.testing.assert_array_equal(_packed_order(arr, pa), pc.sort_indices(arr).to_numpy())


def test_longer_texts_are_left_to_pyarrow():
    assert _packed_order(pa.array(["123456789", "1"]), pa) is None


def test_a_nul_byte_is_left_to_pyarrow():
    assert _packed_order(pa.array(["a\x00", "a"]), pa) is None
