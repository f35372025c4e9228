"""An added sheet's XML: shared strings made inline, styles and references remapped, comment shape ids shifted."""

from __future__ import annotations

import re
from collections.abc import Callable

from xlb2b.excel.merge_formulas import _rename_in_xml
from xlb2b.excel.merge_package import MergeError, _Package, _root_prefixes, _set_attr
from xlb2b.excel.merge_styles import _StyleMerger

# =========================================================================== sheets

_SI = re.compile(r"<si>(.*?)</si>|<si/>", re.S)


def _shared_strings(src: _Package, part: str | None) -> list[str]:
    if part is None:
        return []
    xml = src.text(part)
    prefix, _ = _root_prefixes(xml, "generated workbook (sharedStrings)")
    if prefix:
        raise MergeError(
            "the generated workbook's shared strings use a namespace prefix; write it with XlsxWriter or openpyxl"
        )
    return [m.group(1) or "" for m in _SI.finditer(xml)]


def _sheet_xml(
    xml: str,
    strings: list[str],
    style: _StyleMerger | None,
    sheets: dict[str, str],
    tables: dict[str, str],
    select: bool,
) -> str:
    """A generated sheet made ready for the target: inline strings, the
    target's style indexes, renamed references, the selection."""
    if re.search(r"<c\b[^>]*\s(?:cm|vm)=", xml):
        raise MergeError(
            "the generated workbook has dynamic-array or rich-value cells, which cannot be merged into another workbook"
        )

    def inline(m: re.Match) -> str:
        k = int(m.group(3))
        if k >= len(strings):
            raise MergeError(f"the generated workbook refers to shared string {k}, which it does not have")
        return f'{m.group(1)}t="inlineStr"{m.group(2)}><is>{strings[k]}</is></c>'

    xml = re.sub(r'(<c\s[^>]*?)t="s"([^>]*)>\s*<v>\s*(\d+)\s*</v>\s*</c>', inline, xml)
    if style is not None:
        xf, dxf = style.xf, style.dxf

        def remap(attr: str, table: list[int]) -> Callable[[re.Match], str]:
            pat = re.compile(rf'(\s{attr}=")(\d+)(")')

            def fix(m: re.Match) -> str:
                return pat.sub(lambda a: f"{a.group(1)}{table[int(a.group(2))]}{a.group(3)}", m.group(0), count=1)

            return fix

        xml = re.sub(r"<c\s[^>]*>", remap("s", xf), xml)
        xml = re.sub(r"<row\s[^>]*>", remap("s", xf), xml)
        xml = re.sub(r"<col\s[^>]*>", remap("style", xf), xml)
        xml = re.sub(r"<cfRule\s[^>]*>", remap("dxfId", dxf), xml)
    xml = _rename_in_xml(xml, sheets, tables)

    def selection(m: re.Match) -> str:
        tag = re.sub(r'\s+tabSelected\s*=\s*"[^"]*"', "", m.group(0))
        return _set_attr(tag, "tabSelected", "1") if select else tag

    return re.sub(r"<(?:\w+:)?sheetView\b[^>]*>", selection, xml)


def _vml_idmap_blocks(raw: bytes) -> list[int]:
    """The shape-id blocks (``o:idmap data``) a VML drawing uses."""
    return [
        int(v)
        for m in re.finditer(rb'<(?:\w+:)?idmap\b[^>]*\sdata="([^"]*)"', raw)
        for v in re.findall(rb"\d+", m.group(1))
    ]


def _vml_idmap_max(pkg: _Package) -> int:
    top = 0
    for name in pkg.data:
        if name.lower().endswith(".vml"):
            top = max([top, *_vml_idmap_blocks(pkg.data[name])])
    return top


def _shift_vml(raw: bytes, shift: int) -> bytes:
    if not shift:
        return raw
    text = raw.decode("utf-8", "surrogateescape")

    def idmap(m: re.Match) -> str:
        return m.group(1) + re.sub(r"\d+", lambda d: str(int(d.group(0)) + shift), m.group(2)) + '"'

    text = re.sub(r'(<(?:\w+:)?idmap\b[^>]*\sdata=")([^"]*)"', idmap, text)
    text = re.sub(r"_x0000_s(\d+)", lambda m: f"_x0000_s{int(m.group(1)) + 1024 * shift}", text)
    return text.encode("utf-8", "surrogateescape")
