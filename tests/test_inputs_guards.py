"""The archive guard's XML rules, on members written by hand: a DTD is looked for in the
prolog (XML 1.0 allows one nowhere else) however the prolog is cut into pieces or encoded,
and formula cells without values are counted in every worksheet part, wherever it lies.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlb2b.errors import FATAL, InputError
from xlb2b.inputs import guards, read_transactions
from xlb2b.inputs.context import _Ctx

SKELETON = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
DTD = b'<!DOCTYPE w [<!ENTITY a "b">]>'
SHEET = "xl/worksheets/sheet1.xml"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def guard(path: Path):
    """The guard's formula counts, or the reasons it refused the file."""
    try:
        return guards._check_workbook_zip(path, _Ctx("transactions", path.name))
    except InputError as e:
        return " | ".join(p.reason for p in e.report if p.severity == FATAL)


def refuses_dtd(tmp_path: Path, member: str, data: bytes) -> bool:
    got = guard(_zip(tmp_path / "w.xlsx", {**SKELETON, member: data}))
    return isinstance(got, str) and "declares a DTD or entities" in got


PROLOGS = {
    "declaration": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n',
    "byte-order mark": b"\xef\xbb\xbf<?xml version='1.0'?>",
    "long comment": b"<?xml version='1.0'?>\n<!-- " + b"<!DOCTYPE-less text -- " * 300 + b"-->\n",
    "long processing instruction": b"<?xml version='1.0'?><?app " + b"x>" * 3000 + b"?>  ",
    "several items": b"<?xml version='1.0'?> <!--a--> <?p q?> <!---->\t",
}


@pytest.mark.parametrize("prolog", list(PROLOGS))
@pytest.mark.parametrize("piece", [1, 2, 3, 5, 8, 13, None])
def test_a_dtd_after_any_prolog_is_refused_wherever_the_pieces_are_cut(tmp_path, monkeypatch, prolog, piece):
    if piece:
        monkeypatch.setattr(guards, "XML_CHUNK_BYTES", piece)
    assert refuses_dtd(tmp_path, SHEET, PROLOGS[prolog] + DTD + b"<worksheet>&a;</worksheet>")
    assert refuses_dtd(tmp_path, "xl/styles.xml", PROLOGS[prolog] + b"<!ENTITY a 'b'><styleSheet/>")


@pytest.mark.parametrize("prolog", list(PROLOGS))
@pytest.mark.parametrize("piece", [1, 2, 3, 5, 8, 13, None])
def test_the_same_prologs_without_a_dtd_pass(tmp_path, monkeypatch, prolog, piece):
    if piece:
        monkeypatch.setattr(guards, "XML_CHUNK_BYTES", piece)
    assert not refuses_dtd(tmp_path, SHEET, PROLOGS[prolog] + b"<worksheet><sheetData/></worksheet>")


def test_doctype_text_after_the_root_start_is_no_dtd(tmp_path):
    # XML 1.0 section 2.8: the DOCTYPE belongs to the prolog; inside the root element a parser
    # reports "<!DOCTYPE" as malformed (expat, libxml2) or keeps it as text, so no entity
    # can be declared there
    body = b"<worksheet><!-- <!DOCTYPE w [<!ENTITY a 'b'>]> --><sheetData/></worksheet>"
    assert not refuses_dtd(tmp_path, SHEET, b"<?xml version='1.0'?>" + body)
    assert not refuses_dtd(tmp_path, "xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 9 + DTD + b"</sst>")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_dtd_in_a_utf16_member_is_refused(tmp_path, codec):
    # "utf-16" writes a byte-order mark; the other two start with "<?" in two bytes each
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + DTD.decode() + "<worksheet>&a;</worksheet>"
    assert refuses_dtd(tmp_path, SHEET, xml.encode(codec))
    plain = '<?xml version="1.0" encoding="UTF-16"?><worksheet><sheetData/></worksheet>'
    assert not refuses_dtd(tmp_path, SHEET, plain.encode(codec))


def test_a_member_that_does_not_start_as_xml_is_searched_to_its_end(tmp_path):
    # text before any markup is no XML prolog: then a DTD anywhere in it is refused, as before
    data = b"junk " * 50_000 + DTD + b"<worksheet/>"
    assert refuses_dtd(tmp_path, SHEET, data)
    assert refuses_dtd(tmp_path, "xl/styles.xml", data)
    assert not refuses_dtd(tmp_path, "xl/styles.xml", b"junk " * 50_000 + b"<styleSheet/>")


def _cell(ref: str, formula: str, value: str | None) -> bytes:
    v = "" if value is None else f"<v>{value}</v>"
    return f'<c r="{ref}"><f>{formula}</f>{v}</c>'.encode()


def test_formulas_are_counted_across_pieces_with_and_without_formula_bytes(tmp_path, monkeypatch):
    # pieces of 64 KiB (the size from which a piece without "<f" is skipped unread): one
    # formula element starts on the last byte of the first piece, one lies inside the third;
    # the second piece holds "f" bytes in text only
    monkeypatch.setattr(guards, "XML_CHUNK_BYTES", 65536)
    head = b"<?xml version='1.0'?><worksheet><sheetData><row r='1'>"
    text = b'<c r="B1" t="inlineStr"><is><t>fluff of</t></is></c>'
    first = head + text * 1200
    first += b" " * (65536 - len(first) - len(b'<c r="A1"><')) + b'<c r="A1"><'
    assert len(first) == 65536                          # "<f" from the piece's last byte on
    data = first + b"f>1+1</f></c></row>" + text * 2600 + _cell("A9", "2*2", None) + b"</sheetData></worksheet>"
    assert data.index(b"<f>") == 65535 and data.index(b"<f>", 65540) > 2 * 65536
    got = guard(_zip(tmp_path / "f.xlsx", {**SKELETON, SHEET: data}))
    assert (got[SHEET].count, got[SHEET].first, got[SHEET].with_values) == (2, "A1", 0)


def test_counting_stops_at_the_first_formula_with_a_value(tmp_path):
    cells = _cell("A1", "1", None) + _cell("A2", "2", "2") + _cell("A3", "3", None)
    data = b"<worksheet><sheetData><row r='1'>" + cells + b"</row></sheetData></worksheet>"
    got = guard(_zip(tmp_path / "f.xlsx", {**SKELETON, SHEET: data}))
    assert (got[SHEET].count, got[SHEET].with_values) == (1, 1)   # A3 is not looked at


def test_formulas_in_a_utf16_sheet_are_counted(tmp_path):
    xml = ('<?xml version="1.0" encoding="UTF-16"?><worksheet><sheetData><row r="2">'
           + _cell("C2", "1+1", None).decode() + _cell("C3", "2+2", None).decode()
           + "</row></sheetData></worksheet>")
    got = guard(_zip(tmp_path / "f.xlsx", {**SKELETON, SHEET: xml.encode("utf-16")}))
    assert (got[SHEET].count, got[SHEET].first) == (2, "C2")


def test_formulas_without_values_in_a_sheet_part_outside_worksheets_are_refused(tmp_path):
    # the workbook's relationships may place a worksheet anywhere; the readers follow them
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Данные"
    ws.append(["Клиент", "Дата", "Сумма"])
    for i in range(3):
        ws.append([f"K{i}", "01.03.2024", f"={i}*2"])      # openpyxl saves no computed values
    src = tmp_path / "src.xlsx"
    wb.save(src)
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info)
            name = info.filename
            if name == SHEET:
                name = "xl/data/part1.xml"
            elif name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(b"worksheets/sheet1.xml", b"data/part1.xml")
            zo.writestr(name, data)
    got = guard(moved)
    assert (got["Данные"].count, got["Данные"].first) == (3, "C2")
    with pytest.raises(InputError) as e:
        read_transactions(moved)
    why = " | ".join(p.reason for p in e.value.report if p.severity == FATAL)
    assert "holds 3 formula(s) saved without their computed values (the first in cell C2)" in why


@pytest.mark.parametrize("piece", [7, None])
def test_formulas_with_a_namespace_prefix_are_counted(tmp_path, monkeypatch, piece):
    # some writers name every element with a prefix (<x:c>, <x:f>); the readers match the
    # name after it, so such formula cells without values read as empty cells too
    if piece:
        monkeypatch.setattr(guards, "XML_CHUNK_BYTES", piece)
    cells = (b'<x:c r="A2" t="inlineStr"><x:is><x:t>note:fine</x:t></x:is></x:c>'
             b'<x:c r="B2"><x:f>1+1</x:f></x:c><x:c r="C2"><x:f>2+2</x:f><x:v></x:v></x:c>')
    data = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<x:sheetData><x:row r="2">' + cells + b"</x:row></x:sheetData></x:worksheet>")
    got = guard(_zip(tmp_path / "x.xlsx", {**SKELETON, SHEET: data}))
    assert (got[SHEET].count, got[SHEET].first, got[SHEET].with_values) == (2, "B2", 0)
    valued = data.replace(b"<x:v></x:v>", b"<x:v>4</x:v>")
    got = guard(_zip(tmp_path / "v.xlsx", {**SKELETON, SHEET: valued}))
    assert (got[SHEET].count, got[SHEET].with_values) == (1, 1)


def test_a_prefixed_f_outside_cells_is_no_formula_cell(tmp_path):
    # Excel saves a data validation listing another sheet's range in the sheet's extLst as
    # <x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1>: a formula of no cell
    ext = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"><x14:dataValidations count="1">'
           b'<x14:dataValidation type="list"><x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1>'
           b"<xm:sqref>A2:A9</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>")
    data = (b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>' + ext
            + b"</worksheet>")
    got = guard(_zip(tmp_path / "dv.xlsx", {**SKELETON, SHEET: data}))
    assert (got[SHEET].count, got[SHEET].with_values) == (0, 0)
