"""A workbook's zip package: parts, relationships, content types, XML text edits, namespaces, MergeError."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

from xlb2b.errors import FATAL, InputError, Report
from xlb2b.excel.merge_formulas import _esc_attr

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


class MergeError(InputError):
    """The sheets cannot be added to this workbook; the message says why."""


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


def _check_target_file(path: Path, doing: str = "add sheets to") -> None:
    """The zip-bomb, DTD and not-a-zip checks of the input readers; the
    message starts "cannot {doing} {file}"."""
    from xlb2b.inputs.context import _Ctx
    from xlb2b.inputs.guards import _check_workbook_zip

    ctx = _Ctx("workbook", path.name)
    try:
        _check_workbook_zip(path, ctx)
    except InputError as e:
        reasons = "; ".join(p.reason for p in e.report.fatal) or str(e)
        raise MergeError(f"cannot {doing} {path.name}: {reasons}", e.report) from None


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
