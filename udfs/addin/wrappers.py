"""The VBA of the cell functions in ``xlb2b.xlam``, generated from udfs.functions.

Classic xlwings runs a Python function through a VBA wrapper that calls
``XLPy.CallUDF`` (what *Import Functions* writes into a workbook).  A value
that comes back from Python through COM cannot be an Excel error value: a
string stays text (xlwings issue #776), so xlwings' own wrappers show a
failure as text.  Our wrappers, one per function of :mod:`udfs.functions`,
call the same ``XLPy.CallUDF`` of the xlwings add-in and turn the failure
text ``"#VALUE! <reason>"`` (``#N/A``, ``#NUM!``: :data:`udfs.convert.ERRORS`)
into ``CVErr(...)``, a real error value; ``B2B_EXPLAIN`` keeps its text.

``B2BDescribe`` registers each function's description and argument help for
Excel's *Insert Function* dialog with ``Application.MacroOptions``, in Russian
when Excel's user interface is Russian (``LanguageSettings.LanguageID(
msoLanguageIDUI) = 1049``), else in English; ``ThisWorkbook``'s
``Workbook_Open`` calls it.  Non-ASCII text is written as UTF-16 hex decoded
by ``B2BText``, so the module source is ASCII whatever the VBA project's code
page.

The texts come from xlwings' metadata of the functions (docstrings and
``@xw.arg(doc=...)``) and the docstrings' ``RU`` lines: :func:`function_specs`
reads them in a child Python with xlwings in its server mode, where the
argument descriptions are kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["EXPLAIN", "MODULE_NAME", "THIS_WORKBOOK", "function_specs", "functions_module", "vba_name", "vba_text"]

MODULE_NAME = "xlb2b_functions"
#: the function whose text result is the point (never turned into an error value)
EXPLAIN = "B2B_EXPLAIN"
#: Excel's limit for a description and for each argument description of MacroOptions
MACRO_OPTIONS_LIMIT = 255
#: msoLanguageIDUI and the language id of Russian
_UI, _RUSSIAN = 2, 1049
_CHUNK = 800  # characters of a string literal per physical line (VBA: 1023)
# parameter names VBA does not take as identifiers (keywords and statements)
_VBA_WORDS = {
    "and",
    "as",
    "boolean",
    "byref",
    "byval",
    "call",
    "case",
    "close",
    "const",
    "date",
    "dim",
    "do",
    "double",
    "each",
    "else",
    "end",
    "error",
    "exit",
    "false",
    "for",
    "function",
    "get",
    "goto",
    "if",
    "in",
    "input",
    "integer",
    "is",
    "let",
    "like",
    "long",
    "loop",
    "me",
    "mod",
    "name",
    "new",
    "next",
    "not",
    "nothing",
    "on",
    "open",
    "optional",
    "or",
    "print",
    "private",
    "public",
    "put",
    "resume",
    "select",
    "set",
    "single",
    "static",
    "step",
    "stop",
    "string",
    "sub",
    "then",
    "time",
    "to",
    "true",
    "type",
    "until",
    "variant",
    "wend",
    "while",
    "with",
    "xor",
}

THIS_WORKBOOK = """\
' xlb2b.xlam: when Excel opens the add-in, the functions get their descriptions
' for the Insert Function dialog (in Russian when Excel's interface is Russian).
Option Explicit

Private Sub Workbook_Open()
    On Error Resume Next
    B2BDescribe
End Sub
"""

_SPECS_CODE = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from xlwings.server import custom_functions_meta
from udfs import convert as cv, functions as F
out = []
for f in custom_functions_meta(F)["functions"]:
    ru = cv.russian_doc(getattr(F, f["id"]))
    out.append({"name": f["id"], "description": f["description"],
                "params": [{"name": p["name"], "optional": bool(p.get("optional")),
                            "description": p["description"], "ru": ru.get(p["name"], "")}
                           for p in f["parameters"]],
                "ru": ru.get("", "")})
json.dump(out, sys.stdout)
"""


def function_specs() -> list[dict]:
    """Name, parameters (name, optional, English and Russian help) and the two
    descriptions of every function, in xlwings' metadata order."""
    root = Path(__file__).resolve().parents[2]
    env = dict(
        os.environ,
        XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial",
        XLWINGS_ON_SERVER="true",
    )
    out = subprocess.run(
        [sys.executable, "-c", _SPECS_CODE, str(root)], capture_output=True, text=True, env=env, timeout=300
    )
    if out.returncode != 0:
        raise RuntimeError("cannot read the functions' metadata: " + (out.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(out.stdout)


def vba_name(param: str) -> str:
    """A parameter name VBA accepts (``time`` -> ``time_value``)."""
    return f"{param}_value" if param.lower() in _VBA_WORDS else param


def vba_text(text: str, limit: int = MACRO_OPTIONS_LIMIT) -> str:
    """A VBA expression for ``text`` (cut to ``limit`` characters): a literal
    when it is ASCII, else ``B2BText("<UTF-16 hex>")``, split over lines."""
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    if all(ord(ch) < 128 for ch in text):
        body = text.replace('"', '""')
        call = None
    else:
        body = "".join(f"{ord(ch):04X}" for ch in text)
        call = "B2BText"
    parts = [body[i : i + _CHUNK] for i in range(0, len(body), _CHUNK)] or [""]
    literal = " & _\n        ".join(f'"{p}"' for p in parts)
    return f"{call}({literal})" if call else literal


def _wrapper(spec: dict) -> str:
    name = spec["name"]
    params = [(vba_name(p["name"]), p["optional"]) for p in spec["params"]]
    sig = ", ".join(("Optional " if opt else "") + n for n, opt in params)
    args = ", ".join(n for n, _ in params)
    convert = "False" if name == EXPLAIN else "True"
    return f'Public Function {name}({sig})\n    {name} = B2BCall("{name}", Array({args}), {convert})\nEnd Function\n'


def _describe(spec: dict) -> str:
    name = spec["name"]
    n = len(spec["params"])
    lines = [
        f"Private Sub B2BDescribe_{name}(ByVal ru As Boolean)",
        "    Dim d As String, a As Variant",
        f"    ReDim a(0 To {max(n - 1, 0)})",
        "    If ru Then",
        f"        d = {vba_text(spec['ru'] or spec['description'])}",
    ]
    lines += [f"        a({i}) = {vba_text(p['ru'] or p['description'])}" for i, p in enumerate(spec["params"])]
    lines += ["    Else", f"        d = {vba_text(spec['description'])}"]
    lines += [f"        a({i}) = {vba_text(p['description'])}" for i, p in enumerate(spec["params"])]
    lines += ["    End If", f'    B2BDescribeOne "{name}", d, a', "End Sub", ""]
    return "\n".join(lines)


def functions_module(specs: list[dict] | None = None) -> str:
    """The ``.bas`` text of :data:`MODULE_NAME`: one wrapper per function, the
    error conversion and the descriptions."""
    from udfs.convert import ERRORS

    specs = function_specs() if specs is None else specs
    checks = []
    for e in ERRORS.values():
        prefix = e.text + " "
        checks.append(f'    If Left$(v, {len(prefix)}) = "{prefix}" Then B2BError = CVErr({e.vba}): Exit Function')
    head = f"""\
Attribute VB_Name = "{MODULE_NAME}"
' Generated by udfs/addin/wrappers.py from udfs.functions: do not edit.
' The cell functions of xlb2b, run by Python through the xlwings add-in (XLPy.CallUDF,
' as the wrappers of xlwings' Import Functions do). A failure comes back as the text
' "#VALUE! <reason>" (#N/A, #NUM!) and is returned as that error value (CVErr), so
' IFERROR, ISERROR and IFNA see it; B2B_EXPLAIN gives the reason as text.
Option Explicit

Private Function B2BError(ByVal v As Variant) As Variant
    ' the error value of a failure text, else v itself
    B2BError = v
    If VarType(v) <> vbString Then Exit Function
{chr(10).join(checks)}
End Function

Private Function B2BCall(ByVal fn As String, ByVal args As Variant, ByVal errors As Boolean) As Variant
    Dim py As Variant, result As Variant, r As Long, c As Long
    On Error GoTo Failed
    Set py = Application.Run("xlwings.xlam!XLPy")
    result = py.CallUDF("udfs.functions", fn, args, ThisWorkbook, Application.Caller)
    If errors And IsArray(result) Then
        r = LBound(result, 1): c = LBound(result, 2)
        If r = UBound(result, 1) And c = UBound(result, 2) Then result(r, c) = B2BError(result(r, c))
    End If
    B2BCall = result
    Exit Function
Failed:
    ' xlwings or Python is missing or not set up: say so in the cell, as xlwings does
    B2BCall = "xlb2b: " & Err.Description
End Function

Private Function B2BText(ByVal code As String) As String
    ' UTF-16 code units in hex, four digits each
    Dim i As Long, s As String
    For i = 1 To Len(code) Step 4
        s = s & ChrW(CLng("&H" & Mid$(code, i, 4) & "&"))
    Next
    B2BText = s
End Function

Private Sub B2BDescribeOne(ByVal fn As String, ByVal d As String, ByVal a As Variant)
    On Error Resume Next
    Application.MacroOptions Macro:="'" & ThisWorkbook.Name & "'!" & fn, Description:=d, _
        Category:="xlb2b", ArgumentDescriptions:=a
End Sub

"""
    parts = [head, "' ---------------------------------------------------------------- functions\n"]
    parts += [_wrapper(s) + "\n" for s in specs]
    parts.append("' ---------------------------------------------------------------- descriptions\n")
    parts.append(
        "Public Sub B2BDescribe()\n    Dim ru As Boolean\n    On Error Resume Next\n"
        f"    ru = (Application.LanguageSettings.LanguageID({_UI}) = {_RUSSIAN})\n"
    )
    parts += [f"    B2BDescribe_{s['name']} ru\n" for s in specs]
    parts.append("End Sub\n\n")
    parts += [_describe(s) + "\n" for s in specs]
    return "".join(parts).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m udfs.addin.wrappers [-o FILE.bas]``: write (or print) the module."""
    import argparse

    parser = argparse.ArgumentParser(description="Write the VBA module of xlb2b's cell functions.")
    parser.add_argument("-o", "--output", help="the .bas to write (default: print it)")
    args = parser.parse_args(argv)
    text = functions_module()
    if args.output:
        Path(args.output).write_text(text, encoding="ascii", newline="\r\n")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
