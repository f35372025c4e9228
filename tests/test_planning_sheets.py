"""BCG scoring, BANT and satisfaction sheets: hand-computed examples and the
cached values against LibreOffice's recalculation (one LibreOffice start)."""
from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lo import compare_recalculated, recalc_many, requires_soffice

from xlb2b import sample
from xlb2b.excel.planning_sheets import (
    _new_workbook,
    add_bant_sheet,
    add_bcg_table,
    add_satisfaction_sheet,
    write_bcg_workbook,
    write_planning_workbook,
)
from xlb2b.pipeline import analyze
from xlb2b.planning.portfolio import FACTORS, bcg_scores
from xlb2b.settings import Settings

# 0-based columns of the BCG sheet; data from row 7 (Excel)
FIRST = 7
COL = {"rel": 13, "att": 14, "rel_miss": 15, "att_miss": 16, "rel_tier": 17, "att_tier": 18,
       "strategy": 19, "policy": 20}

HAND = pd.DataFrame({
    "client_id": ["A", "B", "C", "D"],
    "name": ["Alpha", "Beta", "Gamma", "Delta"],
    "revenue": [300.0, 200.0, 100.0, 50.0],
    # relationship: 4,4,3 -> 11/3 (top); 3,2,2 -> 7/3 (middle); 2,2,2 -> bottom; none
    "price_orientation": [4, 3, 2, np.nan],
    "dependence": [4, 2, 2, np.nan],
    "loyalty": [3, 2, 2, np.nan],
    # attractiveness: 4,4,3 -> High; 3,2,2 -> Medium; 4,4,3 -> High; none
    "potential": [4, 3, 4, np.nan],
    "growth": [4, 2, 4, np.nan],
    "margin": [3, 2, 3, np.nan],
})
HAND_WANT = {  # tiers and strategy (English labels)
    "A": ("Strong", "High", "Strengthen"),
    "B": ("Medium", "Medium", "Protect and focus"),
    "C": ("Weak", "High", "Invest"),
    "D": ("", "", ""),
}

SURVEY = pd.DataFrame({"client_id": list("AAABBBCCCCC"), "date": pd.Timestamp("2025-06-01"),
                       "nps": [10, 9, 8, 7, 6, 0, 10, 8.5, "x", None, 11]})   # the last four are not valid
CSI = pd.DataFrame({"client_id": ["A", "A", "B", "B", "A*"],
                    "attribute": ["Quality", "Price", "Quality", "Price", "Price"],
                    "importance": [5, 3, 2, 4, 1], "satisfaction": [4, 5, 1, 7, 5]})   # (4, 7): 7 > 5, not used
DELIVERIES = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4", "O5"], "client_id": list("AABBC"),
                           "date": pd.Timestamp("2025-06-01"),
                           "on_time": ["yes", True, "no", 1, None], "in_full": ["yes", "no", "yes", "yes", "yes"]})
LEADS = pd.DataFrame({"client_id": ["L1", "L2", "L3", "L4"], "name": ["One", "Two", "Three", "Four"],
                      "budget": ["yes", "yes", "да", "yes"], "account": [True, "no", 1, None],
                      "need": ["y", "yes", "yes", "yes"], "time": [1, "yes", "yes", "yes"]})
# every cell of the matrix: relationship and attractiveness ratings for top, middle, bottom
_LEVELS = {"top": (4, 4, 3), "middle": (3, 2, 2), "bottom": (2, 2, 2)}
ALL9 = pd.DataFrame([
    {"client_id": f"{a}-{r}", "price_orientation": _LEVELS[r][0], "dependence": _LEVELS[r][1],
     "loyalty": _LEVELS[r][2], "potential": _LEVELS[a][0], "growth": _LEVELS[a][1], "margin": _LEVELS[a][2]}
    for a in _LEVELS for r in _LEVELS])
WEIGHTS = {"sow": 0.0, "growth": 3.0, "margin": 0.5, "competition": 2.0}


@pytest.fixture(scope="module")
def sample_analysis():
    d = sample.generate(200)
    return d, analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))


@pytest.fixture(scope="module")
def books(tmp_path_factory, sample_analysis):
    """Every workbook of this module, recalculated by one LibreOffice run."""
    d, a = sample_analysis
    src = tmp_path_factory.mktemp("planning")
    paths = {}

    def hand(tmp):
        wb = _new_workbook(tmp)
        add_bcg_table(wb, HAND)
        add_bant_sheet(wb, LEADS)
        add_satisfaction_sheet(wb, SURVEY, CSI, DELIVERIES)
        add_bcg_table(wb, ALL9, lang="ru")
        wb.close()
    paths["hand"] = src / "hand.xlsx"
    hand(str(paths["hand"]))

    paths["empty"] = src / "empty.xlsx"
    wb = _new_workbook(str(paths["empty"]))
    add_bcg_table(wb, pd.DataFrame({"client_id": []}))
    add_bant_sheet(wb, pd.DataFrame({"client_id": []}))
    add_satisfaction_sheet(wb, None, None, None)
    wb.close()

    paths["sample_en"] = write_planning_workbook(
        src / "sample_en.xlsx", analysis=a, leads=LEADS, survey=d.survey, csi=d.csi, deliveries=d.deliveries)
    paths["sample_ru"] = write_planning_workbook(
        src / "sample_ru.xlsx", analysis=a, lang="ru", leads=LEADS, survey=d.survey, csi=d.csi,
        deliveries=d.deliveries)

    # weights changed by hand (openpyxl) in a BCG workbook
    base = write_bcg_workbook(a, src / "weights_base.xlsx")
    book = openpyxl.load_workbook(base)
    ws = book.worksheets[0]
    for k, w in WEIGHTS.items():
        ws.cell(row=FIRST - 2, column=4 + FACTORS.index(k)).value = w
    paths["weights"] = src / "weights.xlsx"
    book.save(paths["weights"])

    # tier bounds changed by hand: 3 and 4
    book = openpyxl.load_workbook(paths["hand"])
    ws = book.worksheets[0]
    ws["C2"], ws["C3"] = 3, 4
    paths["bounds"] = src / "bounds.xlsx"
    book.save(paths["bounds"])

    out = recalc_many(list(paths.values()), src / "lo")
    return {k: (p, o) for (k, p), o in zip(paths.items(), out)}


def _values(path, sheet=0):
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[sheet]
    return ws


def _blank(v):
    return "" if v is None else v


def test_hand_core_agrees_with_the_example():
    got = bcg_scores(HAND)
    assert got["relationship"].iloc[0] == pytest.approx(11 / 3)
    assert got["relationship"].iloc[1] == pytest.approx(7 / 3)
    assert list(got["relationship_tier"]) == [w[0] for w in HAND_WANT.values()]
    assert list(got["attractiveness_tier"]) == [w[1] for w in HAND_WANT.values()]
    assert list(got["strategy"]) == [w[2] for w in HAND_WANT.values()]


@requires_soffice
def test_hand_bcg_tiers_and_strategy_after_recalculation(books):
    src, out = books["hand"]
    assert compare_recalculated(src, out) == []
    ws = _values(out)
    for i, (cid, (rel, att, strategy)) in enumerate(HAND_WANT.items()):
        r = FIRST + i
        assert ws.cell(r, 1).value == cid
        assert _blank(ws.cell(r, COL["rel_tier"] + 1).value) == rel
        assert _blank(ws.cell(r, COL["att_tier"] + 1).value) == att
        assert _blank(ws.cell(r, COL["strategy"] + 1).value) == strategy
    assert ws.cell(FIRST, COL["rel"] + 1).value == pytest.approx(11 / 3)
    assert ws.cell(FIRST + 1, COL["rel"] + 1).value == pytest.approx(7 / 3)
    # two of the five relationship factors and two attractiveness factors not rated
    assert ws.cell(FIRST, COL["rel_miss"] + 1).value == 2
    assert ws.cell(FIRST, COL["att_miss"] + 1).value == 2
    assert ws.cell(FIRST + 3, COL["rel_miss"] + 1).value == 5
    assert _blank(ws.cell(FIRST + 3, COL["rel"] + 1).value) == ""
    assert ws.cell(FIRST, COL["policy"] + 1).value.startswith("Full service")


@requires_soffice
def test_strategy_of_every_matrix_cell(books):
    from xlb2b.locale import label
    from xlb2b.settings import STRATEGY_KEYS
    src, out = books["hand"]
    ws = _values(out, 3)
    tier = {"top": ("High", "Strong"), "middle": ("Medium", "Medium"), "bottom": ("Low", "Weak")}
    for i, cid in enumerate(ALL9["client_id"]):
        a, r = cid.split("-")
        key = STRATEGY_KEYS[(tier[a][0], tier[r][1])]
        assert ws.cell(FIRST + i, 1).value == cid
        assert ws.cell(FIRST + i, COL["strategy"] + 1).value == label(f"strategy.{key}", "ru")
        assert ws.cell(FIRST + i, COL["policy"] + 1).value == Settings().bcg_policies[key]
    assert len({ws.cell(FIRST + i, COL["strategy"] + 1).value for i in range(9)}) == 8   # "invest" twice


def test_manual_ratings_are_prefilled(tmp_path, sample_analysis):
    _, a = sample_analysis
    cid = a.clients["client_id"].iloc[0]
    manual = pd.DataFrame({"client_id": [cid], "Loyalty": [5], "Контакты с ЛПР": [2]})
    p = write_bcg_workbook(a, tmp_path / "manual.xlsx", manual=manual)
    ws = openpyxl.load_workbook(p).worksheets[0]
    row = next(r for r in range(FIRST, ws.max_row + 1) if ws.cell(r, 1).value == cid)
    assert ws.cell(row, 4 + FACTORS.index("loyalty")).value == 5
    assert ws.cell(row, 4 + FACTORS.index("decision_makers")).value == 2
    other = FIRST if row != FIRST else FIRST + 1
    assert ws.cell(other, 4 + FACTORS.index("loyalty")).value is None    # managers' factor left blank


@requires_soffice
def test_changed_tier_bounds_move_the_tiers(books):
    _, out = books["bounds"]
    ws = _values(out)
    want = bcg_scores(HAND, Settings(bcg_tier_bounds=(3, 4)))
    for i in range(len(HAND)):
        assert _blank(ws.cell(FIRST + i, COL["rel_tier"] + 1).value) == want["relationship_tier"].iloc[i]
        assert _blank(ws.cell(FIRST + i, COL["att_tier"] + 1).value) == want["attractiveness_tier"].iloc[i]
        assert _blank(ws.cell(FIRST + i, COL["strategy"] + 1).value) == want["strategy"].iloc[i]


@requires_soffice
def test_hand_nps_csi_otif(books):
    _, out = books["hand"]
    ws = _values(out, 2)
    v = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(4, 17)}
    assert v["Promoters (9–10)"] == 3
    assert v["Passives (7–8)"] == 2
    assert v["Detractors (0–6)"] == 2
    assert v["Valid answers"] == 7
    assert v["NPS"] == pytest.approx(100 * (3 / 7 - 2 / 7))
    # CSI: (5·4 + 3·5 + 2·1 + 1·5) / ((5 + 3 + 2 + 1)·5) = 42 / 55; the pair (4, 7) is off the scale
    assert v["CSI"] == pytest.approx(100 * 42 / 55)
    assert v["CSI pairs used"] == 4
    # per client: A (5·4 + 3·5) / (8·5) = 87.5, B 2·1 / (2·5) = 20; "A*" is its own client, not a pattern
    per = {ws.cell(r, 17).value: ws.cell(r, 18).value for r in range(4, 7)}
    assert per == {"A": pytest.approx(87.5), "B": pytest.approx(20.0), "A*": pytest.approx(100.0)}
    # OTIF: O5 has no on-time answer; O1 and O4 of the 4 known orders are on time and in full
    assert v["Orders with known outcome"] == 4
    assert v["On time and in full"] == 2
    assert v["OTIF"] == pytest.approx(0.5)


@requires_soffice
def test_hand_bant(books):
    _, out = books["hand"]
    ws = _values(out, 1)
    rows = [(ws.cell(r, 7).value, ws.cell(r, 8).value) for r in range(7, 11)]
    assert rows == [(4, True), (3, False), (4, True), (None, False)]


@requires_soffice
@pytest.mark.parametrize("name", ["sample_en", "sample_ru", "empty", "hand"])
def test_every_formula_recalculates_to_its_cached_value(books, name):
    src, out = books[name]
    assert compare_recalculated(src, out) == []


@requires_soffice
def test_sample_sheet_matches_the_core(books, sample_analysis):
    _, a = sample_analysis
    table, _ = a.portfolio()
    _, out = books["sample_en"]
    ws = _values(out)
    n = 0
    for i, row in table.iterrows():
        r = FIRST + i
        assert ws.cell(r, 1).value == row["client_id"]
        for axis in ("relationship", "attractiveness"):
            got = ws.cell(r, COL["rel" if axis == "relationship" else "att"] + 1).value
            if math.isnan(row[axis]):
                assert _blank(got) == ""
            else:
                assert got == pytest.approx(row[axis], rel=1e-12)
                n += 1
        assert _blank(ws.cell(r, COL["rel_tier"] + 1).value) == row["relationship_tier"]
        assert _blank(ws.cell(r, COL["att_tier"] + 1).value) == row["attractiveness_tier"]
    assert n > 100


@requires_soffice
def test_changed_weights_give_the_core_scores(books, sample_analysis):
    _, a = sample_analysis
    table, _ = a.portfolio()
    want = bcg_scores(table, Settings(bcg_weights={**{k: 1.0 for k in FACTORS}, **WEIGHTS}))
    base = bcg_scores(table)
    _, out = books["weights"]
    ws = _values(out)
    changed = 0
    for i in range(len(table)):
        r = FIRST + i
        for axis, c in (("relationship", COL["rel"]), ("attractiveness", COL["att"])):
            got = ws.cell(r, c + 1).value
            w = want[axis].iloc[i]
            if math.isnan(w):
                assert _blank(got) == ""
            else:
                assert got == pytest.approx(w, rel=1e-12)
                changed += not math.isclose(w, base[axis].iloc[i], rel_tol=1e-9)
        assert ws.cell(r, COL["rel_miss"] + 1).value == want["relationship_missing"].iloc[i]
        assert _blank(ws.cell(r, COL["att_tier"] + 1).value) == want["attractiveness_tier"].iloc[i]
    assert changed > 10


def test_bcg_sheet_layout(tmp_path, sample_analysis):
    _, a = sample_analysis
    p = write_bcg_workbook(a, tmp_path / "bcg.xlsx", lang="ru")
    book = openpyxl.load_workbook(p)
    ws = book.worksheets[0]
    assert ws.freeze_panes == "C7"
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"whole", "decimal"} <= kinds
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas and all(":" not in f or "$" in f or "SUMPRODUCT" in f for f in formulas)
    assert not any("_xlfn" in f for f in formulas)


def test_native_bubble_chart(tmp_path, sample_analysis):
    import zipfile
    _, a = sample_analysis
    p = write_bcg_workbook(a, tmp_path / "bcg.xlsx")
    with zipfile.ZipFile(p) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    assert "<c:bubbleChart>" in xml and "<c:scatterChart>" not in xml
    last = FIRST + len(a.clients) - 1
    assert f"<c:xVal><c:numRef><c:f>'BCG scoring'!$N${FIRST}:$N${last}</c:f>" in xml      # relationship
    assert f"<c:yVal><c:numRef><c:f>'BCG scoring'!$O${FIRST}:$O${last}</c:f>" in xml      # attractiveness
    assert f"<c:bubbleSize><c:numRef><c:f>'BCG scoring'!$C${FIRST}:$C${last}</c:f>" in xml  # revenue


@requires_soffice
def test_russian_sheet_uses_russian_labels(books):
    _, out = books["sample_ru"]
    book = openpyxl.load_workbook(out, data_only=True)
    assert book.sheetnames == ["Скоринг BCG", "BANT", "Удовлетворённость"]
    ws = book.worksheets[0]
    tiers = {ws.cell(r, COL["rel_tier"] + 1).value for r in range(FIRST, ws.max_row + 1)}
    assert tiers <= {"Сильные", "Средние", "Слабые", None} and len(tiers - {None}) >= 2
    ws = book.worksheets[1]
    assert ws.cell(7, 3).value == "да"
