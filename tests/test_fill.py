"""Filling users' own templates: a restyled ADP template (rows and columns
moved, extra fields and formulas, a logo, a macro-enabled copy) filled for
three clients of a tiny hand-checked data set, and a finance-style report
workbook whose two named summary tables are refreshed after the data change.
Expected values are worked out by hand from the transactions below."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from lo import recalc_many, requires_soffice
from test_xlsx_merge import _png, _vba_project

from xlb2b.errors import FATAL, INFO, WARNING
from xlb2b.excel import fill
from xlb2b.excel.fill import FillError, fill_adp_template, fill_report
from xlb2b.pipeline import analyze
from xlb2b.settings import Settings

#: the ECMA-376 + Excel load-rule checker of the shared tools, beside the checkout
OOXML_CHECK = Path(__file__).resolve().parents[2] / "shared" / "tools" / "ooxml" / "ooxml_check.py"
SHEET = "Account plan"


def ooxml_ok(path: Path) -> None:
    """The workbook passes ooxml_check (what would make Excel offer a repair)."""
    if not OOXML_CHECK.is_file():
        return
    run = subprocess.run([sys.executable, str(OOXML_CHECK), str(path)], capture_output=True, text=True)
    assert run.returncode == 0 and " 0 with problems" in run.stdout, run.stdout + run.stderr


# ---------------------------------------------------------------- data (worked by hand)
# C1 Alpha LLC: 2024 one order 1000 (10 units); 2025 orders 1500 (10, sku a) and 500 (5, sku b)
# C2 Beta: 2025 one order 3000 (30 units); nothing in 2024
# C3 Gamma: 2024 orders 1000 (4) and 200 (1); 2025 one order 800 (8)
# market 2025: C1 buys 2000 from us and 3000 from Rival (need 5000); C3 1200 from Rival
TX = [("C1", "2024-03-10", "O1", "a", 1000, 10), ("C1", "2025-02-01", "O2", "a", 1500, 10),
      ("C1", "2025-06-01", "O3", "b", 500, 5), ("C2", "2025-04-04", "O4", "a", 3000, 30),
      ("C3", "2024-05-05", "O5", "a", 1000, 4), ("C3", "2024-11-11", "O6", "b", 200, 1),
      ("C3", "2025-09-09", "O7", "c", 800, 8)]


def _analysis(rows=TX):
    tx = pd.DataFrame(rows, columns=["client_id", "date", "order_id", "sku", "amount", "quantity"])
    tx["date"] = pd.to_datetime(tx["date"])
    ids = sorted(set(tx["client_id"]))
    names = {"C1": "Alpha LLC", "C2": "Beta", "C3": "Gamma"}
    clients = pd.DataFrame({"client_id": ids, "name": [names.get(i, f"Client {i}") for i in ids],
                            "industry": ["Clinic" if i != "C2" else "Lab" for i in ids],
                            "manager": ["Boris" if i == "C2" else "Anna" for i in ids]})
    market = pd.DataFrame({"client_id": ["C1", "C1", "C3"], "supplier": ["Us", "Rival", "Rival"],
                           "amount": [2000, 3000, 1200], "date": pd.to_datetime(["2025-05-01"] * 3)})
    s = Settings(our_supplier="Us").copy(window="explicit", window_start=pd.Timestamp("2025-01-01").date(),
                                         window_end=pd.Timestamp("2025-12-31").date())
    return analyze(tx, clients, market, s)


@pytest.fixture(scope="module")
def analysis():
    return _analysis()


# ---------------------------------------------------------------- the restyled template
def build_template(path: Path, *, vba: bool = False, company_cell: str = "B5", financials: str = "$E$13:$F$20",
                   formula_on_company: bool = False, protect: bool = False, unknown: bool = True) -> Path:
    """A company's own account-plan template: a logo, its own title and
    fields, our names on cells of its own layout (rows and columns moved from
    ours), its own formulas over the names, a global name, a lists sheet."""
    wb = xlsxwriter.Workbook(str(path))
    if vba:
        vba_file = path.with_suffix(".bin")
        vba_file.write_bytes(_vba_project())
        wb.add_vba_project(str(vba_file))
    ws = wb.add_worksheet(SHEET)
    lists = wb.add_worksheet("Lists")
    bold = wb.add_format({"bold": True, "font_size": 16, "font_color": "#7030A0"})
    inp = wb.add_format({"bg_color": "#FCE4D6", "border": 1})
    money = wb.add_format({"num_format": "#,##0", "bg_color": "#FCE4D6"})
    pct = wb.add_format({"num_format": "0.0%"})
    q = f"'{SHEET}'"

    def name(n: str, ref: str) -> None:
        wb.define_name(f"{q}!{n}", f"={q}!{ref}")

    logo = path.with_name(path.stem + "_logo.png")
    logo.write_bytes(_png(8, 4, (112, 48, 160)))
    ws.insert_image("A1", str(logo))
    ws.write_string("C1", "Key account plan", bold)
    ws.write_string("A3", "Prepared by")
    ws.write_string("B3", "Sales operations")
    if unknown:
        name("prepared_by", "$B$3")
    ws.write_string("A5", "Client")
    ws.merge_range("B5:D5", "", inp)
    if formula_on_company:
        ws.write_formula("B5", '="company"', inp, "company")
    name("company", f"${company_cell[0]}${company_cell[1:]}")
    for r, (lbl, n) in enumerate([("Code", "client_id"), ("Owner", "manager"), ("Sector", "industry")], start=6):
        ws.write_string(f"A{r}", lbl)
        ws.write_blank(f"B{r}", None, inp)
        name(n, f"$B${r}")
    ws.write_string("A9", "Region (ours)")
    ws.write_string("B9", "North")
    # financials in columns E:F, the change in G
    ws.write_string("D12", "Indicator")
    ws.write_string("E12", "last year")
    ws.write_string("F12", "this year")
    name("years", "$E$12:$F$12")
    for i, lbl in enumerate(["Revenue", "LTV", "Average check", "Checks", "Average SKU price", "Depth",
                             "Units", "Orders"]):
        r = 13 + i
        ws.write_string(f"D{r}", lbl)
        ws.write_blank(f"E{r}", None, money)
        ws.write_blank(f"F{r}", None, money)
        ws.write_formula(f"G{r}", f'=IF(AND(ISNUMBER(E{r}),ISNUMBER(F{r}),E{r}<>0),F{r}/E{r}-1,"")', pct, "")
    wb.define_name(f"{q}!financials", f"={q}!{financials}")
    for r, n in enumerate(["psc_group", "psc_code", "dsl_level", "kml_code", "abc_xyz", "rfm_code", "rfm_segment",
                           "bcg_attractiveness", "bcg_relationship", "bcg_strategy"], start=23):
        ws.write_string(f"A{r}", n.replace("_", " "))
        ws.write_blank(f"B{r}", None, inp)
        name(n, f"$B${r}")
    ws.write_string("A35", "Progress level")
    ws.write_formula("B35", '=IFERROR(AVERAGE(B36:B41),"")', None, 4.0)
    name("progress_level", "$B$35")
    for r, v in zip(range(37, 42), [4, 4, 3, 5, 4]):
        ws.write_number(f"B{r}", v, inp)
    ws.write_blank("B36", None, inp)
    ws.data_validation("B36:B41", {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5})
    name("ratings", "$B$36:$B$41")
    ws.write_blank("B44", None, money)
    name("need", "$B$44")
    ws.write_number("B45", 0.10, pct)
    name("need_growth", "$B$45")
    ws.write_number("B46", 0.50, pct)
    name("target_sow", "$B$46")
    ws.write_blank("B47", None, money)
    name("our_revenue", "$B$47")
    ws.write_formula("B48", '=IF(AND(ISNUMBER(need),need<>0),our_revenue/need,"")', pct, "")
    name("current_sow", "$B$48")
    ws.write_formula("B49", '=IF(ISNUMBER(need),need-our_revenue,"")', money, "")
    name("whitespace", "$B$49")
    ws.write_formula("B50", '=IF(ISNUMBER(need),need*(1+need_growth)*target_sow,"")', money, "")
    name("forecast", "$B$50")
    ws.write_string("A51", "Stretch forecast")
    ws.write_formula("B51", '=IF(ISNUMBER(forecast),forecast*1.1,"")', money, "")
    ws.write_string("A52", "Monthly forecast")
    ws.write_formula("B52", '=IF(ISNUMBER(B50),B50/12,"")', money, "")
    ws.write_string("A53", "Need incl. VAT")
    ws.write_formula("B53", '=IF(ISNUMBER(need),need*(1+vat_rate),"")', money, "")
    ws.write_string("E55", "yes")
    for r in range(56, 78):
        ws.write_blank(f"E{r}", None, inp)
    name("steps_done", "$E$55:$E$77")
    ws.write_formula("B78", '=COUNTIF(E55:E77,"yes")/23', pct, 1 / 23)
    name("completion_share", "$B$78")
    name("dm_map", "$A$81:$H$86")
    for r, (what, share) in enumerate([("digital X-ray", 0.3), ("second clinic", 0.5)], start=88):
        ws.write_string(f"A{r}", what)
        ws.write_number(f"B{r}", share, pct)
    name("initiatives", "$A$88:$B$90")
    ws.write_formula("B91", '=IFERROR(AVERAGE(B88:B90),"")', pct, 0.4)
    name("coverage", "$B$91")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Revenue", "categories": f"={q}!$D$13:$D$20", "values": f"={q}!$F$13:$F$20"})
    ws.insert_chart("J20", chart)
    ws.add_table("J2:K4", {"name": "Contacts", "columns": [{"header": "Who"}, {"header": "Phone"}],
                           "data": [["Olga", "123"], ["Petr", "456"]]})
    ws.write_formula("J6", "=ROWS(Contacts)", None, 2)
    if protect:
        ws.protect()
    lists.write_number("A1", 0.2)
    lists.write_string("B1", "decision maker")
    lists.write_formula("C1", f"={q}!B45*2", None, 0.2)
    wb.define_name("vat_rate", "=Lists!$A$1")
    wb.close()
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _named(wb: openpyxl.Workbook, sheet: str) -> dict[str, object]:
    """name -> value (one cell) or rows of values, through the sheet's own names."""
    ws = wb[sheet]
    out = {}
    for n, dn in ws.defined_names.items():
        ref = dn.attr_text.split("!")[1].replace("$", "")
        cells = ws[ref]
        out[n] = [[c.value for c in row] for row in cells] if ":" in ref else cells.value
    return out


@pytest.fixture(scope="module")
def filled(analysis, tmp_path_factory):
    d = tmp_path_factory.mktemp("fill")
    tpl = build_template(d / "plan.xlsx")
    res = fill_adp_template(analysis, ["C1", "C2", "C3"], tpl, d / "plans.xlsx")
    return tpl, res


# ---------------------------------------------------------------- ADP
def test_one_copy_per_client_named_after_it(filled):
    tpl, res = filled
    assert res.sheets == ["Alpha LLC", "Beta", "Gamma"]
    assert openpyxl.load_workbook(res.path).sheetnames == [SHEET, "Lists", "Alpha LLC", "Beta", "Gamma"]


def test_named_cells_hold_the_hand_checked_values(filled):
    _, res = filled
    wb = openpyxl.load_workbook(res.path)
    a = _named(wb, "Alpha LLC")
    assert (a["company"], a["client_id"], a["manager"], a["industry"]) == ("Alpha LLC", "C1", "Anna", "Clinic")
    assert a["years"] == [[2024, 2025]]
    # revenue, LTV, average check, checks, average SKU price, depth, units, orders
    assert a["financials"] == [[1000, 2000], [1000, 2000], [1000, 1000], [1, 2], [100, pytest.approx(2000 / 15)],
                               [10, 7.5], [10, 15], [1, 2]]
    # two categories, top one 1500 / 2000 = 75 % -> D2, S2 -> DSL level 3
    assert a["dsl_level"] == 3 and a["ratings"][0] == [3]
    assert [r[0] for r in a["ratings"][1:]] == [4, 4, 3, 5, 4]          # the template's own ratings kept
    assert (a["need"], a["our_revenue"]) == (5000, 2000)
    # two suppliers (K2), shares 0.4 and 0.6 -> HHI 0.52 (M2)
    assert a["kml_code"].startswith("K2_M2_")
    # BCG: attractiveness High and relationship Medium -> Invest (METHODOLOGY §5 matrix)
    assert (a["bcg_attractiveness"], a["bcg_relationship"], a["bcg_strategy"]) == ("High", "Medium", "Invest")
    b = _named(wb, "Beta")
    assert (b["company"], b["manager"], b["industry"]) == ("Beta", "Boris", "Lab")
    assert b["financials"][0] == [0, 3000] and b["financials"][2] == [None, 3000]   # no 2024 orders: no check
    assert b["need"] is None and b["kml_code"] is None                               # not in the market table
    g = _named(wb, "Gamma")
    assert g["financials"] == [[1200, 800], [1200, 800], [600, 800], [2, 1], [240, 100], [2.5, 8], [5, 8], [2, 1]]
    assert g["dsl_level"] == 1 and (g["need"], g["our_revenue"]) == (1200, 800)
    for sheet in ("Alpha LLC", "Beta", "Gamma"):
        assert wb[sheet]["B3"].value == "Sales operations" and wb[sheet]["B9"].value == "North"


def test_results_carry_cached_values_computed_by_hand(filled):
    _, res = filled
    wb = openpyxl.load_workbook(res.path, data_only=True)
    a, b = wb["Alpha LLC"], wb["Beta"]
    assert a["B35"].value == pytest.approx((3 + 4 + 4 + 3 + 5 + 4) / 6)    # progress level
    assert a["B48"].value == pytest.approx(0.4)                             # 2000 / 5000
    assert a["B49"].value == 3000                                           # 5000 - 2000
    assert a["B50"].value == pytest.approx(5000 * 1.1 * 0.5)                # the template's 10 % and 50 %
    assert a["B78"].value == pytest.approx(1 / 23)                          # one step marked yes
    assert a["B91"].value == pytest.approx((0.3 + 0.5) / 2)                 # the template's initiatives
    assert b["B50"].value in (None, "")                                     # no need known: empty
    # the template's own formulas lose their stale cached values
    assert a["B51"].value is None and a["G13"].value is None


def test_formulas_stay_and_workbook_recalculates_on_open(filled):
    _, res = filled
    wb = openpyxl.load_workbook(res.path)
    assert wb["Alpha LLC"]["B50"].value == '=IF(ISNUMBER(need),need*(1+need_growth)*target_sow,"")'
    with zipfile.ZipFile(res.path) as z:
        assert b'fullCalcOnLoad="1"' in z.read("xl/workbook.xml")


def test_untouched_parts_byte_identical(filled):
    tpl, res = filled
    before, after = _members(tpl), _members(res.path)
    changed = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    for name, data in before.items():
        if name == "xl/worksheets/sheet1.xml":      # the template sheet: only its tab is no longer selected
            assert after[name] == data.replace(b' tabSelected="1"', b""), name
        elif name not in changed:
            assert after[name] == data, name
    # each copy has its own drawing; the three copies share one copy of the logo
    drawings = [n for n in after if n.startswith("xl/drawings/drawing") and n.endswith(".xml")]
    assert len(drawings) == 4
    media = [after[n] for n in after if n.startswith("xl/media/")]
    assert len(media) == 2 and len(set(media)) == 1
    ooxml_ok(res.path)


def test_unknown_names_are_listed_as_information(filled):
    _, res = filled
    assert [(p.severity, p.reason) for p in res.info] == [
        (INFO, "name 'prepared_by' is not in the fill vocabulary; left as it is")]


def test_macro_enabled_template_keeps_its_vba_project(analysis, tmp_path):
    tpl = build_template(tmp_path / "plan.xlsm", vba=True)
    res = fill_adp_template(analysis, ["C1", "C2", "C3"], tpl, tmp_path / "plans.xlsm")
    before, after = _members(tpl), _members(res.path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"macroEnabled" in after["[Content_Types].xml"]
    assert _named(openpyxl.load_workbook(res.path, keep_vba=True), "Gamma")["company"] == "Gamma"
    ooxml_ok(res.path)
    with pytest.raises(FillError, match="holds macros"):
        fill_adp_template(analysis, ["C1"], tpl, tmp_path / "plans.xlsx")


def test_into_another_workbook_with_a_taken_name(analysis, tmp_path):
    tpl = build_template(tmp_path / "plan.xlsx")
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("Beta").write_number("A1", 7)
    wb.close()
    res = fill_adp_template(analysis, ["C2"], tpl, into=book)
    assert res.path == book and res.sheets == ["Beta (2)"]
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Beta", "Beta (2)"] and wb["Beta"]["A1"].value == 7
    assert _named(wb, "Beta (2)")["company"] == "Beta"
    # the template's "need incl. VAT" uses the template workbook's vat_rate, which book.xlsx lacks
    assert [(p.severity, p.column) for p in res.info if "vat_rate" in p.reason] == [(WARNING, "B53")]
    ooxml_ok(book)


@requires_soffice
def test_libreoffice_recalculates_the_templates_formulas(filled, tmp_path):
    _, res = filled
    out = recalc_many([res.path], tmp_path / "lo")[0]
    wb = openpyxl.load_workbook(out, data_only=True)
    a, g = wb["Alpha LLC"], wb["Gamma"]
    assert a["B51"].value == pytest.approx(2750 * 1.1)              # stretch forecast over the name
    assert a["B52"].value == pytest.approx(2750 / 12)
    assert a["B53"].value == pytest.approx(5000 * 1.2)              # the workbook's vat_rate
    assert a["G13"].value == pytest.approx(2000 / 1000 - 1)         # revenue change
    assert g["G13"].value == pytest.approx(800 / 1200 - 1)
    assert a["B50"].value == pytest.approx(2750) and a["B35"].value == pytest.approx(23 / 6)
    assert g["B48"].value == pytest.approx(800 / 1200) and g["B49"].value == 400
    # every cached value we wrote is what LibreOffice computes
    cached = openpyxl.load_workbook(res.path, data_only=True)
    for sheet in ("Alpha LLC", "Beta", "Gamma"):
        for cell in ("B35", "B48", "B49", "B50", "B78", "B91"):
            mine, lo = cached[sheet][cell].value, wb[sheet][cell].value
            assert (mine in (None, "") and lo in (None, "")) or mine == pytest.approx(lo), (sheet, cell)


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("options, cell, reason", [
    ({"formula_on_company": True}, "B5", "holds a formula"),
    ({"company_cell": "C5"}, "C5", "inside the merged cells B5:D5"),
    ({"protect": True}, "", "the sheet is protected"),
    ({"financials": "$E$13:$E$20"}, "E13:E20", "needs 8 row(s) × 2 column(s)"),
])
def test_refused_with_name_sheet_and_cell_and_nothing_written(analysis, tmp_path, options, cell, reason):
    tpl = build_template(tmp_path / "plan.xlsx", **options)
    out = tmp_path / "plans.xlsx"
    with pytest.raises(FillError) as e:
        fill_adp_template(analysis, ["C1"], tpl, out)
    fatal = e.value.report.fatal
    assert len(fatal) == 1 and fatal[0].sheet == SHEET and fatal[0].severity == FATAL
    assert reason in fatal[0].reason and cell in fatal[0].reason and fatal[0].column.startswith(cell[:2])
    assert fatal[0].reason.startswith("name '")
    assert not out.exists()


# ---------------------------------------------------------------- report
def build_report(path: Path, *, blocked: bool = False) -> Path:
    """A finance team's monthly report: a title, the window, the ABC summary
    (one data row and a bold Total, fewer rows than the data has) with a KPI
    formula over the name, the PSC-group summary on another sheet with spare
    rows below, notes, and a sheet that is not ours at all."""
    wb = xlsxwriter.Workbook(str(path))
    top = wb.add_worksheet("Monthly")
    psc = wb.add_worksheet("PSC")
    other = wb.add_worksheet("Budget")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    row = wb.add_format({"num_format": "#,##0", "bg_color": "#DDEBF7"})
    total = wb.add_format({"num_format": "#,##0", "bold": True, "top": 2})
    top.write_string("A1", "Monthly client report")
    top.write_blank("B2", None, date)
    top.write_blank("C2", None, date)
    wb.define_name("window_start", "=Monthly!$B$2")
    wb.define_name("window_end", "=Monthly!$C$2")
    for c in range(16):
        top.write_string(3, c, f"h{c}")
        top.write_number(4, c, 0, row)
        top.write_number(5, c, 0, total)
    wb.define_name("summary_abc", "=Monthly!$A$5:$P$6")
    top.conditional_format("B5:B6", {"type": "3_color_scale"})          # a heat map of the revenue column
    top.conditional_format("B2:B9", {"type": "cell", "criteria": ">", "value": 0,
                                     "format": wb.add_format({"italic": True})})  # not the table's rows
    top.write_string("R4", "A share of revenue")
    top.write_formula("R5", '=INDEX(summary_abc,1,2)/INDEX(summary_abc,ROWS(summary_abc),2)', None, 0)
    if blocked:
        top.write_string("B8", "note right below the table")
    for c in range(16):
        for r in range(1, 4):
            psc.write_number(r, c, 0, row)
    wb.define_name("summary_psc_group", "=PSC!$A$2:$P$4")
    psc.write_string("A20", "Notes: prepared by finance")
    other.write_number("A1", 100)
    other.write_formula("A2", "=A1*2", None, 200)
    kpi = wb.add_worksheet("KPI")
    kpi.write_formula("A1", "=Monthly!R5*100", None, 0)
    wb.close()
    return path


def test_report_tables_refreshed_and_grown(analysis, tmp_path):
    path = build_report(tmp_path / "report.xlsx")
    before = _members(path)
    res = fill_report(analysis, path)
    assert sorted(res.filled) == ["summary_abc", "summary_psc_group", "window_end", "window_start"]
    wb = openpyxl.load_workbook(path)
    assert wb.defined_names["summary_abc"].attr_text.replace("'", "") == "Monthly!$A$5:$P$7"     # grew from 2 rows to 3
    ws = wb["Monthly"]
    # by revenue: C2 3000 (share before 0) A, C1 2000 (3000/5800 = 0.517) A, C3 800 (0.862) B; total 5800
    assert [ws.cell(r, 1).value for r in range(5, 9)] == ["A", "B", "Total", None]
    assert ws["B5"].value == 5000 and ws["B6"].value == 800 and ws["B7"].value == 5800
    assert ws["C5"].value == pytest.approx(5000 / 5800) and ws["F5"].value == 2 and ws["F7"].value == 3
    assert ws["B7"].font.b and not ws["B6"].font.b and not ws["B5"].font.b       # Total keeps its look
    assert ws["B6"].fill.fgColor.rgb == ws["B5"].fill.fgColor.rgb                 # a new row looks like the first
    assert sorted(str(r.sqref) for r in ws.conditional_formatting) == ["B2:B9", "B5:B7"]   # the heat map follows
    p = wb["PSC"]
    assert wb.defined_names["summary_psc_group"].attr_text.replace("'", "") == "PSC!$A$2:$P$4"
    assert [p["A4"].value, p["B4"].value, p["F4"].value] == ["Total", 5800, 3]
    assert p["A20"].value == "Notes: prepared by finance"
    assert ws["B2"].value.date() == pd.Timestamp("2025-01-01").date()
    ooxml_ok(path)
    after = _members(path)
    assert after["xl/worksheets/sheet3.xml"] == before["xl/worksheets/sheet3.xml"]    # Budget untouched
    assert after["xl/styles.xml"] == before["xl/styles.xml"]


def test_report_refreshed_again_after_the_data_change(tmp_path):
    path = build_report(tmp_path / "report.xlsx")
    fill_report(_analysis(), path)
    # a fourth client with a big order: 10000 (share before 0) A, 3000 (0.633) A, 2000 (0.823) B,
    # 800 (0.949) B; total 15800
    more = TX + [("C4", "2025-10-10", "O8", "a", 10000, 50)]
    fill_report(_analysis(more), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Monthly"]
    assert [ws.cell(r, 1).value for r in range(5, 8)] == ["A", "B", "Total"]
    assert [ws["B5"].value, ws["B6"].value, ws["B7"].value] == [13000, 2800, 15800]
    assert [ws["F5"].value, ws["F6"].value, ws["F7"].value] == [2, 2, 4]
    ooxml_ok(path)
    # only Beta's order left: one class A and the Total -> the table shrinks to 2 rows
    res = fill_report(_analysis([r for r in TX if r[0] == "C2"]), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Monthly"]
    assert wb.defined_names["summary_abc"].attr_text.replace("'", "") == "Monthly!$A$5:$P$6"
    assert [ws["A5"].value, ws["B5"].value, ws["A6"].value, ws["B6"].value] == ["A", 3000, "Total", 3000]
    assert ws["B6"].font.b and ws["A7"].value is None and ws["B7"].value is None and not ws["B7"].font.b
    assert "summary_psc_group" in res.filled
    ooxml_ok(path)


@requires_soffice
def test_report_formulas_recalculate(analysis, tmp_path):
    path = build_report(tmp_path / "report.xlsx")
    fill_report(analysis, path)
    out = recalc_many([path], tmp_path / "lo")[0]
    ws = openpyxl.load_workbook(out, data_only=True)["Monthly"]
    assert ws["R5"].value == pytest.approx(5000 / 5800)
    assert openpyxl.load_workbook(out, data_only=True)["KPI"]["A1"].value == pytest.approx(500000 / 5800)
    cached = openpyxl.load_workbook(path, data_only=True)
    assert cached["Monthly"]["R5"].value is None and cached["KPI"]["A1"].value is None   # stale caches dropped
    assert cached["Budget"]["A2"].value == 200                                         # not depending: kept


def test_report_refused_when_the_table_cannot_grow(analysis, tmp_path):
    path = build_report(tmp_path / "report.xlsx", blocked=True)
    fill_report(analysis, path)                      # A, B, Total: rows 5-7, the note in row 8 stays
    # two small clients: 3000 A, 2000 A, 800 B, 100 (share before 0.968) C, 90 C -> A, B, C, Total
    more = TX + [("C4", "2025-10-10", "O8", "a", 100, 1), ("C5", "2025-10-10", "O9", "a", 90, 1)]
    before = path.read_bytes()
    with pytest.raises(FillError) as e:
        fill_report(_analysis(more), path)
    assert path.read_bytes() == before
    p = next(p for p in e.value.report.fatal if p.sheet == "Monthly")
    assert "summary_abc" in p.reason and "B8" in p.reason and "not empty" in p.reason


# ---------------------------------------------------------------- command line
def _inputs(d: Path) -> list[str]:
    tx = d / "sales.csv"
    tx.write_text("client,date,order,sku,amount,quantity\n"
                  + "".join(f"{c},{dt},{o},{s},{a},{q}\n" for c, dt, o, s, a, q in TX), encoding="utf-8")
    clients = d / "clients.csv"
    clients.write_text("client,name,industry,manager\nC1,Alpha LLC,Clinic,Anna\nC2,Beta,Lab,Boris\n"
                       "C3,Gamma,Clinic,Anna\n", encoding="utf-8")
    market = d / "market.csv"
    market.write_text("client,supplier,amount,date\nC1,Us,2000,2025-05-01\nC1,Rival,3000,2025-05-01\n"
                      "C3,Rival,1200,2025-05-01\n", encoding="utf-8")
    return [str(tx), "--clients", str(clients), "--market", str(market), "--our-supplier", "Us",
            "--start", "2025-01-01", "--end", "2025-12-31", "-q"]


def test_cli_adp_template_and_report(tmp_path, capsys):
    from xlb2b.cli import main

    args = _inputs(tmp_path)
    tpl = build_template(tmp_path / "plan.xlsx")
    out = tmp_path / "plans.xlsx"
    assert main(["adp", *args, "--client", "C1", "--client", "C3", "--template", str(tpl),
                 "--template-sheet", SHEET, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Alpha LLC, Gamma" in text and "prepared_by" in text
    assert _named(openpyxl.load_workbook(out), "Gamma")["need"] == 1200
    report = build_report(tmp_path / "report.xlsx")
    assert main(["report", *args, "--template", str(report)]) == 0
    assert openpyxl.load_workbook(report)["Monthly"]["B7"].value == 5800
    blocked = build_template(tmp_path / "bad.xlsx", formula_on_company=True)
    assert main(["adp", *args, "--top", "1", "--template", str(blocked), "-o", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "'company' (B5)" in err and SHEET in err and not (tmp_path / "x.xlsx").exists()


# ---------------------------------------------------------------- the vocabulary
ROOT = Path(__file__).resolve().parents[1]


def _names_of(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path)
    names = set(wb.defined_names.keys())
    for ws in wb.worksheets:
        names |= set(ws.defined_names.keys())
    return names


def test_vocabulary_names_are_unique():
    names = [n.name.lower() for n in fill.VOCABULARY]
    assert len(names) == len(set(names))


def test_blank_adp_template_uses_exactly_the_adp_names():
    adp = {n.name for n in fill.ADP_NAMES}
    for lang in ("en", "ru"):
        assert _names_of(ROOT / "workbook_templates" / lang / "adp.xlsx") == adp


def test_every_name_of_our_templates_is_in_the_vocabulary():
    known = {n.name for n in fill.VOCABULARY}
    for path in sorted((ROOT / "workbook_templates" / "en").glob("*.xlsx")):
        assert _names_of(path) <= known, path.name


def test_docs_list_every_name():
    text = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    missing = [n.name for n in fill.VOCABULARY if f"`{n.name}`" not in text]
    assert missing == []


def test_our_blank_template_fills_without_notes(analysis, tmp_path):
    res = fill_adp_template(analysis, ["C1"], ROOT / "workbook_templates" / "en" / "adp.xlsx", tmp_path / "a.xlsx")
    assert len(res.info) == 0 and res.sheets == ["Alpha LLC"]
    named = _named(openpyxl.load_workbook(tmp_path / "a.xlsx"), "Alpha LLC")
    assert named["company"] == "Alpha LLC" and named["financials"][0] == [1000, 2000]
    ooxml_ok(tmp_path / "a.xlsx")


def test_prefixed_template_parts_fill_the_same(analysis, tmp_path):
    """The template's workbook, sheet and shared strings written the way the
    Open XML SDK writes them (every element with an ``x:`` prefix)."""
    import re

    def _prefixed(xml: bytes) -> bytes:
        text = re.sub(r"<(/?)([A-Za-z][A-Za-z0-9]*)([\s/>])", r"<\1x:\2\3", xml.decode())
        return text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                            'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1).encode()

    plain = build_template(tmp_path / "plain.xlsx")
    sdk = tmp_path / "sdk.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(sdk, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
                raw = _prefixed(raw)
            z.writestr(info.filename, raw)
    res = fill_adp_template(analysis, ["C1", "C3"], sdk, tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(res.path)
    a = _named(wb, "Alpha LLC")
    assert a["company"] == "Alpha LLC" and a["financials"][0] == [1000, 2000] and a["need"] == 5000
    assert _named(wb, "Gamma")["financials"][2] == [600, 800]
    assert openpyxl.load_workbook(res.path, data_only=True)["Alpha LLC"]["B50"].value == pytest.approx(2750)
    ooxml_ok(res.path)


def test_excel_saved_macro_workbook_as_template(analysis, tmp_path):
    """xlwings' quickstart.xlsm, saved by Excel (revision ids, code names, a
    VBA project, an empty sheet), with three names typed in Name Manager."""
    import re

    import xlwings
    book = tmp_path / "quick.xlsm"
    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as src, \
            zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename == "xl/workbook.xml":
                raw = raw.replace(b"</sheets>", b'</sheets><definedNames><definedName name="company" '
                                  b'localSheetId="0">Sheet1!$B$2</definedName><definedName name="need" '
                                  b'localSheetId="0">Sheet1!$B$3</definedName><definedName name="our_revenue" '
                                  b'localSheetId="0">Sheet1!$B$4</definedName></definedNames>')
            z.writestr(info, raw)
    before = _members(book)
    res = fill_adp_template(analysis, ["C1", "C3"], book, tmp_path / "out.xlsm")
    after = _members(res.path)
    wb = openpyxl.load_workbook(res.path, keep_vba=True)
    assert wb.sheetnames == ["Sheet1", "_xlwings.conf", "Alpha LLC", "Gamma"]
    assert [wb["Gamma"][c].value for c in ("B2", "B3", "B4")] == ["Gamma", 1200, 800]
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["xl/worksheets/sheet2.xml"] == before["xl/worksheets/sheet2.xml"]
    copies = [after[n] for n in after if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n) and n not in before]
    assert len(copies) == 2 and not any(b"codeName" in c or b"xr:uid" in c for c in copies)
    ooxml_ok(res.path)


def test_excel_table_named_like_a_report_table_grows(analysis, tmp_path):
    path = tmp_path / "tables.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.add_table("A2:P4", {"name": "summary_psc_group", "columns": [{"header": f"c{i}"} for i in range(16)],
                           "data": [[0] * 16, [0] * 16]})
    ws.write_formula("R2", "=SUM(summary_psc_group[c1])", None, 0)
    ws.add_table("A10:P12", {"name": "summary_abc", "total_row": True,
                             "columns": [{"header": f"d{i}"} for i in range(16)], "data": [[0] * 16]})
    wb.close()
    with pytest.raises(FillError, match="Total Row"):
        fill_report(analysis, path, tmp_path / "refused.xlsx")
    assert not (tmp_path / "refused.xlsx").exists()

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.add_table("A2:P4", {"name": "summary_psc_group", "columns": [{"header": f"c{i}"} for i in range(16)],
                           "data": [[0] * 16, [0] * 16]})
    ws.write_formula("R2", "=SUM(summary_psc_group[c1])", None, 0)
    wb.close()
    res = fill_report(analysis, path, tmp_path / "out.xlsx")
    assert res.filled == ["summary_psc_group"]
    out = openpyxl.load_workbook(res.path)
    t = out["Data"].tables["summary_psc_group"]
    # PSC groups: C1 "02 Unstable best", C2 and C3 "04 Normal", then Total: 3 data rows under the header
    assert t.ref == "A2:P5" and t.autoFilter.ref == "A2:P5"
    assert [out["Data"][f"A{r}"].value for r in range(2, 6)] == ["c0", "02 Unstable best", "04 Normal", "Total"]
    assert [out["Data"][f"B{r}"].value for r in range(3, 6)] == [2000, 3800, 5800]
    ooxml_ok(res.path)


def test_each_copy_has_its_own_chart_and_table(filled):
    _, res = filled
    members = _members(res.path)
    charts = [members[n].decode() for n in members if n.startswith("xl/charts/chart")]
    for sheet in ("Account plan", "Alpha LLC", "Beta", "Gamma"):
        assert sum(f"'{sheet}'!$F$13:$F$20" in c or f"{sheet}!$F$13:$F$20" in c for c in charts) == 1, sheet
    wb = openpyxl.load_workbook(res.path)
    tables = {s: list(wb[s].tables) for s in ("Account plan", "Alpha LLC", "Beta", "Gamma")}
    assert tables["Account plan"] == ["Contacts"]
    own = [tables[s][0] for s in ("Alpha LLC", "Beta", "Gamma")]
    assert len(set(own) | {"Contacts"}) == 4
    for sheet, name in zip(("Alpha LLC", "Beta", "Gamma"), own):
        assert wb[sheet]["J6"].value == f"=ROWS({name})" and wb[sheet].tables[name].ref == "J2:K4"


def test_table_renames_reach_bare_table_names():
    from xlb2b.excel.merge import rename_references
    assert rename_references('=ROWS(Contacts)+SUM(Contacts[Phone])+LEN("Contacts")+Sheet1!Contacts',
                             {}, {"contacts": "Contacts_1"}) == \
        '=ROWS(Contacts_1)+SUM(Contacts_1[Phone])+LEN("Contacts")+Sheet1!Contacts'


def test_report_refresh_in_place_of_a_workbook_open_in_excel_is_refused(tmp_path, capsys):
    from xlb2b.cli import main

    args = _inputs(tmp_path)
    report = build_report(tmp_path / "report.xlsx")
    before = report.read_bytes()
    (tmp_path / "~$report.xlsx").write_bytes(b"owner")
    assert main(["report", *args, "--template", str(report)]) == 1
    assert "report.xlsx is open in Excel or LibreOffice" in capsys.readouterr().err
    assert report.read_bytes() == before


def _vml_blocks(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each VML drawing's o:idmap blocks and shape ids."""
    import re

    with zipfile.ZipFile(path) as z:
        return {
            n: (re.findall(r'idmap\b[^>]*\sdata="([^"]*)"', z.read(n).decode()),
                re.findall(r'id="(_x0000_s\d+)"', z.read(n).decode()))
            for n in z.namelist() if n.lower().endswith(".vml")
        }


def test_every_copy_of_a_sheet_with_a_comment_gets_its_own_comment_shape_ids(analysis, tmp_path):
    tpl = tmp_path / "noted.xlsx"
    wb = xlsxwriter.Workbook(str(tpl))
    wb.add_worksheet("Notes").write_comment("A1", "the workbook's own note")
    ws = wb.add_worksheet(SHEET)
    ws.write_comment("B5", "fill me")
    wb.define_name(f"'{SHEET}'!company", f"='{SHEET}'!$B$5")
    wb.close()
    out = tmp_path / "plans.xlsx"
    fill_adp_template(analysis, ["C1", "C2", "C3"], tpl, out)
    blocks = _vml_blocks(out)
    assert len(blocks) == 5  # the two of the template and one per copy
    idmaps = [b for ids, _ in blocks.values() for b in ids]
    shapes = [s for _, ids in blocks.values() for s in ids]
    assert len(idmaps) == 5 and len(set(idmaps)) == 5
    assert len(shapes) == 5 and len(set(shapes)) == 5
    # shape n of block k is _x0000_s(1024 k + n), n from 1
    for ids, sh in blocks.values():
        assert sh == [f"_x0000_s{1024 * int(ids[0]) + 1}"]
    ooxml_ok(out)


def test_a_name_left_pointing_at_a_deleted_sheet_is_refused_as_such(analysis, tmp_path):
    import re

    tpl = build_template(tmp_path / "plan.xlsx")
    with zipfile.ZipFile(tpl) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    # what Excel leaves in a name when the sheet it pointed at is deleted
    wb, n = re.subn(r'(<definedName name="company" localSheetId="\d+">)[^<]*', r"\1#REF!$B$5",
                    parts["xl/workbook.xml"].decode())
    assert n == 1
    parts["xl/workbook.xml"] = wb.encode()
    with zipfile.ZipFile(tpl, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = tmp_path / "plans.xlsx"
    with pytest.raises(FillError) as e:
        fill_adp_template(analysis, ["C1"], tpl, out)
    fatal = e.value.report.fatal
    assert len(fatal) == 1 and fatal[0].sheet == SHEET and fatal[0].column == "#REF!$B$5"
    assert "name 'company'" in fatal[0].reason and "deleted sheet or deleted cells (#REF!)" in fatal[0].reason
    assert "Name Manager" in fatal[0].reason and "not a worksheet" not in fatal[0].reason
    assert not out.exists()


def _with_pivot_table_on_the_template_sheet(tpl: Path) -> None:
    """Hand-add what Excel writes for a pivot table on the template sheet: the pivot table part
    (related from the sheet), its cache definition (related from the workbook) and content types."""
    import re

    m = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(tpl) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    wb = parts["xl/workbook.xml"].decode()
    index = re.findall(r'<sheet name="([^"]*)"', wb).index(SHEET)
    rels_name = f"xl/worksheets/_rels/sheet{index + 1}.xml.rels"
    pivot_rel = f'<Relationship Id="rIdP1" Type="{r}/pivotTable" Target="../pivotTables/pivotTable1.xml"/>'
    rels = parts.get(rels_name, b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                b"</Relationships>").decode()
    parts[rels_name] = rels.replace("</Relationships>", pivot_rel + "</Relationships>").encode()
    parts["xl/pivotTables/pivotTable1.xml"] = (
        f'<pivotTableDefinition xmlns="{m}" name="PivotTable1" cacheId="1" dataCaption="Values">'
        '<location ref="H1:I3" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>'
        '<pivotFields count="1"><pivotField showAll="0"/></pivotFields></pivotTableDefinition>').encode()
    parts["xl/pivotTables/_rels/pivotTable1.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{r}/pivotCacheDefinition" Target="../pivotCache/pivotCacheDefinition1.xml"/>'
        "</Relationships>").encode()
    parts["xl/pivotCache/pivotCacheDefinition1.xml"] = (
        f'<pivotCacheDefinition xmlns="{m}"><cacheSource type="worksheet"><worksheetSource ref="A1:A3" '
        f'sheet="{SHEET}"/></cacheSource><cacheFields count="1"><cacheField name="x" numFmtId="0"><sharedItems/>'
        "</cacheField></cacheFields></pivotCacheDefinition>").encode()
    ct = parts["[Content_Types].xml"].decode().replace("</Types>", (
        '<Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml"/><Override PartName='
        '"/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"/></Types>'))
    parts["[Content_Types].xml"] = ct.encode()
    with zipfile.ZipFile(tpl, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_template_sheet_holding_a_pivot_table_is_refused_with_what_to_do(analysis, tmp_path):
    tpl = build_template(tmp_path / "plan.xlsx")
    _with_pivot_table_on_the_template_sheet(tpl)
    out = tmp_path / "plans.xlsx"
    with pytest.raises(FillError) as e:
        fill_adp_template(analysis, ["C1", "C2"], tpl, out)
    fatal = e.value.report.fatal
    assert len(fatal) == 1 and fatal[0].sheet == SHEET and not fatal[0].column
    assert fatal[0].reason.startswith("the template sheet holds a pivot table, which cannot be copied once per client")
    assert "move it to another sheet" in fatal[0].reason
    assert not out.exists()


THREAD = "{AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE}"
PERSON = "{11111111-2222-4333-8444-555555555555}"


def _template_with_a_threaded_comment(tpl: Path) -> None:
    """A template whose sheet has a threaded comment as Excel saves one: the threaded comment part
    (related from the sheet), the person list (from the workbook) and the legacy comment older
    versions show, whose author names the thread ("tc={id}")."""
    import re

    wb = xlsxwriter.Workbook(str(tpl))
    ws = wb.add_worksheet(SHEET)
    ws.write_comment("B5", "[Threaded comment] check the name", {"author": f"tc={THREAD}"})
    wb.define_name(f"'{SHEET}'!company", f"='{SHEET}'!$B$5")
    wb.close()
    with zipfile.ZipFile(tpl) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    tc_ns = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
    rt = "http://schemas.microsoft.com/office/2017/10/relationships/"
    parts["xl/threadedComments/threadedComment1.xml"] = (
        f'<ThreadedComments xmlns="{tc_ns}"><threadedComment ref="B5" dT="2026-01-01T10:00:00.00" '
        f'personId="{PERSON}" id="{THREAD}"><text>check the name</text></threadedComment></ThreadedComments>'
    ).encode()
    parts["xl/persons/person.xml"] = (
        f'<personList xmlns="{tc_ns}"><person displayName="Ann" id="{PERSON}" userId="Ann" providerId="None"/>'
        "</personList>").encode()
    for rels, rel in (("xl/worksheets/_rels/sheet1.xml.rels",
                       f'<Relationship Id="rIdT" Type="{rt}threadedComment" '
                       'Target="../threadedComments/threadedComment1.xml"/>'),
                      ("xl/_rels/workbook.xml.rels",
                       f'<Relationship Id="rIdP" Type="{rt}person" Target="persons/person.xml"/>')):
        parts[rels] = parts[rels].decode().replace("</Relationships>", rel + "</Relationships>").encode()
    parts["[Content_Types].xml"] = re.sub("</Types>", (
        '<Override PartName="/xl/threadedComments/threadedComment1.xml" '
        'ContentType="application/vnd.ms-excel.threadedcomments+xml"/>'
        '<Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.person+xml"/></Types>'),
        parts["[Content_Types].xml"].decode()).encode()
    with zipfile.ZipFile(tpl, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_every_copy_of_a_threaded_comment_gets_its_own_id_and_its_legacy_comment_follows(analysis, tmp_path):
    import re

    tpl = tmp_path / "noted.xlsx"
    _template_with_a_threaded_comment(tpl)
    out = tmp_path / "plans.xlsx"
    fill_adp_template(analysis, ["C1", "C2"], tpl, out)
    with zipfile.ZipFile(out) as z:
        parts = {n: z.read(n).decode() for n in z.namelist()}
    threads = {n: t for n, t in parts.items() if n.startswith("xl/threadedComments/")}
    ids = [i for t in threads.values() for i in re.findall(r'\sid="([^"]*)"', t)]
    assert len(threads) == 3 and len(ids) == 3 and len(set(ids)) == 3 and THREAD in ids
    assert all(f'personId="{PERSON}"' in t for t in threads.values())
    # each sheet's legacy comment names the thread of that sheet
    for sheet_rels in (n for n in parts if n.startswith("xl/worksheets/_rels/")):
        targets = re.findall(r'Target="\.\./([^"]*)"', parts[sheet_rels])
        thread = next(parts["xl/" + t] for t in targets if t.startswith("threadedComments/"))
        legacy = next(parts["xl/" + t] for t in targets if t.startswith("comments"))
        (tid,) = re.findall(r'\sid="([^"]*)"', thread)
        assert f"<author>tc={tid}</author>" in legacy
    ooxml_ok(out)


def test_into_another_workbook_references_to_sheets_it_lacks_become_ref_errors(analysis, tmp_path):
    import re

    tpl = tmp_path / "plan.xlsx"
    wb = xlsxwriter.Workbook(str(tpl))
    wb.add_worksheet("Rates").write_number("A1", 0.2)
    ws = wb.add_worksheet(SHEET)
    ws.write_formula("C5", "=Rates!A1*2", None, 0.4)
    ws.write_formula("C6", "='Rates'!$A$1+'Account plan'!C5", None, 0.6)
    ws.write_formula("C7", '="Rates!A1"', None, "Rates!A1")
    wb.define_name(f"'{SHEET}'!company", f"='{SHEET}'!$B$5")
    wb.define_name(f"'{SHEET}'!my_rate", "=Rates!$A$1")
    wb.close()
    book = tmp_path / "book.xlsx"
    other = xlsxwriter.Workbook(str(book))
    other.add_worksheet("Budget").write_number("A1", 7)
    other.close()
    res = fill_adp_template(analysis, ["C2"], tpl, into=book)
    assert res.sheets == ["Beta"]
    assert any("sheet 'rates'" in p.reason and "#REF!" in p.reason for p in res.info)
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
    formulas = re.findall(r"<f>([^<]*)</f>", sheet)
    assert formulas == ["#REF!A1*2", "#REF!$A$1+'Beta'!C5", '"Rates!A1"']
    assert '<definedName name="my_rate" localSheetId="1">#REF!$A$1</definedName>' in workbook
    ooxml_ok(book)


def _persons_of(path: Path) -> tuple[list[str], str]:
    """(the person ids of the workbook's person list, its content type) found through the workbook's rels."""
    import re

    with zipfile.ZipFile(path) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        (target,) = re.findall(r'Type="[^"]*/relationships/person" Target="([^"]*)"', rels)
        people = re.findall(r'<person\b[^>]*\sid="([^"]*)"', z.read("xl/" + target).decode())
        ct = re.findall(rf'PartName="/xl/{re.escape(target)}" ContentType="([^"]*)"',
                        z.read("[Content_Types].xml").decode())
    return people, ct[0] if ct else ""


def test_into_a_workbook_without_persons_the_threaded_comments_bring_their_authors(analysis, tmp_path):
    tpl = tmp_path / "noted.xlsx"
    _template_with_a_threaded_comment(tpl)
    book = tmp_path / "book.xlsx"
    other = xlsxwriter.Workbook(str(book))
    other.add_worksheet("Budget").write_number("A1", 7)
    other.close()
    fill_adp_template(analysis, ["C1"], tpl, into=book)
    assert _persons_of(book) == ([PERSON], "application/vnd.ms-excel.person+xml")
    ooxml_ok(book)


def test_into_a_workbook_with_its_own_persons_the_missing_authors_are_appended(analysis, tmp_path):
    tpl = tmp_path / "noted.xlsx"
    _template_with_a_threaded_comment(tpl)
    book = tmp_path / "book.xlsx"
    _template_with_a_threaded_comment(book)  # has PERSON already
    import re

    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    theirs = "{99999999-8888-4777-8666-555555555555}"
    parts["xl/persons/person.xml"] = parts["xl/persons/person.xml"].replace(PERSON.encode(), theirs.encode())
    parts["xl/threadedComments/threadedComment1.xml"] = re.sub(
        PERSON.encode(), theirs.encode(), parts["xl/threadedComments/threadedComment1.xml"])
    with zipfile.ZipFile(book, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    fill_adp_template(analysis, ["C1"], tpl, into=book)
    assert _persons_of(book) == ([theirs, PERSON], "application/vnd.ms-excel.person+xml")
    ooxml_ok(book)


@pytest.mark.parametrize("command", ["report", "adp"])
def test_a_password_protected_template_is_refused_without_talking_of_adding_sheets(tmp_path, capsys, command):
    from xlb2b.cli import main

    args = _inputs(tmp_path)
    # an encrypted workbook is an OLE compound file, as an old .xls is
    locked = tmp_path / "report.xlsx"
    locked.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4088))
    extra = ["--top", "1", "-o", str(tmp_path / "out.xlsx")] if command == "adp" else []
    assert main([command, *args, "--template", str(locked), *extra]) == 2
    err = capsys.readouterr().err
    assert "error: cannot read report.xlsx: " in err and "password-protected" in err and "add sheets" not in err
    assert "Traceback" not in err
