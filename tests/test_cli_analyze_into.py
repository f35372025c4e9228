"""`xlb2b analyze --into BOOK`: the analysis sheets added to a user's workbook, nothing of theirs lost."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lo import compare_recalculated, recalc, requires_soffice
from user_books import user_book as _user_book
from user_books import xlwings_vba

from xlb2b.cli import main

OOXML_CHECK = Path("/work/shared/tools/ooxml/ooxml_check.py")


@pytest.fixture(scope="module")
def transactions(tmp_path_factory) -> Path:
    from xlb2b.sample import generate

    p = tmp_path_factory.mktemp("tx") / "tx.csv"
    generate(40, seed=11).transactions.to_csv(p, index=False)
    return p


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _ooxml_ok(path: Path) -> None:
    if not OOXML_CHECK.is_file():
        pytest.skip("ooxml_check.py is not on this machine")
    r = subprocess.run([sys.executable, str(OOXML_CHECK), str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_analysis_into_a_workbook_keeps_its_sheets_formulas_names_and_chart(transactions, tmp_path):
    book = tmp_path / "plan.xlsx"
    _user_book(book)
    before = _members(book)
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 0
    after = _members(book)
    # the user's chart and its drawing are copied byte for byte (their sheet only loses tabSelected)
    for part in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/worksheets/sheet2.xml"):
        assert after[part] == before[part]
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:2] == ["Budget", "Clients"]
    assert wb["Budget"]["A4"].value == "=SUM(A1:A3)"
    assert wb["Clients"]["A1"].value == "our own client list"
    assert "budget_total" in wb.defined_names
    # the analysis' Clients sheet takes the next free name, and its formulas follow it
    assert "Clients (2)" in wb.sheetnames and "Settings" in wb.sheetnames
    cut = wb.defined_names["rfm_m_cut1"].attr_text
    settings_formulas = [
        c.value for row in wb[cut.split("!")[0].strip("'")].iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert any("'Clients (2)'!" in f for f in settings_formulas if f.startswith("="))
    assert not any("PERCENTILE.INC(Clients!" in f for f in settings_formulas)
    _ooxml_ok(book)


def test_analysis_into_a_macro_workbook_keeps_the_macros(transactions, tmp_path):
    vba = xlwings_vba()
    book = tmp_path / "plan.xlsm"
    _user_book(book, vba)
    out = tmp_path / "plan-analysed.xlsm"
    assert main(["analyze", str(transactions), "--into", str(book), "-o", str(out), "-q"]) == 0
    assert _members(out)["xl/vbaProject.bin"] == vba
    assert openpyxl.load_workbook(out, keep_vba=True).sheetnames[:2] == ["Budget", "Clients"]
    _ooxml_ok(out)


def test_analysis_into_refuses_a_missing_book_and_a_changed_type(transactions, tmp_path, capsys):
    assert main(["analyze", str(transactions), "--into", str(tmp_path / "none.xlsx"), "-q"]) == 2
    assert "no such workbook" in capsys.readouterr().err
    book = tmp_path / "m.xlsm"
    _user_book(book)
    assert main(["analyze", str(transactions), "--into", str(book), "-o", str(tmp_path / "m.xlsx"), "-q"]) == 2
    assert "keep the workbook's type" in capsys.readouterr().err


@requires_soffice
def test_formulas_of_the_merged_workbook_recalculate_to_their_cached_values(transactions, tmp_path):
    book = tmp_path / "plan.xlsx"
    _user_book(book)
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 0
    assert compare_recalculated(book, recalc(book, tmp_path / "lo")) == []


def test_a_second_analysis_into_the_same_workbook_is_refused_and_leaves_it_as_it_was(transactions, tmp_path, capsys):
    book = tmp_path / "plan.xlsx"
    _user_book(book)
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 0
    once = book.read_bytes()
    capsys.readouterr()
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 2
    err = capsys.readouterr().err
    assert "already has the workbook-level name(s)" in err and "another copy" in err
    assert book.read_bytes() == once


@pytest.mark.parametrize("lock", ["~$plan.xlsx", ".~lock.plan.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_refused_and_left_as_it_was(transactions, tmp_path, capsys, lock):
    book = tmp_path / "plan.xlsx"
    _user_book(book)
    before = book.read_bytes()
    (tmp_path / lock).write_bytes(b"owner")
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"plan.xlsx is open in Excel or LibreOffice (its lock file {lock} is next to it)" in err
    assert "-o" in err and f"delete {lock}" in err
    assert book.read_bytes() == before


def test_an_open_workbook_can_still_be_read_into_another_file(transactions, tmp_path):
    book = tmp_path / "plan.xlsx"
    _user_book(book)
    (tmp_path / "~$plan.xlsx").write_bytes(b"owner")
    out = tmp_path / "copy.xlsx"
    assert main(["analyze", str(transactions), "--into", str(book), "-o", str(out), "-q"]) == 0
    assert openpyxl.load_workbook(out).sheetnames[:2] == ["Budget", "Clients"]


def test_a_book_that_cannot_be_replaced_is_named_not_the_temporary_file(transactions, tmp_path, capsys, monkeypatch):
    import xlb2b.io_util

    book = tmp_path / "plan.xlsx"
    _user_book(book)
    before = book.read_bytes()

    real_replace = xlb2b.io_util.os.replace

    def locked(src, dst):  # what Windows does while Excel has the book open
        if Path(dst) == book:
            raise PermissionError(13, "Permission denied", src, None, dst)
        real_replace(src, dst)

    monkeypatch.setattr(xlb2b.io_util.os, "replace", locked)
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"error: {book}: Permission denied: it could not be replaced" in err and ".tmp" not in err
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_a_book_reached_through_a_symbolic_link_gets_the_sheets_and_the_link_stays(transactions, tmp_path):
    real = tmp_path / "shared" / "plan.xlsx"
    real.parent.mkdir()
    _user_book(real)
    link = tmp_path / "plan.xlsx"
    try:
        link.symlink_to(real)
    except (OSError, NotImplementedError):
        pytest.skip("no symbolic links here")
    assert main(["analyze", str(transactions), "--into", str(link), "-q"]) == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    sheets = openpyxl.load_workbook(real).sheetnames
    assert sheets[:2] == ["Budget", "Clients"] and "Clients (2)" in sheets
    assert sorted(p.name for p in real.parent.iterdir()) == ["plan.xlsx"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o600, 0o664])
def test_the_book_keeps_its_file_mode(transactions, tmp_path, mode):
    import os
    import stat

    book = tmp_path / "plan.xlsx"
    _user_book(book)
    os.chmod(book, mode)
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 0
    assert stat.S_IMODE(os.stat(book).st_mode) == mode
    assert "Clients (2)" in openpyxl.load_workbook(book).sheetnames


def test_a_report_workbook_with_the_window_names_is_refused_naming_them_and_the_report_command(
    transactions, tmp_path, capsys
):
    import xlsxwriter

    book = tmp_path / "report.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("Monthly").write_string(0, 0, "From")
    wb.define_name("window_start", "=Monthly!$B$1")
    wb.define_name("window_end", "=Monthly!$B$2")
    wb.close()
    before = book.read_bytes()
    assert main(["analyze", str(transactions), "--into", str(book), "-q"]) == 2
    err = capsys.readouterr().err
    assert "already has the workbook-level name(s) window_end, window_start" in err
    assert "a report workbook's window_start, which `xlb2b report --template` fills" in err
    assert book.read_bytes() == before
