"""Generate docs/functions.md, the reference of the Excel cell functions,
from the docstrings and argument descriptions in udfs/functions.py.

Every example is run: the result shown is what the function returns.

    python tools/gen_function_docs.py            # write docs/functions.md
    python tools/gen_function_docs.py --check    # exit 1 if the file is stale
    python tools/gen_function_docs.py --stdout   # print instead of writing
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "functions.md"

# the argument descriptions live in xlwings' metadata: read it in server mode
os.environ["XLWINGS_LICENSE_KEY"] = os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial"
os.environ["XLWINGS_ON_SERVER"] = "true"
sys.path.insert(0, str(ROOT))

from udfs import functions as F  # noqa: E402

GROUPS = [
    ("Segments", ["PSC_SEGMENT", "PSC_CUTS", "PSC_GROUP", "SPL_SEGMENT", "KML_SEGMENT", "DSL_SEGMENT",
                  "DSL_LEVEL", "RFM_SCORE", "RFM_SEGMENT", "ABC_CLASS", "XYZ_CLASS", "QUANTILE_SCORE"]),
    ("Metrics", ["HHI", "SOW", "REGULARITY", "SLOTS", "LTV_B2B"]),
    ("Portfolio", ["BCG_SCORE", "BCG_TIER", "BCG_STRATEGY", "BANT_SCORE"]),
    ("Planning", ["ADP_FORECAST", "PROGRESS_LEVEL"]),
    ("Satisfaction", ["NPS", "CSI", "OTIF"]),
    ("Tables", ["B2B_METRICS", "B2B_SEGMENTS"]),
    ("Two windows", ["CLIENT_STATUS", "PRICE_EFFECT", "VOLUME_EFFECT", "LAPSE_RATIO", "NRR", "GRR"]),
]


def _const(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return f"{v:g}" if isinstance(v, float) else str(v)


def excel_arg(v) -> str:
    """A Python argument as an Excel array constant: rows split by ';'."""
    if isinstance(v, list):
        rows = v if v and isinstance(v[0], list) else [[x] for x in v]
        if len(rows) == 1 and len(rows[0]) == 1:
            return _const(rows[0][0])
        return "{" + ";".join(",".join(_const(x) for x in r) for r in rows) + "}"
    return _const(v)


def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v).replace("|", "\\|")


def result_md(out) -> str:
    if len(out) == 1 and len(out[0]) == 1:
        return f"Result: `{cell(out[0][0])}`\n"
    width = max(len(r) for r in out)
    lines = ["Result (spills):", "", "|" + "|".join(" " for _ in range(width)) + "|",
             "|" + "|".join("---" for _ in range(width)) + "|"]
    for r in out:
        lines.append("| " + " | ".join(cell(x) for x in r) + " |")
    return "\n".join(lines) + "\n"


def section(name: str) -> str:
    fn = getattr(F, name)
    meta = fn.__xlfunc__
    doc = (fn.__doc__ or "").strip().replace("``", "`")
    paras = [re.sub(r"\s*\n\s*", " ", p.strip()) for p in re.split(r"\n\s*\n", doc)]
    method = example = None
    body = []
    for p in paras[1:]:
        m = re.match(r"Method: (.*?)(?: Example: (.*))?$", p)
        if m:
            method, example = m.group(1), m.group(2)
        else:
            body.append(p)
    sig = ", ".join(f"[{a['name']}]" if "optional" in a else a["name"] for a in meta["args"])
    out = [f"### {name}", "", f"`{name}({sig})`", "", paras[0], ""]
    out += [p + "\n" for p in body]
    if method:
        out += [f"Definition: {method}.", ""]
    out += ["| argument | description |", "|---|---|"]
    for a in meta["args"]:
        opt = " (optional)" if "optional" in a else ""
        out.append(f"| `{a['name']}`{opt} | {a['doc']} |")
    out.append("")
    if example:
        call = re.match(r"(\w+)\((.*)\)$", example)
        args = eval("[" + call.group(2) + "]", {})
        result = eval(example, vars(F))
        out += ["Example:", "", "```", f"={name}(" + ", ".join(excel_arg(a) for a in args) + ")", "```", "",
                result_md(result)]
    return "\n".join(out)


def generate() -> str:
    listed = [n for _, names in GROUPS for n in names]
    assert sorted(listed) == sorted(F.__all__), "every function must be in a group"
    parts = [
        "# Excel functions",
        "",
        "Type these into cells (xlwings add-in, xlwings Lite or xlwings Server). Every function takes",
        "single cells or whole columns (one row per client) and returns one value or a column that",
        "spills. A bad argument gives the text `#VALUE! <reason>` (find it with `LEFT(cell, 7) = \"#VALUE!\"`);",
        "an empty input cell gives an empty result cell. The section numbers refer to the methodology.",
        "",
        "This file is generated from the function docstrings by `tools/gen_function_docs.py`;",
        "every example's result is computed by calling the function.",
        "",
    ]
    for title, names in GROUPS:
        parts += [f"- {title}: " + ", ".join(f"[{n}](#{n.lower()})" for n in names)]
    parts.append("")
    for title, names in GROUPS:
        parts += [f"## {title}", ""]
        parts += [section(n) for n in names]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = generate()
    if "--stdout" in argv:
        sys.stdout.write(text)
        return 0
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python tools/gen_function_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
