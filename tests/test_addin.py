"""The classic xlwings add-in: xlb2b.xlam (built with LibreOffice), its ribbon
(customUI.xml), the VBA callback (xlb2b.bas), the Python dispatcher
(udfs.ribbon) and the VBA wrappers xlwings' "Import Functions" writes for
udfs.functions."""
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lo import requires_soffice  # noqa: E402

from udfs.addin import build as B  # noqa: E402

NS = "http://schemas.microsoft.com/office/2009/07/customui"
BUTTONS = {  # button tag -> script, as udfs.scripts.BUTTONS must say
    "analyze": "analyze_client_base", "dynamics": "analyze_two_windows", "adp": "build_adp", "adp_a": "build_adps_a",
    "bcg": "add_bcg_scoring", "checklist": "add_progress_checklist", "refresh": "refresh",
    "settings": "open_settings", "help": "show_help",
    "fill_template": "fill_template_for_client", "refresh_report": "refresh_report_tables",
}
LABELS = {
    "analyze": "Analyze client base", "dynamics": "Analyze with two windows", "adp": "Build ADP for selected client",
    "adp_a": "Build ADPs for A clients", "bcg": "Add BCG scoring",
    "checklist": "Add progress checklist", "refresh": "Refresh", "settings": "Settings", "help": "Help",
    "fill_template": "Fill template for selected client", "refresh_report": "Refresh report tables",
}
# the customUI elements and attributes this ribbon may use
ALLOWED = {
    "customUI": {"onLoad", "loadImage"},
    "ribbon": {"startFromScratch"},
    "tabs": set(),
    "tab": {"id", "label", "insertAfterMso", "insertBeforeMso", "keytip"},
    "group": {"id", "label", "keytip"},
    "button": {"id", "tag", "onAction", "label", "size", "imageMso", "screentip", "supertip", "keytip"},
}


def bas_code() -> str:
    """Our module as the VBA editor shows it: no Attribute lines, LF endings."""
    text = B.BAS.read_text(encoding="utf-8").replace("\r\n", "\n")
    return "\n".join(r for r in text.split("\n") if not r.startswith("Attribute VB_")).strip()


def ribbon_callbacks() -> set[str]:
    """Subs of the .bas with the ribbon callback signature (control As IRibbonControl)."""
    return set(re.findall(r"^\s*Public\s+Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)",
                          B.BAS.read_text(encoding="utf-8"), flags=re.M | re.I))


def buttons(root) -> list:
    return root.findall(f".//{{{NS}}}button")


# ------------------------------------------------------------------ the sources

def test_bas_has_the_one_callback_and_runs_dispatch_through_xlwings_addin():
    assert ribbon_callbacks() == {B.CALLBACK}
    text = B.BAS.read_text(encoding="utf-8")
    assert 'Application.Run "xlwings.xlam!RunPython"' in text
    assert "udfs.ribbon.dispatch('\" & control.Tag & \"')" in text
    name, code = B.vba_module(text)
    assert name == "xlb2b"
    assert "Attribute" not in code and code.strip() == bas_code()


def test_vba_module_rejects_a_bas_without_a_name():
    with pytest.raises(ValueError, match="VB_Name"):
        B.vba_module("Sub X()\nEnd Sub\n")
    assert B.vba_module('Attribute VB_Name = "M"\r\nAttribute VB_Exposed = False\r\nSub X()\r\nEnd Sub\r\n\r\n') \
        == ("M", "Sub X()\nEnd Sub\n")


def test_custom_ui_is_well_formed_with_known_elements_only():
    root = ET.parse(B.CUSTOM_UI).getroot()
    assert root.tag == f"{{{NS}}}customUI"
    for el in root.iter():
        ns, _, local = el.tag.partition("}")
        assert ns == "{" + NS, el.tag
        assert local in ALLOWED, local
        assert set(el.attrib) <= ALLOWED[local], (local, set(el.attrib) - ALLOWED[local])
    tabs = root.findall(f"./{{{NS}}}ribbon/{{{NS}}}tabs/{{{NS}}}tab")
    assert [t.get("label") for t in tabs] == ["B2B"]
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique"


def test_custom_ui_buttons_are_the_scripts_buttons_and_call_the_bas_callback():
    from udfs import scripts

    assert scripts.BUTTONS == BUTTONS
    bs = buttons(ET.parse(B.CUSTOM_UI).getroot())
    tags = [b.get("tag") for b in bs]
    assert sorted(tags) == sorted(scripts.BUTTONS)       # every tag a key, every key a button
    assert {b.get("tag"): b.get("label") for b in bs} == LABELS
    callbacks = ribbon_callbacks()
    for b in bs:
        assert b.get("onAction") in callbacks, b.attrib
        assert b.get("imageMso"), b.attrib


# ------------------------------------------------------------------ dispatch

class FakeApp:
    def __init__(self):
        self.alerts = []

    def alert(self, prompt, title=None, **kw):
        self.alerts.append((prompt, title))


class FakeBook:
    def __init__(self):
        self.app = FakeApp()


@pytest.fixture
def caller(monkeypatch):
    from udfs import ribbon

    book = FakeBook()
    monkeypatch.setattr(ribbon.xw.Book, "caller", classmethod(lambda cls: book))
    return book


@pytest.mark.parametrize("tag", sorted(BUTTONS))
def test_dispatch_calls_the_script_of_the_tag_with_the_calling_book(monkeypatch, caller, tag):
    from udfs import ribbon, scripts

    calls = []
    for name in BUTTONS.values():
        monkeypatch.setattr(scripts, name, lambda book, _n=name: calls.append((_n, book)), raising=False)
    assert ribbon.dispatch(tag) is None
    assert calls == [(BUTTONS[tag], caller)]
    assert caller.app.alerts == []


def test_dispatch_of_an_unknown_tag_shows_a_message_and_does_not_raise(monkeypatch, caller):
    from udfs import ribbon, scripts

    called = []
    for name in BUTTONS.values():
        monkeypatch.setattr(scripts, name, lambda book: called.append(book), raising=False)
    message = ribbon.dispatch("nonsense")
    assert called == []
    assert "'nonsense'" in message and "analyze" in message and "Traceback" not in message
    assert caller.app.alerts == [(message, "xlb2b")]


def test_dispatch_without_excel_prints_the_message(monkeypatch, capsys):
    from udfs import ribbon

    def no_caller(cls):
        raise RuntimeError("no Excel")

    monkeypatch.setattr(ribbon.xw.Book, "caller", classmethod(no_caller))
    message = ribbon.dispatch("nonsense")
    assert message in capsys.readouterr().err


def test_dispatch_of_a_tag_whose_script_is_missing_says_so(monkeypatch, caller):
    from udfs import ribbon, scripts

    monkeypatch.delattr(scripts, "show_help", raising=False)
    message = ribbon.dispatch("help")
    assert "show_help" in message and caller.app.alerts == [(message, "xlb2b")]


# ------------------------------------------------------------------ Import Functions

WRAPPER = textwrap.dedent("""\
    # xlwings' classic UDF path (xlwings/udfs.py) imports pywin32 at module level; with
    # inert stand-ins for those modules it imports on Linux, and its own decorators
    # (xlfunc/xlarg/xlret: what @xw.func means on Windows) then decorate udfs.functions.
    import io, sys, types
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["win32com.client"].Dispatch = None
    sys.modules["win32com"].client = sys.modules["win32com.client"]
    import xlwings as xw
    import xlwings.udfs as xu
    xw.func, xw.arg, xw.ret, xw.script, xw.sub = xu.xlfunc, xu.xlarg, xu.xlret, xu.xlsub, xu.xlsub
    import udfs.functions as F

    class Workbook:  # the workbook "Import Functions" writes into
        Name = "Book1.xlsm"

    out = io.StringIO()
    xu.generate_vba_wrapper("udfs.functions", F, out, Workbook())
    sys.stdout.write(out.getvalue())
""")


def test_import_functions_wraps_every_function_of_udfs_functions():
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_ON_SERVER", "XLWINGS_LICENSE_KEY")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", WRAPPER], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    vba = out.stdout
    from udfs import functions as F

    declared = re.findall(r"^Function (\w+)\(", vba, flags=re.M)
    assert sorted(declared) == sorted(F.__all__) and len(declared) == 35
    for name in F.__all__:
        assert f'XLPy.CallUDF("udfs.functions", "{name}", ' in vba
    # arguments with defaults are Optional in Excel
    assert "Function ABC_CLASS(values, Optional a_cut, Optional b_cut)" in vba


# ------------------------------------------------------------------ the built add-in

@pytest.fixture(scope="module")
def xlam(tmp_path_factory, soffice):  # noqa: F811
    return B.build_addin(tmp_path_factory.mktemp("addin") / "xlb2b.xlam", soffice=soffice)


def vba_modules_of(path) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {name: code.replace("\r\n", "\n") for _, stream, name, code in parser.extract_macros()}
    finally:
        parser.close()


@requires_soffice
def test_built_addin_holds_our_vba_modules(xlam):
    modules = vba_modules_of(xlam)
    assert sorted(modules) == ["Sheet1.cls", "ThisWorkbook.cls", "xlb2b.bas", "xlb2b_functions.bas"]
    code = modules["xlb2b.bas"]
    assert 'Attribute VB_Name = "xlb2b"' in code
    shown = "\n".join(r for r in code.split("\n") if not r.startswith("Attribute VB_")).strip()
    assert shown == bas_code()


@requires_soffice
def test_built_addin_is_an_addin_package_with_the_ribbon(xlam):
    with zipfile.ZipFile(xlam) as z:
        assert z.testzip() is None
        names = z.namelist()
        types = ET.fromstring(z.read("[Content_Types].xml"))
        rels = ET.fromstring(z.read("_rels/.rels"))
        ui = z.read(B.CUSTOM_UI_PART)
        wb_rels = z.read("xl/_rels/workbook.xml.rels").decode()
        infos = z.infolist()
    assert names[0] == "[Content_Types].xml"
    assert ui == B.CUSTOM_UI.read_bytes()
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    assert any(o.get("Extension") == "xml" for o in types)   # customUI14.xml's type
    ui_rels = [r for r in rels if r.get("Type") == B.UI_REL_TYPE]
    assert [r.get("Target") for r in ui_rels] == ["customUI/customUI14.xml"]
    assert len({r.get("Id") for r in rels}) == len(rels)
    assert "relationships/vbaProject" in wb_rels
    assert {i.date_time for i in infos} == {B.ZIP_TIME}


@requires_soffice
def test_build_command_writes_the_addin_and_reports_failures(tmp_path, soffice, capsys):  # noqa: F811
    out = tmp_path / "sub" / "my.xlam"
    assert B.main(["-o", str(out), "--soffice", soffice]) == 0
    assert zipfile.is_zipfile(out) and str(out) in capsys.readouterr().out
    assert B.main(["-o", str(tmp_path / "x.xlsm"), "--soffice", soffice]) == 1
    assert ".xlam" in capsys.readouterr().err
    assert B.main(["-o", str(tmp_path / "y.xlam"), "--soffice", "no-such-soffice"]) == 1
    assert "LibreOffice not found" in capsys.readouterr().err
    assert not (tmp_path / "y.xlam").exists()


def test_build_reports_a_macro_that_did_not_store_the_workbook(tmp_path, monkeypatch):
    """soffice exits 0 without writing anything: the builder must notice."""
    monkeypatch.setattr(B, "_run", lambda cmd, env, timeout: ("", ""))
    (tmp_path / "profile" / "user" / "basic" / "Standard").mkdir(parents=True)
    with pytest.raises(B.AddinBuildError, match="the macro did not run"):
        B._vba_workbook([("normal", "M", "Sub X()\nEnd Sub\n")], tmp_path, "/bin/true", 5)



# ------------------------------------------------------------------ as Excel saves an add-in

def package_structure(path) -> dict:
    """What an Excel-saved add-in has (and LibreOffice alone does not write): the theme part,
    code names on workbookPr and sheetPr, and document modules for them in the VBA project."""
    import io

    import olefile

    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        types = {o.get("PartName"): o.get("ContentType") for o in ET.fromstring(z.read("[Content_Types].xml"))}
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target")
                for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        sheet_path = "xl/" + rels["worksheet"]
        sheet = ET.fromstring(z.read(sheet_path))
        project = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin"))).openstream("PROJECT").read()
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    wb_code = wb.find(f"{main}workbookPr").get("codeName")
    sheet_code = sheet.find(f"{main}sheetPr").get("codeName")
    documents = re.findall(r"^Document=(\w+)/&H00000000\r?$", project.decode("latin1"), flags=re.M)
    modules = vba_modules_of(path)

    def base(name):
        m = re.search(r'Attribute VB_Base = "0\{([0-9A-F-]+)\}"', modules[f"{name}.cls"])
        return m and m.group(1)

    return {
        "theme": "xl/theme/theme1.xml" in names and rels.get("theme") == "theme/theme1.xml"
        and types.get("/xl/theme/theme1.xml") == B.THEME_CONTENT_TYPE,
        "addin": types["/xl/workbook.xml"] == B.ADDIN_CONTENT_TYPE,
        "workbook_code_name": wb_code,
        "documents": sorted(documents),
        "sheet_module_is_the_sheet": sheet_code in documents
        and base(sheet_code) == "00020820-0000-0000-C000-000000000046",
        "workbook_module_is_the_workbook": base(wb_code) == "00020819-0000-0000-C000-000000000046",
    }


def test_the_excel_saved_addins_of_xlwings_have_that_structure():
    import xlwings

    shipped = Path(xlwings.__file__).parent / "quickstart_addin.xlam"
    got = package_structure(shipped)
    assert got == {"theme": True, "addin": True, "workbook_code_name": "ThisWorkbook",
                   "documents": ["Sheet2", "ThisWorkbook"], "sheet_module_is_the_sheet": True,
                   "workbook_module_is_the_workbook": True}


@requires_soffice
def test_built_addin_is_structured_as_excel_saves_an_addin(xlam):
    assert package_structure(xlam) == {"theme": True, "addin": True, "workbook_code_name": "ThisWorkbook",
                                       "documents": ["Sheet1", "ThisWorkbook"], "sheet_module_is_the_sheet": True,
                                       "workbook_module_is_the_workbook": True}
    modules = vba_modules_of(xlam)
    from udfs.addin import wrappers as W

    assert "Private Sub Workbook_Open()" in modules["ThisWorkbook.cls"] and "B2BDescribe" in modules["ThisWorkbook.cls"]
    shown = "\n".join(r for r in modules["xlb2b_functions.bas"].split("\n") if not r.startswith("Attribute VB_"))
    assert shown.strip() == B.vba_module(W.functions_module())[1].strip()


def test_as_excel_saves_adds_theme_and_code_names_to_a_libreoffice_package():
    parts = {
        "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                           b'<workbookPr date1904="false"/><sheets/></workbook>',
        "xl/worksheets/sheet1.xml": b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                    b'<sheetData/></worksheet>',
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      b'relationships"><Relationship Id="rId1" Type="x" Target="y"/></Relationships>',
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>',
    }
    B._as_excel_saves(parts)
    wb = parts["xl/workbook.xml"].decode()
    assert '<workbookPr date1904="false" codeName="ThisWorkbook" defaultThemeVersion="124226"/>' in wb
    assert parts["xl/worksheets/sheet1.xml"].decode().count('<sheetPr codeName="Sheet1"/>') == 1
    assert b'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" ' \
           b'Target="theme/theme1.xml"' in parts["xl/_rels/workbook.xml.rels"]
    assert b'PartName="/xl/theme/theme1.xml"' in parts["[Content_Types].xml"]
    theme = ET.fromstring(parts["xl/theme/theme1.xml"])
    assert theme.tag == "{http://schemas.openxmlformats.org/drawingml/2006/main}theme"
    once = dict(parts)
    B._as_excel_saves(parts)                       # a second pass changes nothing
    assert parts == once


# ------------------------------------------------------------------ the functions module

@pytest.fixture(scope="module")
def specs():
    from udfs.addin import wrappers as W

    return W.function_specs()


@pytest.fixture(scope="module")
def module_text(specs):
    from udfs.addin import wrappers as W

    return W.functions_module(specs)


def test_the_functions_module_wraps_every_function_with_its_parameters(specs, module_text):
    from udfs import functions as F
    from udfs.addin import wrappers as W

    assert sorted(s["name"] for s in specs) == sorted(F.__all__)
    for spec in specs:
        params = ", ".join(("Optional " if p["optional"] else "") + W.vba_name(p["name"]) for p in spec["params"])
        assert f"Public Function {spec['name']}({params})\n" in module_text, spec["name"]
        convert = "False" if spec["name"] == "B2B_EXPLAIN" else "True"
        args = ", ".join(W.vba_name(p["name"]) for p in spec["params"])
        assert f'    {spec["name"]} = B2BCall("{spec["name"]}", Array({args}), {convert})\n' in module_text
        assert f"    B2BDescribe_{spec['name']} ru\n" in module_text
    assert "Public Function BANT_SCORE(budget, account, need, time_value)" in module_text
    assert len(re.findall(r"^Public Function ", module_text, flags=re.M)) == len(F.__all__)


def test_the_functions_module_turns_each_error_text_into_its_error_value(module_text):
    from udfs.convert import ERRORS

    for e in ERRORS.values():
        prefix = e.text + " "
        assert f'If Left$(v, {len(prefix)}) = "{prefix}" Then B2BError = CVErr({e.vba}): Exit Function' in module_text
    assert 'Set py = Application.Run("xlwings.xlam!XLPy")' in module_text
    assert 'py.CallUDF("udfs.functions", fn, args, ThisWorkbook, Application.Caller)' in module_text


def test_the_functions_module_is_ascii_with_short_lines(module_text):
    assert module_text.isascii()
    assert max(len(r) for r in module_text.split("\n")) < 1024        # VBA's line limit
    for line in module_text.split("\n"):
        assert line.count(" & _") <= 1


def _vba_strings(sub: str) -> list[str]:
    """The texts a B2BDescribe_... sub assigns, decoded as VBA would (B2BText: UTF-16 hex)."""
    lit = r'"(?:[^"]|"")*"'
    out = []
    for m in re.finditer(rf"= (B2BText\()?({lit}(?: & _\n\s+{lit})*)\)?\n", sub):
        literal = "".join(re.findall(r'"((?:[^"]|"")*)"', m.group(2)))
        out.append("".join(chr(int(literal[i:i + 4], 16)) for i in range(0, len(literal), 4))
                   if m.group(1) else literal.replace('""', '"'))
    return out


def test_the_descriptions_are_the_docstrings_in_both_languages(specs, module_text):
    for spec in specs:
        sub = module_text.split(f"Private Sub B2BDescribe_{spec['name']}(ByVal ru As Boolean)\n")[1].split("End Sub")[0]
        texts = _vba_strings(sub)
        n = len(spec["params"])
        ru, en = texts[:n + 1], texts[n + 1:]
        assert ru == [spec["ru"]] + [p["ru"] for p in spec["params"]], spec["name"]
        assert en == [spec["description"]] + [p["description"] for p in spec["params"]], spec["name"]
        assert all(len(t) <= 255 for t in texts)


def test_vba_text_cuts_to_the_macro_options_limit_and_escapes_quotes():
    from udfs.addin import wrappers as W

    assert W.vba_text('say "hi"') == '"say ""hi"""'
    cut = _vba_strings("d = " + W.vba_text("x" * 300) + "\n")
    assert cut == ["x" * 254 + "\u2026"]            # 255 characters; the ellipsis makes it B2BText
    assert W.vba_text("да") == 'B2BText("04340430")'


# ------------------------------------------------------------------ the VBA, run by LibreOffice

SELF_TEST = """
Public Sub B2BSelfTest()
    Dim v As Variant, r As Variant, f As Integer, g As Integer, s As String, sRow As String
    f = FreeFile
    Open Environ("XLB2B_TEST_IN") For Input As #f
    g = FreeFile
    Open Environ("XLB2B_TEST_LOG") For Output As #g
    Do While Not EOF(f)
        Line Input #f, sRow
        v = sRow
        If Left(sRow, 4) = "num:" Then v = CDbl(Mid(sRow, 5))
        r = B2BError(v)
        If IsError(r) Then
            s = "error"
            If r = CVErr(2015) Then s = s & " 2015"
            If r = CVErr(2042) Then s = s & " 2042"
            If r = CVErr(2036) Then s = s & " 2036"
        Else
            s = "value"
        End If
        Print #g, s
    Loop
    s = B2BText("04340430")
    Print #g, "text " & AscW(Mid(s, 1, 1)) & " " & AscW(Mid(s, 2, 1)) & " " & Len(s)
    Close #g
    Close #f
End Sub
"""

RUN_SELF_TEST = """\
Sub RunSelfTest
    On Error GoTo Failed
    Dim aLoad(1) As New com.sun.star.beans.PropertyValue
    aLoad(0).Name = "Hidden"
    aLoad(0).Value = True
    aLoad(1).Name = "MacroExecutionMode"
    aLoad(1).Value = 4
    oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ("XLB2B_TEST_DOC")), "_blank", 0, aLoad())
    oScript = oDoc.getScriptProvider().getScript( _
        "vnd.sun.star.script:VBAProject.xlb2b_functions.B2BSelfTest?language=Basic&location=document")
    oScript.invoke(Array(), Array(), Array())
    oDoc.close(True)
    StarDesktop.terminate()
    Exit Sub
Failed:
    Dim iLog As Integer
    iLog = FreeFile
    Open Environ("XLB2B_TEST_LOG") For Append As #iLog
    Print #iLog, "failed " & Err & ": " & Error(Err)
    Close #iLog
    StarDesktop.terminate()
End Sub
"""


@requires_soffice
def test_the_vba_turns_the_classic_result_of_every_bad_argument_case_into_its_error_value(
        tmp_path, soffice, module_text, monkeypatch):  # noqa: F811
    """LibreOffice's VBA-compatible Basic runs B2BError of the generated module on what each of
    the bad-argument cases returns on the classic path, and on results that are no errors."""
    from xml.sax.saxutils import escape

    from udf_cases import BAD, xl

    from udfs import convert as cv
    from udfs import functions as F

    monkeypatch.setattr(cv, "runtime", lambda: "classic")
    inputs, want = [], []
    for name, args, _reason, error in BAD:
        out = getattr(F, name)(*[xl(a) for a in args])
        assert len(out) == 1 and len(out[0]) == 1, (name, out)
        inputs.append(out[0][0])
        want.append(f"error {next(e.vba for e in cv.ERRORS.values() if e.text == error)}")
    for good in ("P1_S2_C3", "#VALUE!", "#N/Ax", "num:3.5", F.B2B_EXPLAIN("NPS", [[11]])[0][0]):
        inputs.append(good)
        want.append("value")
    assert len(inputs) == 45 + 5
    (tmp_path / "in.txt").write_text("\n".join(inputs) + "\n", encoding="utf-8")
    name, code = B.vba_module(module_text)
    doc = B._vba_workbook([("normal", name, code + SELF_TEST)], tmp_path, soffice, 180)
    std = tmp_path / "profile" / "user" / "basic" / "Standard"
    (std / "xlb2bTest.xba").write_text(B._XBA.format(name="xlb2bTest", code=escape(RUN_SELF_TEST)),
                                       encoding="utf-8")
    (std / "script.xlb").write_text(B._XLB.replace(
        ' <library:element library:name="xlb2bBuild"/>\n',
        ' <library:element library:name="xlb2bBuild"/>\n <library:element library:name="xlb2bTest"/>\n'),
        encoding="utf-8")
    log = tmp_path / "test.log"
    env = dict(os.environ, XLB2B_TEST_DOC=str(doc), XLB2B_TEST_IN=str(tmp_path / "in.txt"),
               XLB2B_TEST_LOG=str(log))
    B._run([soffice, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "macro:///Standard.xlb2bTest.RunSelfTest"], env, 180)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert lines[:-1] == want, lines
    assert lines[-1] == "text 1076 1072 2"            # B2BText("04340430") = "да"


def test_addin_build_refuses_an_existing_output_without_force(tmp_path, capsys):
    from xlb2b.cli import main

    out = tmp_path / "xlb2b.xlam"
    out.write_bytes(b"the user's own file")
    assert main(["addin", "build", "-o", str(out), "--soffice", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "exists" in err and "--force" in err
    assert out.read_bytes() == b"the user's own file"


def test_addin_build_with_force_goes_on_to_build(tmp_path, capsys):
    # with --force the existing file no longer stops it: the build itself runs and fails on the missing soffice
    from xlb2b.cli import main

    out = tmp_path / "xlb2b.xlam"
    out.write_bytes(b"old")
    assert main(["addin", "build", "-o", str(out), "--soffice", str(tmp_path / "none"), "--force"]) == 1
    assert "cannot build the add-in" in capsys.readouterr().err


def test_build_module_refuses_an_existing_output_without_force(tmp_path, capsys):
    out = tmp_path / "a.xlam"
    out.write_bytes(b"keep")
    assert B.main(["-o", str(out), "--soffice", str(tmp_path / "none")]) == 1
    assert "--force" in capsys.readouterr().err and out.read_bytes() == b"keep"
