"""Workbooks written for inputs a user brings that the other tests never made: every sheet a formula or
a name refers to exists under exactly that name."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from xlb2b.cli import main
from xlb2b.excel.names import sheet_names


def test_sheet_names_turn_control_characters_into_spaces_and_drop_invisible_ones():
    # a tab and a line break would become spaces in the workbook's XML attribute anyway;
    # a zero-width space would make 'ZW' look like the other 'ZW'
    assert sheet_names(["ADP tab\tin", "ADP line\r\nbreak", "ADP \u200bZW", "ADP ZW"]) == [
        "ADP tab in", "ADP line break", "ADP ZW", "ADP ZW (2)"]


def test_an_adp_for_a_client_id_with_a_tab_names_the_sheet_its_names_refer_to(tmp_path: Path):
    tx = tmp_path / "t.csv"
    tx.write_text("Client;Date;Amount\ntab\tin;01.02.2025;10\nB;02.02.2025;20\n", encoding="utf-8")
    out = tmp_path / "adp.xlsx"
    assert main(["adp", str(tx), "--all", "--top", "2", "-o", str(out), "-q"]) == 0
    book = zipfile.ZipFile(out).read("xl/workbook.xml").decode("utf-8")
    sheets = set(re.findall(r'<sheet name="([^"]*)"', book))
    assert "ADP tab in" in sheets and not any("\t" in s for s in sheets)
    referred = {m.replace("''", "'") for m in re.findall(r">'((?:[^']|'')+)'!", book)}
    assert referred and referred <= sheets


def _diversity_cells(book: Path, sheet: str) -> list:
    import openpyxl

    ws = openpyxl.load_workbook(book)[sheet]
    header = [c.value for c in ws[3]]
    col = header.index("D - diversity") + 1
    return [ws.cell(r, col).value for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value is not None]


def test_without_an_item_column_the_summaries_leave_diversity_empty_instead_of_a_formula_giving_0(tmp_path):
    tx = tmp_path / "t.csv"
    tx.write_text("Client;Date;Amount;Qty\nA;01.02.2025;10;1\nB;02.02.2025;20;2\nB;03.03.2025;20;2\n")
    out = tmp_path / "a.xlsx"
    assert main(["analyze", str(tx), "--all", "-o", str(out), "-q"]) == 0
    # SUMIFS over the empty skus column is 0, so a formula would show D = 0 once Excel recalculates
    assert set(_diversity_cells(out, "ABC")) == {None}


def test_with_an_item_column_the_summaries_compute_diversity(tmp_path):
    tx = tmp_path / "t.csv"
    tx.write_text("Client;Date;Amount;Qty;SKU\nA;01.02.2025;10;1;x\nB;02.02.2025;20;2;x\nB;03.03.2025;20;2;y\n")
    out = tmp_path / "a.xlsx"
    assert main(["analyze", str(tx), "--all", "-o", str(out), "-q"]) == 0
    cells = _diversity_cells(out, "ABC")
    assert cells and all(isinstance(v, str) and v.startswith("=IFERROR(") for v in cells)


def _with_duplicate_format_codes(path: Path) -> None:
    """A workbook whose styles list one format code under two ids, as LibreOffice saves it."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "mine"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = parts["xl/styles.xml"].decode("utf-8")
    fmts = ('<numFmts count="2"><numFmt numFmtId="164" formatCode="General"/>'
            '<numFmt numFmtId="165" formatCode="General"/></numFmts>')
    styles = re.sub(r"<numFmts.*?</numFmts>", "", styles)
    styles = re.sub(r"(<styleSheet[^>]*>)", r"\1" + fmts, styles, count=1)
    parts["xl/styles.xml"] = styles.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_adp_into_a_workbook_listing_a_format_code_twice_gives_every_format_its_own_id(tmp_path: Path):
    book = tmp_path / "lo.xlsx"
    _with_duplicate_format_codes(book)
    tx = tmp_path / "t.csv"
    tx.write_text("Client;Date;Amount\nA;01.02.2025;10\nB;02.02.2025;20\n", encoding="utf-8")
    assert main(["adp", str(tx), "--all", "--top", "1", "--into", str(book), "-q"]) == 0
    styles = zipfile.ZipFile(book).read("xl/styles.xml").decode("utf-8")
    ids = re.findall(r'<numFmt numFmtId="(\d+)"', styles)
    assert len(ids) > 2 and len(ids) == len(set(ids))
    # the user's two ids are kept as they were
    assert re.findall(r'<numFmt numFmtId="16[45]" formatCode="([^"]*)"', styles) == ["General", "General"]
