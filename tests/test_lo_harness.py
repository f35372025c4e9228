"""The LibreOffice recalculation harness (tests/lo.py): it really recalculates,
finds exactly the cells whose cached value is wrong, and reports errors.

The workbooks are tiny and their expected values are computed by hand below.
All workbooks that LibreOffice must recalculate go through one soffice start.
"""
import datetime as dt

import lo
import pytest
import xlsxwriter
from lo import (
    LibreOfficeError,
    cached_values,
    compare_recalculated,
    formula_cells,
    recalc,
    recalc_many,
    requires_soffice,
)

# Data!A2:C6 - client, segment, revenue
CLIENTS = [("c1", "A", 100), ("c2", "B", 250), ("c3", "A", 50), ("c4", "C", 400), ("c5", "B", 200)]

# Calc sheet: cell -> (formula, cached value computed by hand)
# Revenue sorted: 50, 100, 200, 250, 400 (n = 5, total 1000).
# PERCENTILE.INC(x, p): rank h = (n - 1) * p, then linear between the neighbours.
#   p = 0.3: h = 1.2 -> 100 + 0.2 * (200 - 100) = 120
#   p = 0.9: h = 3.6 -> 250 + 0.6 * (400 - 250) = 340
GOOD = {
    "B1": ("=_xlfn.PERCENTILE.INC(Revenue,Cut)", 120),  # defined names: a range and one cell
    "B2": ("=_xlfn.PERCENTILE.INC(Data!$C$2:$C$6,0.9)", 340),
    "B3": ('=COUNTIFS(Segment,"A",Revenue,">60")', 1),  # c1 only (c3 has 50)
    "B4": ('=SUMIFS(Revenue,Segment,"B")', 450),  # 250 + 200
    "B5": ('=IFERROR(B4/0,"n/a")', "n/a"),
    "B6": ("=INDEX(Data!$A$2:$A$6,MATCH(MAX(Revenue),Revenue,0))", "c4"),
    "B7": ('="Top: "&B6&", "&B3&" in A"', "Top: c4, 1 in A"),
    "B8": ("=Data!C5/SUM(Data!C2:C6)", 0.4),  # 400 / 1000, cross-sheet
    "B9": ("=B4>400", True),
    "B10": ('=IF(B3>0,"","none")', ""),  # an empty-string result
    "B11": ("=_xlfn.STDEV.S(Revenue)", 0.0),  # filled in below
}
# sample standard deviation: mean 200, squared deviations 10000+2500+22500+40000+0 = 75000,
# / (n - 1) = 18750
GOOD["B11"] = (GOOD["B11"][0], 18750 ** 0.5)
ARRAY_CELLS = {"B12": 200, "B13": 500}  # {=Data!C2:C3*2}
SINGLE_ARRAY = ("B14", "{=SUM(Revenue*(Segment=\"A\"))}", 150)  # 100 + 50

WRONG_CELL, WRONG_VALUE = "B4", 451  # the right cached value is 450


def build(path, overrides=None):
    """The feature workbook; ``overrides`` maps Calc cells to other cached values."""
    overrides = overrides or {}
    wb = xlsxwriter.Workbook(str(path))
    data = wb.add_worksheet("Data")
    calc = wb.add_worksheet("Calc")
    data.write_row(0, 0, ["Client", "Segment", "Revenue"])
    for i, row in enumerate(CLIENTS, start=1):
        data.write_row(i, 0, row)
    data.write("E1", 0.3)
    wb.define_name("Revenue", "=Data!$C$2:$C$6")
    wb.define_name("Segment", "=Data!$B$2:$B$6")
    wb.define_name("Cut", "=Data!$E$1")
    for cell, (formula, value) in GOOD.items():
        calc.write_formula(cell, formula, None, overrides.get(cell, value))
    calc.write_array_formula("B12:B13", "{=Data!C2:C3*2}", None, overrides.get("B12", ARRAY_CELLS["B12"]))
    # XlsxWriter caches only the first cell of an array range (0 elsewhere): give the rest
    calc.write_number("B13", overrides.get("B13", ARRAY_CELLS["B13"]))
    cell, formula, value = SINGLE_ARRAY
    calc.write_array_formula(f"{cell}:{cell}", formula, None, overrides.get(cell, value))
    wb.close()
    return path


def build_errors(path):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Errors")
    ws.write_formula("A1", "=NOSUCHFUNCTION(1)", None, 0)  # unknown everywhere: #NAME?
    ws.write_formula("A2", "=1/0", None, "#DIV/0!")  # the cached value is the same error
    ws.write_formula("A3", "=1+1", None, 2)
    wb.close()
    return path


@pytest.fixture(scope="module")
def books(tmp_path_factory, soffice):
    """Original and recalculated paths of each workbook, through one soffice start."""
    src = tmp_path_factory.mktemp("books")
    originals = {
        "good": build(src / "good.xlsx"),
        "wrong": build(src / "wrong.xlsx", {WRONG_CELL: WRONG_VALUE}),
        "errors": build_errors(src / "errors.xlsx"),
    }
    out = recalc_many(list(originals.values()), tmp_path_factory.mktemp("recalculated"))
    return {name: (orig, new) for (name, orig), new in zip(originals.items(), out)}


# ------------------------------------------------ with LibreOffice

@requires_soffice
def test_correct_cached_values_give_no_mismatch(books):
    original, recalculated = books["good"]
    assert compare_recalculated(original, recalculated) == []


@requires_soffice
def test_a_wrong_cached_value_is_the_only_mismatch(books):
    original, recalculated = books["wrong"]
    lines = compare_recalculated(original, recalculated)
    assert lines == [f'Calc!{WRONG_CELL}: cached {WRONG_VALUE}, LibreOffice 450 '
                     f'(formula {GOOD[WRONG_CELL][0]})']


@requires_soffice
def test_libreoffice_really_recalculates(books):
    """The wrong cached value is replaced by the right one: the profile forces recalculation."""
    _, recalculated = books["wrong"]
    assert cached_values(recalculated)[("Calc", WRONG_CELL)] == 450
    # and LibreOffice's recalculation of the wrong file gives the correct file's cached values
    good, _ = books["good"]
    assert compare_recalculated(good, recalculated) == []


@requires_soffice
def test_percentile_inc_gives_excels_value(books):
    values = cached_values(books["good"][1])
    assert values[("Calc", "B1")] == pytest.approx(120, rel=1e-12)
    assert values[("Calc", "B2")] == pytest.approx(340, rel=1e-12)


@requires_soffice
def test_types_come_back(books):
    """Text stays text, booleans stay booleans, an empty string comes back empty."""
    values = cached_values(books["good"][1])
    assert values[("Calc", "B7")] == "Top: c4, 1 in A"
    assert values[("Calc", "B9")] is True
    assert ("Calc", "B10") not in values
    assert values[("Calc", "B13")] == 500 and values[("Calc", "B14")] == 150


@requires_soffice
def test_error_results_are_reported(books):
    original, recalculated = books["errors"]
    assert compare_recalculated(original, recalculated) == [
        "Errors!A1: LibreOffice gives the error #NAME? (cached 0, formula =NOSUCHFUNCTION(1))",
        "Errors!A2: LibreOffice gives the error #DIV/0! (cached '#DIV/0!', formula =1/0)",
    ]
    # errors_ok tolerates an error that was cached as such, not one that was not
    assert compare_recalculated(original, recalculated, errors_ok=True) == [
        "Errors!A1: LibreOffice gives the error #NAME? (cached 0, formula =NOSUCHFUNCTION(1))",
    ]


@requires_soffice
def test_soffice_failure_raises(tmp_path):
    """soffice exits 0 when it cannot load a file: recalc notices the missing output."""
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(LibreOfficeError, match="no recalculated copy of bad.xlsx"):
        recalc(bad, tmp_path / "out")


# ------------------------------------------------ without LibreOffice

def test_formula_cells_include_the_whole_array_range(tmp_path):
    cells = formula_cells(build(tmp_path / "good.xlsx"))
    assert cells[("Calc", "B1")] == GOOD["B1"][0]
    assert cells[("Calc", "B12")] == cells[("Calc", "B13")] == "{=Data!C2:C3*2}"
    assert cells[("Calc", "B14")] == SINGLE_ARRAY[1]
    assert {sheet for sheet, _ in cells} == {"Calc"}
    assert len(cells) == len(GOOD) + len(ARRAY_CELLS) + 1


def test_cached_values_are_what_was_written(tmp_path):
    values = cached_values(build(tmp_path / "good.xlsx"))
    assert values[("Calc", "B4")] == 450
    assert values[("Calc", "B5")] == "n/a"
    assert values[("Calc", "B9")] is True
    assert ("Calc", "B10") not in values  # empty-string result
    assert values[("Data", "A2")] == "c1"


def _one_formula_book(path, value):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", "=B1", None, value)
    wb.close()
    return path


@pytest.mark.parametrize(("cached", "other", "same"), [
    (0.25, 0.25 + 1e-11, True),
    (0.25, 0.2500001, False),
    (1e12, 1e12 + 1, True),  # within rel 1e-9
    (0.0, 1e-10, True),  # within abs 1e-9
    ("x", "x", True),
    ("x", "X", False),
    ("", "", True),
    (True, True, True),
    (True, 1, False),  # a boolean is not the number 1
    (False, 0, False),
    (0, "", False),
])
def test_comparison_rules(tmp_path, cached, other, same):
    original = _one_formula_book(tmp_path / "a.xlsx", cached)
    recalculated = _one_formula_book(tmp_path / "b.xlsx", other)
    lines = compare_recalculated(original, recalculated)
    assert (lines == []) is same, lines


def test_mismatch_line_reads_well(tmp_path):
    original = _one_formula_book(tmp_path / "a.xlsx", 0.25)
    recalculated = _one_formula_book(tmp_path / "b.xlsx", 0.2500001)
    assert compare_recalculated(original, recalculated) == [
        "S!A1: cached 0.25, LibreOffice 0.2500001 (formula =B1)"]


def test_dates_compare_as_serial_numbers(tmp_path):
    for name, num_format in (("a", "yyyy-mm-dd"), ("b", None)):  # 2024-03-01 is serial 45352
        wb = xlsxwriter.Workbook(str(tmp_path / f"{name}.xlsx"))
        ws = wb.add_worksheet("S")
        ws.write_formula("A1", "=B1", num_format and wb.add_format({"num_format": num_format}), 45352)
        wb.close()
    assert cached_values(tmp_path / "a.xlsx")[("S", "A1")] == dt.datetime(2024, 3, 1)
    assert compare_recalculated(tmp_path / "a.xlsx", tmp_path / "b.xlsx") == []


def test_out_dir_must_differ_from_the_source_folder(tmp_path):
    src = _one_formula_book(tmp_path / "a.xlsx", 0)
    with pytest.raises(ValueError, match="out_dir"):
        recalc(src, tmp_path)


def test_same_stems_are_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = _one_formula_book(tmp_path / "x" / "book.xlsx", 0)
    b = _one_formula_book(tmp_path / "y" / "book.xlsx", 0)
    with pytest.raises(ValueError, match="same file stem"):
        recalc_many([a, b], tmp_path / "out")


def test_missing_soffice_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(lo, "soffice_path", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="LibreOffice"):
        lo.need_soffice()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        lo.need_soffice()
