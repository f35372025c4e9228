"""Add the sheets of a workbook we generated into a user's existing workbook.

:func:`add_sheets` works on the zip package itself, never through a library
that loads and re-saves the whole workbook (openpyxl drops charts it cannot
read, VBA unless told, pivot caches, slicers, form controls...).  Every part
of the user's file that the merge does not have to change is copied byte for
byte: the VBA project, drawings, charts, images, pivot caches, custom XML,
external links, printer settings, the theme, the shared strings, calcChain.

The parts that change, by targeted text edits that leave the rest of each
part (namespace prefixes, ``mc:Ignorable``, extension lists) as it was:

* ``[Content_Types].xml``: Overrides for the new parts, a Default for a new
  extension (``png``, ``vml``) when the user's file has none;
* the workbook part (``xl/workbook.xml``): one ``<sheet>`` per added sheet
  (fresh ``sheetId`` and ``r:id``, appended after the user's sheets so that
  every existing ``localSheetId`` stays right), the source's defined names,
  ``activeTab`` when ``activate``;
* the workbook's relationships: one per added sheet;
* ``styles.xml``: the number formats, fonts, fills, borders, cell formats and
  differential formats the new sheets use are appended (identical entries are
  reused), so the user's own style indexes never move;
* with ``activate``, the sheet that was selected loses its ``tabSelected``
  attribute (two selected tabs would group the sheets in Excel).

Choices:

* The source's shared strings become inline strings (``t="inlineStr"``) in
  the copied sheets: the user's ``sharedStrings.xml`` stays byte-identical and
  no string index of theirs moves.  Excel reads inline strings and turns them
  into shared ones when it next saves.
* A global defined name of the source that the target already has (Excel
  compares names case-insensitively) is an error, naming the names: skipping
  it would silently point the new formulas at the user's name, and renaming it
  would change formulas the user may build on.  Sheet-local names never clash
  because their sheets are new.
* A table whose name is taken in the target (by a table or a defined name)
  gets the first free ``TableN`` name and the structured references of the new
  sheets follow; table ids are renumbered after the target's highest.
* ``calcChain.xml`` is kept as it is: it lists only the user's formula cells,
  which are all still there; Excel adds the new sheets' formulas to the chain
  when it next calculates (the new formulas carry their cached values).
* ``docProps/app.xml`` (sheet titles as last saved by Excel) is left alone:
  Excel and LibreOffice do not read it on opening and rewrite it on saving.
* The VML shape ids of new comment drawings are shifted past the target's
  (``o:idmap``), as Excel wants them unique across the workbook.

The source is expected to be a workbook written by XlsxWriter (or openpyxl):
default-namespace SpreadsheetML without dynamic-array metadata, pivot tables or
embedded cell images; anything else there is refused with a clear error.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from xlb2b.errors import FATAL, InputError, Report
from xlb2b.excel.names import sheet_names
from xlb2b.io_util import atomic_write_bytes

__all__ = ["add_sheets", "sheet_names_of", "rename_references", "MergeError"]

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
RT_OFFICE_DOCUMENT = RT + "officeDocument"
RT_WORKSHEET = RT + "worksheet"
RT_CHARTSHEET = RT + "chartsheet"
RT_STYLES = RT + "styles"
RT_SHARED_STRINGS = RT + "sharedStrings"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
#: content types of a workbook part we can add sheets to
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": ".xlam",
}
#: workbook-level parts of the source that the merge takes over by other means
#: (styles, shared strings) or that the target already has its own of
SOURCE_WORKBOOK_PARTS_IGNORED = {
    RT + "theme",
    RT + "calcChain",
    RT_STYLES,
    RT_SHARED_STRINGS,
    RT + "customXml",
    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
}
SHEET_RELS = {RT_WORKSHEET, RT_CHARTSHEET}
#: elements whose text is a formula (cells, validations, conditional formats,
#: charts, tables, x14 extensions)
_FORMULA_ELEMENTS = re.compile(
    r"(<(?:\w+:)?(?:f|formula|formula1|formula2|calculatedColumnFormula|totalsRowFormula)\b[^>]*(?<!/)>)"
    r"([^<]*)(</)"
)


class MergeError(InputError):
    """The sheets cannot be added to this workbook; the message says why."""


# =========================================================================== formulas

_IDENT = re.compile(r"[A-Za-z_\\\u00A1-\uFFFF][A-Za-z0-9_.\u00A1-\uFFFF]*")


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _map_sheet(name: str, sheets: dict[str, str]) -> str | None:
    """The new name of a sheet reference (``A`` or a 3-D ``A:B``), or None."""
    if name.startswith("["):
        return None  # another workbook's sheet
    parts = name.split(":")
    if len(parts) > 2:
        return None
    mapped = [sheets.get(p.lower()) for p in parts]
    if all(m is None for m in mapped):
        return None
    return ":".join(m if m is not None else p for m, p in zip(mapped, parts))


def _skip_brackets(f: str, i: int) -> int:
    """Index just past the ``[...]`` (nested, ``'``-escaped) starting at ``i``."""
    depth, n = 0, len(f)
    while i < n:
        ch = f[i]
        if ch == "'":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _closing_quote(formula: str, i: int) -> int:
    """Index of the quote that closes the one at ``i`` (a doubled quote is
    part of the text); ``len(formula)`` when it is never closed."""
    q, j, n = formula[i], i + 1, len(formula)
    while j < n:
        if formula[j] == q:
            if j + 1 < n and formula[j + 1] == q:
                j += 2
                continue
            return j
        j += 1
    return n


def rename_references(formula: str, sheets: dict[str, str], tables: dict[str, str] | None = None) -> str:
    """``formula`` with its references to the sheets of ``sheets`` (lower-cased
    old name -> new name) and the tables of ``tables`` (lower-cased old name ->
    new name) renamed, in structured references (``Sales[Amount]``) and as
    bare names (``ROWS(Sales)``).  Text constants, external references
    (``[1]Sheet!A1``) and structured-reference brackets are left alone; renamed sheets are
    quoted (``'ADP Acme (2)'!B5``)."""
    tables = tables or {}
    out: list[str] = []
    i, n = 0, len(formula)
    while i < n:
        ch = formula[i]
        if ch == '"':
            j = _closing_quote(formula, i)
            out.append(formula[i : j + 1])
            i = j + 1
            continue
        if ch == "'":
            j = _closing_quote(formula, i)
            quoted = formula[i : j + 1]
            if j + 1 < n and formula[j + 1] == "!":
                new = _map_sheet(formula[i + 1 : j].replace("''", "'"), sheets)
                if new is not None:
                    quoted = _quote_sheet(new)
            out.append(quoted)
            i = j + 1
            continue
        if ch == "[":
            j = _skip_brackets(formula, i)
            out.append(formula[i:j])
            i = j
            continue
        prev = formula[i - 1] if i else ""
        m = _IDENT.match(formula, i) if not (prev.isalnum() or prev in ("_", ".")) else None
        if m:
            end = m.end()
            word = m.group(0)
            # a 3-D reference written without quotes: Sheet1:Sheet3!A1
            if end < n and formula[end] == ":":
                m2 = _IDENT.match(formula, end + 1)
                if m2 and m2.end() < n and formula[m2.end()] == "!":
                    end = m2.end()
                    word = formula[i:end]
            if end < n and formula[end] == "!" and prev not in ("]", "#"):
                new = _map_sheet(word, sheets)
                out.append(_quote_sheet(new) if new is not None else word)
            elif word.lower() in tables and prev != "!" and not (end < n and formula[end] == "("):
                # a table's structured reference: Sales[Amount], or the bare name (its data rows)
                out.append(tables[word.lower()])
            else:
                out.append(word)
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _esc_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(text: str) -> str:
    return _esc_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def _rename_in_xml(xml: str, sheets: dict[str, str], tables: dict[str, str]) -> str:
    """Rename sheet and table references in every formula element of a part
    (and in hyperlink locations)."""
    if not sheets and not tables:
        return xml

    def fix(m: re.Match) -> str:
        text = m.group(2)
        if not text:
            return m.group(0)
        new = rename_references(_unescape(text), sheets, tables)
        if new == _unescape(text):
            return m.group(0)
        return m.group(1) + _esc_text(new) + m.group(3)

    xml = _FORMULA_ELEMENTS.sub(fix, xml)

    def fix_location(m: re.Match) -> str:
        old = _unescape(m.group(2))
        new = rename_references(old, sheets, tables)
        return m.group(0) if new == old else m.group(1) + _esc_attr(new) + '"'

    return re.sub(r'(<(?:\w+:)?hyperlink\b[^>]*?\slocation=")([^"]*)"', fix_location, xml)


# =========================================================================== package


class _Members(Mapping):
    """The members of a zip in memory, inflated when first asked for (a big
    data sheet that the merge does not touch is never inflated)."""

    def __init__(self, zf: zipfile.ZipFile, label: str):
        self.zf, self.label = zf, label
        self.names = [i.filename for i in zf.infolist()]
        self.cache: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        if name not in self.cache:
            try:
                self.cache[name] = self.zf.read(name)
            except KeyError:
                raise
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, OSError, zlib.error) as e:
                raise MergeError(f"{self.label}: member {name} cannot be read: {e}") from e
        return self.cache[name]

    def head(self, name: str, size: int) -> bytes:
        """The first ``size`` bytes of a member, without inflating the rest."""
        if name in self.cache:
            return self.cache[name][:size]
        try:
            with self.zf.open(name) as f:
                return f.read(size)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, OSError, zlib.error) as e:
            raise MergeError(f"{self.label}: member {name} cannot be read: {e}") from e

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class _Package:
    """A zip package in memory: members in order, with their zip headers."""

    label: str
    infos: list[zipfile.ZipInfo]
    data: Mapping[str, bytes]
    lower: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    @classmethod
    def read(cls, raw: bytes, label: str) -> _Package:
        try:
            zf = zipfile.ZipFile(io.BytesIO(raw))
            infos = zf.infolist()
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, OSError) as e:
            raise MergeError(f"{label} is not a readable Excel workbook: {e}") from e
        pkg = cls(label, infos, _Members(zf, label), raw=raw)
        pkg.lower = {i.filename.lower(): i.filename for i in infos}
        return pkg

    def get(self, name: str) -> bytes | None:
        real = self.lower.get(name.lower())
        return None if real is None else self.data[real]

    def data_of(self, name: str) -> bytes:
        """The bytes of a part the package is known to hold."""
        raw = self.get(name)
        if raw is None:
            raise MergeError(f"{self.label}: part {name} is missing")
        return raw

    def text(self, name: str) -> str:
        raw = self.get(name)
        if raw is None:
            raise MergeError(f"{self.label}: part {name} is missing")
        return raw.decode("utf-8")

    def has(self, name: str) -> bool:
        return name.lower() in self.lower


def _rels_name(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels")


def _resolve(part: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def _relative(part: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(part) or ".")


@dataclass
class _Rel:
    id: str
    type: str
    target: str
    external: bool


def _parse(raw: bytes | str, label: str) -> Element:
    try:
        return SafeET.fromstring(raw)
    except Exception as e:  # defusedxml's refusals and ParseError alike
        raise MergeError(f"{label} holds XML that cannot be read: {e}") from e


def _rels(pkg: _Package, part: str) -> list[_Rel]:
    raw = pkg.get(_rels_name(part)) if part else pkg.get("_rels/.rels")
    if raw is None:
        return []
    root = _parse(raw, f"{pkg.label} ({_rels_name(part) if part else '_rels/.rels'})")
    out = []
    for r in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        out.append(_Rel(r.get("Id", ""), r.get("Type", ""), r.get("Target", ""), r.get("TargetMode") == "External"))
    return out


@dataclass
class _ContentTypes:
    defaults: dict[str, str]
    overrides: dict[str, str]

    @classmethod
    def of(cls, pkg: _Package) -> _ContentTypes:
        root = _parse(pkg.get("[Content_Types].xml") or b"", f"{pkg.label} ([Content_Types].xml)")
        d = {e.get("Extension", "").lower(): e.get("ContentType", "") for e in root.iter(f"{{{CT_NS}}}Default")}
        o = {
            e.get("PartName", "").lstrip("/").lower(): e.get("ContentType", "")
            for e in root.iter(f"{{{CT_NS}}}Override")
        }
        return cls(d, o)

    def type_of(self, part: str) -> str | None:
        t = self.overrides.get(part.lower())
        if t is None:
            ext = posixpath.splitext(part)[1].lstrip(".").lower()
            t = self.defaults.get(ext)
        return t


def _check_target_file(path: Path) -> None:
    """The zip-bomb, DTD and not-a-zip checks of the input readers."""
    from xlb2b.inputs.context import _Ctx
    from xlb2b.inputs.guards import _check_workbook_zip

    ctx = _Ctx("workbook", path.name)
    try:
        _check_workbook_zip(path, ctx)
    except InputError as e:
        reasons = "; ".join(p.reason for p in e.report.fatal) or str(e)
        raise MergeError(f"cannot add sheets to {path.name}: {reasons}", e.report) from None


def _refuse(label: str, reason: str) -> MergeError:
    report = Report()
    report.add(reason, file=label, severity=FATAL)
    return MergeError(f"cannot add sheets to {label}: {reason}", report)


def _root_prefixes(xml: str, label: str) -> tuple[str, dict[str, str]]:
    """(the root element's own prefix with its colon or "", {namespace: prefix})
    declared on the root element of ``xml``."""
    m = re.search(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b([^>]*)>", re.sub(r"<\?.*?\?>", "", xml, count=1))
    if not m:
        raise MergeError(f"{label}: no root element")
    decls: dict[str, str] = {}
    for pm in re.finditer(r'\sxmlns(?::([\w.-]+))?\s*=\s*["\']([^"\']*)["\']', m.group(3)):
        decls.setdefault(pm.group(2), pm.group(1) or "")
    return (m.group(1) or ""), decls


def _find(xml: str, prefix: str, local: str, start: int = 0) -> tuple[int, int, int, int] | None:
    """(start, end of the start tag, start of the end tag, end) of the first
    element ``prefix:local`` at or after ``start``; a self-closing element has
    the end of its start tag as its content start and end."""
    m = re.compile(rf"<{re.escape(prefix)}{local}(?=[\s/>])[^>]*?(/?)>").search(xml, start)
    if not m:
        return None
    if m.group(1):
        return m.start(), m.end(), m.end(), m.end()
    close = xml.find(f"</{prefix}{local}>", m.end())
    if close < 0:
        raise MergeError(f"element {prefix}{local} is not closed")
    return m.start(), m.end(), close, close + len(f"</{prefix}{local}>")


def _set_attr(tag: str, name: str, value: str) -> str:
    """A start tag with attribute ``name`` set (replaced or added)."""
    pat = re.compile(rf'(\s{re.escape(name)}\s*=\s*)(["\'])[^"\']*\2')
    if pat.search(tag):
        return pat.sub(lambda m: f'{m.group(1)}"{_esc_attr(value)}"', tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end]} {name}="{_esc_attr(value)}"{tag[end:]}'


def _append_children(
    xml: str, prefix: str, local: str, children: list[str], count: int | None, before: list[str]
) -> str:
    """Append ``children`` (XML text) to the element ``prefix:local`` and set
    its ``count``; create the element before the first of ``before`` (local
    names of its later siblings) or before the parent's end when absent."""
    if not children:
        return xml
    loc = _find(xml, prefix, local)
    if loc is None:
        # create it just before the first later sibling that exists
        positions = [p[0] for p in (_find(xml, prefix, b) for b in before) if p is not None]
        root_end = xml.rfind("</")
        at = min(positions) if positions else root_end
        count_attr = f' count="{count}"' if count is not None else ""
        return xml[:at] + f"<{prefix}{local}{count_attr}>" + "".join(children) + f"</{prefix}{local}>" + xml[at:]
    s, te, cs, e = loc
    tag = xml[s:te]
    if count is not None:
        tag = _set_attr(tag, "count", str(count))
    if cs == e and tag.endswith("/>"):  # self-closing
        tag = tag[:-2].rstrip() + ">"
        return xml[:s] + tag + "".join(children) + f"</{prefix}{local}>" + xml[e:]
    return xml[:s] + tag + xml[te:cs] + "".join(children) + xml[cs:]


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
        used: set[int] = set()  # every id of the target, also of a format code written twice (LibreOffice)
        for e in _children(self.t, "numFmts"):
            taken.setdefault(e.get("formatCode", ""), int(e.get("numFmtId", "0")))
            used.add(int(e.get("numFmtId", "0")))
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


def _vml_idmap_max(pkg: _Package) -> int:
    top = 0
    for name in pkg.data:
        if name.lower().endswith(".vml"):
            raw = pkg.data[name]
            for m in re.finditer(rb'<(?:\w+:)?idmap\b[^>]*\sdata="([^"]*)"', raw):
                for v in re.findall(rb"\d+", m.group(1)):
                    top = max(top, int(v))
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


# =========================================================================== merge


@dataclass
class _NewPart:
    name: str
    data: bytes
    content_type: str


class _Merge:
    def __init__(self, target: _Package, source: _Package, activate: bool, names: list[str] | None = None):
        self.t, self.s, self.activate = target, source, activate
        #: the names the source's sheets get (unique in the target), or None for
        #: their own names, numbered when taken
        self.names = names
        self.t_ct, self.s_ct = _ContentTypes.of(target), _ContentTypes.of(source)
        self.used = set(target.lower)
        self.counters: dict[tuple[str, str, str], int] = {}
        self.changed: dict[str, bytes] = {}
        self.added: list[_NewPart] = []
        self.extra_wb_rels: list[tuple[str, str]] = []

    # ---------------------------------------------------------------- names
    def fresh_name(self, old: str) -> str:
        d, base = posixpath.split(old)
        stem, ext = posixpath.splitext(base)
        root = stem.rstrip("0123456789") or stem
        key = (d.lower(), root.lower(), ext.lower())
        k = self.counters.get(key, 1)
        while posixpath.join(d, f"{root}{k}{ext}").lower() in self.used:
            k += 1
        self.counters[key] = k + 1
        name = posixpath.join(d, f"{root}{k}{ext}")
        self.used.add(name.lower())
        return name

    # ---------------------------------------------------------------- main
    def run(self) -> list[str]:
        t, s = self.t, self.s
        t_wb = self.workbook_part(t)
        t_type = self.t_ct.type_of(t_wb)
        if t_type not in WORKBOOK_TYPES:
            raise _refuse(
                t.label,
                "its workbook part is not SpreadsheetML XML"
                + (" (a binary .xlsb workbook)" if t_wb.lower().endswith(".bin") else "")
                + "; save it as .xlsx or .xlsm",
            )
        self.t_wb = t_wb
        wb_xml = t.text(t_wb)
        wb_root = _parse(wb_xml, f"{t.label} ({t_wb})")
        if wb_root.tag.startswith(f"{{{STRICT_NS}}}"):
            raise _refuse(t.label, "it is saved as Strict Open XML; save it as an ordinary .xlsx")
        if wb_root.tag != f"{{{MAIN_NS}}}workbook":
            raise _refuse(t.label, f"{t_wb} is not a workbook part")
        prot = wb_root.find(f"{{{MAIN_NS}}}workbookProtection")
        if prot is not None and prot.get("lockStructure", "0").lower() in ("1", "true"):
            raise _refuse(t.label, "its structure is protected (Review > Protect Workbook); unprotect it to add sheets")

        s_wb = self.workbook_part(s)
        s_root = _parse(s.text(s_wb), "generated workbook")
        s_rels = {r.id: r for r in _rels(s, s_wb)}
        t_rels = _rels(t, t_wb)

        # ---- sheets of both
        t_sheets = [(e.get("name", ""), e) for e in wb_root.iter(f"{{{MAIN_NS}}}sheet")]
        s_sheets = []
        for e in s_root.iter(f"{{{MAIN_NS}}}sheet"):
            rel = s_rels.get(e.get(f"{{{REL_NS}}}id", ""))
            if rel is None or rel.type not in SHEET_RELS:
                raise MergeError(f"the generated workbook's sheet {e.get('name')!r} is not a worksheet")
            s_sheets.append((e.get("name", ""), e, rel))
        if not s_sheets:
            return []
        for rel in s_rels.values():
            if rel.type not in SHEET_RELS and rel.type not in SOURCE_WORKBOOK_PARTS_IGNORED:
                raise MergeError(
                    f"the generated workbook has a part the merge cannot carry over "
                    f"({rel.type.rsplit('/', 1)[-1]}: {rel.target})"
                )
        if self.names is not None:
            if len(self.names) != len(s_sheets):
                raise MergeError("one sheet name is needed per added sheet")
            new_names = list(self.names)
        else:
            new_names = sheet_names([n for n, _, _ in s_sheets], taken=[n for n, _ in t_sheets])
        sheet_map = {old.lower(): new for (old, _, _), new in zip(s_sheets, new_names) if old != new}

        # ---- names: tables and defined names
        t_names = {
            e.get("name", "").lower()
            for e in wb_root.iter(f"{{{MAIN_NS}}}definedName")
            if e.get("localSheetId") is None
        }
        t_tables, t_table_ids = self.target_tables()
        s_defined = list(s_root.iter(f"{{{MAIN_NS}}}definedName"))
        clash = sorted(
            {
                e.get("name", "")
                for e in s_defined
                if e.get("localSheetId") is None
                and (e.get("name", "").lower() in t_names or e.get("name", "").lower() in t_tables)
            }
        )
        if clash:
            raise _refuse(
                t.label,
                "it already has the workbook-level name(s) " + ", ".join(clash) + " that the added sheets define",
            )
        table_map: dict[str, str] = {}
        table_ids: dict[str, int] = {}
        next_id = max(t_table_ids, default=0) + 1
        taken_tables = set(t_tables) | t_names | {e.get("name", "").lower() for e in s_defined}
        for part, name in self.source_tables():
            table_ids[part] = next_id
            next_id += 1
            if name.lower() in taken_tables:
                k = 1
                while f"table{k}" in taken_tables:
                    k += 1
                table_map[name.lower()] = f"Table{k}"
                taken_tables.add(f"table{k}")
            else:
                taken_tables.add(name.lower())
        self.sheet_map, self.table_map, self.table_ids = sheet_map, table_map, table_ids

        # ---- styles
        self.style = self.merge_styles(t_rels, s_rels)

        # ---- shared strings of the source
        sst = next((_resolve(s_wb, r.target) for r in s_rels.values() if r.type == RT_SHARED_STRINGS), None)
        self.strings = _shared_strings(s, sst)
        self.vml_shift = _vml_idmap_max(t)

        # ---- copy the sheets and everything they refer to
        self.part_map: dict[str, str] = {}
        visible = [i for i, (_, e, _) in enumerate(s_sheets) if e.get("state", "visible") == "visible"]
        select_idx = visible[0] if (self.activate and visible) else None
        new_sheet_parts = []
        for i, (_, _e, rel) in enumerate(s_sheets):
            src_part = _resolve(s_wb, rel.target)
            new_sheet_parts.append(self.copy_part(src_part, sheet_select=(i == select_idx)))

        # ---- workbook part, its rels, content types
        rel_ids = {r.id for r in t_rels}
        new_rel_ids = []
        k = 1
        for _ in s_sheets:
            while f"rId{k}" in rel_ids:
                k += 1
            rel_ids.add(f"rId{k}")
            new_rel_ids.append(f"rId{k}")
        self.add_workbook_rels(
            t_wb, [(rid, rel.type, part) for rid, (_, _, rel), part in zip(new_rel_ids, s_sheets, new_sheet_parts)]
        )
        sheet_ids = [int(e.get("sheetId", "0")) for _, e in t_sheets]
        first_new = len(t_sheets)
        entries = []
        nxt = max(sheet_ids, default=0) + 1
        for (_, e, _), name, rid in zip(s_sheets, new_names, new_rel_ids):
            entries.append((name, nxt, rid, e.get("state")))
            nxt += 1
        s_index = {i: first_new + i for i in range(len(s_sheets))}
        names = []
        for e in s_defined:
            text = rename_references(e.text or "", sheet_map, table_map)
            attrs = {k2: v for k2, v in e.attrib.items() if not k2.startswith("{")}
            if "localSheetId" in attrs:
                attrs["localSheetId"] = str(s_index[int(attrs["localSheetId"])])
            names.append((attrs, text))
        active = first_new + select_idx if select_idx is not None else None
        self.changed[t_wb] = self.edit_workbook(wb_xml, entries, names, active).encode("utf-8")
        if active is not None:
            self.unselect_target_sheets(t_wb, t_rels)
        self.edit_content_types()
        return new_names

    # ---------------------------------------------------------------- pieces
    @staticmethod
    def workbook_part(pkg: _Package) -> str:
        for r in _rels(pkg, ""):
            if r.type == RT_OFFICE_DOCUMENT or r.type.endswith("/officeDocument"):
                return _resolve("", r.target)
        raise _refuse(pkg.label, "it has no workbook part (not an Excel workbook)")

    def target_tables(self) -> tuple[set[str], set[int]]:
        names, ids = set(), set()
        for name in self.t.data:
            ct = self.t_ct.type_of(name) or ""
            if ct.endswith("spreadsheetml.table+xml"):
                root = _parse(self.t.data[name], f"{self.t.label} ({name})")
                names.add(root.get("name", "").lower())
                names.add(root.get("displayName", "").lower())
                table_id = root.get("id", "")
                if table_id.isdigit():
                    ids.add(int(table_id))
        names.discard("")
        return names, ids

    def source_tables(self) -> list[tuple[str, str]]:
        out = []
        for name in self.s.data:
            if (self.s_ct.type_of(name) or "").endswith("spreadsheetml.table+xml"):
                root = _parse(self.s.data[name], f"generated workbook ({name})")
                out.append((name.lower(), root.get("displayName") or root.get("name") or ""))
        return out

    def merge_styles(self, t_rels: list[_Rel], s_rels: dict[str, _Rel]) -> _StyleMerger | None:
        s_styles = next((_resolve(self.s_wb_part(), r.target) for r in s_rels.values() if r.type == RT_STYLES), None)
        if s_styles is None:
            return None
        t_styles = next((_resolve(self.t_wb, r.target) for r in t_rels if r.type == RT_STYLES), None)
        if t_styles is not None and self.t.has(t_styles) and self.t.get(t_styles) == self.s.get(s_styles):
            return None  # the same styles (a sheet of the target copied): indexes stay
        if t_styles is None or not self.t.has(t_styles):
            # the target has no styles: take the source's as they are
            name = self.fresh_name(posixpath.join(posixpath.dirname(self.t_wb), "styles.xml"))
            self.added.append(_NewPart(name, self.s.data_of(s_styles), CT_STYLES))
            self.extra_wb_rels = [(RT_STYLES, name)]
            return None
        merger = _StyleMerger(self.t.text(t_styles), self.s.text(s_styles), self.t.label)
        new = merger.result()
        if new is not None:
            self.changed[self.t.lower[t_styles.lower()]] = new.encode("utf-8")
        return merger

    def s_wb_part(self) -> str:
        return self.workbook_part(self.s)

    def copy_part(self, src: str, *, sheet_select: bool = False) -> str:
        """Copy ``src`` of the source and every part it refers to (once);
        returns its new name in the target."""
        if src.lower() in self.part_map:
            return self.part_map[src.lower()]
        raw = self.s.get(src)
        if raw is None:
            raise MergeError(f"the generated workbook lacks its part {src}")
        new = self.fresh_name(src)
        self.part_map[src.lower()] = new
        ctype = self.s_ct.type_of(src) or "application/octet-stream"
        if "pivotTable" in ctype or "richData" in ctype:
            raise MergeError(f"the generated workbook has a part the merge cannot carry over ({src})")
        # its relationships, with targets renamed
        rels = _rels(self.s, src)
        rel_lines = []
        for r in rels:
            target = r.target
            if not r.external:
                target = _relative(new, self.copy_part(_resolve(src, r.target)))
            mode = ' TargetMode="External"' if r.external else ""
            rel_lines.append(
                f'<Relationship Id="{_esc_attr(r.id)}" Type="{_esc_attr(r.type)}" Target="{_esc_attr(target)}"{mode}/>'
            )
        if rels:
            self.added.append(
                _NewPart(
                    _rels_name(new),
                    (
                        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        f'<Relationships xmlns="{PKG_REL_NS}">' + "".join(rel_lines) + "</Relationships>"
                    ).encode("utf-8"),
                    "application/vnd.openxmlformats-package.relationships+xml",
                )
            )
        data = self.transform(src, raw, ctype, sheet_select)
        self.added.append(_NewPart(new, data, ctype))
        return new

    def transform(self, src: str, raw: bytes, ctype: str, sheet_select: bool) -> bytes:
        if ctype.endswith(("spreadsheetml.worksheet+xml", "spreadsheetml.chartsheet+xml")):
            xml = _sheet_xml(
                raw.decode("utf-8"), self.strings, self.style, self.sheet_map, self.table_map, sheet_select
            )
            return xml.encode("utf-8")
        if ctype.endswith("drawingml.chart+xml"):
            return _rename_in_xml(raw.decode("utf-8"), self.sheet_map, self.table_map).encode("utf-8")
        if ctype.endswith("spreadsheetml.table+xml"):
            xml = raw.decode("utf-8")
            m = re.search(r"<table\b[^>]*>", xml)
            if m:
                tag = _set_attr(m.group(0), "id", str(self.table_ids[src.lower()]))
                old = re.search(r'\sdisplayName="([^"]*)"', tag) or re.search(r'\sname="([^"]*)"', tag)
                if old and _unescape(old.group(1)).lower() in self.table_map:
                    new = self.table_map[_unescape(old.group(1)).lower()]
                    tag = _set_attr(_set_attr(tag, "name", new), "displayName", new)
                xml = xml[: m.start()] + tag + xml[m.end() :]
            if self.style is not None:
                dxf = self.style.dxf
                xml = re.sub(
                    r'(\s\w*DxfId=")(\d+)(")', lambda a: f"{a.group(1)}{dxf[int(a.group(2))]}{a.group(3)}", xml
                )
            return _rename_in_xml(xml, self.sheet_map, self.table_map).encode("utf-8")
        if src.lower().endswith(".vml"):
            return _shift_vml(raw, self.vml_shift)
        return raw

    def add_workbook_rels(self, t_wb: str, sheets: list[tuple[str, str, str]]) -> None:
        name = _rels_name(t_wb)
        real = self.t.lower.get(name.lower(), name)
        xml = self.t.text(real)
        prefix, _ = _root_prefixes(xml, f"{self.t.label} ({name})")
        lines = [
            f'<{prefix}Relationship Id="{rid}" Type="{_esc_attr(rtype)}" Target="{_esc_attr(_relative(t_wb, part))}"/>'
            for rid, rtype, part in sheets
        ]
        taken = set(re.findall(r'\sId="([^"]*)"', xml)) | {rid for rid, _, _ in sheets}
        for rtype, part in self.extra_wb_rels:
            k = 1
            while f"rId{k}" in taken:
                k += 1
            taken.add(f"rId{k}")
            lines.append(
                f'<{prefix}Relationship Id="rId{k}" Type="{rtype}" Target="{_esc_attr(_relative(t_wb, part))}"/>'
            )
        end = xml.rfind(f"</{prefix}Relationships>")
        if end < 0:
            raise MergeError(f"{self.t.label}: {name} is not a relationships part")
        self.changed[real] = (xml[:end] + "".join(lines) + xml[end:]).encode("utf-8")

    def edit_workbook(
        self,
        xml: str,
        sheets: list[tuple[str, int, str, str | None]],
        names: list[tuple[dict[str, str], str]],
        active: int | None,
    ) -> str:
        p, decls = _root_prefixes(xml, f"{self.t.label} (workbook)")
        r = decls.get(REL_NS)
        r_decl = ""
        if r is None or r == "":
            r, r_decl = "mxr", f' xmlns:mxr="{REL_NS}"'
        lines = []
        for name, sid, rid, state in sheets:
            st = f' state="{_esc_attr(state)}"' if state and state != "visible" else ""
            lines.append(f'<{p}sheet name="{_esc_attr(name)}" sheetId="{sid}"{st} {r}:id="{rid}"{r_decl}/>')
        loc = _find(xml, p, "sheets")
        if loc is None or loc[2] == loc[3]:
            raise MergeError(f"{self.t.label}: the workbook part lists no sheets")
        xml = xml[: loc[2]] + "".join(lines) + xml[loc[2] :]
        if names:
            defined = [
                f"<{p}definedName"
                + "".join(f' {k}="{_esc_attr(v)}"' for k, v in attrs.items())
                + f">{_esc_text(text)}</{p}definedName>"
                for attrs, text in names
            ]
            if _find(xml, p, "definedNames") is not None:
                xml = _append_children(xml, p, "definedNames", defined, None, [])
            else:
                after = None
                for local in ("externalReferences", "functionGroups", "sheets"):
                    loc = _find(xml, p, local)
                    if loc is not None:
                        after = loc[3]
                        break
                xml = xml[:after] + f"<{p}definedNames>" + "".join(defined) + f"</{p}definedNames>" + xml[after:]
        if active is not None:
            views = _find(xml, p, "bookViews")
            if views is None:
                sheets_at = _find(xml, p, "sheets")
                if sheets_at is None:
                    raise MergeError("the workbook part has no sheets element")
                at = sheets_at[0]
                xml = xml[:at] + f'<{p}bookViews><{p}workbookView activeTab="{active}"/></{p}bookViews>' + xml[at:]
            else:
                view = _find(xml, p, "workbookView", views[0])
                if view is not None and view[0] < views[3]:
                    tag = _set_attr(xml[view[0] : view[1]], "activeTab", str(active))
                    xml = xml[: view[0]] + tag + xml[view[1] :]
        return xml

    def unselect_target_sheets(self, t_wb: str, t_rels: list[_Rel]) -> None:
        for r in t_rels:
            if r.type not in SHEET_RELS or r.external:
                continue
            part = _resolve(t_wb, r.target)
            real = self.t.lower.get(part.lower())
            if real is None:
                continue
            head = self.t.data.head(real, 1 << 16) if isinstance(self.t.data, _Members) else self.t.data[real]
            # the sheet views come before the cells: the head of a big sheet is enough
            if not re.search(rb'<(?:\w+:)?sheetView\b[^>]*\stabSelected\s*=\s*"(?:1|true)"', head) and re.search(
                rb"</(?:\w+:)?sheetViews>|<(?:\w+:)?sheetData\b|<(?:\w+:)?sheetView\b[^>]*/>", head
            ):
                continue
            xml = self.t.data[real].decode("utf-8")
            view = re.search(r"<(?:\w+:)?sheetView\b[^>]*>", xml)
            if view and re.search(r'\stabSelected\s*=\s*"(?:1|true)"', view.group(0)):
                tag = re.sub(r'\s+tabSelected\s*=\s*"[^"]*"', "", view.group(0))
                self.changed[real] = (xml[: view.start()] + tag + xml[view.end() :]).encode("utf-8")

    def edit_content_types(self) -> None:
        name = self.t.lower["[content_types].xml"]
        xml = self.t.text(name)
        p, _ = _root_prefixes(xml, f"{self.t.label} ([Content_Types].xml)")
        defaults = dict(self.t_ct.defaults)
        lines = []
        for part in self.added:
            ext = posixpath.splitext(part.name)[1].lstrip(".").lower()
            if defaults.get(ext) == part.content_type:
                continue
            if ext not in defaults and ext not in ("xml", "rels", ""):
                # a new extension (png, vml...): one Default serves every such part
                defaults[ext] = part.content_type
                lines.append(f'<{p}Default Extension="{_esc_attr(ext)}" ContentType="{_esc_attr(part.content_type)}"/>')
                continue
            lines.append(
                f'<{p}Override PartName="/{_esc_attr(part.name)}" ContentType="{_esc_attr(part.content_type)}"/>'
            )
        if not lines:
            return
        end = xml.rfind(f"</{p}Types>")
        self.changed[name] = (xml[:end] + "".join(lines) + xml[end:]).encode("utf-8")

    # ---------------------------------------------------------------- output
    def write(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for info in self.t.infos:
                if info.filename in self.changed or not _copy_raw(zf, buf, self.t.raw, info):
                    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    zi.compress_type = info.compress_type
                    zi.external_attr = info.external_attr
                    zi.create_system = info.create_system
                    zf.writestr(zi, self.changed.get(info.filename, self.t.data[info.filename]))
            for part in self.added:
                zi = zipfile.ZipInfo(part.name, date_time=(1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(zi, part.data)
        return buf.getvalue()


def _copy_raw(zf: zipfile.ZipFile, buf: io.BytesIO, archive: bytes, info: zipfile.ZipInfo) -> bool:
    """Copy a member's compressed bytes as they are (no inflating and deflating
    again: fast, and the stored data stays identical), with a fresh local
    header.  False when the member is not a plain stored/deflated entry, and
    the caller writes it the ordinary way."""
    off = info.header_offset
    if (
        info.flag_bits & 0x41
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or archive[off : off + 4] != b"PK\x03\x04"
        or info.file_size >= zipfile.ZIP64_LIMIT
        or info.compress_size >= zipfile.ZIP64_LIMIT
    ):
        return False
    n, e = (
        int.from_bytes(archive[off + 26 : off + 28], "little"),
        int.from_bytes(archive[off + 28 : off + 30], "little"),
    )
    start = off + 30 + n + e
    data = archive[start : start + info.compress_size]
    if len(data) != info.compress_size:
        return False
    zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    zi.compress_type = info.compress_type
    zi.external_attr, zi.create_system = info.external_attr, info.create_system
    zi.flag_bits = info.flag_bits & 0x800  # keep only "the name is UTF-8"
    zi.CRC, zi.compress_size, zi.file_size = info.CRC, info.compress_size, info.file_size
    buf.seek(zf.start_dir)
    zi.header_offset = buf.tell()
    buf.write(zi.FileHeader(False))
    buf.write(data)
    zf.start_dir = buf.tell()
    zf.filelist.append(zi)
    zf.NameToInfo[zi.filename] = zi
    return True


def _read_source(source: Any) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "generated workbook"
    path = Path(source)
    _check_target_file(path)
    return path.read_bytes(), path.name


def sheet_names_of(path: str | Path) -> list[str]:
    """The sheet names of the workbook at ``path``, in tab order, read from its
    workbook part only (fast for big files).  Pass them as ``taken`` to a
    writer (``add_adp_sheets(..., taken=...)``) so that the generated sheets,
    their hyperlink texts included, already carry the names they will have
    after :func:`add_sheets`."""
    path = Path(path)
    _check_target_file(path)
    with zipfile.ZipFile(path) as zf:
        pkg = _Package(path.name, [], {}, {})
        wanted = ["_rels/.rels"]
        lower = {n.lower(): n for n in zf.namelist()}
        pkg.lower = lower
        pkg.data = {lower[n]: zf.read(lower[n]) for n in wanted if n in lower}
        part = _Merge.workbook_part(pkg)
        real = lower.get(part.lower())
        if real is None:
            raise _refuse(path.name, "its workbook part is missing")
        root = _parse(zf.read(real), f"{path.name} ({part})")
    return [e.get("name", "") for e in root.iter(f"{{{MAIN_NS}}}sheet")]


def add_sheets(
    target: str | Path, source: bytes | str | Path, out: str | Path | None = None, *, activate: bool = True
) -> list[str]:
    """Add every sheet of the workbook ``source`` (bytes or a path of an .xlsx
    we generated) to the user's workbook ``target`` (.xlsx/.xlsm) and write
    the result to ``out`` (default: ``target`` itself), atomically.

    Sheet names the target already has (case-insensitively) get a number
    (``"ADP Acme"`` -> ``"ADP Acme (2)"``) and the new sheets' formulas, names,
    chart series and hyperlinks follow the rename.  With ``activate`` the first
    added visible sheet is the one Excel shows on opening.  Returns the names
    of the added sheets, in order.

    Raises :class:`MergeError` (an :class:`~xlb2b.errors.InputError`) for a
    target that is not an .xlsx/.xlsm package (.xls, .xlsb, encrypted, zip
    bomb), a workbook with protected structure, or global names of the source
    that the target already defines; the target is then left untouched.
    """
    target = Path(target)
    out = target if out is None else Path(out)
    if not target.is_file():
        raise FileNotFoundError(target)
    _check_target_file(target)
    t = _Package.read(target.read_bytes(), target.name)
    raw, label = _read_source(source)
    s = _Package.read(raw, label)
    merge = _Merge(t, s, activate)
    names = merge.run()
    kind = WORKBOOK_TYPES[merge.t_ct.type_of(merge.t_wb) or ""]
    if kind in (".xlsm", ".xltm", ".xlam") and out.suffix.lower() == ".xlsx":
        raise _refuse(target.name, f"it holds macros; write it to a {kind} file, not {out.name}")
    data = merge.write()
    atomic_write_bytes(out, data)
    return names
