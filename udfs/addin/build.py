"""Build ``xlb2b.xlam``, the classic xlwings add-in with the "B2B" ribbon tab.

Runs on Linux with LibreOffice (``soffice``) and nothing else of Office:

1. LibreOffice, headless, with a throwaway user profile, runs a small Basic
   macro (:data:`BUILDER_BASIC`) from that profile: it creates a new
   spreadsheet, switches its Basic libraries to VBA compatibility mode, puts
   our module (``xlb2b.bas`` without its ``Attribute`` lines) into the VBA
   project library and saves the document with the "Calc MS Excel 2007 VBA
   XML" filter. In VBA mode LibreOffice writes the library as a real
   ``xl/vbaProject.bin`` (MS-OVBA: compressed module stream, ``dir`` and
   ``PROJECT`` streams).
2. Python rewrites the package with :mod:`zipfile`: adds
   ``customUI/customUI14.xml`` (``customUI.xml``) with its root relationship,
   gives the workbook part the add-in content type and writes the result
   atomically, with fixed zip timestamps.

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

Sub BuildVbaWorkbook
    Dim sCode As String, sRow As String, sModule As String, sProject As String
    Dim iSrc As Integer
    On Error GoTo Failed
    xlb2bLog "start"
    sModule = Environ("XLB2B_VBA_MODULE")
    sProject = Environ("XLB2B_VBA_PROJECT")
    iSrc = FreeFile
    Open Environ("XLB2B_VBA_SOURCE") For Input As #iSrc
    sCode = ""
    Do While Not EOF(iSrc)
        Line Input #iSrc, sRow
        sCode = sCode & sRow & Chr(10)
    Loop
    Close #iSrc
    xlb2bLog "read " & Len(sCode)
    Dim aLoad(0) As New com.sun.star.beans.PropertyValue
    aLoad(0).Name = "Hidden"
    aLoad(0).Value = True
    oDoc = StarDesktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, aLoad())
    oLibs = oDoc.BasicLibraries
    oLibs.VBACompatibilityMode = True
    If Not oLibs.hasByName(sProject) Then oLibs.createLibrary(sProject)
    oLibs.ProjectName = sProject
    oProjectLib = oLibs.getByName(sProject)
    Dim oModuleInfo As Object
    oModuleInfo = CreateUnoStruct("com.sun.star.script.ModuleInfo")
    oModuleInfo.ModuleType = com.sun.star.script.ModuleType.NORMAL
    oProjectLib.insertModuleInfo(sModule, oModuleInfo)
    oProjectLib.insertByName(sModule, sCode)
    xlb2bLog "module " & sModule
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

_XBA = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="{name}" '
        'script:language="StarBasic">{code}</script:module>\n')
_XLB = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">\n'
        '<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" '
        'library:readonly="false" library:passwordprotected="false">\n'
        ' <library:element library:name="Module1"/>\n'
        ' <library:element library:name="xlb2bBuild"/>\n'
        '</library:library>\n')


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
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
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
        raise AddinBuildError(f"LibreOffice not found ({soffice!r}): install it "
                              "(apt-get install --no-install-recommends libreoffice-calc) "
                              "or pass the path of soffice")
    return found


def _vba_workbook(bas: Path, work: Path, soffice_exe: str, timeout: float) -> Path:
    """LibreOffice writes ``work/vba.xlsm`` whose VBA project holds the module of ``bas``."""
    module, code = vba_module(bas.read_text(encoding="utf-8"))
    source = work / "module.txt"
    source.write_text(code, encoding="utf-8")
    out = work / "vba.xlsm"
    log = work / "build.log"
    profile = work / "profile"
    base = [soffice_exe, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}"]
    env = dict(os.environ, XLB2B_VBA_LOG=str(log), XLB2B_VBA_SOURCE=str(source),
               XLB2B_VBA_MODULE=module, XLB2B_VBA_PROJECT="VBAProject", XLB2B_VBA_OUT=str(out))
    # the first start fills the new profile (and replaces user/basic with the presets)
    stdout, stderr = _run(base + ["--terminate_after_init"], env, timeout)
    standard = profile / "user" / "basic" / "Standard"
    if not standard.is_dir():
        raise AddinBuildError(f"LibreOffice did not create its user profile in {profile}\n"
                              f"stdout:\n{stdout.strip()}\nstderr:\n{stderr.strip()}")
    (standard / "xlb2bBuild.xba").write_text(
        _XBA.format(name="xlb2bBuild", code=escape(BUILDER_BASIC)), encoding="utf-8")
    (standard / "script.xlb").write_text(_XLB, encoding="utf-8")
    stdout, stderr = _run(base + ["macro:///Standard.xlb2bBuild.BuildVbaWorkbook"], env, timeout)
    steps = log.read_text(encoding="utf-8", errors="replace").split("\n") if log.exists() else []
    if "stored" not in steps or not out.is_file():
        raise AddinBuildError(
            "LibreOffice wrote no workbook with the VBA module\n"
            f"macro log: {' | '.join(s for s in steps if s) or '(empty: the macro did not run)'}\n"
            f"stdout:\n{stdout.strip()}\nstderr:\n{stderr.strip()}")
    return out


def _content_types(xml: str) -> str:
    if MACRO_WORKBOOK_CONTENT_TYPE not in xml:
        raise AddinBuildError("the workbook LibreOffice wrote is not macro-enabled: "
                              f"no {MACRO_WORKBOOK_CONTENT_TYPE} in [Content_Types].xml")
    xml = xml.replace(MACRO_WORKBOOK_CONTENT_TYPE, ADDIN_CONTENT_TYPE)
    if 'Extension="xml"' not in xml:
        xml = xml.replace("</Types>", '<Default Extension="xml" ContentType="application/xml"/></Types>')
    return xml


def _root_rels(xml: str) -> str:
    if UI_REL_TYPE in xml:
        return xml
    ids = set(re.findall(r'Id="([^"]+)"', xml))
    n = 1
    while f"rId{n}" in ids:
        n += 1
    rel = f'<Relationship Id="rId{n}" Type="{UI_REL_TYPE}" Target="{CUSTOM_UI_PART}"/>'
    return xml.replace("</Relationships>", rel + "</Relationships>")


def _core(xml: str) -> str:
    """Fixed dates in docProps/core.xml (LibreOffice writes the build time)."""
    return re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{_FIXED_DATE}\g<2>", xml)


def _xlam_bytes(vba_xlsm: Path, custom_ui: bytes) -> bytes:
    """The add-in package: LibreOffice's parts plus the ribbon, add-in content type."""
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
    order = ["[Content_Types].xml", "_rels/.rels"] + sorted(n for n in parts if n not in
                                                            ("[Content_Types].xml", "_rels/.rels"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, parts[name])
    return buf.getvalue()


def build_addin(out_path: str | os.PathLike, *, soffice: str = "soffice", bas: Path = BAS,
                custom_ui: Path = CUSTOM_UI, timeout: float = 180) -> Path:
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
        data = _xlam_bytes(_vba_workbook(Path(bas), work, exe, timeout), ui)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, data)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m udfs.addin.build [-o xlb2b.xlam] [--soffice PATH]``; exit status 0 or 1."""
    parser = argparse.ArgumentParser(prog="xlb2b addin build",
                                     description="Build xlb2b.xlam (classic xlwings add-in, "
                                                 "ribbon tab B2B) with LibreOffice.")
    parser.add_argument("-o", "--output", default="xlb2b.xlam", help="the .xlam to write (default: %(default)s)")
    parser.add_argument("--soffice", default="soffice", help="LibreOffice's soffice program (default: %(default)s)")
    args = parser.parse_args(argv)
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
