"""TCO calculator, SPIN question bank and segment-priority plan: hand-computed
cached values, every formula against LibreOffice's recalculation, and inputs
edited with openpyxl recalculated to what the core gives (one LibreOffice
start for every workbook of the module)."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest
from lo import cached_values, compare_recalculated, recalc_many, requires_soffice

from xlb2b import sample
from xlb2b.excel.toolkit_sheets import (
    _new_workbook,
    add_priority_sheet,
    add_spin_sheet,
    add_tco_sheet,
    write_toolkit_workbook,
)
from xlb2b.locale import labels
from xlb2b.pipeline import analyze
from xlb2b.planning import priority_rank, priority_score, tco_advantage, tco_approach, tco_total
from xlb2b.settings import Settings

TCO, PRIORITY = "TCO", {"en": "Segment priority", "ru": "Приоритет сегментов"}
SPIN = {"en": "SPIN", "ru": "СПИН"}
# priority sheet (Excel): weights on row 4, data from row 6; criteria D..H, score I, rank J
P_FIRST = 6
CRIT_COLS = "DEFGH"


def _ref(ws, name: str) -> str:
    """The cell or range a sheet-local name points to, without the sheet."""
    return ws.defined_names[name].attr_text.split("!", 1)[1].replace("$", "")


def _cells(ws, name: str) -> list:
    ref = _ref(ws, name)
    if ":" not in ref:
        return [ws[ref].value]
    return [c.value for row in ws[ref] for c in row]


def _num(v) -> float:
    return float("nan") if v is None or v == "" else float(v)


@pytest.fixture(scope="module")
def analysis():
    d = sample.generate(200)
    return analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))


@pytest.fixture(scope="module")
def books(tmp_path_factory, analysis):
    """Source workbooks and their LibreOffice-recalculated copies."""
    src = tmp_path_factory.mktemp("toolkit")
    paths = {
        "en": write_toolkit_workbook(src / "en.xlsx"),
        "ru": write_toolkit_workbook(src / "ru.xlsx", analysis=analysis, lang="ru"),
        "en_analysis": write_toolkit_workbook(src / "en_analysis.xlsx", analysis=analysis),
        "blank_en": write_toolkit_workbook(src / "blank_en.xlsx", blank=True),
        "blank_ru": write_toolkit_workbook(src / "blank_ru.xlsx", blank=True, lang="ru"),
    }
    wb = _new_workbook(str(src / "tie.xlsx"))
    add_tco_sheet(wb, items={"price": (900, 900), "delivery": (50, 50), "Spare parts": (10, None)})
    add_priority_sheet(wb, blank=True)
    wb.close()
    paths["tie"] = src / "tie.xlsx"

    # edited copies: TCO items and priority ratings changed with openpyxl (no cached values left)
    for key in ("ru", "blank_en"):
        book = openpyxl.load_workbook(paths[key])
        ws = book[TCO]
        ws["B7"] = 900_000          # our price cut below the competitor's 1,000,000
        ws["C7"] = 1_000_000
        ws["B12"] = 700_000         # our downtime
        ws["A14"] = "Spare parts"
        ws["B14"] = 40_000          # an own item, counted in the totals
        if key == "blank_en":
            for row, ours, theirs in ((8, 30_000, 60_000), (9, 50_000, 120_000), (10, 20_000, 80_000),
                                      (11, 150_000, 300_000), (12, 700_000, 400_000), (13, 20_000, 50_000)):
                ws[f"B{row}"], ws[f"C{row}"] = ours, theirs
        lang = "ru" if key == "ru" else "en"
        wp = book[PRIORITY[lang]]
        if key == "blank_en":
            wp["A6"], wp["A7"], wp["A8"] = "One", "Two", "Three"
        for col, v in zip(CRIT_COLS, (5, 4, 3, None, 1)):
            wp[f"{col}{P_FIRST}"] = v
        for col in CRIT_COLS:
            wp[f"{col}{P_FIRST + 1}"] = 4
        wp[f"D{P_FIRST + 2}"] = 4      # only one rating: score 4, the same as the row above
        wp["D4"] = 3                   # weight of "worked with us and satisfied"
        name = f"edited_{key}"
        book.save(src / f"{name}.xlsx")
        paths[name] = src / f"{name}.xlsx"
    out = recalc_many(list(paths.values()), tmp_path_factory.mktemp("toolkit_lo"))
    return {k: (p, o) for (k, p), o in zip(paths.items(), out)}


# ---------------------------------------------------------------- cached values by hand

def test_tco_example_by_hand(books):
    ws = openpyxl.load_workbook(books["en"][0])[TCO]
    assert _cells(ws, "tco_ours_price") == [1_200_000]
    cached = cached_values(books["en"][0])
    # ours: 1,200,000 + 30,000 + 50,000 + 20,000 + 150,000 + 100,000 + 20,000 = 1,570,000
    # competitor: 1,000,000 + 60,000 + 120,000 + 80,000 + 300,000 + 400,000 + 50,000 = 2,010,000
    assert cached[(TCO, _ref(ws, "tco_ours_total"))] == 1_570_000
    assert cached[(TCO, _ref(ws, "tco_competitor_total"))] == 2_010_000
    assert cached[(TCO, _ref(ws, "tco_difference"))] == 440_000
    # additional costs: 370,000 vs 1,010,000
    assert cached[(TCO, "B18")] == 370_000 and cached[(TCO, "C18")] == 1_010_000
    assert cached[(TCO, _ref(ws, "tco_advantage"))] == pytest.approx(440_000 / 2_010_000)
    # price higher, additional costs lower, TCO lower: healthy
    assert cached[(TCO, _ref(ws, "tco_approach"))] == labels("tco_sheet", "en")["healthy"]
    assert cached[(TCO, "D7")] == -200_000      # the competitor's price is 200,000 lower


def test_tco_tie_is_neither(books):
    cached = cached_values(books["tie"][0])
    # 900 + 50 + 10 = 960 vs 900 + 50 = 950; equal prices: neither approach
    assert cached[(TCO, "B17")] == 960 and cached[(TCO, "C17")] == 950
    assert cached[(TCO, "B19")] == pytest.approx((950 - 960) / 950)
    assert cached[(TCO, "B20")] == labels("tco_sheet", "en")["neither"]
    ws = openpyxl.load_workbook(books["tie"][0])[TCO]
    assert ws["A14"].value == "Spare parts"


def test_priority_example_by_hand(books):
    cached = cached_values(books["en"][0])
    sheet = PRIORITY["en"]
    # seed segments 1, 2: all 5 -> 5; segment 20: (2+5+4)/3; segment 50: (1+1+3)/3; segment N: all 1 -> 1
    scores = [cached[(sheet, f"I{P_FIRST + i}")] for i in range(5)]
    assert scores == pytest.approx([5, 5, 11 / 3, 5 / 3, 1])
    assert [cached[(sheet, f"J{P_FIRST + i}")] for i in range(5)] == [1, 2, 3, 4, 5]
    assert (sheet, f"I{P_FIRST + 5}") not in cached      # spare rows: no score


def test_priority_rows_are_the_psc_groups(books, analysis):
    ws = openpyxl.load_workbook(books["en_analysis"][0])[PRIORITY["en"]]
    table = analysis.summary("psc_group")
    table = table[(table["segment"] != "Total") & (table["clients"] > 0)]
    n = len(table)
    assert [ws[f"A{P_FIRST + i}"].value for i in range(n)] == table["segment"].tolist()
    assert [ws[f"B{P_FIRST + i}"].value for i in range(n)] == table["clients"].tolist()
    assert [ws[f"C{P_FIRST + i}"].value for i in range(n)] == pytest.approx(table["revenue"].tolist())
    assert ws[f"A{P_FIRST + n}"].value is None        # empty rows for one's own segments follow
    ru = openpyxl.load_workbook(books["ru"][0])[PRIORITY["ru"]]
    assert ru[f"A{P_FIRST}"].value == "01 Лучшие"


# ---------------------------------------------------------------- LibreOffice

@requires_soffice
@pytest.mark.parametrize("key", ["en", "ru", "en_analysis", "blank_en", "blank_ru", "tie"])
def test_every_formula_equals_libreoffice(books, key):
    src, out = books[key]
    assert compare_recalculated(src, out) == []


@requires_soffice
@pytest.mark.parametrize("key", ["blank_en", "blank_ru"])
def test_blank_template_is_empty_and_error_free(books, key):
    src, out = books[key]
    lang = "ru" if key.endswith("ru") else "en"
    fresh = cached_values(out)
    ws = openpyxl.load_workbook(src)[TCO]
    for name in ("tco_ours_total", "tco_competitor_total", "tco_difference", "tco_advantage", "tco_approach"):
        assert fresh.get((TCO, _ref(ws, name)), "") == "", name
    assert not any(k[0] == PRIORITY[lang] and k[1][0] in "IJ" and k[1][1:].isdigit() and int(k[1][1:]) >= P_FIRST
                   and not isinstance(v, str) for k, v in fresh.items())
    assert not any(isinstance(v, str) and (v.startswith("#") or v.startswith("Err:")) for v in fresh.values())


@requires_soffice
@pytest.mark.parametrize("key", ["edited_ru", "edited_blank_en"])
def test_edited_inputs_recalculate_to_the_core(books, key):
    src, out = books[key]
    lang = "ru" if key == "edited_ru" else "en"
    inputs = openpyxl.load_workbook(src)[TCO]
    fresh = openpyxl.load_workbook(out, data_only=True)
    ws = fresh[TCO]
    ours = np.array([_num(v) for v in _cells(inputs, "tco_ours_items")])
    theirs = np.array([_num(v) for v in _cells(inputs, "tco_competitor_items")])
    # by hand: ours 900,000 + 30,000 + 50,000 + 20,000 + 150,000 + 700,000 + 20,000 + 40,000 = 1,910,000,
    # the competitor's 2,010,000; additional costs 1,010,000 on both sides with our price cut: unhealthy
    assert _cells(ws, "tco_ours_total") == [pytest.approx(1_910_000)]
    assert _cells(ws, "tco_competitor_total") == [pytest.approx(2_010_000)]
    assert _cells(ws, "tco_advantage") == [pytest.approx(100_000 / 2_010_000)]
    assert _cells(ws, "tco_approach") == [labels("tco_sheet", lang)["unhealthy"]]
    # ... and what the core gives for the same inputs
    assert _cells(ws, "tco_ours_total") == [pytest.approx(float(tco_total(ours)))]
    assert _cells(ws, "tco_competitor_total") == [pytest.approx(float(tco_total(theirs)))]
    assert _cells(ws, "tco_advantage") == [pytest.approx(float(tco_advantage(tco_total(ours), tco_total(theirs))))]
    code = str(tco_approach(ours[0], theirs[0], tco_total(ours[1:]), tco_total(theirs[1:])))
    assert code == "unhealthy"

    sheet = PRIORITY[lang]
    wp_in, wp = openpyxl.load_workbook(src)[sheet], fresh[sheet]
    weights = np.array(_cells(wp_in, "priority_weights"), dtype=float)
    ratings = np.array([_num(v) for v in _cells(wp_in, "priority_ratings")]).reshape(-1, 5)
    scores = [_num(v) for v in _cells(wp, "priority_scores")]
    ranks = [_num(v) for v in _cells(wp, "priority_ranks")]
    # by hand, weights 3,1,1,1,1: (15+4+3+1)/(3+1+1+1) = 23/6; (12+4+4+4+4)/7 = 4; (12)/3 = 4
    assert scores[:3] == pytest.approx([23 / 6, 4, 4])
    assert ranks[:3] == [3, 1, 2]                    # equal scores: the upper row first
    np.testing.assert_allclose(scores, priority_score(ratings, weights), equal_nan=True)
    np.testing.assert_allclose(ranks, priority_rank(priority_score(ratings, weights)), equal_nan=True)
    # the hypotheses table follows the segments and their ranks
    hyp = openpyxl.load_workbook(out, data_only=True)[sheet]
    seg_col = [c.value for c in hyp["A"]]
    head = seg_col.index(labels("priority_sheet", lang)["segment"], P_FIRST)   # the hypotheses' header
    assert hyp.cell(head + 2, 1).value == wp_in[f"A{P_FIRST}"].value     # 1-based rows
    assert hyp.cell(head + 2, 2).value == 3


# ---------------------------------------------------------------- SPIN

def test_spin_ru_holds_the_seed_questions(books):
    ws = openpyxl.load_workbook(books["ru"][0])[SPIN["ru"]]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for q in ("Как идут продажи компании?",
              "У кого вы сейчас приобретаете изделия из пластика?",
              "Есть ли трудности при взаимодействии с поставщиками?",
              "Думали ли вы о том, что можно снизить себестоимость?",
              "А сколько денег вы теряете при незапланированных перебоях поставок?",
              "Если ситуация не изменится, останутся ли с вами постоянные клиенты?",
              "Сколько вы сможете сэкономить, если замените оборудование на более технологичное?",
              "Ситуационные вопросы задаются для начала разговора и выяснения текущей ситуации"):
        assert q in texts, q
    # 3 + 5 + 3 + 2 questions from the seed, each block with empty rows of one's own
    cached = cached_values(books["ru"][0])
    counts = [v for (s, c), v in cached.items() if s == SPIN["ru"] and c.startswith("B") and isinstance(v, int)]
    assert counts == [3, 5, 3, 2]


def test_spin_en_is_english(books):
    ws = openpyxl.load_workbook(books["en"][0])[SPIN["en"]]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "How are the company's sales going?" in texts
    assert "Need-payoff" in texts
    assert not any(any("а" <= ch <= "я" for ch in t.lower()) for t in texts)


def test_spin_sheet_alone():
    import io
    buf = io.BytesIO()
    import xlsxwriter
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = add_spin_sheet(wb, lang="ru")
    wb.close()
    assert ws.get_name() == "СПИН"


# ---------------------------------------------------------------- locale files

def test_verdict_wording_is_the_seeds():
    ru = labels("tco_sheet", "ru")
    assert ru["healthy_hint"] == ("Здоровый подход к экономическому покупателю: повышается стоимость продукта, "
                                  "снижается стоимость дополнительных затрат.")
    assert ru["unhealthy_hint"] == ("Нездоровый подход к экономическому покупателю: снижается стоимость продукта, "
                                    "дополнительные затраты не изменяются.")
    assert ru["healthy"].startswith("Здоровый подход к экономическому покупателю")
    assert ru["unhealthy"].startswith("Нездоровый подход к экономическому покупателю")


# ---------------------------------------------------------------- layout

def test_own_tco_items_get_rows_and_sheets_get_unique_names(tmp_path):
    from xlb2b.excel.toolkit_sheets import OWN_TCO_ROWS, tco_frame
    names, values = tco_frame({"price": (10, 12), "Spare parts": (1, None), "Insurance": (2, 3),
                               "Fuel": (None, 4), "Audit": (5, 5)})
    assert names[7:] == ["Spare parts", "Insurance", "Fuel", "Audit"]      # more own items than empty rows
    assert len(tco_frame(None)[0]) == 7 + OWN_TCO_ROWS
    assert values[0].tolist() == [10, 12] and np.isnan(values[7, 1])
    wb = _new_workbook(str(tmp_path / "two.xlsx"))
    first, second = add_tco_sheet(wb), add_tco_sheet(wb, blank=True)
    wb.close()
    assert (first.get_name(), second.get_name()) == ("TCO", "TCO (2)")
    book = openpyxl.load_workbook(tmp_path / "two.xlsx")
    assert book["TCO (2)"].defined_names["tco_ours_total"].attr_text == "'TCO (2)'!$B$17"
    with pytest.raises(ValueError):
        add_priority_sheet(_new_workbook(str(tmp_path / "w.xlsx")), weights=[1, 2])
