"""LibreOffice recalculates the analysis workbook: every formula gives its
cached value back, and after a setting is changed in the Settings sheet every
segment equals what the engine computes under the same settings."""
import copy

import openpyxl
import pandas as pd
import pytest
from lo import compare_recalculated, recalc_many, requires_soffice
from test_workbook import YEAR, tiny

from xlb2b import Settings, analyze
from xlb2b.excel.analysis_sheets import column_header, sheet_name, write_analysis_workbook
from xlb2b.sample import generate

pytestmark = requires_soffice

CODES = ["psc_p", "psc_s", "psc_c", "psc_code", "psc_group", "spl_s", "spl_p", "spl_l", "spl_code", "kml_k",
         "kml_m", "kml_l", "kml_code", "dsl_d", "dsl_s", "dsl_l", "dsl_code", "dsl_level", "rfm_r", "rfm_f",
         "rfm_m", "rfm_code", "rfm_segment", "abc_class", "xyz_class"]


@pytest.fixture(scope="module")
def sample_analysis():
    d = generate(400, seed=9)
    return analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))


def test_every_formula_recalculates_to_its_cached_value(tmp_path, sample_analysis):
    from xlb2b.cli import main
    tx, cl, mk = tiny()
    assert main(["demo", str(tmp_path / "demo"), "--quiet"]) == 0          # the README's first command
    books = [tmp_path / "demo" / "analysis.xlsx",write_analysis_workbook(sample_analysis, tmp_path / "sample-en.xlsx"),
             write_analysis_workbook(sample_analysis, tmp_path / "sample-ru.xlsx", lang="ru"),
             write_analysis_workbook(analyze(tx, cl, mk, YEAR), tmp_path / "tiny.xlsx"),
             write_analysis_workbook(analyze(tx, settings=YEAR), tmp_path / "no-clients-no-market.xlsx")]
    out = recalc_many(books, tmp_path / "lo")
    for book, recalculated in zip(books, out):
        assert compare_recalculated(book, recalculated) == [], book.name


def _set(wb, name, value):
    sheet, ref = wb.defined_names[name].attr_text.split("!")
    wb[sheet.strip("'")][ref.replace("$", "")].value = value


def test_changed_settings_give_the_engine_segments(tmp_path, sample_analysis):
    a = sample_analysis
    path = write_analysis_workbook(a, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    changes = {"abc_a_below": 0.7, "psc_s3_min": 0.6, "kml_k3_min": 3, "dsl_d3_min": 3, "xyz_y_max": 0.5,
               "spl_overdue_days": 10}
    for k, v in changes.items():
        _set(wb, k, v)
    # the rule table: "06 New" now means tenure <= 6 months; "05 Misers" needs C3
    ws = wb[sheet_name("settings")]
    # rule-table layout: group, p_min, p_max, s_min, s_max, c_min, c_max, tenure_min, tenure_max
    cols = {"c_min": 6, "tenure_max": 9}
    hits = 0
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == "06 New":
            ws.cell(r, cols["tenure_max"]).value = 6
            hits += 1
        if ws.cell(r, 1).value == "05 Misers":
            ws.cell(r, cols["c_min"]).value = 3
            hits += 1
    assert hits == 2
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    (recalculated,) = recalc_many([changed], tmp_path / "lo")

    groups = copy.deepcopy(a.settings.psc_groups)
    groups[0]["tenure_max"] = 6
    groups[2]["c_min"] = 3
    s = a.settings.copy(abc_cuts=(0.7, 0.95), psc_s_bounds=(0.40, 0.6), kml_k_bounds=(2, 3),
                        dsl_d_bounds=(2, 3), xyz_cuts=(0.10, 0.5), spl_overdue_days=10.0, psc_groups=groups)
    inputs = a.inputs
    want = analyze(inputs["transactions"], inputs["clients"], inputs["market"], s).clients.set_index("client_id")

    got_wb = openpyxl.load_workbook(recalculated, data_only=True, read_only=True)
    rows = list(got_wb[sheet_name("clients")].iter_rows(values_only=True))
    got = pd.DataFrame(rows[1:], columns=rows[0]).set_index(column_header("client_id"))
    assert len(got) == len(want)
    differ = 0
    for col in CODES:
        g = got[column_header(col)]
        for cid, w in want[col].items():
            v = g.loc[cid]
            same = (v in (None, "") or pd.isna(v)) if pd.isna(w) else v == w
            differ += not same
            assert same, (cid, col, w, v)
    # the changes did change something, so the test can tell
    before = a.clients.set_index("client_id")
    assert (before["abc_class"] != want["abc_class"]).any()
    assert (before["psc_group"] != want["psc_group"]).any()
