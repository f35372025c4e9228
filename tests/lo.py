"""Recalculate .xlsx files with LibreOffice Calc headless and compare every
formula cell's recalculated value with the value cached in the file.

Helper module for tests (not a test file)::

    from lo import compare_recalculated, recalc, requires_soffice  # the soffice fixture: tests/conftest.py

    @requires_soffice
    def test_book(tmp_path):
        book = write_something(tmp_path / "book.xlsx")
        assert compare_recalculated(book, recalc(book, tmp_path / "lo")) == []

How it works: ``soffice --convert-to xlsx`` opens the file and saves a copy.
LibreOffice normally trusts the cached results of an .xlsx ("never
recalculate" is its default), so each call runs with a throwaway user profile
whose ``registrymodifications.xcu`` sets
``/org.openoffice.Office.Calc/Formula/Load`` ``OOXMLRecalcMode`` and
``ODFRecalcMode`` to 0 ("always recalculate"; 1 is never, 2 is ask). The copy
then holds LibreOffice's own results, which openpyxl reads back.

``soffice`` exits 0 even when it could not load or write a file, so the output
file itself is checked. Every call has its own profile directory, so parallel
test runs (pytest-xdist, two checkouts) do not share LibreOffice's lock or
profile.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

__all__ = [
    "CellKey",
    "LibreOfficeError",
    "cached_values",
    "compare_recalculated",
    "formula_cells",
    "in_ci",
    "need_soffice",
    "recalc",
    "recalc_and_compare",
    "recalc_many",
    "requires_soffice",
    "soffice",
    "soffice_path",
]

CellKey = tuple[str, str]  # (sheet name, "B7")

RECALC_ALWAYS_XCU = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

# Error values as Excel writes them, plus LibreOffice's own "Err:502" style.
_ERROR_TEXT = re.compile(r"#NULL!|#DIV/0!|#VALUE!|#REF!|#NAME\?|#NUM!|#N/A|#GETTING_DATA|#SPILL!|#CALC!|Err:\d{3}")


class LibreOfficeError(RuntimeError):
    """soffice did not produce the expected output file."""


# ---------------------------------------------------------------- finding soffice

def soffice_path() -> str | None:
    """Path of the LibreOffice ``soffice`` program, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/lib/libreoffice/program/soffice",
                      "/opt/libreoffice/program/soffice",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def in_ci() -> bool:
    """True when the ``CI`` environment variable says so (``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def need_soffice() -> str:
    """The soffice path; otherwise skip the calling test, or fail it under CI=true."""
    path = soffice_path()
    if path is None:
        reason = ("LibreOffice (soffice) is not installed: needed to recalculate workbooks; "
                  "install it with 'apt-get install --no-install-recommends libreoffice-calc' "
                  "(.ci/run does)")
        if in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def soffice() -> str:
    """Fixture giving soffice's path: skips without LibreOffice locally, fails in CI.

    tests/conftest.py makes it visible to every test module.
    """
    return need_soffice()


#: Marker for tests that need LibreOffice: ``@requires_soffice``.
requires_soffice = pytest.mark.usefixtures("soffice")


# ---------------------------------------------------------------- recalculating

def recalc(src: Path, out_dir: Path, *, timeout: float = 300) -> Path:
    """Recalculate ``src`` with LibreOffice and save it as ``out_dir/<stem>.xlsx``.

    ``out_dir`` must not be ``src``'s own folder (the copy has the source's name).
    Returns the path of the recalculated copy; raises LibreOfficeError if soffice
    did not write it (with soffice's output), ``subprocess.TimeoutExpired`` after
    ``timeout`` seconds.
    """
    return recalc_many([src], out_dir, timeout=timeout)[0]


def recalc_many(paths: Iterable[Path], out_dir: Path, *, timeout: float = 300) -> list[Path]:
    """Recalculate several files with one LibreOffice start (much faster than one each).

    Returns the recalculated copies in the order of ``paths``. Source stems must be
    distinct, and none of the sources may live in ``out_dir``.
    """
    sources = [Path(p).resolve() for p in paths]
    if not sources:
        return []
    out_dir = Path(out_dir).resolve()
    outputs = [out_dir / (s.stem + ".xlsx") for s in sources]
    for src in sources:
        if not src.is_file():
            raise FileNotFoundError(src)
        if src.parent == out_dir:
            raise ValueError(f"out_dir must differ from the source's folder: the copy of {src.name} "
                             f"would have the same name")
    if len(set(outputs)) != len(outputs):
        raise ValueError("sources with the same file stem would overwrite each other's copies: "
                         + ", ".join(str(s) for s in sources))
    soffice_exe = soffice_path()
    if soffice_exe is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    for out in outputs:
        out.unlink(missing_ok=True)

    profile = Path(tempfile.mkdtemp(prefix="xlb2b-lo-profile-"))
    try:
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS_XCU, encoding="utf-8")
        cmd = [soffice_exe, "--headless", "--norestore", "--nolockcheck", "--nodefault",
               "--nologo", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", "xlsx", "--outdir", str(out_dir), *map(str, sources)]
        started = time.time()
        stdout, stderr = _run(cmd, timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    missing = [src.name for src, out in zip(sources, outputs)
               if not out.is_file() or out.stat().st_mtime < started - 2]
    if missing:
        raise LibreOfficeError(
            f"LibreOffice wrote no recalculated copy of {', '.join(missing)} in {out_dir}\n"
            f"command: {' '.join(cmd)}\nstdout:\n{stdout.strip()}\nstderr:\n{stderr.strip()}")
    return outputs


def _run(cmd: Sequence[str], timeout: float) -> tuple[str, str]:
    """Run soffice in its own process group, killed whole (and only it) on timeout."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    return stdout, stderr


# ---------------------------------------------------------------- reading cells

def _cells(path: Path, *, data_only: bool,
           sheets: Iterable[str] | None = None) -> dict[CellKey, tuple[object, str]]:
    """(sheet, cell) -> (value, openpyxl data type) for every non-empty cell
    (of the named ``sheets`` only, when given: big data sheets are slow to read)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    wanted = None if sheets is None else set(sheets)
    try:
        out: dict[CellKey, tuple[object, str]] = {}
        for ws in wb.worksheets:
            if wanted is not None and ws.title not in wanted:
                continue
            for row in ws.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is not None or getattr(cell, "data_type", "n") == "f":
                        out[(ws.title, cell.coordinate)] = (value, cell.data_type)
        return out
    finally:
        wb.close()


def formula_cells(path: Path) -> dict[CellKey, str]:
    """(sheet, cell) -> formula text (``=...``) of every formula cell.

    Every cell of an array formula's range is included, with the formula written
    ``{=...}``: LibreOffice computes them all, and each carries its own cached value.
    """
    out: dict[CellKey, str] = {}
    for (sheet, coord), (value, data_type) in _cells(path, data_only=False).items():
        if isinstance(value, ArrayFormula):
            text = value.text if value.text.startswith("=") else "=" + value.text
            ref = value.ref or coord
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    out[(sheet, f"{get_column_letter(c)}{r}")] = "{" + text + "}"
        elif isinstance(value, DataTableFormula):
            out[(sheet, coord)] = "{=TABLE(...)}"
        elif data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            out[(sheet, coord)] = str(value)
    return out


def cached_values(path: Path) -> dict[CellKey, object]:
    """(sheet, cell) -> value as stored in the file (cached formula results included).

    Empty cells, and formula cells whose cached result is empty, are absent.
    Error results are their text (``"#DIV/0!"``).
    """
    return {k: v for k, (v, _) in _cells(path, data_only=True).items() if v is not None}


# ---------------------------------------------------------------- comparing

def _is_error(value: object, data_type: str) -> bool:
    return data_type == "e" or (isinstance(value, str) and _ERROR_TEXT.fullmatch(value) is not None)


def _norm(value: object) -> object:
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return to_excel(value)
    return value


def _same(a: object, b: object, rel: float, abs_: float) -> bool:
    a, b = _norm(a), _norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a == b


def _where(sheet: str, coord: str) -> str:
    """``Calc!B7``, or ``'My sheet'!B7`` when the name needs quotes in a formula."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return f"{sheet}!{coord}"
    return "'" + sheet.replace("'", "''") + f"'!{coord}"


def _show(value: object) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _order(key: CellKey, sheets: list[str]) -> tuple:
    sheet, coord = key
    min_col, min_row, _, _ = range_boundaries(coord)
    return (sheets.index(sheet) if sheet in sheets else len(sheets), sheet, min_row, min_col)


def compare_recalculated(original: Path, recalculated: Path, *, rel: float = 1e-9,
                         abs_: float = 1e-9, errors_ok: bool = False) -> list[str]:
    """Readable lines, one per formula cell of ``original`` whose cached value differs
    from LibreOffice's value in ``recalculated``; empty when all agree.

    Numbers agree within ``rel``/``abs_`` (``math.isclose``; LibreOffice writes
    15 significant digits), text exactly, booleans only with booleans, and an empty
    string with an empty cell. Dates compare as Excel serial numbers. A formula whose
    recalculated value is an error (``#NAME?``, ``#VALUE!``, ``Err:502``...) is
    reported even when the cached value is the same error, unless ``errors_ok``.
    """
    formulas = formula_cells(original)
    sheets = list(dict.fromkeys(sheet for sheet, _ in formulas))  # workbook order
    cached = _cells(original, data_only=True, sheets=sheets)
    fresh = _cells(recalculated, data_only=True, sheets=sheets)

    found = []
    for key, formula in formulas.items():
        old, _ = cached.get(key, (None, "n"))
        new, new_type = fresh.get(key, (None, "n"))
        if _is_error(new, new_type):
            if not (errors_ok and _same(old, new, rel, abs_)):
                found.append((key, f"{_where(*key)}: LibreOffice gives the error {new} (cached {_show(old)}, "
                                   f"formula {formula})"))
        elif not _same(old, new, rel, abs_):
            found.append((key, f"{_where(*key)}: cached {_show(old)}, LibreOffice {_show(new)} "
                               f"(formula {formula})"))
    return [line for key, line in sorted(found, key=lambda item: _order(item[0], sheets))]


def recalc_and_compare(src: Path, out_dir: Path, *, timeout: float = 300, **tolerances) -> list[str]:
    """``compare_recalculated(src, recalc(src, out_dir))`` in one call."""
    return compare_recalculated(src, recalc(src, out_dir, timeout=timeout), **tolerances)
