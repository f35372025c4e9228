"""The workbook's two-window section: the engine's numbers in live formulas that LibreOffice recalculates
to the same values, hand-computed bridge totals, editable lapse bounds."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from lo import compare_recalculated, recalc_many, requires_soffice
from test_dynamics_hand import STATUS_ROWS, Y2025, lapse_rows

from xlb2b import Settings, analyze
from xlb2b.excel.analysis_sheets import column_header, settings_from_sheet, sheet_name, write_analysis_workbook
from xlb2b.locale import label


def run(rows, **kw):
    """As the hand tests' ``run``, with one SKU on every line (without a SKU column the summary sheets'
    "D — diversity" cells are empty in the engine but 0 in their formulas, which is not this section's)."""
    df = pd.DataFrame(rows, columns=["client_id", "date", "amount", "quantity"])
    df["date"] = pd.to_datetime(df["date"])
    df["sku"] = "s1"
    return analyze(df, settings=Settings(**{**Y2025, **kw}))


def bridge_column(path, lang="en", col=3) -> dict[str, float]:
    """Bridge sheet: label -> amount (column C), by label text."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet_name("bridge", lang)]
    out = {}
    for row in ws.iter_rows(min_row=5, max_row=16, values_only=True):
        out[row[0]] = row[col - 1]
    return out


HAND = {"start": 580, "new": 100, "returned": 170, "lost": -120, "grown_price": 55, "grown_volume": 25,
        "shrunk_price": 75, "shrunk_volume": -125, "flat": 0, "no_unit_data": 20, "other": -20, "end": 760}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dyn")
    a = run(STATUS_ROWS)
    return a, write_analysis_workbook(a, tmp / "status-en.xlsx"), write_analysis_workbook(a, tmp / "status-ru.xlsx",
                                                                                          lang="ru")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_bridge_sheet_holds_the_hand_computed_bridge(books, lang):
    a, en, ru = books
    got = bridge_column(en if lang == "en" else ru, lang)
    assert got == pytest.approx({label(f"bridge.{k}", lang): v for k, v in HAND.items()})


def test_clients_sheet_has_w0_and_lapse_columns(books):
    a, en, _ = books
    ws = openpyxl.load_workbook(en, data_only=True)[sheet_name("clients")]
    rows = list(ws.iter_rows(values_only=True))
    t = pd.DataFrame(rows[1:], columns=rows[0]).set_index(column_header("client_id"))
    assert t.loc["G", column_header("revenue_w0")] == 100
    assert t.loc["G", column_header("status")] == "Grown"
    assert t.loc["G", column_header("price_effect")] == pytest.approx(55)
    assert t.loc["RR", column_header("status")] == "Returned"
    assert t.loc["G", column_header("lapse_status")] == "Too few purchases"     # G bought on 2 dates


def test_per_client_sheet_lists_lost_clients_too(books):
    a, en, _ = books
    ws = openpyxl.load_workbook(en, data_only=True)[sheet_name("dynamics_clients")]
    ids = {r[0] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert ids == {"N", "RG", "RR", "L", "G", "S", "F", "U", "O"}


def test_lapse_bounds_on_the_settings_sheet_are_read_back(books):
    a, en, _ = books
    ws = openpyxl.load_workbook(en)[sheet_name("settings")]
    rows = [[c.value for c in r] for r in ws.iter_rows(max_col=4)]
    for r in rows:
        if r[2] == "lapse_late_min":
            r[1] = 1.2
    s = settings_from_sheet(rows, a.settings)
    assert s.lapse_bounds == (1.2, 3.0)


@requires_soffice
def test_libreoffice_recalculates_every_formula_to_the_engine_value(books, tmp_path):
    """The section's SUMIFS/COUNTIFS totals, waterfall helpers, migration matrices, cohort ratios and
    watch-list counts: LibreOffice's results equal the cached engine values, and the bridge equals the
    hand-computed one after recalculation."""
    from xlb2b.sample import generate
    a, en, ru = books
    d = generate(300, seed=5)
    sample = analyze(d.transactions, d.clients, d.market,
                     Settings(our_supplier=d.our_supplier, migration_cuts="current", cohort_period="year"))
    s_book = write_analysis_workbook(sample, tmp_path / "sample-current-year.xlsx", lang="ru")
    # lapse bounds edited on the Settings sheet: the Clients statuses and the watch-list counts follow
    lapse_book = write_analysis_workbook(run(lapse_rows()), tmp_path / "lapse.xlsx")
    wb = openpyxl.load_workbook(lapse_book)
    sheet, ref = wb.defined_names["lapse_lapsing_min"].attr_text.split("!")
    wb[sheet.strip("'")][ref.replace("$", "")].value = 2.0
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out = recalc_many([en, ru, s_book, lapse_book, edited], tmp_path / "lo")
    for book, recalculated in zip([en, ru, s_book, lapse_book], out):
        assert compare_recalculated(book, recalculated) == [], book.name
    assert bridge_column(out[0]) == pytest.approx({label(f"bridge.{k}", "en"): v for k, v in HAND.items()})

    def counts(path):
        ws = openpyxl.load_workbook(path, data_only=True)[sheet_name("watch_list")]
        return {r[0]: (r[1], r[2]) for r in ws.iter_rows(min_row=5, max_row=8, values_only=True)}
    L = lambda k: label(f"lapse_status.{k}", "en")
    # ratios: at3 3.0, even 3.0, below3 2.9, after 2.0, at1.5 1.5, below1.5 1.4, two: fewer than 3 dates
    assert counts(out[3]) == {L("lapsing"): (2, 40 + 30), L("late"): (3, 40 + 35 + 30),
                              L("on_track"): (1, 40), L("too_few_purchases"): (1, 30)}
    # lapsing from 2.0: below3 and after move from late to lapsing
    assert counts(out[4]) == {L("lapsing"): (4, 40 + 30 + 40 + 30), L("late"): (1, 35),
                              L("on_track"): (1, 40), L("too_few_purchases"): (1, 30)}


def test_adp_shows_the_trajectory_beside_the_financials(books, tmp_path):
    from xlb2b.excel.adp_sheets import write_adp_workbook
    a, _, _ = books
    path = write_adp_workbook(a, ["G"], tmp_path / "adp.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    block = {}
    for r in ws.iter_rows(values_only=True):
        if isinstance(r[5], str) and r[5] and len(r) > 7:
            block.setdefault(r[5], (r[6], r[7]))     # the first block with these labels
    assert block["Trajectory W0 -> W1"] == ("W0 2024-01-01 – 2024-12-31", "W1 2025-01-01 – 2025-12-31")
    # G: W0 100 at P 10, W1 180 at P 15: grown, price effect 55, volume effect 25
    assert block["Revenue"] == (100, 180)
    assert block["Status"] == ("", "Grown")
    assert block["Price effect"][1] == pytest.approx(55)
    assert block["Volume effect"][1] == pytest.approx(25)
    assert block["Lapse status (ratio)"] == ("", "Too few purchases")       # G bought on two dates
