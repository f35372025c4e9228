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
