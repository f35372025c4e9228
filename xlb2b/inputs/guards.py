"""Archive guards: oversized, over-compressed or entity-laden workbooks are refused before parsing."""
from __future__ import annotations

import zipfile
from pathlib import Path

from xlb2b.inputs.context import _Ctx

# --------------------------------------------------------------------------
# limits

#: a workbook whose members add up to more than this when unpacked is refused
MAX_UNCOMPRESSED_BYTES = 2 * 1024 ** 3
#: a workbook member packed more tightly than this is refused ...
MAX_COMPRESSION_RATIO = 200
#: ... when it unpacks to more than this many bytes
RATIO_CHECK_MIN_BYTES = 10 * 1024 ** 2
#: bytes read from the start of every XML member to look for DTD declarations
XML_HEAD_BYTES = 2048
def _check_workbook_zip(path: Path, ctx: _Ctx) -> None:
    """Refuse files that are not xlsx zips, zip bombs and XML with DTDs,
    before any XML parser sees them."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        ctx.fatal("not an .xlsx workbook: this is an old binary .xls file or a "
                  "password-protected workbook; open it in Excel and save it as .xlsx "
                  "without a password")
    if not zipfile.is_zipfile(path):
        ctx.fatal(f"{path.name} is not an Excel workbook (.xlsx files are zip archives)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or not any(
                    n.endswith("workbook.xml") for n in names):
                ctx.fatal(f"{path.name} is not an Excel workbook (no workbook part inside)")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                ctx.fatal(f"refused {path.name}: it unpacks to {total / 2 ** 30:.1f} GiB, more "
                          f"than the limit of {MAX_UNCOMPRESSED_BYTES / 2 ** 30:.1f} GiB")
            for i in infos:
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
                    ctx.fatal(f"refused {path.name}: member {i.filename} is compressed "
                              f"{ratio:.0f}:1 (limit {MAX_COMPRESSION_RATIO}:1), "
                              "which is how a zip bomb looks")
            for i in infos:
                if i.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(i) as m:
                        head = m.read(XML_HEAD_BYTES).upper()
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        ctx.fatal(f"refused {path.name}: {i.filename} declares a DTD or "
                                  "entities, which Excel never writes")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as e:
        ctx.fatal(f"{path.name} is not a readable Excel workbook: {e}")


