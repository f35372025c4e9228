"""The added sheets' styles appended to the target's styles.xml (identical entries reused, indexes unmoved)."""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element

from xlb2b.excel.merge_formulas import _esc_attr, _esc_text
from xlb2b.excel.merge_package import MAIN_NS, MergeError, _append_children, _parse, _root_prefixes

# =========================================================================== styles

_STYLE_ORDER = [
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
]


def _serialize(e: Element, main_prefix: str, prefixes: dict[str, str]) -> str:
    """``e`` as XML text, its main-namespace elements written with the target's
    prefix and other namespaces with the target's prefixes (declared locally
    when the target has none)."""
    local_decls: dict[str, str] = {}

    def qname(tag: str, attr: bool) -> str:
        if not tag.startswith("{"):
            return tag
        ns, local = tag[1:].split("}", 1)
        if ns == MAIN_NS and not attr:
            return main_prefix + local
        p = prefixes.get(ns)
        if p is None or (p == "" and attr):
            p = local_decls.get(ns)
            if p is None:
                p = f"mx{len(local_decls)}"
                local_decls[ns] = p
        return f"{p}:{local}" if p else local

    def ser(el: Element) -> str:
        name = qname(el.tag, False)
        attrs = "".join(f' {qname(k, True)}="{_esc_attr(v)}"' for k, v in el.attrib.items())
        inner = _esc_text(el.text) if el.text else ""
        for c in el:
            inner += ser(c)
            if c.tail:
                inner += _esc_text(c.tail)
        return f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs}/>"

    text = ser(e)
    if local_decls:
        decl = "".join(f' xmlns:{p}="{_esc_attr(ns)}"' for ns, p in local_decls.items())
        m = re.match(r"<[^\s/>]+", text)
        if m is None:
            raise MergeError("an element without a tag name")
        text = text[: m.end()] + decl + text[m.end() :]
    return text


def _canon(e: Element) -> tuple:
    return (e.tag, tuple(sorted(e.attrib.items())), (e.text or "").strip(), tuple(_canon(c) for c in e))


def _children(root: Element | None, local: str) -> list[Element]:
    if root is None:
        return []
    el = root.find(f"{{{MAIN_NS}}}{local}")
    return [] if el is None else list(el)


class _StyleMerger:
    """Appends the source's styles to the target's styles.xml and maps the
    source's indexes to the target's."""

    def __init__(self, target_xml: str, source_xml: str, label: str):
        self.xml = target_xml
        self.label = label
        self.prefix, decls = _root_prefixes(target_xml, label)
        self.prefixes = {ns: p for ns, p in decls.items()}
        t = _parse(target_xml, f"{label} (styles)")
        s = _parse(source_xml, "generated workbook (styles)")
        self.t, self.s = t, s
        self.new: dict[str, list[str]] = {k: [] for k in _STYLE_ORDER}
        self.counts = {k: len(_children(t, k)) for k in _STYLE_ORDER}
        self.numfmt: dict[int, int] = {}
        self._map_numfmts()
        self.font = self._merge_list("fonts")
        self.fill = self._merge_list("fills")
        self.border = self._merge_list("borders")
        self.xf_style = self._style_xf_map()
        self.xf = self._merge_xfs()
        self.dxf = self._merge_list("dxfs")

    def _ser(self, e: Element) -> str:
        return _serialize(e, self.prefix, self.prefixes)

    def _map_numfmts(self) -> None:
        taken: dict[str, int] = {}
        for e in _children(self.t, "numFmts"):
            taken.setdefault(e.get("formatCode", ""), int(e.get("numFmtId", "0")))
        used = set(taken.values())
        nxt = max([163, *used]) + 1
        for e in _children(self.s, "numFmts"):
            sid, code = int(e.get("numFmtId", "0")), e.get("formatCode", "")
            if code in taken:
                self.numfmt[sid] = taken[code]
                continue
            while nxt in used:
                nxt += 1
            new = Element(e.tag, dict(e.attrib))
            new.set("numFmtId", str(nxt))
            self.new["numFmts"].append(self._ser(new))
            self.numfmt[sid] = taken[code] = nxt
            used.add(nxt)

    def _merge_list(
        self, kind: str, prepare: Callable[[Element], Element] | None = None, existing: list[Element] | None = None
    ) -> list[int]:
        have: dict[tuple, int] = {}
        for i, e in enumerate(existing if existing is not None else _children(self.t, kind)):
            have.setdefault(_canon(e), i)
        out = []
        for e in _children(self.s, kind):
            if prepare is not None:
                e = prepare(e)
            key = _canon(e)
            if key not in have:
                have[key] = self.counts[kind] + len(self.new[kind])
                self.new[kind].append(self._ser(e))
            out.append(have[key])
        return out

    def _style_xf_map(self) -> dict[int, int]:
        """Source cell-style xf index -> target's: by the style's name, else Normal (0)."""
        t_names = {e.get("name", "").lower(): int(e.get("xfId", "0")) for e in _children(self.t, "cellStyles")}
        out = {}
        for e in _children(self.s, "cellStyles"):
            out[int(e.get("xfId", "0"))] = t_names.get(e.get("name", "").lower(), 0)
        return out

    def _merge_xfs(self) -> list[int]:
        def prepare(e: Element) -> Element:
            e2 = Element(e.tag, dict(e.attrib))
            e2.text = e.text
            e2.extend(list(e))
            for attr, table in (("fontId", self.font), ("fillId", self.fill), ("borderId", self.border)):
                if attr in e2.attrib:
                    e2.set(attr, str(table[int(e2.attrib[attr])]))
            if "numFmtId" in e2.attrib:
                n = int(e2.attrib["numFmtId"])
                e2.set("numFmtId", str(self.numfmt.get(n, n)))
            if "xfId" in e2.attrib:
                e2.set("xfId", str(self.xf_style.get(int(e2.attrib["xfId"]), 0)))
            return e2

        return self._merge_list("cellXfs", prepare)

    def result(self) -> str | None:
        """The target's styles.xml with the new entries, or None when nothing is new."""
        if not any(self.new.values()):
            return None
        xml = self.xml
        for i, kind in enumerate(_STYLE_ORDER):
            if self.new[kind]:
                xml = _append_children(
                    xml,
                    self.prefix,
                    kind,
                    self.new[kind],
                    self.counts[kind] + len(self.new[kind]),
                    _STYLE_ORDER[i + 1 :],
                )
        return xml
