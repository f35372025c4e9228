"""Fill users' own template workbooks through defined names: one ADP sheet per client, report tables in place.

The **fill vocabulary** (:data:`VOCABULARY`, documented in ``docs/templates.md``)
is the list of defined names this module knows.  A template author puts those
names on the cells of their own layout (Formulas > Name Manager); nothing
else of the layout matters: rows, columns, styles, logos, extra fields, their
own formulas and macros are theirs.

* **ADP names** are sheet-scoped (``'ADP'!company``): :func:`fill_adp_template`
  copies the template sheet once per client at the package level (the
  machinery of :mod:`xlb2b.excel.merge`: images, charts, tables, comments,
  validations and the sheet's own names travel with each copy) and writes the
  client's values into the named cells of each copy.
* **Report names** are workbook names (``summary_abc``): :func:`fill_report`
  writes the current analysis into them in place.  A table whose row count
  changed grows or shrinks (see :func:`fill_report` for the rule).

Kinds of names: *field* and *table* names are written; *result* names are
the template's own formulas (forecast, current SOW...): their formula stays
and the value the engine computes is stored as its cached value; *input*
names (the manager's ratings, decision-maker map, tasks...) are known and left
as they are.  Every other formula on a filled sheet loses its cached value
(it would be the template's stale number) and the workbook is marked
``fullCalcOnLoad`` so Excel recalculates everything when it opens the file.

Before anything is written every target is checked: a known name that points
at a range of the wrong shape, at a merged cell (other than the top-left cell
of its merge), at a formula it would overwrite, into a protected sheet or an
Excel table, or a table that cannot grow without overwriting something, is
refused with the name, sheet and cell, and nothing is written.  Names unknown
to the vocabulary are listed as information.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlb2b import planning
from xlb2b.errors import WARNING
from xlb2b.excel import merge as xm

# the parts, re-exported here: this module's names are the fill's public interface
from xlb2b.excel.fill_book import (
    FillError,
    FillResult,
    _Book,
    _check_cells,
    _Checks,
    _match_names,
    _read_book,
    _refuse,
    _set_full_calc,
    _Target,
    _write_package,
)
from xlb2b.excel.fill_sheet import _addr, _parse_ref, _Ref, _Sheet  # noqa: F401 (_parse_ref: udfs/scripts)
from xlb2b.excel.fill_values import adp_values, report_values
from xlb2b.excel.fill_vocabulary import (  # noqa: F401 (the vocabulary, re-exported)
    _BY_NAME,
    ADP_NAMES,
    KEEP,
    REPORT_NAMES,
    VOCABULARY,
    Name,
    template_names,
)
from xlb2b.io_util import atomic_write_bytes, column_letter  # noqa: F401 (column_letter: udfs/scripts)
from xlb2b.locale import label

__all__ = [
    "Name",
    "VOCABULARY",
    "FillError",
    "FillResult",
    "adp_values",
    "report_values",
    "fill_adp_template",
    "fill_report",
    "template_names",
]

#: the largest row Excel has
MAX_ROWS = 1_048_576


# =========================================================================== ADP


def _pick_template_sheet(book: _Book, wanted: str | None) -> int:
    if wanted is not None:
        i = book.sheet_index(wanted)
        if i is None:
            raise FillError(
                f"{book.pkg.label} has no sheet {wanted!r} (its sheets: " + ", ".join(n for n, _ in book.sheets) + ")"
            )
        if book.sheets[i][1] is None:
            raise FillError(f"{book.pkg.label}: sheet {wanted!r} is not a worksheet")
        return i
    adp = {n.name.lower() for n in ADP_NAMES}
    counts = [sum(1 for dn in book.names if dn.local == i and dn.name.lower() in adp) for i in range(len(book.sheets))]
    if not counts or max(counts) == 0:
        raise FillError(
            f"{book.pkg.label}: no sheet has sheet-scoped names of the fill vocabulary "
            "(company, financials, forecast...); name the template's cells as docs/templates.md "
            "says, or pass --template-sheet"
        )
    return counts.index(max(counts))


def _adp_results(sheet: _Sheet, pos: dict[str, _Ref], yes: str) -> dict[str, Any]:
    """The cached values of the result names we can compute, from the sheet's
    cells after filling ('' when the formula would show nothing)."""

    def val(name: str, k: int = 0) -> Any:
        ref = pos.get(name)
        if ref is None:
            return None
        return sheet.value(ref.r1 + k, ref.c1)

    def number(v: Any) -> float:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")

    out: dict[str, Any] = {}
    if "ratings" in pos:
        level = planning.progress_level([number(val("ratings", k)) for k in range(pos["ratings"].rows)])
        out["progress_level"] = "" if math.isnan(level) else level
    need, ours = number(val("need")), number(val("our_revenue"))
    if "need" in pos and "our_revenue" in pos:
        out["current_sow"] = float(planning.share_of_wallet(ours, need)) if not math.isnan(need) and need != 0 else ""
        out["whitespace"] = float(planning.whitespace(need, ours)) if not math.isnan(need) else ""
    if "need" in pos:
        g = number(val("need_growth")) if "need_growth" in pos else 0.0
        t = number(val("target_sow")) if "target_sow" in pos else 0.0
        out["forecast"] = (
            float(planning.adp_forecast(need, 0.0 if math.isnan(g) else g, 0.0 if math.isnan(t) else t))
            if not math.isnan(need)
            else ""
        )
    if "initiatives" in pos:
        ref = pos["initiatives"]
        shares = [number(sheet.value(r, ref.c2)) for r in range(ref.r1, ref.r2 + 1)]
        shares = [x for x in shares if not math.isnan(x)]
        out["coverage"] = sum(shares) / len(shares) if shares else ""
    if "steps_done" in pos:
        ref = pos["steps_done"]
        done = [
            isinstance(v, str) and v.strip().casefold() == yes.casefold()
            for v in (sheet.value(r, ref.c1) for r in range(ref.r1, ref.r2 + 1))
        ]
        out["completion_share"] = float(sum(done)) / planning.PROGRESS_STEPS
    return out


def _fill_sheet(sheet: _Sheet, targets: list[_Target], values: dict[str, Any], yes: str) -> None:
    pos = {t.entry.name: t.ref for t in targets}
    for t in targets:
        if t.entry.kind not in ("field", "table") or t.entry.name not in values:
            continue
        v = values[t.entry.name]
        rows = v if isinstance(v, list) else [[v]]
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if x is not KEEP:
                    sheet.write(t.ref.r1 + i, t.ref.c1 + j, x)
    results = _adp_results(sheet, pos, yes)
    keep = set()
    for t in targets:
        cell = sheet.cell(t.ref.r1, t.ref.c1)
        if t.entry.kind == "result" and t.entry.name in results and cell is not None and cell.formula(sheet.p):
            sheet.set_cached(t.ref.r1, t.ref.c1, results[t.entry.name])
            keep.add((t.ref.r1, t.ref.c1))
    sheet.strip_caches(keep)


def _as_copy(xml: str, p: str) -> str:
    """A sheet made ready to be a second sheet of its workbook: no VBA code
    name (two sheets cannot share one; Excel gives the copy its own, as it
    does for any sheet added without one) and no revision uid on the root."""

    def sheet_pr(m: re.Match) -> str:
        return re.sub(r'\s+codeName\s*=\s*"[^"]*"', "", m.group(0))

    xml = re.sub(rf"<{re.escape(p)}sheetPr\b[^>]*>", sheet_pr, xml, count=1)
    root = re.search(rf"<{re.escape(p)}worksheet\b[^>]*>", xml)
    if root:
        tag = re.sub(r'\s+xr:uid\s*=\s*"[^"]*"', "", root.group(0))
        xml = xml[: root.start()] + tag + xml[root.end() :]
    return xml


def _reachable(pkg: xm._Package, part: str) -> list[str]:
    """``part`` and every internal part its relationships lead to."""
    seen: list[str] = []
    todo = [part]
    while todo:
        p = todo.pop()
        if p.lower() in {s.lower() for s in seen} or not pkg.has(p):
            continue
        seen.append(p)
        for r in xm._rels(pkg, p):
            if not r.external:
                todo.append(xm._resolve(p, r.target))
    return seen


def _renew_ids(raw: bytes, ids: list[bytes], salt: str) -> bytes:
    """``raw`` with each GUID of ``ids`` replaced by one derived from it and ``salt``."""
    import uuid

    for old in ids:
        fresh = uuid.uuid5(uuid.NAMESPACE_OID, f"{old.decode().upper()}/{salt}")
        raw = re.sub(re.escape(old), ("{" + str(fresh).upper() + "}").encode(), raw, flags=re.I)
    return raw


def _copies_source(book: _Book, index: int, copies: list[tuple[str, str]], gone: Sequence[str] = ()) -> xm._Package:
    """A package holding one copy per ``(sheet name, filled sheet XML)`` of
    the template sheet: each with its own drawing, chart, comment and table
    parts (images are shared), its references to the template sheet and its
    tables renamed to its own, and its own copy of the sheet's names; plus the
    template's styles and shared strings.  :class:`xlsx_merge._Merge` adds it
    to the target in one pass.  References to the sheets of ``gone`` (sheets
    of the template workbook that the target lacks) become ``#REF!``, as
    Excel writes a reference to a deleted sheet: a formula naming a sheet the
    workbook does not have is one Excel repairs on opening."""
    import posixpath

    tpl_name = book.sheets[index][0]
    part = book.sheet_part(tpl_name)
    pkg = book.pkg
    ct = xm._ContentTypes.of(pkg)
    reach = [pkg.lower[p.lower()] for p in _reachable(pkg, part)]
    data: dict[str, bytes] = {}
    overrides: dict[str, str] = {}
    table_names = {}
    for p in reach:
        if (ct.type_of(p) or "").endswith("spreadsheetml.table+xml"):
            root = xm._parse(pkg.data[p], f"{pkg.label} ({p})")
            table_names[p] = root.get("displayName") or root.get("name") or ""
    # threaded comments: each copy gets its own ids (Excel wants them unique in the workbook); the
    # legacy comment shown by older versions names its threaded comment by id too ("tc={id}")
    thread_ids = sorted(
        {
            g
            for p in reach
            if (ct.type_of(p) or "").endswith("threadedcomments+xml")
            for g in re.findall(rb'\sid="(\{[0-9A-Fa-f-]{36}\})"', pkg.data[p])
        }
    )
    sheet_parts = []
    for k, (new_name, xml) in enumerate(copies, start=1):

        def renamed(real: str, k: int = k) -> str:
            if real.lower().startswith("xl/media/"):
                return real  # pictures: one part for every copy
            d, b = posixpath.split(real)
            stem, ext = posixpath.splitext(b)
            return posixpath.join(d, f"{stem.rstrip('0123456789') or stem}{100000 * k + len(stem)}{ext}")

        sheets = {**{g.lower(): xm.DELETED_SHEET for g in gone}, tpl_name.lower(): new_name}
        tables = {old.lower(): f"{old}_{k}" for old in table_names.values() if old}
        for p in reach:
            new = renamed(p)
            ctype = ct.type_of(p) or "application/octet-stream"
            overrides[new] = ctype
            if p == pkg.lower[part.lower()]:
                raw = xm._rename_in_xml(xml, sheets, tables).encode("utf-8")
                sheet_parts.append(new)
            elif ctype.endswith(("drawingml.chart+xml", "spreadsheetml.table+xml")):
                text = xm._rename_in_xml(pkg.data[p].decode("utf-8"), sheets, tables)
                if p in table_names and table_names[p]:
                    m = re.search(r"<(?:\w+:)?table\b[^>]*>", text)
                    if m:
                        tag = xm._set_attr(
                            xm._set_attr(m.group(0), "name", tables[table_names[p].lower()]),
                            "displayName",
                            tables[table_names[p].lower()],
                        )
                        text = text[: m.start()] + tag + text[m.end() :]
                raw = text.encode("utf-8")
            else:
                raw = pkg.data[p]
            if thread_ids and ctype.endswith(("threadedcomments+xml", "spreadsheetml.comments+xml")):
                raw = _renew_ids(raw, thread_ids, f"{new_name}/{k}")
            data[new] = raw
            rels = xm._rels(pkg, p)
            if rels:
                lines = []
                for r in rels:
                    target = r.target
                    if not r.external:
                        real = pkg.lower.get(xm._resolve(p, r.target).lower())
                        if real is None:
                            continue  # a dangling relationship: not carried over
                        target = xm._relative(new, renamed(real))
                    mode = ' TargetMode="External"' if r.external else ""
                    lines.append(
                        f'<Relationship Id="{xm._esc_attr(r.id)}" Type="{xm._esc_attr(r.type)}" '
                        f'Target="{xm._esc_attr(target)}"{mode}/>'
                    )
                data[xm._rels_name(new)] = (
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{xm.PKG_REL_NS}">' + "".join(lines) + "</Relationships>"
                ).encode("utf-8")
    wb = "xl/workbook.xml"
    rel_lines = [
        f'<Relationship Id="rIdS{k}" Type="{xm.RT_WORKSHEET}" Target="/{sp}"/>'
        for k, sp in enumerate(sheet_parts, start=1)
    ]
    if book.styles_part and pkg.has(book.styles_part):
        st = pkg.lower[book.styles_part.lower()]
        data[st] = pkg.data[st]
        rel_lines.append(f'<Relationship Id="rIdStyles" Type="{xm.RT_STYLES}" Target="/{st}"/>')
    if book.sst_part:
        st = pkg.lower[book.sst_part.lower()]
        data[st] = pkg.data[st]
        rel_lines.append(f'<Relationship Id="rIdStrings" Type="{xm.RT_SHARED_STRINGS}" Target="/{st}"/>')
    local = [dn for dn in book.names if dn.local == index]
    names = []
    for k, (new_name, _) in enumerate(copies):
        sheets = {**{g.lower(): xm.DELETED_SHEET for g in gone}, tpl_name.lower(): new_name}
        tables = {old.lower(): f"{old}_{k + 1}" for old in table_names.values() if old}
        for dn in local:
            names.append(
                f'<definedName name="{xm._esc_attr(dn.name)}" localSheetId="{k}"'
                + "".join(f' {a}="{xm._esc_attr(v)}"' for a, v in dn.attrs.items() if a not in ("name", "localSheetId"))
                + f">{xm._esc_text(xm.rename_references(dn.text, sheets, tables))}</definedName>"
            )
    sheet_list = "".join(
        f'<sheet name="{xm._esc_attr(n)}" sheetId="{k}" r:id="rIdS{k}"/>' for k, (n, _) in enumerate(copies, start=1)
    )
    data[wb] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{xm.MAIN_NS}" '
        f'xmlns:r="{xm.REL_NS}"><sheets>{sheet_list}</sheets>'
        + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
        + "</workbook>"
    ).encode("utf-8")
    data["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{xm.PKG_REL_NS}">' + "".join(rel_lines) + "</Relationships>"
    ).encode("utf-8")
    data["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="{xm.PKG_REL_NS}"><Relationship Id="rId1" Type="{xm.RT_OFFICE_DOCUMENT}" '
        f'Target="{wb}"/></Relationships>'
    ).encode()
    types = [
        f'<Default Extension="{xm._esc_attr(e)}" ContentType="{xm._esc_attr(t)}"/>' for e, t in ct.defaults.items()
    ]
    types += [
        f'<Override PartName="/{xm._esc_attr(n)}" ContentType="{xm._esc_attr(t)}"/>' for n, t in overrides.items()
    ]
    for workbook_part in (book.styles_part, book.sst_part):
        if workbook_part and pkg.has(workbook_part):
            types.append(
                f'<Override PartName="/{pkg.lower[workbook_part.lower()]}" ContentType="{ct.type_of(workbook_part)}"/>'
            )
    types.append(
        f'<Override PartName="/{wb}" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/>'
    )
    data["[Content_Types].xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
        f'xmlns="{xm.CT_NS}">' + "".join(types) + "</Types>"
    ).encode("utf-8")
    src = xm._Package(f"{pkg.label} (sheet {tpl_name})", [], data)
    src.lower = {k.lower(): k for k in data}
    return src


def _check_references(chk: _Checks, sheet: _Sheet, source: _Book, target: _Book) -> None:
    """Warn about the template sheet's formulas that refer to sheets or
    workbook names the target workbook lacks (they show #REF! / #NAME? there)."""
    t_sheets = {n.lower() for n, _ in target.sheets}
    s_globals = {dn.name.lower() for dn in source.names if dn.local is None}
    t_globals = {dn.name.lower() for dn in target.names if dn.local is None}
    seen = set()
    for r, c, f in sheet.formula_cells():
        words = {w.lower() for w in re.findall(r"[A-Za-z_\\\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*", f)}
        missing = [f"sheet {x!r}" for x in sorted(_sheet_refs(f) - t_sheets - {sheet.name.lower()})]
        missing += [f"name {x!r}" for x in sorted((words & s_globals) - t_globals)]
        for m in missing:
            if m not in seen:
                seen.add(m)
                chk.report.add(
                    f"the formula in {_addr(r, c)} refers to {m}, which {target.pkg.label} lacks; "
                    "the copies show an error there (#REF! for a sheet) until you add it",
                    file=chk.label,
                    sheet=sheet.name,
                    column=_addr(r, c),
                    severity=WARNING,
                )


def _client_sheet_titles(values: dict[Any, dict[str, Any]]) -> list[str]:
    return [str(v.get("company") or cid) for cid, v in values.items()]


#: parts of a sheet that cannot be copied once per client: Excel wants the pivot table's and the
#: slicer's or timeline's name unique in the workbook and ties them to workbook-level caches
_UNCOPYABLE = {
    "spreadsheetml.pivotTable+xml": "a pivot table",
    "ms-excel.slicer+xml": "a slicer",
    "ms-excel.timeline+xml": "a timeline",
}


def _refuse_uncopyable_parts(chk: _Checks, book: _Book, sheet_name: str) -> None:
    ct = xm._ContentTypes.of(book.pkg)
    found = []
    for part in _reachable(book.pkg, book.sheet_part(sheet_name)):
        ctype = ct.type_of(part) or ""
        what = next((w for suffix, w in _UNCOPYABLE.items() if ctype.endswith(suffix)), None)
        if what is not None and what not in found:
            found.append(what)
    for what in found:
        chk.refuse_sheet(
            sheet_name,
            f"the template sheet holds {what}, which cannot be copied once per client: move it to another "
            "sheet of the workbook (it can still read the filled copies) and run again",
        )


RT_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
CT_PERSON = "application/vnd.ms-excel.person+xml"


def _person_part(book: _Book) -> str | None:
    return next(
        (xm._resolve(book.wb_part, r.target) for r in xm._rels(book.pkg, book.wb_part) if r.type == RT_PERSON),
        None,
    )


def _carry_persons(source: _Book, target: _Book, changed: dict[str, bytes], added: dict[str, bytes]) -> None:
    """Give ``target`` the authors of the threaded comments the copies brought
    from ``source`` (a threaded comment's author must be in the workbook's
    person list): the template's person list when the target has none, else
    the persons it lacks appended to its own."""
    copied = " ".join(
        target.pkg.data[n].decode("utf-8", "replace")
        for n in target.pkg.data
        if n.lower().startswith("xl/threadedcomments/")
    )
    wanted = set(re.findall(r'\spersonId="([^"]*)"', copied))
    src_part = _person_part(source)
    if not wanted or src_part is None or not source.pkg.has(src_part):
        return
    src_xml = source.pkg.data_of(src_part).decode("utf-8")
    people = {}
    for m in re.finditer(r"<person\b[^>]*?(?:/>|>.*?</person>)", src_xml, re.S):
        pid = re.search(r'\sid="([^"]*)"', m.group(0))
        if pid:
            people[pid.group(1)] = m.group(0)
    t_part = _person_part(target)
    if t_part is not None and target.pkg.has(t_part):
        real = target.pkg.lower[t_part.lower()]
        xml = target.pkg.data[real].decode("utf-8")
        have = set(re.findall(r'<(?:\w+:)?person\b[^>]*?\sid="([^"]*)"', xml))
        extra = [people[p] for p in sorted(wanted - have) if p in people]
        end = xml.rfind("</personList>")
        if extra and end >= 0:
            changed[real] = (xml[:end] + "".join(extra) + xml[end:]).encode("utf-8")
        return
    name, k = "xl/persons/person.xml", 1
    while target.pkg.has(name):
        k += 1
        name = f"xl/persons/person{k}.xml"
    added[name] = src_xml.encode("utf-8")
    rels_name = xm._rels_name(target.wb_part)
    rels_real = target.pkg.lower.get(rels_name.lower(), rels_name)
    rels = target.pkg.text(rels_real)
    prefix, _ = xm._root_prefixes(rels, rels_name)
    taken = set(re.findall(r'\sId="([^"]*)"', rels))
    rid = next(f"rIdP{i}" for i in range(1, len(taken) + 2) if f"rIdP{i}" not in taken)
    end = rels.rfind(f"</{prefix}Relationships>")
    line = f'<{prefix}Relationship Id="{rid}" Type="{RT_PERSON}" Target="{xm._relative(target.wb_part, name)}"/>'
    changed[rels_real] = (rels[:end] + line + rels[end:]).encode("utf-8")
    ct_real = target.pkg.lower["[content_types].xml"]
    ct = changed.get(ct_real, target.pkg.data[ct_real]).decode("utf-8")
    cp, _ = xm._root_prefixes(ct, "[Content_Types].xml")
    end = ct.rfind(f"</{cp}Types>")
    changed[ct_real] = (ct[:end] + f'<{cp}Override PartName="/{name}" ContentType="{CT_PERSON}"/>' + ct[end:]).encode(
        "utf-8"
    )


def fill_adp_template(
    analysis,
    client_ids: Sequence[Any],
    template: str | Path,
    out: str | Path | None = None,
    *,
    into: str | Path | None = None,
    template_sheet: str | None = None,
    lang: str = "en",
) -> FillResult:
    """One filled copy of the template sheet of ``template`` per client of
    ``client_ids``, named after the client (a taken name gets a number).

    The copies go into a copy of the template workbook written to ``out``
    (default ``<template>-filled<ext>``), or with ``into`` into that workbook
    (written to ``out``, default ``into`` itself).  Every part of the target
    the copies do not need is kept byte for byte.  The template sheet is the
    one named ``template_sheet``, else the sheet with the most sheet-scoped
    vocabulary names.  Raises :class:`FillError` (nothing written) when a
    check fails; ``result.info`` lists the names the vocabulary does not know.
    """
    tpl_path = Path(template)
    book = _read_book(tpl_path)
    index = _pick_template_sheet(book, template_sheet)
    sheet_name = book.sheets[index][0]
    chk = _Checks(tpl_path.name)
    local = [dn for dn in book.names if dn.local == index]
    targets = _match_names(book, chk, local, "sheet", sheet_name)
    base = book.sheet(sheet_name)
    tables = book.tables_on(book.sheet_part(sheet_name))
    for t in targets:
        if t.entry.kind == "input":
            continue
        cells = [(r, c) for r in range(t.ref.r1, t.ref.r2 + 1) for c in range(t.ref.c1, t.ref.c2 + 1)]
        if t.entry.name == "ratings":
            cells = cells[:1]
        _check_cells(chk, base, t, cells, result=t.entry.kind == "result", tables=tables)
    if not any(t.entry.kind in ("field", "table") for t in targets) and not chk.report.fatal:
        chk.refuse_sheet(
            sheet_name, "the sheet has no vocabulary name that the fill writes (company, financials, need...)"
        )
    _refuse_uncopyable_parts(chk, book, sheet_name)
    chk.raise_if_refused("fill the template")

    values = adp_values(analysis, client_ids, lang=lang)
    target_path = Path(into) if into is not None else tpl_path
    if into is not None:
        target_book = _read_book(target_path)
        out = target_path if out is None else Path(out)
    else:
        target_book = book
        out = tpl_path.with_name(f"{tpl_path.stem}-filled{tpl_path.suffix}") if out is None else Path(out)
    if target_book.kind in (".xlsm", ".xltm", ".xlam") and out.suffix.lower() == ".xlsx":
        raise _refuse(target_path.name, f"it holds macros; write it to a {target_book.kind} file, not {out.name}")
    if into is not None:
        _check_references(chk, base, book, target_book)
    from xlb2b.excel.names import sheet_names

    names = sheet_names(_client_sheet_titles(values), taken=[n for n, _ in target_book.sheets])
    yes = label("adp.yes", lang)
    copies = []
    for cid, new_name in zip(values, names):
        sheet = book.sheet(sheet_name)
        _fill_sheet(sheet, targets, values[cid], yes)
        copies.append((new_name, _as_copy(sheet.xml(), sheet.p)))
    gone = []
    if into is not None:
        kept = {n.lower() for n, _ in target_book.sheets}
        gone = [n for n, _ in book.sheets if n.lower() not in kept and n.lower() != sheet_name.lower()]
    source = _copies_source(book, index, copies, gone)
    try:
        merge = xm._Merge(target_book.pkg, source, True, names=names)
        merge.run()
        data = merge.write()
    except xm.MergeError as e:
        raise FillError(
            str(e).replace("the generated workbook", f"the template sheet {sheet_name!r}"), e.report
        ) from None
    t_pkg = xm._Package.read(data, target_path.name)
    final = _Book(t_pkg)
    wb_real = t_pkg.lower[final.wb_part.lower()]
    changed = {wb_real: _set_full_calc(final.wb_xml, final.p).encode("utf-8")}
    added: dict[str, bytes] = {}
    if into is not None:
        _carry_persons(book, final, changed, added)
    data = _write_package(t_pkg, changed, added)
    atomic_write_bytes(out, data)
    filled = sorted({t.entry.name for t in targets if t.entry.kind != "input"})
    return FillResult(out, names, filled, chk.report)


# =========================================================================== report


def _sheet_refs(formula: str) -> set[str]:
    """Lower-cased sheet names a formula refers to (quoted or not)."""
    out = set()
    for m in re.finditer(r"'((?:[^']|'')+)'!|([A-Za-z_\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*)!", formula):
        out.add((m.group(1).replace("''", "'") if m.group(1) else m.group(2)).lower())
    return out


def _mentions(formula: str, sheets: set[str], names: set[str]) -> bool:
    if _sheet_refs(formula) & sheets:
        return True
    words = {w.lower() for w in re.findall(r"[A-Za-z_\\\u00A1-\uFFFF][\w.\u00A1-\uFFFF]*", formula)}
    return bool(words & names)


def _resize_table(xml: str, table: dict[str, Any], new_r2: int) -> bytes:
    """The table part with its range (and its filter's) ending at row ``new_r2``."""
    r1, c1, _, c2 = table["area"]
    ref = f"{_addr(r1, c1)}:{_addr(new_r2, c2)}"

    def fix(m: re.Match) -> str:
        return xm._set_attr(m.group(0), "ref", ref)

    xml = re.sub(r"<(?:\w+:)?table\b[^>]*>", fix, xml, count=1)
    xml = re.sub(r"<(?:\w+:)?autoFilter\b[^>]*>", fix, xml, count=1)
    return xml.encode("utf-8")


def fill_report(analysis, template: str | Path, out: str | Path | None = None, *, lang: str = "en") -> FillResult:
    """Write the current analysis into every report name of the vocabulary
    that ``template`` defines (workbook names), to ``out`` (default: the
    template itself).

    **Grow/shrink rule.** A table name covers the table's data rows (no
    header; the summaries' Total row included).  When the analysis has more
    rows, the range grows downward into the rows below it: those cells must
    be empty, or the fill is refused naming the first cell in the way (insert
    empty rows below the table, or make the name bigger: spare rows are
    emptied).  New rows take the formatting of the first data row (and the
    height of its row); a summary's Total row keeps the formatting of the
    range's last row wherever it lands.  When there are fewer rows, the rows
    no longer used are emptied and take the formatting of the row below the
    old range.  The name is redefined to the new size, and conditional
    formats and validations over exactly the table's rows follow it.
    Nothing else moves.

    An Excel table (Insert > Table) named like a report table (``summary_abc``)
    is filled the same way: its data rows are the range (the header row is
    the user's), and the table's range and filter grow or shrink with them.
    A table with a Total Row is refused (the summaries bring their own).
    """
    path = Path(template)
    out = path if out is None else Path(out)
    book = _read_book(path)
    if book.kind in (".xlsm", ".xltm", ".xlam") and out.suffix.lower() == ".xlsx":
        raise _refuse(path.name, f"it holds macros; write it to a {book.kind} file, not {out.name}")
    chk = _Checks(path.name)
    targets = _match_names(book, chk, [dn for dn in book.names if dn.local is None], "workbook")
    for dn in book.names:
        if dn.local is not None and dn.name.lower() in {n.name for n in REPORT_NAMES}:
            chk.info(
                f"name {dn.name!r} is sheet-scoped; report tables are workbook names; left as it is",
                book.sheets[dn.local][0] if dn.local < len(book.sheets) else "",
            )
    # Excel tables (Insert > Table) named like a report table: their data rows are the range
    named = {t.entry.name for t in targets}
    for tb in book.table_parts():
        entry = _BY_NAME.get(tb["name"].lower())
        if entry is None or entry.scope != "workbook" or entry.kind != "table" or entry.name in named:
            continue
        r1, c1, r2, c2 = tb["area"]
        ref = _Ref(tb["sheet"], r1 + tb["header"], c1, r2, c2)
        if tb["totals"]:
            chk.refuse(
                entry.name,
                tb["sheet"],
                _addr(r2, c1),
                "the Excel table has a Total Row; turn it off "
                "(Table Design > Total Row): the summaries bring their own Total row",
            )
        elif ref.cols != entry.shape[1] or ref.r2 < ref.r1:
            chk.refuse(
                entry.name,
                tb["sheet"],
                ref.where(),
                f"the Excel table has {ref.cols} column(s) and "
                f"{max(ref.rows, 0)} data row(s); {entry.name} needs {entry.shape[1]} columns and at "
                "least one data row",
            )
        else:
            targets.append(_Target(entry, None, ref, tb))
            named.add(entry.name)
    if not targets and not chk.report.fatal:
        chk.refuse_sheet(
            "",
            "the workbook has no report name of the fill vocabulary (summary_abc, "
            "summary_psc_group, abc_curve, window_start...); see docs/templates.md",
        )
    values = report_values(analysis, lang=lang) if targets else {}
    sheets: dict[str, _Sheet] = {}
    plans = []
    for t in targets:
        key = t.ref.sheet.lower()
        if key not in sheets:
            sheets[key] = book.sheet(t.ref.sheet)
        sheet = sheets[key]
        v = values[t.entry.name]
        rows = v if isinstance(v, list) else [[v]]
        n = len(rows)
        new_r2 = t.ref.r1 + n - 1
        tables = [
            (name, area)
            for name, area in book.tables_on(book.sheet_part(t.ref.sheet))
            if t.table is None or name != t.table["name"]
        ]
        cells = [(r, c) for r in range(t.ref.r1, max(t.ref.r2, new_r2) + 1) for c in range(t.ref.c1, t.ref.c2 + 1)]
        if new_r2 >= MAX_ROWS:
            chk.refuse(t.entry.name, sheet.name, t.ref.where(), f"{n} rows do not fit below row {t.ref.r1 + 1}")
            continue
        before = len(chk.report.fatal)
        _check_cells(chk, sheet, t, [(r, c) for r, c in cells if r <= t.ref.r2], tables=tables)
        if len(chk.report.fatal) > before:
            continue
        for r in range(t.ref.r2 + 1, new_r2 + 1):
            blocked = next(
                (
                    c
                    for c in range(t.ref.c1, t.ref.c2 + 1)
                    if sheet.has_content(r, c)
                    or sheet.merged_at(r, c)
                    or any(a[0] <= r <= a[2] and a[1] <= c <= a[3] for _, a in tables)
                ),
                None,
            )
            if blocked is not None:
                chk.refuse(
                    t.entry.name,
                    sheet.name,
                    _addr(r, blocked),
                    f"the table needs {n} rows ({_addr(t.ref.r1, t.ref.c1)}:{_addr(new_r2, t.ref.c2)}) and "
                    f"cell {_addr(r, blocked)} below it is not empty; insert "
                    f"{new_r2 - t.ref.r2} empty row(s) below the table"
                    + (", or make the name bigger" if t.table is None else ""),
                )
                break
        plans.append((t, rows, new_r2, cells))
    # two filled ranges must not overlap
    for i, (a, _, a2, _) in enumerate(plans):
        for b, _, b2, _ in plans[i + 1 :]:
            if (
                a.ref.sheet.lower() == b.ref.sheet.lower()
                and a.ref.r1 <= b2
                and b.ref.r1 <= a2
                and a.ref.c1 <= b.ref.c2
                and b.ref.c1 <= a.ref.c2
            ):
                chk.refuse(
                    b.entry.name,
                    b.ref.sheet,
                    b.ref.where(),
                    f"the range would overlap {a.entry.name!r} once the tables are filled",
                )
    chk.raise_if_refused("refresh the report tables of")

    renamed: dict[int, str] = {}
    changed: dict[str, bytes] = {}
    for t, rows, new_r2, _ in plans:
        sheet = sheets[t.ref.sheet.lower()]
        old_n, n = t.ref.rows, len(rows)
        first = {c: sheet.style_at(t.ref.r1, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        last = {c: sheet.style_at(t.ref.r2, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        below = {c: sheet.style_at(t.ref.r2 + 1, c) for c in range(t.ref.c1, t.ref.c2 + 1)}
        for i, row in enumerate(rows):
            r = t.ref.r1 + i
            for j, x in enumerate(row):
                c = t.ref.c1 + j
                if t.entry.total and i == n - 1:
                    style = last[c]  # the Total row keeps its look
                elif i < (old_n - 1 if t.entry.total else old_n):
                    style = None  # a row of the old range keeps its own
                else:
                    style = first[c]  # a new row looks like the first data row
                sheet.write(r, c, x, style=style, like_row=t.ref.r1 if r > t.ref.r2 else None)
        for r in range(t.ref.r1 + n, t.ref.r2 + 1):
            for c in range(t.ref.c1, t.ref.c2 + 1):
                sheet.write(r, c, None, style=below[c] or "0")
        if new_r2 != t.ref.r2:
            sheet.follow_table(t.ref.r1, t.ref.c1, t.ref.r2, t.ref.c2, new_r2)
        if new_r2 != t.ref.r2 and t.dn is not None:
            renamed[id(t.dn)] = _Ref(t.ref.sheet, t.ref.r1, t.ref.c1, new_r2, t.ref.c2).text()
        elif new_r2 != t.ref.r2 and t.table is not None:
            changed[t.table["part"]] = _resize_table(book.pkg.text(t.table["part"]), t.table, new_r2)

    # stale cached values: formulas on the filled sheets, and on every sheet
    # (or name) that refers to a changed sheet or a filled name
    changed_sheets = set(sheets)
    stale_names = {t.entry.name.lower() for t, *_ in plans}
    grew = True
    while grew:
        grew = False
        for dn in book.names:
            if dn.name.lower() not in stale_names and _mentions(dn.text, changed_sheets, stale_names):
                stale_names.add(dn.name.lower())
                grew = True
        for name, part in book.sheets:
            if part is None or name.lower() in changed_sheets:
                continue
            raw = book.pkg.get(part) or b""
            if b"<f" not in raw and b":f" not in raw:
                continue
            s = _Sheet(raw.decode("utf-8"), book.strings, book.pkg.label, name)
            if any(_mentions(f, changed_sheets, stale_names) for _, _, f in s.formula_cells()):
                sheets[name.lower()] = s
                changed_sheets.add(name.lower())
                grew = True
    for sheet in sheets.values():
        sheet.strip_caches()
        part = book.sheet_part(sheet.name)
        changed[book.pkg.lower[part.lower()]] = sheet.xml().encode("utf-8")
    xml = book.wb_xml
    for dn in sorted(book.names, key=lambda d: -d.span[0]):
        if id(dn) in renamed:
            xml = xml[: dn.span[0]] + xm._esc_text(renamed[id(dn)]) + xml[dn.span[1] :]
    changed[book.pkg.lower[book.wb_part.lower()]] = _set_full_calc(xml, book.p).encode("utf-8")
    atomic_write_bytes(out, _write_package(book.pkg, changed))
    return FillResult(out, [s.name for s in sheets.values()], [t.entry.name for t, *_ in plans], chk.report)
