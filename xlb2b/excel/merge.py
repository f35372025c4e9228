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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the parts, re-exported here (the fill and the tests use them through this module)
from xlb2b.excel.merge_formulas import (  # noqa: F401
    DELETED_SHEET,
    _closing_quote,
    _esc_attr,
    _esc_text,
    _quote_sheet,
    _rename_in_xml,
    _unescape,
    rename_references,
)
from xlb2b.excel.merge_package import (  # noqa: F401
    CT_NS,
    CT_STYLES,
    MAIN_NS,
    PKG_REL_NS,
    REL_NS,
    RT_OFFICE_DOCUMENT,
    RT_SHARED_STRINGS,
    RT_STYLES,
    RT_WORKSHEET,
    SHEET_RELS,
    SOURCE_WORKBOOK_PARTS_IGNORED,
    STRICT_NS,
    WORKBOOK_TYPES,
    MergeError,
    _append_children,
    _check_target_file,
    _ContentTypes,
    _find,
    _Members,
    _Package,
    _parse,
    _refuse,
    _Rel,
    _relative,
    _rels,
    _rels_name,
    _resolve,
    _root_prefixes,
    _set_attr,
)
from xlb2b.excel.merge_sheets import (
    _shared_strings,
    _sheet_xml,
    _shift_vml,
    _vml_idmap_blocks,
    _vml_idmap_max,
)
from xlb2b.excel.merge_styles import _StyleMerger
from xlb2b.excel.names import sheet_names
from xlb2b.io_util import atomic_write_bytes

__all__ = ["add_sheets", "sheet_names_of", "rename_references", "MergeError"]


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
                "it already has the workbook-level name(s) " + ", ".join(clash) + " that the added sheets define "
                "(sheets added before, e.g. by an earlier run, or names of its own, e.g. a report workbook's "
                "window_start, which `xlb2b report --template` fills): delete or rename those names (Formulas > "
                "Name Manager) and the sheets added before first, or add the sheets to another copy of the workbook",
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
        self.vml_shift = self.vml_top = _vml_idmap_max(t)

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
            # blocks above every block used so far: the target's and those of the VML parts
            # added before (copies of one template sheet bring the same blocks each time)
            blocks = _vml_idmap_blocks(raw)
            shift = max(self.vml_shift, self.vml_top - min(blocks) + 1) if blocks else self.vml_shift
            if blocks:
                self.vml_top = max(self.vml_top, max(blocks) + shift)
            return _shift_vml(raw, shift)
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
