"""A template workbook as the fill sees it (sheets, names, tables), the checks before writing, the package write."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlb2b.errors import FATAL, INFO, Report
from xlb2b.excel import merge as xm
from xlb2b.excel.fill_sheet import _ATTR, FillError, _addr, _parse_ref, _Ref, _Sheet
from xlb2b.excel.fill_vocabulary import _BY_NAME, Name

# =========================================================================== workbook


def _refuse(label: str, reason: str) -> FillError:
    report = Report()
    report.add(reason, file=label, severity=FATAL)
    return FillError(f"cannot fill {label}: {reason}", report)


@dataclass
class FillResult:
    """What a fill did: the sheets added (ADP) or filled (report), the names
    written, and the information about names the vocabulary does not know."""

    path: Path
    sheets: list[str]
    filled: list[str]
    info: Report


@dataclass
class _DefinedName:
    name: str
    local: int | None
    text: str
    span: tuple[int, int]  # of the element's text in the workbook part
    attrs: dict[str, str]


class _Book:
    """A workbook package with its sheets, names and shared strings."""

    def __init__(self, pkg: xm._Package):
        self.pkg = pkg
        self.wb_part = xm._Merge.workbook_part(pkg)
        ct = xm._ContentTypes.of(pkg)
        self.kind = xm.WORKBOOK_TYPES.get(ct.type_of(self.wb_part) or "")
        if self.kind is None:
            raise _refuse(pkg.label, "its workbook part is not SpreadsheetML XML; save it as .xlsx or .xlsm")
        self.ct = ct
        self.wb_xml = pkg.text(self.wb_part)
        self.p, decls = xm._root_prefixes(self.wb_xml, f"{pkg.label} (workbook)")
        root = xm._parse(self.wb_xml, f"{pkg.label} (workbook)")
        rels = {r.id: r for r in xm._rels(pkg, self.wb_part)}
        self.rels = rels
        self.sheets: list[tuple[str, str | None]] = []  # (name, part)
        for e in root.iter(f"{{{xm.MAIN_NS}}}sheet"):
            rel = rels.get(e.get(f"{{{xm.REL_NS}}}id", ""))
            part = xm._resolve(self.wb_part, rel.target) if rel is not None and rel.type == xm.RT_WORKSHEET else None
            self.sheets.append((e.get("name", ""), part))
        p = re.escape(self.p)
        self.names: list[_DefinedName] = []
        for m in re.finditer(rf"<{p}definedName\b([^>]*)>(.*?)</{p}definedName>", self.wb_xml, re.S):
            attrs = {k: xm._unescape(v) for k, v in _ATTR.findall(m.group(1))}
            local = attrs.get("localSheetId")
            self.names.append(
                _DefinedName(
                    attrs.get("name", ""),
                    int(local) if local and local.isdigit() else None,
                    xm._unescape(m.group(2)),
                    m.span(2),
                    attrs,
                )
            )
        sst = next((xm._resolve(self.wb_part, r.target) for r in rels.values() if r.type == xm.RT_SHARED_STRINGS), None)
        self.sst_part = sst if sst and pkg.has(sst) else None
        self.styles_part = next(
            (xm._resolve(self.wb_part, r.target) for r in rels.values() if r.type == xm.RT_STYLES), None
        )
        self._strings: list[str] | None = None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            out = []
            if self.sst_part:
                xml = self.pkg.text(self.sst_part)
                for m in re.finditer(r"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", xml, re.S):
                    inner = re.sub(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", "", m.group(1) or "", flags=re.S)
                    out.append(
                        "".join(
                            xm._unescape(t) for t in re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", inner, re.S)
                        )
                    )
            self._strings = out
        return self._strings

    def sheet_index(self, name: str) -> int | None:
        for i, (n, _) in enumerate(self.sheets):
            if n.lower() == name.lower():
                return i
        return None

    def sheet_part(self, name: str) -> str:
        """The worksheet part of sheet ``name`` (FillError when it has none)."""
        i = self.sheet_index(name)
        part = None if i is None else self.sheets[i][1]
        if part is None:
            raise FillError(f"{self.pkg.label}: {name!r} is not a worksheet of the workbook")
        return part

    def sheet(self, name: str) -> _Sheet:
        part = self.sheet_part(name)
        i = self.sheet_index(name)
        return _Sheet(self.pkg.text(part), self.strings, self.pkg.label, self.sheets[i or 0][0])

    def tables_on(self, part: str) -> list[tuple[str, tuple[int, int, int, int]]]:
        out = []
        for r in xm._rels(self.pkg, part):
            if r.type.endswith("/table") and not r.external:
                t = xm._resolve(part, r.target)
                if self.pkg.has(t):
                    root = xm._parse(self.pkg.get(t) or b"", f"{self.pkg.label} ({t})")
                    area = _Sheet._area(root.get("ref", ""))
                    if area:
                        out.append((root.get("displayName") or root.get("name") or "", area))
        return out

    def table_parts(self) -> list[dict[str, Any]]:
        """Every Excel table of the workbook: sheet, part, name, area
        (0-based, header included), header and totals row counts."""
        out = []
        for sheet, part in self.sheets:
            if part is None:
                continue
            for r in xm._rels(self.pkg, part):
                if not r.type.endswith("/table") or r.external:
                    continue
                t = xm._resolve(part, r.target)
                if not self.pkg.has(t):
                    continue
                root = xm._parse(self.pkg.get(t) or b"", f"{self.pkg.label} ({t})")
                area = _Sheet._area(root.get("ref", ""))
                if area:
                    out.append(
                        {
                            "sheet": sheet,
                            "part": self.pkg.lower[t.lower()],
                            "name": root.get("displayName") or root.get("name", ""),
                            "area": area,
                            "header": int(root.get("headerRowCount", "1") or 1),
                            "totals": int(root.get("totalsRowCount", "0") or 0),
                        }
                    )
        return out


def _read_book(path: Path) -> _Book:
    xm._check_target_file(path, "read")
    return _Book(xm._Package.read(path.read_bytes(), path.name))


def _set_full_calc(xml: str, p: str) -> str:
    """The workbook part with ``<calcPr fullCalcOnLoad="1">``."""
    loc = xm._find(xml, p, "calcPr")
    if loc is not None:
        tag = xm._set_attr(xml[loc[0] : loc[1]], "fullCalcOnLoad", "1")
        return xml[: loc[0]] + tag + xml[loc[1] :]
    for later in (
        "oleSize",
        "customWorkbookViews",
        "pivotCaches",
        "smartTagPr",
        "smartTagTypes",
        "webPublishing",
        "fileRecoveryPr",
        "webPublishObjects",
        "extLst",
    ):
        loc = xm._find(xml, p, later)
        if loc is not None:
            return xml[: loc[0]] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[loc[0] :]
    end = xml.rfind(f"</{p}workbook>")
    return xml[:end] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[end:]


def _write_package(pkg: xm._Package, changed: dict[str, bytes], added: dict[str, bytes] | None = None) -> bytes:
    """The package with ``changed`` members replaced and ``added`` ones
    appended; every other member's compressed bytes copied as they are."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in pkg.infos:
            if info.filename in changed or not xm._copy_raw(zf, buf, pkg.raw, info):
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr, zi.create_system = info.external_attr, info.create_system
                zf.writestr(zi, changed.get(info.filename, pkg.data[info.filename]))
        for name, raw in (added or {}).items():
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, raw)
    return buf.getvalue()


# =========================================================================== checks


@dataclass
class _Target:
    entry: Name
    dn: _DefinedName | None
    ref: _Ref
    #: the Excel table whose data rows the target is (report tables named as tables)
    table: dict[str, Any] | None = None


class _Checks:
    def __init__(self, label: str):
        self.label = label
        self.report = Report()
        self.protected: set[str] = set()

    def refuse(self, name: str, sheet: str, cell: str, reason: str) -> None:
        self.report.add(f"name {name!r} ({cell}): {reason}", file=self.label, sheet=sheet, column=cell, severity=FATAL)

    def refuse_sheet(self, sheet: str, reason: str) -> None:
        """A refusal about the sheet itself, not about one of its names."""
        self.report.add(reason, file=self.label, sheet=sheet, severity=FATAL)

    def info(self, reason: str, sheet: str = "") -> None:
        self.report.add(reason, file=self.label, sheet=sheet, severity=INFO)

    def raise_if_refused(self, what: str) -> None:
        if self.report.fatal:
            raise FillError(f"cannot {what} {self.label}; nothing was written", self.report)


def _check_cells(
    chk: _Checks,
    sheet: _Sheet,
    t: _Target,
    cells: Iterable[tuple[int, int]],
    *,
    result: bool = False,
    tables: Sequence[tuple[str, tuple[int, int, int, int]]] = (),
) -> None:
    """Refuse a write into a merged cell (other than its top-left cell), over a
    formula (unless the name is a result), into a protected sheet or an Excel table."""
    name = t.entry.name
    if sheet.protected:
        if sheet.name not in chk.protected:
            chk.protected.add(sheet.name)
            chk.refuse(
                name,
                sheet.name,
                t.ref.where(),
                "the sheet is protected (Review > Unprotect Sheet); unprotect it, or copy it unprotected, to fill it",
            )
        return
    for r, c in cells:
        m = sheet.merged_at(r, c)
        if m is not None and (m[0], m[1]) != (r, c):
            chk.refuse(
                name,
                sheet.name,
                _addr(r, c),
                f"the cell is inside the merged cells {_addr(m[0], m[1])}:{_addr(m[2], m[3])}; "
                "point the name at the merge's top-left cell or unmerge",
            )
            return
        cell = sheet.cell(r, c)
        if result:
            if cell is None or not cell.formula(sheet.p):
                chk.info(
                    f"name {name!r} ({_addr(r, c)}) is a result but the cell holds no formula; left as it is",
                    sheet.name,
                )
            return
        if cell is not None and cell.formula(sheet.p):
            chk.refuse(
                name,
                sheet.name,
                _addr(r, c),
                "the cell holds a formula that the fill would overwrite; move the formula or the name",
            )
            return
        for tname, (tr1, tc1, tr2, tc2) in tables:
            if tr1 <= r <= tr2 and tc1 <= c <= tc2:
                chk.refuse(
                    name,
                    sheet.name,
                    _addr(r, c),
                    f"the cell is in the Excel table {tname}; "
                    "point the name at cells outside tables (or convert the table to a range)",
                )
                return


def _match_names(
    book: _Book, chk: _Checks, names: Iterable[_DefinedName], scope: str, sheet_name: str | None = None
) -> list[_Target]:
    """The vocabulary names of ``scope`` among ``names`` with their ranges;
    unknown names as information, bad ranges and shapes refused."""
    out = []
    for dn in names:
        if dn.name.lower().startswith("_xlnm.") or dn.attrs.get("hidden") in ("1", "true"):
            continue
        entry = _BY_NAME.get(dn.name.lower())
        where = sheet_name or ""
        if entry is None:
            chk.info(f"name {dn.name!r} is not in the fill vocabulary; left as it is", where)
            continue
        if entry.scope != scope:
            want = (
                "sheet-scoped (Name Manager: Scope = the template sheet)"
                if entry.scope == "sheet"
                else "a workbook name (Name Manager: Scope = Workbook)"
            )
            chk.info(f"name {dn.name!r} is known but must be {want} to be filled; left as it is", where)
            continue
        if "#REF!" in dn.text.upper():
            chk.refuse(
                dn.name,
                where,
                dn.text,
                "the name refers to a deleted sheet or deleted cells (#REF!): point it at its cells again "
                "(Formulas > Name Manager) or delete it",
            )
            continue
        ref = _parse_ref(dn.text)
        if ref is None:
            chk.refuse(dn.name, where, dn.text, "the name does not point at one range of cells")
            continue
        index = book.sheet_index(ref.sheet)
        if index is None or book.sheets[index][1] is None:
            chk.refuse(
                dn.name,
                ref.sheet,
                ref.where(),
                f"the name points at sheet {ref.sheet!r}, which is not a worksheet of this workbook",
            )
            continue
        if sheet_name is not None and ref.sheet.lower() != sheet_name.lower():
            chk.refuse(
                dn.name,
                sheet_name,
                ref.where(),
                f"the name points at sheet {ref.sheet!r}, not at the template sheet it belongs to",
            )
            continue
        rows, cols = entry.shape
        if entry.kind != "input" and (ref.cols != cols or (rows is not None and ref.rows != rows)):
            shape = f"{rows if rows is not None else 'any number of'} row(s) × {cols} column(s)"
            chk.refuse(
                dn.name,
                ref.sheet,
                ref.where(),
                f"the range has {ref.rows} row(s) × {ref.cols} column(s); {dn.name} needs {shape}",
            )
            continue
        out.append(_Target(entry, dn, ref))
    return out
