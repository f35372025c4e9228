"""The demo's planning outputs and `xlb2b adp --into` on a user's macro workbook."""
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lo import requires_soffice
from user_books import user_book, xlwings_vba

from xlb2b.cli import DEMO_ADP_CLIENTS, main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", str(out), "--clients", "200", "--quiet"]) == 0
    return out


def test_demo_writes_adps_planning_and_toolkit(demo):
    adp = openpyxl.load_workbook(demo / "adp_top_clients.xlsx")
    assert len(adp.sheetnames) == DEMO_ADP_CLIENTS + 1
    assert all(n.startswith("ADP ") for n in adp.sheetnames[:-1]) and adp.sheetnames[-1] == "Revenue plan"
    assert len(openpyxl.load_workbook(demo / "planning.xlsx").sheetnames) == 2      # BCG scoring, satisfaction
    assert len(openpyxl.load_workbook(demo / "toolkit.xlsx").sheetnames) == 3       # TCO, SPIN, priority


def _macro_book(path: Path) -> bytes:
    """A user's .xlsm: a VBA project, a formula, a defined name, a chart."""
    vba = xlwings_vba()
    user_book(path, vba, clients_sheet=False)
    return vba


def test_adp_into_a_macro_workbook_keeps_its_content(demo, tmp_path):
    book = tmp_path / "plan.xlsm"
    vba = _macro_book(book)
    status = main(["adp", str(demo / "transactions.xlsx"), "--top", "2", "--into", str(book), "--quiet"])
    assert status == 0
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/vbaProject.bin") == vba
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    wb = openpyxl.load_workbook(book, keep_vba=True)
    assert wb.sheetnames[0] == "Budget" and wb["Budget"]["A4"].value == "=SUM(A1:A3)"
    assert "budget_total" in wb.defined_names
    assert len(wb.sheetnames) == 4 and wb.sheetnames[-1] == "Revenue plan"


def test_adp_into_refuses_split_and_missing_books(demo, tmp_path, capsys):
    assert main(["adp", str(demo / "transactions.xlsx"), "--top", "1", "--into", str(tmp_path / "no.xlsx"),
                 "--quiet"]) != 0
    assert "no such workbook" in capsys.readouterr().err
    book = tmp_path / "b.xlsx"
    openpyxl.Workbook().save(book)
    assert main(["adp", str(demo / "transactions.xlsx"), "--top", "1", "--into", str(book), "--split",
                 "--quiet"]) != 0
    assert "--split" in capsys.readouterr().err


@requires_soffice
def test_addin_build_command(tmp_path, capsys, soffice):
    out = tmp_path / "xlb2b.xlam"
    assert main(["addin", "build", "-o", str(out), "--soffice", soffice]) == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert "xl/vbaProject.bin" in names and "customUI/customUI14.xml" in names
    assert main(["addin", "build", "-o", str(tmp_path / "b.xlam"), "--soffice", str(tmp_path / "none")]) == 1
    assert "LibreOffice not found" in capsys.readouterr().err
