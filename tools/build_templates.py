"""Build the blank template workbooks in workbook_templates/<lang>/ and their
pictures in docs/templates/<lang>/ (first page, rendered by LibreOffice).

The templates come from the same sheet layouts the generator writes for real
clients, with empty yellow inputs and live formulas.  The output is
reproducible: fixed document properties and creation date, so rebuilding gives
the same bytes.

    python tools/build_templates.py              # workbooks and pictures
    python tools/build_templates.py --no-png     # workbooks only
    python tools/build_templates.py --check      # exit 1 if a committed workbook is stale
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlb2b.excel import adp_sheets as adp  # noqa: E402
from xlb2b.excel import planning_sheets as ps  # noqa: E402

OUT = ROOT / "workbook_templates"
PNG = ROOT / "docs" / "templates"
LANGS = ("en", "ru")
#: the date written into every template's properties
CREATED = dt.datetime(2026, 1, 1)


def _toolkit(wb, lang: str) -> None:
    from xlb2b.excel import toolkit_sheets as tk
    tk.add_tco_sheet(wb, lang=lang, blank=True)
    tk.add_spin_sheet(wb, lang=lang)
    tk.add_priority_sheet(wb, None, lang=lang, blank=True)


def _toolkit_available() -> bool:
    try:
        from xlb2b.excel import toolkit_sheets  # noqa: F401
    except ImportError:
        return False
    return True


#: (file stem, what writes its sheets into a workbook, whether it can be built now)
TEMPLATES: list[tuple[str, Callable, Callable[[], bool]]] = [
    ("adp", lambda wb, lang: adp.add_blank_adp_sheet(wb, lang=lang), lambda: True),
    ("checklist", lambda wb, lang: adp.add_checklist_sheet(wb, lang=lang), lambda: True),
    ("revenue_plan", lambda wb, lang: adp.add_blank_revenue_plan(wb, lang=lang), lambda: True),
    ("bcg_scoring", lambda wb, lang: ps.add_bcg_blank_sheet(wb, lang=lang), lambda: True),
    ("bant", lambda wb, lang: ps.add_bant_blank_sheet(wb, lang=lang), lambda: True),
    ("satisfaction", lambda wb, lang: ps.add_satisfaction_blank_sheet(wb, lang=lang), lambda: True),
    ("toolkit", _toolkit, _toolkit_available),
]


def templates() -> list[tuple[str, Callable]]:
    """The templates that can be built with the modules present: (stem, writer)."""
    return [(stem, write) for stem, write, available in TEMPLATES if available()]


def build_bytes(stem: str, lang: str) -> bytes:
    """The .xlsx bytes of template ``stem`` in ``lang``."""
    import xlsxwriter

    write = dict(templates())[stem]
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False,
                                      "nan_inf_to_errors": True})
    wb.set_properties({"title": stem, "author": "xlb2b", "company": "", "created": CREATED,
                       "comments": "xlb2b blank template"})
    wb.set_calc_mode("auto")
    write(wb, lang)
    wb.close()
    return buffer.getvalue()


def build(out: Path = OUT) -> list[Path]:
    """Write every template in every language under ``out``; returns the paths."""
    paths = []
    for lang in LANGS:
        (out / lang).mkdir(parents=True, exist_ok=True)
        for stem, _ in templates():
            path = out / lang / f"{stem}.xlsx"
            path.write_bytes(build_bytes(stem, lang))
            paths.append(path)
    return paths


def render(paths: list[Path], png_root: Path = PNG, *, dpi: int = 80) -> list[Path]:
    """The first page of each workbook as ``png_root/<lang>/<stem>.png``
    (LibreOffice to PDF in a throwaway profile, then pdftoppm)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        raise SystemExit("soffice (LibreOffice) and pdftoppm (poppler-utils) are needed for the pictures")
    out = []
    with tempfile.TemporaryDirectory(prefix="xlb2b-templates-") as tmp:
        tmp = Path(tmp)
        profile = tmp / "profile"
        for lang in sorted({p.parent.name for p in paths}):
            group = [p for p in paths if p.parent.name == lang]
            pdf_dir = tmp / lang
            subprocess.run([soffice, "--headless", "--norestore", "--nolockcheck", "--nologo",
                            f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
                            "--outdir", str(pdf_dir), *map(str, group)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
            (png_root / lang).mkdir(parents=True, exist_ok=True)
            for p in group:
                pdf = pdf_dir / f"{p.stem}.pdf"
                if not pdf.is_file():
                    raise SystemExit(f"LibreOffice wrote no PDF of {p}")
                target = png_root / lang / p.stem
                subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                                str(pdf), str(target)], check=True)
                out.append(target.with_suffix(".png"))
    return out


def stale(out: Path = OUT) -> list[Path]:
    """Committed templates whose bytes differ from what the builder makes now."""
    found = []
    for lang in LANGS:
        for stem, _ in templates():
            path = out / lang / f"{stem}.xlsx"
            if not path.is_file() or path.read_bytes() != build_bytes(stem, lang):
                found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a committed template is stale")
    ap.add_argument("--no-png", action="store_true", help="do not render the pictures")
    args = ap.parse_args(argv)
    if args.check:
        bad = stale()
        for p in bad:
            print(f"stale: {p.relative_to(ROOT)}")
        return 1 if bad else 0
    paths = build()
    for p in paths:
        print(p.relative_to(ROOT))
    if not args.no_png:
        for p in render(paths):
            print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
