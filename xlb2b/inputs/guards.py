"""Archive guards: oversized, damaged, zip-bomb, entity-laden or uncalculated workbooks are refused in plain words."""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from xlb2b.errors import InputError
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.parts import sheet_parts

# --------------------------------------------------------------------------
# limits

#: a workbook whose members add up to more than this when unpacked is refused
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
#: a workbook member packed more tightly than this is refused ...
MAX_COMPRESSION_RATIO = 200
#: ... when it unpacks to more than this many bytes
RATIO_CHECK_MIN_BYTES = 10 * 1024**2
#: XML members are read in pieces of this size
XML_CHUNK_BYTES = 1024 * 1024

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: a formula element and the value saved after it (group 1: the value text, None: no value)
#: an element name's namespace prefix ("x:" from some writers): the readers go by the
#: name after it (calamine matches local names, openpyxl namespaces)
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_FORMULA = re.compile(
    rb"<" + _NS + rb"f\b[^>]*?(?:/>|>[^<]*</" + _NS + rb"f>)"
    rb"\s*(?:<" + _NS + rb"v\s*/>|<" + _NS + rb"v>([^<]*)</" + _NS + rb"v>)?"
)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]+)"')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
#: a cell's start tag, up to its first child (a cell's formula is its first child, ECMA-376 Part 1 §18.3.1.4)
_CELL_TAG = re.compile(rb"<" + _NS + rb"c\b[^<>]*>\s*")
_SPACE = re.compile(rb"[ \t\r\n]*")
_F_START = re.compile(rb"<f")
_F_PREFIXED = re.compile(rb":f")
#: a piece with more "f" bytes than this not after "<" is searched for "<f" at once
_F_TRIES = 64

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
    calculated only when none of its formulas has a value.  A saved 0 is also
    what a program that cannot calculate leaves as a placeholder (XlsxWriter),
    so the counting goes on past zeros and stops at the first other value
    (``calculated``)."""

    count: int = 0
    first: str = ""
    with_values: int = 0
    calculated: bool = False


def _utf16_codec(head: bytes) -> str | None:
    """The codec of a member stored in UTF-16 (a byte-order mark, or a first
    "<" of two bytes: XML 1.0 Appendix F), None for one in UTF-8 or another
    encoding that writes "<!DOCTYPE" in ASCII bytes."""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"  # the decoder reads the mark
    if head[:2] == b"<\0":
        return "utf-16-le"
    if head[:2] == b"\0<":
        return "utf-16-be"
    return None


def _utf8_pieces(m) -> Iterator[bytes]:
    """A member's bytes in pieces of about XML_CHUNK_BYTES (none empty), a
    member in UTF-16 turned into UTF-8 so that one search serves both."""
    chunk = m.read(XML_CHUNK_BYTES)
    codec = _utf16_codec(chunk)
    if codec is None:
        while chunk:
            yield chunk
            chunk = m.read(XML_CHUNK_BYTES)
        return
    dec = codecs.getincrementaldecoder(codec)(errors="replace")
    while chunk:
        text = dec.decode(chunk)
        if text:
            yield text.encode("utf-8", "replace")
        chunk = m.read(XML_CHUNK_BYTES)
    text = dec.decode(b"", final=True)
    if text:
        yield text.encode("utf-8", "replace")


class _Prolog:
    """Follows a member's prolog up to the root element's start tag.  XML 1.0
    (§2.1 ``document ::= prolog element Misc*``, §2.8 ``prolog ::= XMLDecl?
    Misc* (doctypedecl Misc*)?``) allows the DOCTYPE, and with it every entity
    declaration, only there: after the root's start tag ``<!DOCTYPE`` is a
    well-formedness error to expat and libxml2 and plain text to a recovering
    parser, never a DTD.  Comments and processing instructions of any length
    are skipped to their ends, so none hides a DOCTYPE behind it."""

    MORE, ROOT, DTD, ODD = "more", "root", "dtd", "odd"

    def __init__(self) -> None:
        self.state = "start"  # then "misc" (between items), "pi" or "comment"
        self.tail = b""
        self.prefixed = True  # whether the root element's name has a prefix ("x:worksheet")

    def feed(self, data: bytes, final: bool = False) -> str:
        """MORE: the prolog goes on; ROOT: the root element starts without a
        DTD before it; DTD: one is declared; ODD: something an XML prolog
        cannot hold (then the whole member is searched, as for any file)."""
        buf = self.tail + data if self.tail else data
        self.tail = b""
        i, n = 0, len(buf)
        if self.state == "start":
            if n < 3 and not final and codecs.BOM_UTF8.startswith(buf):
                self.tail = buf
                return self.MORE
            i = 3 if buf.startswith(codecs.BOM_UTF8) else 0
            self.state = "misc"
        while True:
            if self.state != "misc":
                end = b"?>" if self.state == "pi" else b"-->"
                j = buf.find(end, i)
                if j < 0:
                    self.tail = buf[max(i, n - len(end) + 1) :]
                    return self.ODD if final else self.MORE
                i, self.state = j + len(end), "misc"
            i = _SPACE.match(buf, i).end()  # type: ignore[union-attr]
            if i == n:
                return self.ODD if final else self.MORE
            if buf[i] != 0x3C:  # text before the root element
                return self.ODD
            head = buf[i : i + 9]
            if head.startswith(b"<?"):
                self.state, i = "pi", i + 2
            elif head.startswith(b"<!--"):
                self.state, i = "comment", i + 4
            elif _DTD.match(head):
                return self.DTD
            elif len(head) < 9 and (head == b"<" or head.startswith(b"<!")) and not final:
                self.tail = head  # the item's first bytes: the rest comes next
                return self.MORE
            elif head.startswith(b"<!"):
                return self.ODD  # a CDATA section or other markup before the root
            else:
                name = re.match(rb"<([^\s/>]*)", buf[i : i + 256])
                self.prefixed = name is None or b":" in name.group(1)
                return self.ROOT


def _refuse_dtd(ctx: _Ctx, path: Path, name: str) -> NoReturn:
    ctx.fatal(
        f"refused {path.name}: {name} declares a DTD or entities, which Excel "
        "never writes (such a file can be crafted to overload the reader); save "
        "the data from the program that made it as a new .xlsx file"
    )


def _maybe_formula(data: bytes, before: bytes = b"") -> bool:
    """Whether ``before + data`` may hold a formula element's start ``<f`` or
    ``<x:f``: the bytes "f" are found with memchr (one-byte searches), most of
    them ruled out by the byte before them ("<" or ":" rules them in); a piece
    with many is searched for "<f" and ":f"."""
    i = data.find(b"f")
    tries = 0
    while i >= 0:
        prev = data[i - 1] if i else (before[-1] if before else 0)
        if prev in (0x3C, 0x3A):
            return True
        tries += 1
        if tries > _F_TRIES:  # (the regular expressions are faster than bytes.find here)
            return _F_START.search(data, i) is not None or _F_PREFIXED.search(data, i) is not None
        i = data.find(b"f", i + 1)
    return False


def _cell_start(buf: bytes, lo: int, hi: int, prefixed: bool) -> int:
    """Where the last cell element of ``buf[lo:hi]`` starts (-1: none)."""
    at = buf.rfind(b"<c", lo, hi)
    if prefixed:
        for hit in _PREFIXED_CELL.finditer(buf, max(lo, at + 1), hi):
            at = hit.start()
    return at


def _scan_xml(
    m, name: str, ctx: _Ctx, path: Path, formulas: dict[str, FormulaCells], *, sheet: bool | None = None
) -> None:
    """Read an XML member: refuse a DTD in its prolog (where alone XML allows
    one; a member whose start is not an XML prolog is searched to the end) and,
    in a worksheet (``sheet``), count the formula cells without values up to the
    first formula with one (after it the sheet cannot be refused), which may
    need the whole member; any other member is read only up to its root element."""
    if sheet is None:
        sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    prolog: _Prolog | None = _Prolog()
    whole = False  # search the whole member for a DTD
    last = b""  # the end of the previous piece: a declaration split between two
    carry = b""  # the unfinished cell at the end of the previous piece
    if sheet:
        formulas.setdefault(name, FormulaCells())
    prefixed = True
    pieces = _utf8_pieces(m)
    while True:
        chunk = next(pieces, b"")
        if prolog is not None:
            seen = prolog.feed(chunk, final=not chunk)
            if seen == _Prolog.DTD:
                _refuse_dtd(ctx, path, name)
            if seen != _Prolog.MORE:
                prefixed = prolog.prefixed
                prolog = None
                whole = seen == _Prolog.ODD
                if not (sheet or whole):
                    return
        if whole:
            buf = last + chunk
            if b"!" in buf and _DTD.search(buf):  # one-byte search first (memchr): "!" is rare
                _refuse_dtd(ctx, path, name)
            last = buf[-16:]
        if not sheet:
            if not chunk:
                return
            continue
        if not chunk:  # the end: the last cells are complete
            if _maybe_formula(carry):
                _count_formulas(carry, len(carry), name, formulas, prefixed)
            return
        if len(chunk) >= 65536 and not _maybe_formula(carry) and not _maybe_formula(chunk, carry):
            # no formula in this piece (the usual case): nothing to count and no copy
            # of it; the unfinished cell at its end waits for the next piece
            at = _cell_start(chunk, len(chunk) - 65536, len(chunk), prefixed)
            carry = chunk[at:] if at >= 0 else chunk[-16:]
            continue
        buf = carry + chunk
        cut = max(len(buf) - 16, 0)
        at = _cell_start(buf, max(0, len(buf) - 65536), len(buf), prefixed)
        if at >= 0:
            cut = at  # an unfinished cell waits for the next piece
        if _count_formulas(buf, cut, name, formulas, prefixed) and not whole:
            return  # a formula with a value other than 0: the sheet was calculated
        carry = buf[cut:]


def _first_in_cell(buf: bytes, at: int) -> bool:
    """Whether the element starting at ``buf[at]`` is the first child of a cell."""
    tag = buf.rfind(b"<", max(0, at - 4096), at)
    return tag >= 0 and _CELL_TAG.fullmatch(buf, tag, at) is not None


def _count_formulas(buf: bytes, end: int, name: str, formulas: dict[str, FormulaCells], prefixed: bool) -> bool:
    """Count the formula cells of ``buf[:end]``; whether a formula with a value other than 0 was seen."""
    f = formulas.setdefault(name, FormulaCells())
    for hit in _FORMULA.finditer(buf, 0, end):
        if buf[hit.start() + 1] != 0x66 and not _first_in_cell(buf, hit.start()):
            continue  # a prefixed "f" outside a cell: the <xm:f> of a data validation rule
        value = hit.group(1)
        if value is not None and value.strip():
            f.with_values += 1
            if value.strip() != b"0":
                f.calculated = True
                break
            continue
        if not f.count:
            at = _cell_start(buf, 0, hit.start(), prefixed)
            ref = _CELL_REF.search(buf, at, hit.start()) if at >= 0 else None
            f.first = ref.group(1).decode() if ref else ""
        f.count += 1
    return f.calculated


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name → sheet name, from workbook.xml and its relationships ({} when they cannot be read)."""
    if "xl/workbook.xml" not in names:
        return {}
    try:
        return sheet_parts(zf, names)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, KeyError):
        return {}


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
            parts = _sheet_parts(zf, names)
            sheets = {p.lower() for p in parts}
            for i in infos:
                low = i.filename.lower()
                sheet = low in sheets or low.startswith("xl/worksheets/") and low.endswith(".xml")
                if sheet or low.endswith((".xml", ".rels", ".vml")):
                    with zf.open(i) as m:
                        _scan_xml(m, i.filename, ctx, path, formulas, sheet=sheet)
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
    named = {p.lower(): n for p, n in parts.items()}
    return {named.get(k.lower(), k): v for k, v in formulas.items()}


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
