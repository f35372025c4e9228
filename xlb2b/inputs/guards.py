"""Archive guards: oversized, damaged, zip-bomb, entity-laden or uncalculated workbooks are refused in plain words."""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from xlb2b.errors import InputError
from xlb2b.inputs.context import _Ctx

# --------------------------------------------------------------------------
# limits

#: a workbook whose members add up to more than this when unpacked is refused
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
#: a workbook member packed more tightly than this is refused ...
MAX_COMPRESSION_RATIO = 200
#: ... when it unpacks to more than this many bytes
RATIO_CHECK_MIN_BYTES = 10 * 1024**2
#: every XML member is unpacked and searched for DTD declarations in pieces of this size
XML_CHUNK_BYTES = 1024 * 1024

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: a formula element and the value saved after it (group 1: the value text, None: no value)
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>([^<]*)</v>)?")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]+)"')

#: what to do with a damaged workbook
_REPAIR = (
    "open it in Excel or LibreOffice (they may repair it), save it as .xlsx (Excel "
    "Workbook) and run again, or get the file again from where it came from"
)


def _damaged(ctx: _Ctx, what: str) -> NoReturn:
    ctx.fatal(f"the workbook is damaged: {what}; {_REPAIR}")


@dataclass
class FormulaCells:
    """Formula cells of one worksheet part: how many were saved without a
    computed value (the first of them), and how many with one.  An empty saved
    value is what a formula giving "" leaves too, so a sheet counts as never
    calculated only when none of its formulas has a value."""

    count: int = 0
    first: str = ""
    with_values: int = 0


def _scan_xml(m, name: str, ctx: _Ctx, path: Path, formulas: dict[str, FormulaCells]) -> None:
    """Read a whole XML member in pieces: refuse a DTD anywhere in it (a long
    comment does not hide one) and count formula cells without values."""
    sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    carry = b""
    while True:
        chunk = m.read(XML_CHUNK_BYTES)
        buf = carry + chunk
        if b"!" in buf and _DTD.search(buf):  # one-byte search first (memchr): "!" is rare
            ctx.fatal(
                f"refused {path.name}: {name} declares a DTD or entities, which Excel "
                "never writes (such a file can be crafted to overload the reader); save "
                "the data from the program that made it as a new .xlsx file"
            )
        if not chunk:  # the end: the last cells are complete
            if sheet:
                _count_formulas(buf, len(buf), name, formulas)
            break
        cut = max(len(buf) - 16, 0)  # a declaration split between two pieces
        if sheet:
            at = buf.rfind(b"<c", max(0, len(buf) - 65536))
            if at > 0:
                cut = at  # an unfinished cell waits for the next piece
            _count_formulas(buf, cut, name, formulas)
        carry = buf[cut:]


def _count_formulas(buf: bytes, end: int, name: str, formulas: dict[str, FormulaCells]) -> None:
    f = formulas.setdefault(name, FormulaCells())
    if buf.find(b"<f", 0, end) < 0:  # a piece without formulas (the usual case): no regex pass
        return
    for hit in _FORMULA.finditer(buf, 0, end):
        value = hit.group(1)
        if value is not None and value.strip():
            f.with_values += 1
            continue
        if not f.count:
            at = buf.rfind(b"<c", 0, hit.start())
            ref = _CELL_REF.search(buf, at, hit.start()) if at >= 0 else None
            f.first = ref.group(1).decode() if ref else ""
        f.count += 1


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name → sheet name, from workbook.xml and its relationships."""
    try:
        book = zf.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return {}
    targets = {}
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        rid = re.search(rb'\bId="([^"]*)"', rel.group(0))
        tgt = re.search(rb'\bTarget="([^"]*)"', rel.group(0))
        if rid and tgt:
            t = html.unescape(tgt.group(1).decode("utf-8", "replace"))
            t = t.lstrip("/") if t.startswith("/") else "xl/" + t
            targets[rid.group(1)] = posixpath.normpath(t)
    out = {}
    for sh in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", book):
        nm = re.search(rb'\bname="([^"]*)"', sh.group(0))
        rid = re.search(rb'\b(?:\w+:)?id="([^"]*)"', sh.group(0))
        if nm and rid and rid.group(1) in targets:
            out[targets[rid.group(1)]] = html.unescape(nm.group(1).decode("utf-8", "replace"))
    return out


#: the part every workbook of a zip format holds
_WORKBOOK_PART = {".xlsx": "workbook.xml", ".xlsb": "workbook.bin", ".ods": "content.xml"}


def _check_archive(path: Path, ext: str, ctx: _Ctx) -> None:
    """The guards for a .xls, .xlsb or .ods file: a binary .xls must be one
    (not a web page or text renamed) and not too large; the zip formats get
    the same checks as .xlsx."""
    if ext not in (".xls", ".xlt"):
        _check_workbook_zip(path, ctx, ext=ext)
        return
    with open(path, "rb") as f:
        magic = f.read(8)
    if not magic.startswith(b"\xd0\xcf\x11\xe0"):
        ctx.fatal(
            f"{path.name} is not an Excel .xls workbook: it is probably a web page or text "
            "saved under the .xls extension (some programs export so); open it in Excel "
            "and save it as .xlsx, or, if it is text, give it the .csv extension"
        )
    size = path.stat().st_size
    if size > MAX_UNCOMPRESSED_BYTES:
        ctx.fatal(
            f"refused {path.name}: it is {size / 2**30:.1f} GiB, more than the limit of "
            f"{MAX_UNCOMPRESSED_BYTES / 2**30:.1f} GiB; export the data as .csv"
        )


def _check_workbook_zip(path: Path, ctx: _Ctx, *, ext: str = ".xlsx", scan: bool = True) -> dict[str, FormulaCells]:
    """Refuse files that are not workbook zips, damaged archives, zip bombs and
    XML with DTDs, before any XML parser sees them.  Returns, per sheet name,
    the formula cells saved without a computed value (.xlsx).  ``scan=False``:
    only the checks on the archive's directory (no member unpacked); then
    :func:`_scan_workbook_xml` does the rest."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        ctx.fatal(
            "not an .xlsx workbook: this is an old binary .xls file or a "
            "password-protected workbook; open it in Excel and save it as .xlsx "
            "without a password"
        )
    if not zipfile.is_zipfile(path):
        if magic.startswith(b"PK"):
            _damaged(ctx, "the file is cut short (it was not saved, copied or downloaded to the end)")
        ctx.fatal(
            f"{path.name} is not an Excel workbook ({ext} files are zip archives); check "
            "that this is the right file, and if it is a CSV or text file give it the "
            ".csv extension"
        )
    formulas: dict[str, FormulaCells] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            part = _WORKBOOK_PART.get(ext, "workbook.xml")
            if ("[Content_Types].xml" not in names and ext != ".ods") or not any(n.endswith(part) for n in names):
                ctx.fatal(
                    f"{path.name} is not an Excel workbook (no workbook part inside); check that this is the right file"
                )
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                ctx.fatal(
                    f"refused {path.name}: it unpacks to {total / 2**30:.1f} GiB, more "
                    f"than the limit of {MAX_UNCOMPRESSED_BYTES / 2**30:.1f} GiB; "
                    "split the data into smaller files or export it as .csv"
                )
            for i in infos:
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
                    ctx.fatal(
                        f"refused {path.name}: member {i.filename} is compressed "
                        f"{ratio:.0f}:1 (limit {MAX_COMPRESSION_RATIO}:1), "
                        "which is how a zip bomb looks; if the file is genuine, export "
                        "the data as .csv"
                    )
            if not scan:
                return {}
            for i in infos:
                if i.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(i) as m:
                        _scan_xml(m, i.filename, ctx, path, formulas)
            parts = _sheet_parts(zf, names) if any(f.count for f in formulas.values()) else {}
    except InputError:
        raise
    except RuntimeError as e:  # zipfile: an encrypted member
        if "encrypt" in str(e).lower() or "password" in str(e).lower():
            ctx.fatal(
                "the workbook is protected with a password; open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save it as .xlsx"
            )
        _damaged(ctx, "its parts cannot be unpacked")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError):
        _damaged(ctx, "its compressed contents cannot be unpacked")
    return {parts.get(k, k): v for k, v in formulas.items()}


def _scan_workbook_xml(path: Path, ctx: _Ctx) -> dict[str, FormulaCells]:
    """The XML members of a workbook whose archive passed
    ``_check_workbook_zip(scan=False)``: DTDs refused, formulas without values counted."""
    return _check_workbook_zip(path, ctx)


def _refuse_formulas_without_values(formulas: dict[str, FormulaCells], ctx: _Ctx) -> None:
    """Refuse the sheet being read when it holds formulas saved without their
    computed values: their cells would read as empty."""
    f = formulas.get(ctx.sheet)
    if f and f.count and not f.with_values:
        at = f" (the first in cell {f.first})" if f.first else ""
        ctx.fatal(
            f"sheet {ctx.sheet!r} holds {f.count:,} formula(s) saved without their "
            f"computed values{at}, so the values cannot be read: the file was written by "
            "a program that does not calculate formulas. Open it in Excel or LibreOffice "
            "Calc, save it, and run again"
        )


def _unreadable_workbook(e: BaseException, ctx: _Ctx) -> NoReturn:
    """A workbook the reader failed on, in plain words (no library text)."""
    text = f"{type(e).__name__} {e}".lower()
    if "password" in text or "encrypt" in text:
        ctx.fatal(
            "the workbook is protected with a password; open it in Excel, remove the "
            "password (File > Info > Protect Workbook) and save it as .xlsx"
        )
    if "no sheet" in text or "not found" in text and "sheet" in text:
        ctx.fatal(f"sheet {ctx.sheet!r} cannot be read; choose another with --sheet NAME")
    _damaged(ctx, "its contents cannot be read")
