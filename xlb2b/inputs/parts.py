"""Where an .xlsx archive keeps its sheets: workbook.xml's sheet tags and the parts their relationships name."""

from __future__ import annotations

import html
import posixpath
import re
import zipfile

SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*\"([^\"]*)\"")


def attrs(blob: bytes) -> dict[str, str]:
    """Attributes of a tag by local name; a prefixed ``id`` (the relationship id) as ``r:id``."""
    out = {}
    for k, v in _ATTR.findall(blob):
        name = k.decode()
        local = name.split(":")[-1]
        out["r:id" if ":" in name and local == "id" else local] = html.unescape(v.decode("utf-8", "replace"))
    return out


def book_and_targets(zf: zipfile.ZipFile, names: set[str]) -> tuple[bytes, dict[str, str]]:
    """workbook.xml of an .xlsx archive and its relationships: relationship id → part name."""
    book = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    target = {}
    for blob in REL_TAG.findall(rels):
        a = attrs(blob)
        t = a.get("Target", "")
        target[a.get("Id", "")] = posixpath.normpath(t.lstrip("/") if t.startswith("/") else "xl/" + t)
    return book, target


def sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name → sheet name."""
    book, target = book_and_targets(zf, names)
    out = {}
    for blob in SHEET_TAG.findall(book):
        a = attrs(blob)
        if "name" in a and a.get("r:id", "") in target:
            out[target[a["r:id"]]] = a["name"]
    return out
