"""Account Development Plan workbooks: hand-computed financials, the live
formulas recalculated by LibreOffice, data validation, the ``adp`` command."""
from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest
from lo import compare_recalculated, recalc_many, requires_soffice

from xlb2b import planning
from xlb2b.cli import main
from xlb2b.excel.adp_sheets import STEPS, client_financials, sheet_names, write_adp_workbook
from xlb2b.locale import label
from xlb2b.pipeline import analyze
from xlb2b.sample import OUR_SUPPLIER, generate, write_sample_files
from xlb2b.settings import Settings


# ---------------------------------------------------------------- financials by hand
def test_client_financials_by_hand():
    tx = pd.DataFrame({
        "client_id": ["K1", "K1", "K1", "K1", "K2", "K1"],
        "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-06-01", "2025-02-01", "2025-02-01",
                                "2023-12-31"]),
        "order_id": ["O1", "O1", "O2", "O3", "O4", "O0"],
        "sku": ["A", "B", "A", "A", "C", "B"],
        "quantity": [2.0, 1.0, 1.0, 4.0, 9.0, 5.0],
        "amount": [200.0, 300.0, 100.0, 400.0, 900.0, 500.0],
    })
    f = client_financials(tx, "K1", 2025)
    assert set(f) == {2024, 2025}
    y1, y2 = f[2024], f[2025]
    # 2024: orders O1 (200 + 300, 3 units) and O2 (100, 1 unit)
    assert y1["revenue"] == 600 and y1["ltv"] == 600
    assert y1["orders"] == 2 and y1["checks"] == 2
    assert y1["avg_check"] == 300
    assert y1["skus_sold"] == 4
    assert y1["avg_sku_price"] == 150
    assert y1["depth"] == 2
    # 2025: one order O3 of 4 units for 400; K2's line is not K1's
    assert y2["revenue"] == 400 and y2["orders"] == 1 and y2["avg_check"] == 400
    assert y2["skus_sold"] == 4 and y2["avg_sku_price"] == 100 and y2["depth"] == 4


def test_client_without_purchases_in_a_year():
    tx = pd.DataFrame({"client_id": ["K1"], "date": pd.to_datetime(["2025-05-05"]), "order_id": ["O1"],
                       "sku": ["A"], "quantity": [1.0], "amount": [50.0]})
    f = client_financials(tx, "K1", 2025)
    assert f[2024]["revenue"] == 0 and math.isnan(f[2024]["avg_check"])
    assert f[2025]["revenue"] == 50


def test_sheet_names_valid_and_unique():
    names = sheet_names(["ADP A/B: [x]*?", "ADP " + "x" * 40, "ADP " + "x" * 40, "revenue plan"],
                        taken=["Revenue plan"])
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.lower() for n in names} | {"revenue plan"}) == len(names) + 1


# ---------------------------------------------------------------- generated workbooks
@pytest.fixture(scope="module")
def analysis():
    d = generate(60, seed=7)
    return analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))


@pytest.fixture(scope="module")
def top3(analysis):
    return list(analysis.clients.sort_values("revenue", ascending=False)["client_id"][:3])


def _local(ws, name: str) -> tuple[str, str]:
    """(sheet title, cell) of a sheet-scoped defined name."""
    dn = ws.defined_names[name]
    (title, ref), = list(dn.destinations)
    return title, ref.replace("$", "")


def _cell(wb, sheet: str, name: str):
    title, ref = _local(wb[sheet], name)
    first = ref.split(":")[0]
    return wb[title][first]


def _fill(path, yes: str) -> str:
    """Put the seed's ratings, the forecast inputs and six steps done into the
    first ADP sheet (with openpyxl); returns that sheet's title."""
    wb = openpyxl.load_workbook(path)
    sheet = wb.sheetnames[0]

    def column_rows(name):
        title, ref = _local(wb[sheet], name)
        first = ref.split(":")[0]
        col = "".join(ch for ch in first if ch.isalpha())
        return wb[title], col, int("".join(ch for ch in first if ch.isdigit()))

    ws, col, row = column_rows("ratings")
    for i, v in enumerate([3, 4, 3, 3, 4, 4]):
        ws[f"{col}{row + i}"] = v
    _cell(wb, sheet, "need").value = 10_000_000
    _cell(wb, sheet, "need_growth").value = 0.1
    _cell(wb, sheet, "target_sow").value = 0.4
    ws, col, row = column_rows("steps_done")
    for i in (0, 2, 5, 9, 14, 22):
        ws[f"{col}{row + i}"] = yes
    ws[f"{col}{row + 1}"] = "no" if yes == "yes" else "нет"
    wb.save(path)
    return sheet


@pytest.fixture(scope="module")
def books(analysis, top3, tmp_path_factory):
    """The generated workbook (en and ru) and copies with the seed's inputs."""
    src = tmp_path_factory.mktemp("adp_src")
    plain = write_adp_workbook(analysis, top3, src / "plain.xlsx")
    plain_ru = write_adp_workbook(analysis, top3, src / "plain_ru.xlsx", lang="ru")
    filled = write_adp_workbook(analysis, top3, src / "filled.xlsx")
    filled_ru = write_adp_workbook(analysis, top3, src / "filled_ru.xlsx", lang="ru")
    sheet = _fill(filled, "yes")
    sheet_ru = _fill(filled_ru, "да")
    return {"plain": plain, "plain_ru": plain_ru, "filled": filled, "filled_ru": filled_ru,
            "sheet": sheet, "sheet_ru": sheet_ru}


@pytest.fixture(scope="module")
def recalculated(books, soffice, tmp_path_factory):  # noqa: F811
    """All four workbooks recalculated by LibreOffice in one start."""
    keys = ("plain", "plain_ru", "filled", "filled_ru")
    out = tmp_path_factory.mktemp("adp_recalc")
    return dict(zip(keys, recalc_many([books[k] for k in keys], out)))


def test_workbook_layout(books, analysis, top3):
    wb = openpyxl.load_workbook(books["plain"])
    assert len(wb.sheetnames) == 4 and wb.sheetnames[-1] == label("adp.plan_sheet", "en")
    plan = wb.sheetnames[-1]
    for sheet, cid in zip(wb.sheetnames[:3], top3):
        assert sheet.startswith("ADP ") and len(sheet) <= 31
        for name in ("progress_level", "need", "need_growth", "target_sow", "current_sow", "whitespace",
                     "forecast", "completion_share", "coverage"):
            assert name in wb[sheet].defined_names, (sheet, name)
        assert _cell(wb, sheet, "our_revenue").value == pytest.approx(
            float(analysis.clients.set_index("client_id").loc[cid, "revenue"]))
    for name in ("forecast_total", "target", "gap"):
        assert name in wb[plan].defined_names
    # every formula of the plan refers to an ADP sheet's forecast cell
    refs = [c.value for row in wb[plan].iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("='ADP")]
    assert len(refs) == 3


def test_data_validation(books):
    wb = openpyxl.load_workbook(books["plain"])
    ws = wb[books["sheet"]]
    dv = ws.data_validations.dataValidation
    lists = [d.formula1 for d in dv if d.type == "list"]
    roles = ",".join(label(f"adp.role_{k}", "en") for k in
                     ("decision_maker", "influencer", "champion", "executive_sponsor", "user"))
    assert f'"{roles}"' in lists
    assert any("known - not met" in f and "in regular contact" in f for f in lists)
    assert '"yes,no"' in lists
    whole = [d for d in dv if d.type == "whole"]
    assert len(whole) == 2 and all(d.formula1 == "1" and d.formula2 == "5" for d in whole)

    def covered(cell: str, kind: str, must: str = "") -> bool:
        return any(d.type == kind and cell in d.sqref and must in (d.formula1 or "") for d in dv)

    title, ref = _local(ws, "ratings")
    assert covered(ref.split(":")[0], "whole")
    title, ref = _local(ws, "steps_done")
    assert covered(ref.split(":")[0], "list", "yes") and covered(ref.split(":")[1], "list", "yes")


@requires_soffice
def test_every_formula_recalculates_to_its_cached_value(books, recalculated):
    # (the "filled" copy is left out: openpyxl drops cached values when it saves)
    for key in ("plain", "plain_ru"):
        assert compare_recalculated(books[key], recalculated[key]) == [], key


@requires_soffice
def test_seed_inputs_recalculated(books, recalculated):
    wb = openpyxl.load_workbook(recalculated["filled"], data_only=True)
    sheet = books["sheet"]
    assert _cell(wb, sheet, "progress_level").value == pytest.approx(3.5)
    assert planning.progress_level([3, 4, 3, 3, 4, 4]) == pytest.approx(3.5)
    assert _cell(wb, sheet, "forecast").value == pytest.approx(4_400_000)
    assert float(planning.adp_forecast(10_000_000, 0.1, 0.4)) == pytest.approx(4_400_000)
    rev = _cell(wb, sheet, "our_revenue").value
    assert _cell(wb, sheet, "whitespace").value == pytest.approx(10_000_000 - rev)
    assert _cell(wb, sheet, "current_sow").value == pytest.approx(rev / 10_000_000)
    assert _cell(wb, sheet, "completion_share").value == pytest.approx(6 / 23)
    plan = wb.sheetnames[-1]
    total = _cell(wb, plan, "forecast_total").value
    others = sum(_cell(wb, s, "forecast").value or 0 for s in wb.sheetnames[1:3])
    assert total == pytest.approx(4_400_000 + others)
    assert _cell(wb, plan, "gap").value == pytest.approx(-total)


@requires_soffice
def test_seed_inputs_recalculated_ru(books, recalculated):
    wb = openpyxl.load_workbook(recalculated["filled_ru"], data_only=True)
    sheet = books["sheet_ru"]
    assert sheet.startswith("ПРК ")
    assert _cell(wb, sheet, "progress_level").value == pytest.approx(3.5)
    assert _cell(wb, sheet, "forecast").value == pytest.approx(4_400_000)
    assert _cell(wb, sheet, "completion_share").value == pytest.approx(6 / 23)


def test_checklist_order_and_locales():
    assert len(STEPS) == 23
    assert label("progress_step.step_01", "ru").startswith("Отправляем презентацию")
    assert label("progress_step.step_23", "ru") == "Наши сотрудники посещают внутренние совещания клиента"
    assert label("progress_step.step_20", "en") == "Learn the client's share of wallet"


# ---------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adp_cli")
    files = write_sample_files(generate(60, seed=11), folder)
    return folder, files


def _args(files, *more):
    return ["adp", str(files["transactions"]), "--clients", str(files["clients"]), "--market",
            str(files["market"]), "--our-supplier", OUR_SUPPLIER, "-q", *more]


def test_cli_top_two(sample_files, tmp_path, capsys):
    _, files = sample_files
    out = tmp_path / "plan.xlsx"
    assert main(_args(files, "--top", "2", "-o", str(out))) == 0
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) == 3
    assert sum(s.startswith("ADP ") for s in wb.sheetnames) == 2
    assert wb.sheetnames[-1] == "Revenue plan"


def test_cli_split(sample_files, tmp_path):
    _, files = sample_files
    out = tmp_path / "adps"
    assert main(_args(files, "--top", "2", "--split", "-o", str(out))) == 0
    written = sorted(out.glob("*.xlsx"))
    assert len(written) == 2
    for p in written:
        assert len(openpyxl.load_workbook(p).sheetnames) == 2
    # a second run refuses the existing files, then --force overwrites them
    assert main(_args(files, "--top", "2", "--split", "-o", str(out))) == 1
    assert main(_args(files, "--top", "2", "--split", "-o", str(out), "--force")) == 0


def test_cli_abc_class(sample_files, tmp_path):
    _, files = sample_files
    out = tmp_path / "a.xlsx"
    assert main(_args(files, "--abc", "A", "-o", str(out), "--lang", "ru")) == 0
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) >= 2 and wb.sheetnames[-1] == "План выручки"
    assert all(s.startswith("ПРК ") for s in wb.sheetnames[:-1])


def test_cli_unknown_client(sample_files, tmp_path, capsys):
    _, files = sample_files
    out = tmp_path / "x.xlsx"
    assert main(_args(files, "--client", "NO-SUCH-ID", "-o", str(out))) == 2
    assert "NO-SUCH-ID" in capsys.readouterr().err
    assert not out.exists()


def test_cli_existing_output_untouched(sample_files, tmp_path, capsys):
    _, files = sample_files
    out = tmp_path / "keep.xlsx"
    out.write_bytes(b"mine")
    assert main(_args(files, "--top", "1", "-o", str(out))) == 1
    assert out.read_bytes() == b"mine"
    assert "exists" in capsys.readouterr().err
