"""Build ``xlb2b.xlam``, the classic xlwings add-in with the "B2B" ribbon tab.

Runs on Linux with LibreOffice (``soffice``) and nothing else of Office:

1. LibreOffice, headless, with a throwaway user profile, runs a small Basic
   macro (:data:`BUILDER_BASIC`) from that profile: it creates a new
   spreadsheet, switches its Basic libraries to VBA compatibility mode, puts
   the modules of :func:`vba_modules` into the VBA project library — the
   document modules ``ThisWorkbook`` and ``Sheet1`` bound to the workbook and
   sheet objects (as in every workbook Excel saves), our ribbon module
   (``xlb2b.bas`` without its ``Attribute`` lines) and the cell functions
   (:mod:`udfs.addin.wrappers`) — and saves the document with the "Calc MS
   Excel 2007 VBA XML" filter. In VBA mode LibreOffice writes the library as
   a real ``xl/vbaProject.bin`` (MS-OVBA: compressed module streams, ``dir``
   and ``PROJECT`` streams; ``Document=ThisWorkbook/&H00000000`` lines).
2. Python rewrites the package with :mod:`zipfile`: adds
   ``customUI/customUI14.xml`` (``customUI.xml``) with its root relationship,
   the theme part Excel always writes (``xl/theme/theme1.xml``, XlsxWriter's
   copy of the Office theme) and the code names on ``workbookPr`` and
   ``sheetPr`` that name the document modules, gives the workbook part the
   add-in content type and writes the result atomically, with fixed zip
   timestamps.  The Excel-saved add-ins xlwings ships (``xlwings.xlam``,
   ``quickstart_addin.xlam``) have the same parts.

``soffice`` exits 0 even when a macro fails, so the macro writes a log line
after every step and the builder checks the log and the output file.

Usage::

    python -m udfs.addin.build -o xlb2b.xlam
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from xlb2b.io_util import atomic_write_bytes

__all__ = ["AddinBuildError", "BAS", "CUSTOM_UI", "CALLBACK", "build_addin", "main", "vba_module"]

HERE = Path(__file__).resolve().parent
#: our VBA module (the one ribbon callback)
BAS = HERE / "xlb2b.bas"
#: the ribbon (customUI 2009/07)
CUSTOM_UI = HERE / "customUI.xml"
#: the callback every button's onAction names
CALLBACK = "B2BButton"

UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_WORKBOOK_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CUSTOM_UI_PART = "customUI/customUI14.xml"
#: the code names Excel gives the workbook and its first sheet (workbookPr / sheetPr codeName,
#: and the names of their document modules in the VBA project)
WORKBOOK_CODE_NAME = "ThisWorkbook"
SHEET_CODE_NAME = "Sheet1"
THEME_PART = "xl/theme/theme1.xml"
THEME_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.theme+xml"
THEME_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
#: every zip entry gets this timestamp, so two builds of the same sources differ
#: only where LibreOffice itself writes fresh values (see :func:`build_addin`)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DATE = "2000-01-01T00:00:00Z"

# LibreOffice Basic run inside soffice. Names avoid Basic keywords (Line, Lib,
# Name, Input...): a compile error would leave a headless soffice waiting on a
# dialog nobody sees, which the timeout then ends.
BUILDER_BASIC = """\
Sub xlb2bLog(sMsg As String)
    Dim iLog As Integer
    iLog = FreeFile
    Open Environ("XLB2B_VBA_LOG") For Append As #iLog
    Print #iLog, sMsg
    Close #iLog
End Sub

Function xlb2bRead(sPath As String) As String
    Dim sCode As String, sRow As String, iSrc As Integer
    iSrc = FreeFile
    Open sPath For Input As #iSrc
    sCode = ""
    Do While Not EOF(iSrc)
        Line Input #iSrc, sRow
        sCode = sCode & sRow & Chr(10)
    Loop
    Close #iSrc
    xlb2bRead = sCode
End Function

Sub BuildVbaWorkbook
    Dim sRow As String, sProject As String, aParts As Variant, sCode As String
    Dim iList As Integer
    On Error GoTo Failed
    xlb2bLog "start"
    sProject = Environ("XLB2B_VBA_PROJECT")
    Dim aLoad(0) As New com.sun.star.beans.PropertyValue
    aLoad(0).Name = "Hidden"
    aLoad(0).Value = True
    oDoc = StarDesktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, aLoad())
    oLibs = oDoc.BasicLibraries
    oLibs.VBACompatibilityMode = True
    If Not oLibs.hasByName(sProject) Then oLibs.createLibrary(sProject)
    oLibs.ProjectName = sProject
    oProjectLib = oLibs.getByName(sProject)
    ' document modules belong to the VBA objects of their code names: the workbook's
    ' code name is ThisWorkbook (Excel's), a sheet's is its module's name
    oDoc.CodeName = Environ("XLB2B_VBA_WORKBOOK")
    oObjects = oDoc.createInstance("ooo.vba.VBAObjectModuleObjectProvider")
    iList = FreeFile
    Open Environ("XLB2B_VBA_LIST") For Input As #iList
    Do While Not EOF(iList)
        Line Input #iList, sRow
        If Len(sRow) > 0 Then
            aParts = Split(sRow, Chr(9))
            Dim oModuleInfo As Object
            oModuleInfo = CreateUnoStruct("com.sun.star.script.ModuleInfo")
            If aParts(0) = "document" Then
                oModuleInfo.ModuleType = com.sun.star.script.ModuleType.DOCUMENT
                oModuleInfo.ModuleObject = oObjects.getByName(aParts(1))
            Else
                oModuleInfo.ModuleType = com.sun.star.script.ModuleType.NORMAL
            End If
            sCode = xlb2bRead(aParts(2))
            oProjectLib.insertModuleInfo(aParts(1), oModuleInfo)
            oProjectLib.insertByName(aParts(1), sCode)
            xlb2bLog "module " & aParts(0) & " " & aParts(1) & " " & Len(sCode)
        End If
    Loop
    Close #iList
    Dim aStore(0) As New com.sun.star.beans.PropertyValue
    aStore(0).Name = "FilterName"
    aStore(0).Value = "Calc MS Excel 2007 VBA XML"
    oDoc.storeToURL(ConvertToURL(Environ("XLB2B_VBA_OUT")), aStore())
    xlb2bLog "stored"
    oDoc.close(True)
    StarDesktop.terminate()
    Exit Sub
Failed:
    xlb2bLog "error " & Err & " at line " & Erl & ": " & Error(Err)
    StarDesktop.terminate()
End Sub
"""

_XBA = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n'
    '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="{name}" '
    'script:language="StarBasic">{code}</script:module>\n'
)
_XLB = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">\n'
    '<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" '
    'library:readonly="false" library:passwordprotected="false">\n'
    ' <library:element library:name="Module1"/>\n'
    ' <library:element library:name="xlb2bBuild"/>\n'
    "</library:library>\n"
)


class AddinBuildError(RuntimeError):
    """LibreOffice did not produce the VBA workbook (the message has its log and output)."""


def vba_module(bas_text: str) -> tuple[str, str]:
    """(module name, code) of an exported VBA module (``.bas``): the name from
    ``Attribute VB_Name``, the code without the ``Attribute`` lines (the VBA
    editor hides them too; LibreOffice writes ``VB_Name`` itself)."""
    lines = bas_text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    name = None
    code = []
    for row in lines:
        m = re.match(r'\s*Attribute\s+VB_Name\s*=\s*"([^"]+)"', row)
        if m:
            name = m.group(1)
        elif not re.match(r"\s*Attribute\s+VB_", row):
            code.append(row)
    if name is None:
        raise ValueError('the .bas has no line Attribute VB_Name = "..."')
    while code and not code[-1].strip():
        code.pop()
    return name, "\n".join(code) + "\n"


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[str, str]:
    """Run soffice in its own process group, killed whole (and only it) on timeout."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return out, err + f"\n(soffice killed after {timeout:.0f} s)"


def _soffice_exe(soffice: str) -> str:
    found = shutil.which(soffice)
    if found is None:
        raise AddinBuildError(
            f"LibreOffice not found ({soffice!r}): install it "
            "(apt-get install --no-install-recommends libreoffice-calc) "
            "or pass the path of soffice"
        )
    return found


def vba_modules(bas: Path = BAS, functions_bas: str | None = None) -> list[tuple[str, str, str]]:
    """The VBA project of the add-in, as Excel saves one: (kind, name, code) of
    the document modules ``ThisWorkbook`` and ``Sheet1`` (Excel writes one per
    sheet and one for the workbook), our ribbon module and the functions module."""
    from . import wrappers

    name, code = vba_module(Path(bas).read_text(encoding="utf-8"))
    fname, fcode = vba_module(functions_bas if functions_bas is not None else wrappers.functions_module())
    return [
        ("document", WORKBOOK_CODE_NAME, wrappers.THIS_WORKBOOK),
        ("document", SHEET_CODE_NAME, "Option Explicit\n"),
        ("normal", name, code),
        ("normal", fname, fcode),
    ]


def _vba_workbook(modules: list[tuple[str, str, str]], work: Path, soffice_exe: str, timeout: float) -> Path:
    """LibreOffice writes ``work/vba.xlsm`` whose VBA project holds ``modules``."""
    listing = []
    for i, (kind, name, code) in enumerate(modules):
        source = work / f"module{i}.txt"
        source.write_text(code, encoding="utf-8")
        listing.append(f"{kind}\t{name}\t{source}")
    (work / "modules.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
    out = work / "vba.xlsm"
    log = work / "build.log"
    profile = work / "profile"
    base = [
        soffice_exe,
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--nologo",
        "--nodefault",
        f"-env:UserInstallation={profile.as_uri()}",
    ]
    env = dict(
        os.environ,
        XLB2B_VBA_LOG=str(log),
        XLB2B_VBA_LIST=str(work / "modules.txt"),
        XLB2B_VBA_PROJECT="VBAProject",
        XLB2B_VBA_WORKBOOK=WORKBOOK_CODE_NAME,
        XLB2B_VBA_OUT=str(out),
    )
    # the first start fills the new profile (and replaces user/basic with the presets)
    stdout, stderr = _run(base + ["--terminate_after_init"], env, timeout)
    standard = profile / "user" / "basic" / "Standard"
    if not standard.is_dir():
        raise AddinBuildError(
            f"LibreOffice did not create its user profile in {profile}\n"
            f"stdout:\n{stdout.strip()}\nstderr:\n{stderr.strip()}"
        )
    (standard / "xlb2bBuild.xba").write_text(
        _XBA.format(name="xlb2bBuild", code=escape(BUILDER_BASIC)), encoding="utf-8"
    )
    (standard / "script.xlb").write_text(_XLB, encoding="utf-8")
    stdout, stderr = _run(base + ["macro:///Standard.xlb2bBuild.BuildVbaWorkbook"], env, timeout)
    steps = log.read_text(encoding="utf-8", errors="replace").split("\n") if log.exists() else []
    if "stored" not in steps or not out.is_file():
        raise AddinBuildError(
            "LibreOffice wrote no workbook with the VBA module\n"
            f"macro log: {' | '.join(s for s in steps if s) or '(empty: the macro did not run)'}\n"
            f"stdout:\n{stdout.strip()}\nstderr:\n{stderr.strip()}"
        )
    return out


def _content_types(xml: str) -> str:
    if MACRO_WORKBOOK_CONTENT_TYPE not in xml:
        raise AddinBuildError(
            "the workbook LibreOffice wrote is not macro-enabled: "
            f"no {MACRO_WORKBOOK_CONTENT_TYPE} in [Content_Types].xml"
        )
    xml = xml.replace(MACRO_WORKBOOK_CONTENT_TYPE, ADDIN_CONTENT_TYPE)
    if 'Extension="xml"' not in xml:
        xml = xml.replace("</Types>", '<Default Extension="xml" ContentType="application/xml"/></Types>')
    return xml


def _root_rels(xml: str) -> str:
    if UI_REL_TYPE in xml:
        return xml
    rel = f'<Relationship Id="{_new_rel_id(xml)}" Type="{UI_REL_TYPE}" Target="{CUSTOM_UI_PART}"/>'
    return xml.replace("</Relationships>", rel + "</Relationships>")


def _core(xml: str) -> str:
    """Fixed dates in docProps/core.xml (LibreOffice writes the build time)."""
    return re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{_FIXED_DATE}\g<2>", xml)


def _new_rel_id(xml: str) -> str:
    ids = set(re.findall(r'Id="([^"]+)"', xml))
    n = 1
    while f"rId{n}" in ids:
        n += 1
    return f"rId{n}"


def _with_attribute(xml: str, element: str, name: str, value: str) -> str:
    """``<element …>`` (the first one) with ``name="value"`` set."""
    m = re.search(rf"<{element}(\s[^>]*?)?(/?)>", xml)
    if m is None:
        raise AddinBuildError(f"the workbook LibreOffice wrote has no <{element}>")
    attrs = re.sub(rf'\s{name}="[^"]*"', "", m.group(1) or "")
    return xml[: m.start()] + f'<{element}{attrs} {name}="{value}"{m.group(2)}>' + xml[m.end() :]


def _as_excel_saves(parts: dict[str, bytes]) -> None:
    """What Excel writes and LibreOffice leaves out: the theme part, and the
    code names of the workbook and the sheet that name their document modules."""
    from xlsxwriter.theme import THEME_XML_2007

    wb = _with_attribute(parts["xl/workbook.xml"].decode("utf-8"), "workbookPr", "codeName", WORKBOOK_CODE_NAME)
    parts["xl/workbook.xml"] = _with_attribute(wb, "workbookPr", "defaultThemeVersion", "124226").encode("utf-8")
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    if "<sheetPr" not in xml:
        xml = re.sub(r"(<worksheet\b[^>]*>)", r"\1<sheetPr/>", xml, count=1)
    parts[sheet] = _with_attribute(xml, "sheetPr", "codeName", SHEET_CODE_NAME).encode("utf-8")
    if THEME_PART not in parts:
        parts[THEME_PART] = THEME_XML_2007.encode("utf-8")
        rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
        rel = f'<Relationship Id="{_new_rel_id(rels)}" Type="{THEME_REL_TYPE}" Target="theme/theme1.xml"/>'
        parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")
        types = parts["[Content_Types].xml"].decode("utf-8")
        override = f'<Override PartName="/{THEME_PART}" ContentType="{THEME_CONTENT_TYPE}"/>'
        parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode("utf-8")


def _xlam_bytes(vba_xlsm: Path, custom_ui: bytes) -> bytes:
    """The add-in package: LibreOffice's parts plus the ribbon, the theme and the
    code names, add-in content type."""
    import io

    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(vba_xlsm) as z:
        for name in z.namelist():
            parts[name] = z.read(name)
    if "xl/vbaProject.bin" not in parts:
        raise AddinBuildError("the workbook LibreOffice wrote has no xl/vbaProject.bin")
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"].decode("utf-8")).encode("utf-8")
    parts["_rels/.rels"] = _root_rels(parts["_rels/.rels"].decode("utf-8")).encode("utf-8")
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = _core(parts["docProps/core.xml"].decode("utf-8")).encode("utf-8")
    parts[CUSTOM_UI_PART] = custom_ui
    _as_excel_saves(parts)
    order = ["[Content_Types].xml", "_rels/.rels"] + sorted(
        n for n in parts if n not in ("[Content_Types].xml", "_rels/.rels")
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, parts[name])
    return buf.getvalue()


def build_addin(
    out_path: str | os.PathLike,
    *,
    soffice: str = "soffice",
    bas: Path = BAS,
    custom_ui: Path = CUSTOM_UI,
    timeout: float = 180,
) -> Path:
    """Build the add-in ``out_path`` (``.xlam``) from ``xlb2b.bas`` and ``customUI.xml``.

    Needs LibreOffice (``soffice``, found on the PATH or given as a path); raises
    :class:`AddinBuildError` when LibreOffice cannot write the VBA project. The
    file is written atomically. Returns the path written.

    Two builds from the same sources differ only in the project ID and the
    (empty) protection fields that LibreOffice generates at random in the
    ``PROJECT`` stream of ``vbaProject.bin``.
    """
    out = Path(out_path)
    if out.suffix.lower() != ".xlam":
        raise ValueError(f"the add-in must be an .xlam file, not {out.name}")
    ui = Path(custom_ui).read_bytes()
    exe = _soffice_exe(soffice)
    work = Path(tempfile.mkdtemp(prefix="xlb2b-addin-"))
    try:
        data = _xlam_bytes(_vba_workbook(vba_modules(Path(bas)), work, exe, timeout), ui)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, data)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m udfs.addin.build [-o xlb2b.xlam] [--soffice PATH] [--force]``; exit status 0, or 1
    (the build failed, or the output exists and ``--force`` is not given: the rule of every xlb2b command)."""
    parser = argparse.ArgumentParser(
        prog="xlb2b addin build",
        description="Build xlb2b.xlam (classic xlwings add-in, ribbon tab B2B) with LibreOffice.",
    )
    parser.add_argument("-o", "--output", default="xlb2b.xlam", help="the .xlam to write (default: %(default)s)")
    parser.add_argument("--soffice", default="soffice", help="LibreOffice's soffice program (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    args = parser.parse_args(argv)
    if Path(args.output).is_file() and not args.force:
        print(
            f"xlb2b: {args.output} exists; pass --force to overwrite it, or choose another path with -o",
            file=sys.stderr,
        )
        return 1
    started = time.perf_counter()
    try:
        path = build_addin(args.output, soffice=args.soffice)
    except (AddinBuildError, ValueError, OSError) as e:
        print(f"xlb2b: cannot build the add-in: {e}", file=sys.stderr)
        return 1
    print(f"{path} ({path.stat().st_size:,} bytes, {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
