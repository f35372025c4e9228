"""Adding generated sheets to users' workbooks at the package level: every
part of the user's file we need not change stays byte-identical, the new
sheets keep their cells, styles, names, validations, tables and charts, and
LibreOffice recalculates old and new formulas to their cached values."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lo import compare_recalculated, recalc, recalc_many, requires_soffice

import xlb2b.excel.merge as xm
import xlb2b.io_util
from xlb2b.errors import InputError
from xlb2b.excel.adp_sheets import add_adp_sheets
from xlb2b.excel.merge import add_sheets, rename_references
from xlb2b.excel.planning_sheets import add_bcg_sheet
from xlb2b.pipeline import analyze
from xlb2b.sample import generate
from xlb2b.settings import Settings

MACRO_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


# ---------------------------------------------------------------- building blocks
def _png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid RGB PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _vba_project() -> bytes:
    import xlwings
    book = Path(xlwings.__file__).parent / "quickstart.xlsm"
    with zipfile.ZipFile(book) as z:
        return z.read("xl/vbaProject.bin")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


@pytest.fixture(scope="module")
def analysis():
    d = generate(30, seed=7)
    return analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))


@pytest.fixture(scope="module")
def source(analysis, tmp_path_factory) -> tuple[bytes, list[str]]:
    """A generated workbook: two ADP sheets and the revenue plan, the BCG sheet
    with its bubble chart, and a notes sheet with a table, a formula on it, a
    comment, an image, a validation and a conditional format."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ids = list(analysis.clients["client_id"][:2])
    names = add_adp_sheets(wb, analysis, ids)
    names.append(add_bcg_sheet(wb, analysis).name)
    ws = wb.add_worksheet("Notes")
    money = wb.add_format({"num_format": "#,##0.000", "italic": True, "bg_color": "#C6E0B4"})
    ws.add_table("A1:B4", {"name": "Sales", "columns": [{"header": "Item"}, {"header": "Amount"}],
                           "data": [["x", 1], ["y", 2], ["z", 3]]})
    ws.write_formula("D1", "=SUM(Sales[Amount])", money, 6)
    ws.write_comment("A1", "generated note")
    img = tmp_path_factory.mktemp("img") / "blue.png"
    img.write_bytes(_png(3, 3, (20, 40, 220)))
    ws.insert_image("F2", str(img))
    ws.data_validation("E2:E4", {"validate": "list", "source": ["low", "high"]})
    ws.conditional_format("B2:B4", {"type": "cell", "criteria": ">", "value": 1,
                                    "format": wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})})
    names.append("Notes")
    wb.close()
    return buf.getvalue(), names


def _user_book_xlsxwriter(path: Path, taken: list[str], *, vba: bool) -> None:
    """A user's workbook as Excel users make them: data with a table, a chart,
    a picture, a comment, a validation and a conditional format; a summary
    with formulas over other sheets and names; a hidden list sheet; sheets
    whose names the generated ones will collide with (other case)."""
    wb = xlsxwriter.Workbook(str(path))
    if vba:
        vba_file = path.with_suffix(".bin")
        vba_file.write_bytes(_vba_project())
        wb.add_vba_project(str(vba_file))
    data = wb.add_worksheet("Data")
    summary = wb.add_worksheet("Summary")
    lists = wb.add_worksheet("Lists")
    lists.hide()
    clash = [wb.add_worksheet(n) for n in taken]
    bold = wb.add_format({"bold": True, "num_format": "0.00%"})
    data.add_table("A1:B6", {"name": "Sales", "columns": [{"header": "Item"}, {"header": "Amount"}],
                             "data": [[f"item {i}", 10 * i] for i in range(1, 6)]})
    data.write_formula("D1", "=SUM(Sales[Amount])", None, 150)
    data.data_validation("E2:E6", {"validate": "list", "source": "=Lists!$B$1:$B$3"})
    data.conditional_format("B2:B6", {"type": "cell", "criteria": ">=", "value": 30,
                                      "format": wb.add_format({"bold": True, "font_color": "#006100"})})
    data.write_comment("B2", "checked by Anna")
    img = path.with_name(path.stem + "_red.png")
    img.write_bytes(_png())
    data.insert_image("G2", str(img))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "=Data!$A$2:$A$6", "values": "=Data!$B$2:$B$6", "name": "Amount"})
    data.insert_chart("G8", chart)
    lists.write_number("A1", 0.5)
    for i, v in enumerate(["red", "green", "blue"]):
        lists.write_string(i, 1, v)
    wb.define_name("rate", "=Lists!$A$1")
    wb.define_name("Summary!total", "=Summary!$B$1")
    summary.write_formula("B1", "=SUM(Data!B2:B6)", bold, 150)
    summary.write_formula("B2", "=B1*rate", None, 75)
    summary.write_formula("B3", "=total*2", None, 300)
    summary.write_formula("B4", f"='{taken[0]}'!A2+1", None, 41)
    clash[0].write_number("A1", 7)
    clash[0].write_formula("A2", "=Data!B2*4", None, 40)
    wb.close()


def _user_book_openpyxl(path: Path, taken: list[str]) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["Month", "Cost"])
    for i in range(1, 7):
        ws.append([f"M{i}", i * 100])
    ws.add_table(Table(displayName="Costs", ref="A1:B7"))
    ws["D1"] = "=SUM(Costs[Cost])"
    ws["D2"] = "=Budget!B2*2"
    ws["D1"].font = Font(bold=True, color="FF0000")
    ws["D2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["D2"].number_format = "0.0"
    dv = DataValidation(type="whole", operator="between", formula1="1", formula2="10")
    ws.add_data_validation(dv)
    dv.add("E2:E7")
    ws.conditional_formatting.add("B2:B7", CellIsRule(operator="greaterThan", formula=["300"],
                                                      fill=PatternFill("solid", bgColor="FFC7CE")))
    ws["A1"].comment = Comment("owner: finance", "Boris")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=7), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=7))
    ws.add_chart(chart, "G2")
    other = wb.create_sheet(taken[0])
    other["A1"] = "=Budget!D2+1"
    for name in taken[1:]:
        wb.create_sheet(name)["B2"] = name
    wb.defined_names["cost_total"] = DefinedName("cost_total", attr_text="Budget!$D$1")
    other.defined_names["here"] = DefinedName("here", attr_text=f"'{taken[0]}'!$A$1")
    wb.save(path)


def _expected_names(names: list[str], taken: list[str]) -> list[str]:
    """Hand rule: a taken name (any case) gets " (2)", cut to 31 characters."""
    low = {t.lower() for t in taken}
    return [n if n.lower() not in low else n[:27] + " (2)" for n in names]


def _cells(ws):
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def _colour(c):
    if c is None:
        return None
    return ("theme", c.theme, c.tint) if c.type == "theme" else (c.type, c.value)


def _style(c):
    return (c.number_format, c.font.b, c.font.i, c.font.sz, c.font.name, _colour(c.font.color),
            c.fill.fill_type, _colour(c.fill.fgColor), c.border.left.style, _colour(c.border.left.color),
            c.alignment.wrap_text, c.alignment.vertical, c.alignment.horizontal, c.alignment.indent)


def _dvs(ws):
    return sorted((str(d.sqref), d.type, d.formula1, d.formula2) for d in ws.data_validations.dataValidation)


def _rename(text, mapping: dict[str, str]):
    """Independent expectation: quoted references to renamed sheets."""
    if not isinstance(text, str):
        return text
    for old, new in mapping.items():
        text = text.replace(f"'{old}'!", f"'{new}'!")
    return text


# ---------------------------------------------------------------- the checks
def _check_merge(user: Path, merged: Path, source_bytes: bytes, source_names: list[str],
                 added: list[str], taken: list[str], may_change: set[str]) -> None:
    expected = _expected_names(source_names, taken)
    assert added == expected
    assert all(len(n) <= 31 for n in added)
    mapping = {o: n for o, n in zip(source_names, expected) if o != n}
    assert mapping  # the books are made to collide

    # 1. every part of the user's file byte-identical but the few edited
    before, after = _members(user), _members(merged)
    assert set(before) <= set(after)
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= may_change, changed - may_change
    with zipfile.ZipFile(user) as zb, zipfile.ZipFile(merged) as za:
        for name in set(before) - changed:   # even the compressed bytes are the same
            b, a = zb.getinfo(name), za.getinfo(name)
            assert (a.compress_type, a.compress_size, a.CRC) == (b.compress_type, b.compress_size, b.CRC)
    new_parts = set(after) - set(before)
    assert any(n.startswith("xl/charts/") for n in new_parts)
    assert any(n.startswith("xl/tables/") for n in new_parts)
    assert any(n.startswith("xl/media/") for n in new_parts)
    assert sum(n.startswith("xl/worksheets/sheet") for n in new_parts) == len(added)

    # 2. the user's sheets, formulas, cached values and names are all there
    src = openpyxl.load_workbook(io.BytesIO(source_bytes))
    src_v = openpyxl.load_workbook(io.BytesIO(source_bytes), data_only=True)
    old, old_v = openpyxl.load_workbook(user), openpyxl.load_workbook(user, data_only=True)
    new, new_v = openpyxl.load_workbook(merged), openpyxl.load_workbook(merged, data_only=True)
    assert new.sheetnames == old.sheetnames + added
    for ws in old.worksheets:
        m = new[ws.title]
        assert _cells(m) == _cells(ws)
        assert _cells(new_v[ws.title]) == _cells(old_v[ws.title])
        assert m.sheet_state == ws.sheet_state
        assert _dvs(m) == _dvs(ws)
        assert {k: v.attr_text for k, v in m.defined_names.items()} == \
            {k: v.attr_text for k, v in ws.defined_names.items()}
        assert set(m.tables) == set(ws.tables)
        for coord in _cells(ws):
            assert _style(m[coord]) == _style(ws[coord]), (ws.title, coord)
            assert (m[coord].comment and m[coord].comment.text) == (ws[coord].comment and ws[coord].comment.text)
    assert {k: v.attr_text for k, v in new.defined_names.items()} == \
        {k: v.attr_text for k, v in old.defined_names.items()}

    # 3. the new sheets: cells (formulas renamed), cached values, styles, names, validations
    for s_name, n_name in zip(source_names, added):
        s, m = src[s_name], new[n_name]
        tables = {t.name: t for t in m.tables.values()}
        s_tables = {t.name: t for t in s.tables.values()}
        assert len(tables) == len(s_tables)
        table_map = {}
        for (so, st), (mo, mt) in zip(sorted(s_tables.items()), sorted(tables.items())):
            assert st.ref == mt.ref
            table_map[so] = mo
        want = {}
        for k, v in _cells(s).items():
            v = _rename(v, mapping)
            for a, b in table_map.items():
                if isinstance(v, str) and v.startswith("="):
                    v = v.replace(f"{a}[", f"{b}[")
            want[k] = v
        assert _cells(m) == want, n_name
        assert _cells(new_v[n_name]) == _cells(src_v[s_name])
        styled = [c for c in _cells(s) if s[c].has_style]  # unstyled cells take the book's default
        assert styled
        for coord in styled:
            assert _style(m[coord]) == _style(s[coord]), (n_name, coord)
        assert _dvs(m) == _dvs(s)
        assert {k: v.attr_text for k, v in m.defined_names.items()} == \
            {k: _rename(v.attr_text, mapping) for k, v in s.defined_names.items()}
        s_cf = [(str(r.sqref), [(x.operator, x.formula, x.dxf.font.color.rgb if x.dxf.font else None,
                                 x.dxf.fill.bgColor.rgb if x.dxf.fill else None) for x in r.rules])
                for r in s.conditional_formatting]
        m_cf = [(str(r.sqref), [(x.operator, x.formula, x.dxf.font.color.rgb if x.dxf.font else None,
                                 x.dxf.fill.bgColor.rgb if x.dxf.fill else None) for x in r.rules])
                for r in m.conditional_formatting]
        assert m_cf == s_cf
        for coord in _cells(s):
            assert (m[coord].comment and m[coord].comment.text) == (s[coord].comment and s[coord].comment.text)
        for coord, cell in ((c.coordinate, c) for row in s.iter_rows() for c in row if c.hyperlink):
            assert m[coord].hyperlink.location == _rename(cell.hyperlink.location, mapping)
        assert m.sheet_state == s.sheet_state
    # every table id and name unique across the workbook
    ids, tnames = [], []
    for name, raw in after.items():
        if name.startswith("xl/tables/"):
            ids.append(re.search(rb'<table\b[^>]*\sid="(\d+)"', raw).group(1))
            tnames.append(re.search(rb'\sdisplayName="([^"]+)"', raw).group(1).lower())
    assert len(set(ids)) == len(ids) and len(set(tnames)) == len(tnames)
    # the chart of the renamed BCG sheet points at its new name
    bcg = next(n for n in added if n.lower().startswith("bcg"))
    new_charts = [after[n].decode() for n in new_parts if n.startswith("xl/charts/chart")]
    refs = [f for c in new_charts for f in re.findall(r"<c:f>([^<]*)</c:f>", c)]
    assert refs and all(f.startswith(f"'{bcg}'!") for f in refs)
    # the first added sheet is the one shown, and the only selected tab
    assert new.active.title == added[0]
    assert [ws.title for ws in new.worksheets if ws.sheet_view.tabSelected] == [added[0]]
    # styles.xml grew only by appending: the user's entries are a prefix of the new ones
    style_part = next(n for n in before if n.lower().endswith("styles.xml"))
    for kind in (b"cellXfs", b"fonts", b"fills", b"borders"):
        pat = rb"<(?:\w+:)?" + kind + rb"\b[^>]*>(.*?)</(?:\w+:)?" + kind + rb">"
        b_inner = re.search(pat, before[style_part], re.S).group(1)
        a_inner = re.search(pat, after[style_part], re.S).group(1)
        assert a_inner.startswith(b_inner)


def _taken(source_names: list[str]) -> list[str]:
    """Sheet names of the user's book that collide with the generated ones:
    the first ADP sheet, the revenue plan and the BCG sheet, in other cases."""
    return [source_names[0].upper(), source_names[2].lower(), source_names[3].upper()]


def _may_change(book: Path) -> set[str]:
    return {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/worksheets/sheet1.xml"}  # the sheet selected before, which loses its selection


# ---------------------------------------------------------------- tests
def test_rename_references_by_hand():
    m = {"adp acme": "ADP Acme (2)", "data": "Data (2)", "o'neil": "O'Neil (2)"}
    t = {"sales": "Table3"}
    assert rename_references("='ADP Acme'!$B$5*2", m) == "='ADP Acme (2)'!$B$5*2"
    assert rename_references("=SUM(data!A1:A3)+Data!B1", m) == "=SUM('Data (2)'!A1:A3)+'Data (2)'!B1"
    assert rename_references("='O''Neil'!A1", m) == "='O''Neil (2)'!A1"
    assert rename_references('=IF(A1="Data!A1",Other!A1,mydata!A1)', m) == '=IF(A1="Data!A1",Other!A1,mydata!A1)'
    assert rename_references("=[1]Data!A1+Data!A1", m) == "=[1]Data!A1+'Data (2)'!A1"
    assert rename_references("=SUM(Sales[Amount])+sales[[#This Row],[Item]]", m, t) == \
        "=SUM(Table3[Amount])+Table3[[#This Row],[Item]]"
    assert rename_references("=SUM(Data:Summary!A1)", m) == "=SUM('Data (2):Summary'!A1)"
    assert rename_references("=data", m) == "=data"  # a name, not a sheet
    assert rename_references("Data!A1*2", m) == "'Data (2)'!A1*2"  # as stored in the file, without "="
    assert rename_references("=Лист1!A1+ЛИСТ1!B2", {"лист1": "Лист1 (2)"}) == "='Лист1 (2)'!A1+'Лист1 (2)'!B2"
    assert rename_references("=IFERROR(#REF!,1)", {"ref": "REF (2)"}) == "=IFERROR(#REF!,1)"


@requires_soffice
def test_merge_into_real_looking_workbooks(source, tmp_path):
    source_bytes, source_names = source
    taken = _taken(source_names)
    books = tmp_path / "books"
    books.mkdir()

    # (1) an .xlsm made with XlsxWriter, holding a VBA project
    xlsm = books / "budget.xlsm"
    _user_book_xlsxwriter(xlsm, taken, vba=True)
    # (2) an .xlsx saved by openpyxl
    opx = books / "costs.xlsx"
    _user_book_openpyxl(opx, taken)
    # (3) an .xlsx saved by LibreOffice
    plain = tmp_path / "plain" / "office.xlsx"
    plain.parent.mkdir()
    _user_book_xlsxwriter(plain, taken, vba=False)
    lo_book = recalc(plain, books)
    assert _members(lo_book) != _members(plain)

    merged = {}
    for book in (xlsm, opx, lo_book):
        out = tmp_path / "merged" / book.name
        out.parent.mkdir(exist_ok=True)
        added = add_sheets(book, source_bytes, out)
        may_change = _may_change(book)
        _check_merge(book, out, source_bytes, source_names, added, taken, may_change)
        merged[book.name] = (out, added)

    # the VBA project is untouched and the book stays macro-enabled
    m = _members(merged["budget.xlsm"][0])
    assert m["xl/vbaProject.bin"] == _vba_project()
    assert MACRO_CT in m["[Content_Types].xml"].decode()

    # LibreOffice recalculates every formula, old and new, to its cached value
    outs = [merged[n][0] for n in ("budget.xlsm", "costs.xlsx", "office.xlsx")]
    lo_outs = recalc_many(outs, tmp_path / "lo")
    assert compare_recalculated(outs[0], lo_outs[0]) == []
    assert compare_recalculated(outs[2], lo_outs[2]) == []
    # openpyxl stores no cached values: only the new sheets are compared there
    added = merged["costs.xlsx"][1]
    lines = compare_recalculated(outs[1], lo_outs[1])
    assert [x for x in lines if any(x.startswith((f"'{a}'!", f"{a}!")) for a in added)] == []
    fresh = openpyxl.load_workbook(lo_outs[1], data_only=True)
    assert fresh["Budget"]["D1"].value == 2100 and fresh["Budget"]["D2"].value == 200


def test_xlsm_stays_macro_enabled_and_refuses_xlsx_output(source, tmp_path):
    source_bytes, names = source
    book = tmp_path / "macro.xlsm"
    _user_book_xlsxwriter(book, _taken(names), vba=True)
    original = book.read_bytes()
    with pytest.raises(InputError, match="macros"):
        add_sheets(book, source_bytes, tmp_path / "macro.xlsx")
    assert book.read_bytes() == original and not (tmp_path / "macro.xlsx").exists()
    add_sheets(book, source_bytes)           # in place
    m = _members(book)
    assert MACRO_CT in m["[Content_Types].xml"].decode()
    assert m["xl/vbaProject.bin"] == _vba_project()
    assert openpyxl.load_workbook(book, keep_vba=True).sheetnames[-1] == "Notes"


def test_merging_twice_numbers_again_and_reuses_styles(source, tmp_path):
    source_bytes, names = source
    book = tmp_path / "twice.xlsx"
    _user_book_openpyxl(book, ["Other"])
    first = add_sheets(book, source_bytes)
    styles1 = _members(book)["xl/styles.xml"]
    second = add_sheets(book, source_bytes, activate=False)
    assert first == names
    assert second == [n[:27] + " (2)" for n in names]
    wb = openpyxl.load_workbook(book)
    assert wb.active.title == first[0]     # activate=False keeps the shown sheet
    # the same formats again add nothing to styles.xml
    assert _members(book)["xl/styles.xml"] == styles1
    # the VML shape ids of the three comment drawings do not overlap
    maps = [re.search(rb'<(?:\w+:)?idmap[^>]*\sdata="(\d+)"', raw).group(1)
            for n, raw in _members(book).items() if n.endswith(".vml")]
    assert len(maps) == 3 and len(set(maps)) == 3


def test_written_atomically(source, tmp_path, monkeypatch):
    source_bytes, names = source
    book = tmp_path / "safe.xlsx"
    _user_book_openpyxl(book, ["Other"])
    original = book.read_bytes()

    def broken(*_a, **_k):
        raise OSError("disk full")
    monkeypatch.setattr(xlb2b.io_util.os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        add_sheets(book, source_bytes)
    monkeypatch.undo()
    assert book.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["safe.xlsx"]

    monkeypatch.setattr(xm._Merge, "edit_content_types", broken)
    with pytest.raises(OSError):
        add_sheets(book, source_bytes)
    assert book.read_bytes() == original


def test_refusals(source, tmp_path):
    source_bytes, names = source
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match="old.xls"):
        add_sheets(xls, source_bytes)

    xlsb = tmp_path / "binary.xlsb"
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/xl/workbook.bin" ContentType="application/'
                   'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(InputError, match="binary.xlsb"):
        add_sheets(xlsb, source_bytes)

    bomb = tmp_path / "bomb.xlsx"
    _user_book_openpyxl(bomb, ["Other"])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/huge.bin", b"\x00" * (11 * 1024 ** 2))
    before = bomb.read_bytes()
    with pytest.raises(InputError, match="zip bomb"):
        add_sheets(bomb, source_bytes)
    assert bomb.read_bytes() == before

    from openpyxl.workbook.protection import WorkbookProtection
    locked = tmp_path / "locked.xlsx"
    wb = openpyxl.Workbook()
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(locked)
    with pytest.raises(InputError, match="locked.xlsx.*protected"):
        add_sheets(locked, source_bytes)

    # a workbook-level name of the generated book that the user's book already has
    gen = io.BytesIO()
    g = xlsxwriter.Workbook(gen, {"in_memory": True})
    g.add_worksheet("Gen").write("A1", 1)
    g.define_name("COST_TOTAL", "=Gen!$A$1")
    g.close()
    book = tmp_path / "names.xlsx"
    _user_book_openpyxl(book, ["Other"])
    before = book.read_bytes()
    with pytest.raises(InputError, match="COST_TOTAL"):
        add_sheets(book, gen.getvalue())
    assert book.read_bytes() == before


def _prefixed(xml: bytes) -> bytes:
    """The part rewritten the way the Open XML SDK writes it: every
    SpreadsheetML element with an ``x:`` prefix, and an mc:Ignorable root."""
    text = xml.decode()
    text = re.sub(r"<(/?)([A-Za-z]+)([\s/>])", r"<\1x:\2\3", text)
    text = text.replace(f'xmlns="{xm.MAIN_NS}"', f'xmlns:x="{xm.MAIN_NS}" '
                        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
                        'mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/'
                        'spreadsheetml/2009/9/ac"', 1)
    return text.encode()


def test_prefixed_workbook_and_styles_parts(source, tmp_path):
    source_bytes, names = source
    plain = tmp_path / "plain.xlsx"
    _user_book_openpyxl(plain, ["Other"])
    parts = _members(plain)
    book = tmp_path / "sdk.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, raw in parts.items():
            z.writestr(name, _prefixed(raw) if name in ("xl/workbook.xml", "xl/styles.xml") else raw)
    assert openpyxl.load_workbook(book).sheetnames == ["Budget", "Other"]
    assert xm.sheet_names_of(book) == ["Budget", "Other"]
    before = _members(book)
    out = tmp_path / "out.xlsx"
    assert add_sheets(book, source_bytes, out) == names
    after = _members(out)
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        head_before = re.match(rb"(?:<\?xml[^>]*>\s*)?<[^>]*>", before[part]).group(0)
        assert after[part].startswith(head_before)          # root and its declarations as they were
        assert not re.search(rb"<(?!x:|/x:|\?xml)[A-Za-z]", after[part])  # no element left unprefixed
    src = openpyxl.load_workbook(io.BytesIO(source_bytes))
    new = openpyxl.load_workbook(out)
    assert new.sheetnames == ["Budget", "Other", *names]
    assert _cells(new["Budget"]) == _cells(openpyxl.load_workbook(book)["Budget"])
    for name in names:
        assert _cells(new[name]) == _cells(src[name])
        for coord in (c for c in _cells(src[name]) if src[name][c].has_style):
            assert _style(new[name][coord]) == _style(src[name][coord])
        assert {k: v.attr_text for k, v in new[name].defined_names.items()} == \
            {k: v.attr_text for k, v in src[name].defined_names.items()}


@requires_soffice
def test_merge_into_an_excel_saved_xlsm(source, tmp_path):
    """xlwings' quickstart.xlsm was saved by Excel itself (mc:Ignorable,
    revision ids, extension lists, a VBA project)."""
    import xlwings
    source_bytes, names = source
    book = tmp_path / "quickstart.xlsm"
    book.write_bytes((Path(xlwings.__file__).parent / "quickstart.xlsm").read_bytes())
    before = _members(book)
    assert add_sheets(book, source_bytes) == names
    after = _members(book)
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                       "xl/worksheets/sheet1.xml"}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    root = re.match(rb"<\?xml[^>]*>\s*<workbook\b[^>]*>", before["xl/workbook.xml"]).group(0)
    assert after["xl/workbook.xml"].startswith(root)
    assert b"<extLst>" in after["xl/workbook.xml"] and b"xr:revisionPtr" in after["xl/workbook.xml"]
    old = openpyxl.load_workbook(_zip_bytes(before), keep_vba=True)
    new = openpyxl.load_workbook(book, keep_vba=True)
    assert new.sheetnames == old.sheetnames + names
    for ws in old.worksheets:
        assert _cells(new[ws.title]) == _cells(ws)
    src = openpyxl.load_workbook(io.BytesIO(source_bytes))
    for name in names:
        assert _cells(new[name]) == _cells(src[name])
    assert new.active.title == names[0]
    fresh = recalc(book, tmp_path / "lo")
    assert compare_recalculated(book, fresh) == []


def _zip_bytes(members: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    buf.seek(0)
    return buf


def test_global_and_local_names_follow_the_rename(tmp_path):
    gen = tmp_path / "gen.xlsx"
    g = xlsxwriter.Workbook(str(gen))
    ws = g.add_worksheet("Budget")
    ws.write_number("A1", 21)
    ws.write_formula("A2", "=Budget!A1*2", None, 42)
    ws.write_url("A3", "internal:Budget!A1", string="top")
    g.define_name("gen_total", "=Budget!$A$2")
    g.define_name("Budget!half", "=Budget!$A$1/2")
    g.close()
    book = tmp_path / "user.xlsx"
    _user_book_openpyxl(book, ["Other"])      # has "Budget" (local name "here" on "Other")
    assert add_sheets(book, gen, activate=False) == ["Budget (2)"]
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Budget", "Other", "Budget (2)"]
    new = wb["Budget (2)"]
    assert new["A2"].value == "='Budget (2)'!A1*2"
    assert new["A3"].hyperlink.location == "'Budget (2)'!A1"
    assert wb.defined_names["gen_total"].attr_text == "'Budget (2)'!$A$2"
    assert wb.defined_names["cost_total"].attr_text == "Budget!$D$1"
    assert new.defined_names["half"].attr_text == "'Budget (2)'!$A$1/2"
    assert wb["Other"].defined_names["here"].attr_text == "'Other'!$A$1"
    assert wb.active.title == "Budget"
