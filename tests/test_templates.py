"""Blank template workbooks (workbook_templates/<lang>/): committed files are
what the builder makes now, every formula recalculates without error values,
typed inputs give hand-computed results, the blank and the filled ADP share
one layout, and every defined name resolves to a cell of its sheet."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import openpyxl
import pytest
from lo import compare_recalculated, recalc_many, requires_soffice
from openpyxl.utils.cell import coordinate_to_tuple

from xlb2b.excel.adp_sheets import write_adp_workbook
from xlb2b.pipeline import analyze
from xlb2b.sample import generate
from xlb2b.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_templates as bt  # noqa: E402

TEMPLATES = ROOT / "workbook_templates"
CASES = [(lang, stem) for lang in bt.LANGS for stem, _ in bt.templates()]


def _ids(case):
    return f"{case[0]}-{case[1]}"


def _snapshot(source) -> dict:
    """Every cell's value or formula per sheet, and every defined name with its target."""
    wb = openpyxl.load_workbook(source)
    cells = {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
             for ws in wb.worksheets}
    names = {(None, n): d.attr_text for n, d in wb.defined_names.items()}
    for ws in wb.worksheets:
        names.update({(ws.title, n): d.attr_text for n, d in ws.defined_names.items()})
    return {"sheets": wb.sheetnames, "cells": cells, "names": names}


def _names(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, name) -> (target sheet, first cell) of every sheet-scoped name."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for n, d in ws.defined_names.items():
            (title, ref), = list(d.destinations)
            out[(ws.title, n)] = (title, ref.replace("$", "").split(":")[0])
    return out


# ---------------------------------------------------------------- committed = built
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_committed_template_is_current(case):
    lang, stem = case
    path = TEMPLATES / lang / f"{stem}.xlsx"
    assert path.is_file(), f"{path} is missing: run python tools/build_templates.py"
    assert _snapshot(path) == _snapshot(io.BytesIO(bt.build_bytes(stem, lang))), \
        f"{path} is stale: run python tools/build_templates.py"


def test_rebuilding_gives_the_same_bytes():
    assert bt.build_bytes("adp", "en") == bt.build_bytes("adp", "en")
    assert bt.build_bytes("bcg_scoring", "ru") == bt.build_bytes("bcg_scoring", "ru")


def test_every_template_has_a_picture():
    for lang, stem in CASES:
        assert (ROOT / "docs" / "templates" / lang / f"{stem}.png").is_file(), (lang, stem)


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_defined_name_resolves_to_a_cell_of_its_sheet(case):
    lang, stem = case
    path = TEMPLATES / lang / f"{stem}.xlsx"
    wb = openpyxl.load_workbook(path)
    assert not list(wb.defined_names.keys()) or all(
        d.attr_text.startswith("_xlnm") for d in wb.defined_names.values())   # all names are sheet-scoped
    for (sheet, name), (title, ref) in _names(path).items():
        assert title == sheet, (sheet, name, title)
        # the cell is written (a value, a formula or an input's format)
        assert coordinate_to_tuple(ref) in wb[title]._cells, (sheet, name, ref)


def test_templates_expose_the_documented_names():
    def local(stem):
        return {n for _, n in _names(TEMPLATES / "en" / f"{stem}.xlsx")}

    assert {"ratings", "progress_level", "need", "need_growth", "target_sow", "our_revenue", "current_sow",
            "whitespace", "forecast", "steps_done", "completion_share", "coverage", "company_revenue",
            "sales_plan"} <= local("adp")
    assert {"company", "steps_done", "completion_share"} <= local("checklist")
    assert {"clients", "forecasts", "forecast_total", "target", "gap"} <= local("revenue_plan")
    assert {"bcg_clients", "bcg_names", "bcg_revenue", "bcg_ratings", "bcg_weights", "bcg_middle_from",
            "bcg_top_from", "bcg_strategy", "bcg_policy", "bcg_strategy_matrix",
            "bcg_policy_matrix"} <= local("bcg_scoring")
    assert {"bant_threshold", "bant_clients", "bant_names", "bant_answers", "bant_scores",
            "bant_qualified"} <= local("bant")
    assert {"nps_answers", "csi_pairs", "csi_clients", "deliveries", "nps", "csi_scale_max", "csi",
            "otif"} <= local("satisfaction")


# ---------------------------------------------------------------- blank = filled layout
def test_blank_and_filled_adp_share_the_layout(tmp_path):
    d = generate(30, seed=3)
    a = analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))
    cid = a.clients.sort_values("revenue", ascending=False)["client_id"].iloc[0]
    filled_wb = openpyxl.load_workbook(write_adp_workbook(a, [cid], tmp_path / "filled.xlsx"))
    filled = filled_wb.worksheets[0]
    blank = openpyxl.load_workbook(TEMPLATES / "en" / "adp.xlsx").worksheets[0]
    # every label of column A below the title, and every formula, in the same cells
    col_a = {c.coordinate: c.value for c in filled["A"][1:] if c.value is not None}
    assert col_a == {c.coordinate: c.value for c in blank["A"][1:] if c.value is not None}
    assert len(col_a) > 60

    def formulas(ws):
        return {c.coordinate: c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")}

    assert formulas(filled) == formulas(blank)
    names = {n: d.attr_text.split("!")[1] for n, d in filled.defined_names.items()}
    blank_names = {n: d.attr_text.split("!")[1] for n, d in blank.defined_names.items()}
    # the trajectory's two names are the template's only: a client's sheet has the block filled already,
    # and two names more would cost two Office.js actions on every ADP the buttons write
    assert names == {n: r for n, r in blank_names.items() if n not in ("trajectory", "trajectory_windows")}
    assert (blank_names["trajectory_windows"], blank_names["trajectory"]) == ("$G$25:$H$25", "$G$26:$H$33")
    assert filled["F25"].value == blank["F25"].value == "Trajectory W0 -> W1"          # the same block
    # the blank sheet's client facts are empty inputs
    assert filled["B4"].value and blank["B4"].value is None


# ---------------------------------------------------------------- LibreOffice
def _type_into_blank_adp(src: Path, dst: Path) -> None:
    """need 1,000,000, growth 10 %, target SOW 30 %, our revenue 200,000,
    ratings 3,4,3,3,4,4, steps 1, 2, 5, 8, 13, 23 done (six of 23)."""
    wb = openpyxl.load_workbook(src)
    ws = wb.worksheets[0]

    def at(name):
        (_, ref), = list(ws.defined_names[name].destinations)
        return ref.replace("$", "").split(":")[0]

    ws[at("need")] = 1_000_000
    ws[at("need_growth")] = 0.1
    ws[at("target_sow")] = 0.3
    ws[at("our_revenue")] = 200_000
    top = ws[at("ratings")]
    for i, v in enumerate([3, 4, 3, 3, 4, 4]):
        ws.cell(top.row + i, top.column, v)
    first = ws[at("steps_done")]
    for i in (0, 1, 4, 7, 12, 22):
        ws.cell(first.row + i, first.column, "yes")
    ws.cell(first.row + 2, first.column, "no")
    wb.save(dst)


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Every committed template and a blank ADP with typed inputs, recalculated
    by one LibreOffice run: {(lang, stem): (original, recalculated)}."""
    src = tmp_path_factory.mktemp("templates_src")
    sources = {}
    for lang, stem in CASES:
        copy = src / f"{lang}_{stem}.xlsx"
        copy.write_bytes((TEMPLATES / lang / f"{stem}.xlsx").read_bytes())
        sources[(lang, stem)] = copy
    typed = src / "en_adp_typed.xlsx"
    _type_into_blank_adp(TEMPLATES / "en" / "adp.xlsx", typed)
    sources[("en", "adp_typed")] = typed
    keys = list(sources)
    out = recalc_many([sources[k] for k in keys], tmp_path_factory.mktemp("templates_lo"))
    return {k: (sources[k], o) for k, o in zip(keys, out)}


@requires_soffice
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_template_recalculates_without_errors_to_its_cached_values(recalculated, case):
    original, fresh = recalculated[case]
    assert compare_recalculated(original, fresh) == []


@requires_soffice
def test_typed_blank_adp_computes_by_hand(recalculated):
    _, fresh = recalculated[("en", "adp_typed")]
    wb = openpyxl.load_workbook(fresh, data_only=True)
    ws = wb.worksheets[0]
    names = openpyxl.load_workbook(TEMPLATES / "en" / "adp.xlsx").worksheets[0].defined_names

    def value(name):
        (_, ref), = list(names[name].destinations)
        return ws[ref.replace("$", "").split(":")[0]].value

    assert value("forecast") == pytest.approx(330_000)          # 1,000,000 × 1.1 × 0.3
    assert value("whitespace") == pytest.approx(800_000)        # 1,000,000 − 200,000
    assert value("current_sow") == pytest.approx(0.2)           # 200,000 / 1,000,000
    assert value("progress_level") == pytest.approx(3.5)        # (3+4+3+3+4+4) / 6
    assert value("completion_share") == pytest.approx(6 / 23)


@requires_soffice
def test_blank_adp_results_are_empty_before_input(recalculated):
    _, fresh = recalculated[("en", "adp")]
    ws = openpyxl.load_workbook(fresh, data_only=True).worksheets[0]
    names = openpyxl.load_workbook(TEMPLATES / "en" / "adp.xlsx").worksheets[0].defined_names
    for name in ("forecast", "whitespace", "current_sow", "progress_level"):
        (_, ref), = list(names[name].destinations)
        assert ws[ref.replace("$", "")].value in (None, ""), name
    (_, ref), = list(names["completion_share"].destinations)
    assert ws[ref.replace("$", "")].value == 0
