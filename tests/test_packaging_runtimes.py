"""xlwings Lite and xlwings Server front doors: udfs/lite/main.py, the Lite
sample workbook with its sheet buttons, udfs.server.custom_functions /
custom_scripts and the ribbon commands for the Server manifest.

The metadata comes from xlwings' own Office.js code path (custom_functions_meta,
custom_scripts_meta), which Lite and Server both use. xlwings picks its
decorators when it is imported, so XLWINGS_LICENSE_KEY=noncommercial and
XLWINGS_ON_SERVER=true are set before the first import of xlwings and put back
right after (as tests/test_udfs.py does).
"""
import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
import types
import zipfile
from xml.etree import ElementTree as ET

from officejs import ROOT, server_imports  # noqa: E402

with server_imports():
    import xlwings as xw  # noqa: E402
    from xlwings.server import custom_functions_meta, custom_scripts_meta  # noqa: E402

    from udfs import functions as F  # noqa: E402
    from udfs import scripts  # noqa: E402
    from udfs.server import custom_functions, custom_scripts  # noqa: E402

    _spec = importlib.util.spec_from_file_location("xlb2b_lite_main", ROOT / "udfs" / "lite" / "main.py")
    lite_main = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(lite_main)

import pytest  # noqa: E402

from udfs.lite.build import SHEET, SHEET_BUTTONS, build_lite_workbook, button_binding  # noqa: E402

BUTTONS = {
    "analyze": "analyze_client_base", "dynamics": "analyze_two_windows", "adp": "build_adp", "adp_a": "build_adps_a",
    "bcg": "add_bcg_scoring", "checklist": "add_progress_checklist", "refresh": "refresh",
    "settings": "open_settings", "help": "show_help",
    "fill_template": "fill_template_for_client", "refresh_report": "refresh_report_tables",
}
SERVER_DIR = ROOT / "udfs" / "server"
OV = "{http://schemas.microsoft.com/office/taskpaneappversionoverrides}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def function_ids(module) -> set[str]:
    return {f["id"] for f in custom_functions_meta(module)["functions"]}


def scripts_meta(module) -> dict[str, dict]:
    return {m["function_name"]: m for m in custom_scripts_meta(module)}


def test_buttons_are_the_agreed_tags():
    assert scripts.BUTTONS == BUTTONS


# ------------------------------------------------------------------ Server

def test_server_custom_functions_expose_every_function():
    assert len(F.__all__) == 35
    assert function_ids(custom_functions) == set(F.__all__) == function_ids(F)


def test_server_custom_scripts_expose_every_button_script():
    meta = scripts_meta(custom_scripts)
    # and the message the Server ribbon shows instead of a button when the book is too large,
    # and the two scripts of its block route for a large book on the desktop
    helpers = {"size_message", "receive_rows", "run_received"}
    assert set(meta) == set(BUTTONS.values()) | helpers
    assert sorted(custom_scripts.__all__) == sorted([*BUTTONS.values(), *helpers])


@pytest.mark.parametrize("module", ["server", "lite"])
@pytest.mark.parametrize("decorated", [False, True])
def test_each_script_runs_the_script_of_udfs_scripts(monkeypatch, module, decorated):
    """Through xlwings' custom_scripts_call, as Lite and Server call a script; the
    scripts of udfs.scripts may be plain or themselves carry @xw.script."""
    from xlwings.server import custom_scripts_call

    mod = custom_scripts if module == "server" else lite_main
    calls = []

    def fake(name):
        def run(book: xw.Book):
            calls.append((name, book))
        return xw.script(run) if decorated else run

    for name in BUTTONS.values():
        monkeypatch.setattr(scripts, name, fake(name), raising=False)
    read = []

    async def read_in_blocks(book, names, lang="en"):   # Lite's async scripts read their sheets first
        read.append(book)
    monkeypatch.setattr(scripts, "read_in_blocks", read_in_blocks)
    monkeypatch.setattr(scripts, "_lang", lambda book: "en")
    # the runtime injects the workbook (an async one marks its impl lazy); the scripts only pass it on
    books = []
    for name in BUTTONS.values():
        book = types.SimpleNamespace(impl=types.SimpleNamespace())
        books.append(book)
        got = asyncio.run(custom_scripts_call(mod, name, typehint_to_value={xw.Book: book}))
        assert got is book
    assert calls == list(zip(BUTTONS.values(), books))
    # in Lite, Analyze, Analyze with two windows and Refresh take an async book and read in blocks
    assert len(read) == (3 if module == "lite" else 0)


def manifest():
    return ET.parse(SERVER_DIR / "manifest_ribbon.xml").getroot()


def ribbon_js_map() -> dict[str, str]:
    text = (SERVER_DIR / "ribbon.js").read_text(encoding="utf-8")
    body = re.search(r"const XLB2B_BUTTONS = (\{.*?\});", text, flags=re.S).group(1)
    return json.loads(re.sub(r",\s*}", "}", body))


def test_manifest_ribbon_has_one_command_per_button_wired_to_its_script():
    root = manifest()
    points = root.findall(f"{OV}ExtensionPoint")
    assert [p.get(XSI_TYPE) for p in points] == ["PrimaryCommandSurface"]
    tab = points[0].find(f"{OV}CustomTab")
    controls = tab.findall(f".//{OV}Control")
    assert all(c.get(XSI_TYPE) == "Button" for c in controls)
    actions = [c.find(f"{OV}Action") for c in controls]
    assert all(a.get(XSI_TYPE) == "ExecuteFunction" for a in actions)
    names = [a.find(f"{OV}FunctionName").text for a in actions]
    js = ribbon_js_map()
    assert sorted(names) == sorted(js)
    assert sorted(js.values()) == sorted(BUTTONS.values())
    meta = scripts_meta(custom_scripts)
    for name in names:                       # the command's script exists on the server
        assert js[name] in meta
    assert {c.get("id") for c in controls} == {f"xlb2b.{t}" for t in BUTTONS}
    for c in controls:                       # xlb2b-adp-a runs the script of tag adp_a
        tag = c.get("id").removeprefix("xlb2b.")
        assert js[c.find(f"{OV}Action/{OV}FunctionName").text] == BUTTONS[tag]


def test_manifest_ribbon_resources_cover_every_resid():
    root = manifest()
    defined = {s.get("id"): s.get("DefaultValue") for s in root.iter(f"{BT}String")}
    used = {el.get("resid") for el in root.iter() if el.get("resid")}
    template_icons = {"Icon.16x16", "Icon.32x32", "Icon.80x80"}   # in the xlwings-server template
    assert used - template_icons <= set(defined)
    assert set(defined) <= used
    assert all(len(r) <= 32 for r in used)   # Office limits resid to 32 characters
    short = root.find(f"{OV}Resources/{BT}ShortStrings")
    assert all(len(s.get("DefaultValue")) <= 125 for s in short)
    assert defined["xlb2bTab.TabLabel"] == "B2B"
    assert defined["xlb2b.adp.Label"] == "Build ADP for selected client"


# ------------------------------------------------------------------ Lite

def test_lite_main_exposes_every_function():
    assert function_ids(lite_main) == set(F.__all__)


def test_lite_main_exposes_every_script_bound_to_the_sample_buttons():
    meta = scripts_meta(lite_main)
    assert set(meta) == set(BUTTONS.values())
    tag_of = {v: k for k, v in BUTTONS.items()}
    bound = {tag_of[name]: m["button"] for name, m in meta.items() if m.get("button")}
    assert bound == {tag: button_binding(tag) for tag in SHEET_BUTTONS}
    assert bound["analyze"] == "[xlb2b_analyze]B2B!B4"
    assert "adp" not in bound and "fill_template" not in bound   # selection-based: run from the task pane
    assert set(SHEET_BUTTONS) == set(BUTTONS) - {"adp", "fill_template"}


def test_lite_requirements_list_the_dependencies_and_say_how_xlb2b_gets_in():
    lines = [r.strip() for r in (ROOT / "udfs" / "lite" / "requirements.txt").read_text().splitlines()]
    reqs = [r for r in lines if r and not r.startswith("#")]
    names = {re.split(r"[<>=;\s]", r)[0].lower() for r in reqs if not r.startswith("http")}
    assert {"xlwings", "numpy", "pandas", "openpyxl", "defusedxml", "tomli-w", "xlsxwriter", "tqdm"} <= names
    assert "python-calamine" not in names     # compiled, not for Pyodide
    wheels = [r for r in reqs if r.startswith("https://")]
    assert len(wheels) == 1 and wheels[0].endswith("-py3-none-any.whl")


def test_lite_sample_workbook_has_named_buttons_linked_to_the_cells_they_cover(tmp_path):
    import openpyxl

    path = build_lite_workbook(tmp_path / "lite.xlsx", n_clients=12)
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == [SHEET, "Transactions", "Clients", "Market"]
        clients = list(wb["Clients"].iter_rows(values_only=True))
        assert clients[0][0] == "client_id" and len(clients) == 13
        assert len(list(wb["Transactions"].iter_rows(values_only=True))) > 13
    finally:
        wb.close()
    ns = {"xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as z:
        sheets = ET.fromstring(z.read("xl/workbook.xml"))
        first = sheets.find(".//{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")
        assert first.get("name") == SHEET
        drawing = ET.fromstring(z.read("xl/drawings/drawing1.xml"))
        rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/drawings/_rels/drawing1.xml.rels"))}
    found = {}
    for anchor in drawing.findall("xdr:twoCellAnchor", ns):
        c_nv = anchor.find("xdr:sp/xdr:nvSpPr/xdr:cNvPr", ns)
        link = c_nv.find("a:hlinkClick", ns)
        col = int(anchor.find("xdr:from/xdr:col", ns).text)
        row = int(anchor.find("xdr:from/xdr:row", ns).text)
        to_row = int(anchor.find("xdr:to/xdr:row", ns).text)
        found[c_nv.get("name")] = (rels[link.get(rid)], col, row, to_row)
    expected = {}
    for tag, (cell, _) in SHEET_BUTTONS.items():
        r = int(cell[1:]) - 1
        expected[f"xlb2b_{tag}"] = (f"#{SHEET}!{cell}", 1, r, r)   # covers the cell it links to
    assert found == expected


# ------------------------------------------------------------------ Pyodide

def test_core_and_cell_functions_load_no_compiled_modules_beyond_numpy_and_pandas():
    """What Pyodide must provide: compiled modules loaded by the core and by
    udfs.functions, minus those `import numpy, pandas` loads anyway. xlwings is
    the runtime's own (Lite ships it), so it is replaced by an empty stand-in."""
    code = r"""
import sys, types
def compiled():
    return {n for n, m in list(sys.modules.items())
            if (getattr(m, "__file__", None) or "").endswith((".so", ".pyd"))
            and "site-packages" in (m.__file__ or "")}
import numpy, pandas
base = compiled()
xw = types.ModuleType("xlwings")
xw.func = xw.script = lambda f=None, **k: f if f is not None else (lambda g: g)
xw.arg = xw.ret = lambda *a, **k: (lambda g: g)
sys.modules["xlwings"] = xw
import xlb2b, xlb2b.pipeline, xlb2b.inputs, xlb2b.excel.analysis_sheets, xlb2b.planning.portfolio, xlb2b.settings_toml
import udfs.functions
print(",".join(sorted(compiled() - base)))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_ON_SERVER", "XLWINGS_LICENSE_KEY")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("module", ["server", "lite"])
def test_each_runtime_script_sends_only_the_sheets_it_reads(module):
    mod = custom_scripts if module == "server" else lite_main
    meta = scripts_meta(mod)
    for tag, name in BUTTONS.items():
        reads = scripts.READS[tag]
        assert meta[name].get("include") == (None if reads is None else ",".join(reads)), name
    assert "Transactions" in meta["analyze_client_base"]["include"].split(",")
    assert meta["show_help"]["include"] == "xlb2b: no sheet"
