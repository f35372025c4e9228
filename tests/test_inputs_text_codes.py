"""Text columns held by pyarrow: the byte-level checks on ASCII distinct texts (edge spaces,
empty texts, total words) decide as the text parser does."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from xlb2b.inputs.values import _arrow_strings, _text_codes


def _codes(texts):
    return _text_codes(pc.dictionary_encode(pa.array(texts, type=pa.string())), pa)


@pytest.mark.parametrize(
    "texts",
    [
        ["K1", " K2"],  # a space before
        ["K1", "K2 "],  # a space after
        ["K1", "K2\t"],  # a tab
        ["K1", "\x1cK2"],  # a separator str.strip takes off
        ["K1", ""],  # an empty text
        ["K1", "K2\xa0"],  # a no-break space: not ASCII, the regular expression decides
    ],
)
def test_a_text_that_needs_cleaning_takes_the_general_path(texts):
    _s, parsed = _codes(texts)
    assert parsed is None


def test_clean_ascii_texts_are_parsed_in_place():
    s, parsed = _codes(["K1", "K2", "K1", "a b"])  # a space inside is no reason to clean
    assert parsed is not None
    assert list(parsed.values.astype(object)) == ["K1", "K2", "K1", "a b"]
    assert not parsed.empty.any()
    assert not parsed.total.any()


@pytest.mark.parametrize("word", ["Total", "total:", "GRAND TOTAL", "Grand total"])
def test_a_total_word_is_found_among_ascii_texts(word):
    _s, parsed = _codes(["K1", word, "K2"])
    assert parsed.total.tolist() == [False, True, False]


def test_a_text_starting_like_a_total_word_is_not_one():
    _s, parsed = _codes(["tK1", "Gold", "totals!"])
    assert not parsed.total.any()


def test_missing_cells_are_empty():
    _s, parsed = _text_codes(pc.dictionary_encode(pa.array(["K1", None, "K1"], type=pa.string())), pa)
    assert parsed.empty.tolist() == [False, True, False]


def test_the_categories_keep_their_pyarrow_texts():
    s, _parsed = _text_codes(pc.dictionary_encode(pa.array(["b", "a", "b"], type=pa.large_string())), pa)
    cats = np.asarray(s.cat.categories, dtype=object)
    kept = _arrow_strings(cats, pa)
    assert kept.type == pa.string() and kept.to_pylist() == ["b", "a"]
    other = np.array(["b", "a"], dtype=object)  # an equal array that is not the categories
    assert _arrow_strings(other, pa).to_pylist() == ["b", "a"]


def test_a_frame_with_spaced_ids_reads_them_stripped():
    from xlb2b.inputs import read_table

    tx = pd.DataFrame(
        {
            "client_id": pd.array([" K1", "K1", "K2 "], dtype="str"),
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    t = read_table("transactions", tx)
    assert list(t.data["client_id"].astype(object)) == ["K1", "K1", "K2"]
