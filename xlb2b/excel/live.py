"""Render our sheets into a workbook that is open in Excel.

Every sheet of xlb2b is laid out once, by code that speaks XlsxWriter's
vocabulary (``write_string``, ``write_formula(..., value)``, ``merge_range``,
``data_validation``, ``define_name``...).  Given an XlsxWriter workbook that
code writes a new file; given a :class:`RecordingWorkbook` it records the
same calls, and :func:`render` replays them through the xlwings object model
(``book.sheets.add``, ``range.formula``, ``range.number_format``,
``range.data_validation``, ``book.names``...) so the sheet appears in the
workbook the user has open -- in xlwings Lite, xlwings Server and the classic
add-in alike.  This module never imports xlwings: it only calls methods on
the book it is given.

Replaying is economical: a sheet's cells go in one 2-D write, formats are
applied to rectangles of equal format, and cached values are not needed
(Excel calculates the formulas).

The recording is :mod:`~xlb2b.excel.live_recording`; the replay's parts: :mod:`~xlb2b.excel.live_cells`
(cells in chunked 2-D writes), :mod:`~xlb2b.excel.live_formats` (the plan of format actions and of format
copies), :mod:`~xlb2b.excel.live_objects` (widths, validation, conditional formats, charts); this module
lays each sheet out with them, in order, and adds the names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from xlb2b.excel.live_cells import _column_runs, _grid, _write_cells, excel_text  # noqa: F401 (_grid, excel_text: tests)
from xlb2b.excel.live_formats import (
    Aspects,
    Copy,
    Laid,
    _apply_aspect,
    _aspect_actions,
    _aspects,
    _column_aspects,
    _format_cells,
    copy_plan,
    format_plan,
)
from xlb2b.excel.live_objects import _chart, _conditional, _points, _uses_points, _validation
from xlb2b.excel.live_recording import Cell, Format, RecordingSheet, RecordingWorkbook, address

#: a hidden sheet holding one layout that several sheets share (ADPs): each of
#: them is a copy of it, and only its cells and names are written
LAYOUT_SHEET_PREFIX = "xlb2b layout "


def _lay_out_formats(sheet, rs: RecordingSheet, before: list[Laid] | None) -> Laid | None:
    """Cell formats: bands of rows that fit rows laid out before are copies of
    them (one action a band, :func:`copy_plan`); the other rows get the
    aspects of :func:`format_plan`.  Returns what the sheet then shows, for
    the sheets after it (None when ``before`` is None: no copies)."""
    if before is None:
        _format_cells(sheet, rs)
        return None
    name = rs.name
    own = Laid(name, {}, rs.bounds()[0], set())
    every, _ = copy_plan(rs, before)
    # all bands, the bands of two rows or more, or none: whichever takes fewest actions
    best: tuple[int, list[Copy], list] | None = None
    for copies in (every, [c for c in every if c[1] > 1], []):
        if best is not None and copies == best[1]:
            continue
        covered = {r for r, n, *_ in copies for r in range(r, r + n)}
        rest = rs
        if covered:
            rest = RecordingSheet(rs.name)
            rest.merges, rest.conditional, rest.columns = rs.merges, rs.conditional, rs.columns
            for rc, cell in rs.cells.items():
                rest.cells[rc] = cell if rc[0] not in covered else Cell(cell.value, cell.formula, None, cell.url)
        p = format_plan(rest)
        cost = len(copies) + sum(_aspect_actions(k, v, rect) for k, v, rect in p)
        if best is None or cost < best[0]:
            best = (cost, copies, p)
    assert best is not None
    _, copies, plan = best
    for key, value, (r1, c1, r2, c2) in plan:
        _apply_aspect(sheet.range(address(r1, c1, r2, c2)), key, value)
    shown: dict[tuple[int, int], Aspects] = {}
    nrows = own.rows
    for c, aspects in _column_aspects(rs).items():
        for r in range(nrows):
            shown[(r, c)] = dict(aspects)
    for key, value, (r1, c1, r2, c2) in plan:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                shown.setdefault((r, c), {})[key] = value
    laid = {x.name: x for x in before}
    for r, n, width, src, a in copies:
        source = laid[src].shown
        for i in range(n):
            for c in range(width):
                got = source.get((a + i, c))
                if got:
                    shown[(r + i, c)] = dict(got)
                else:
                    shown.pop((r + i, c), None)
        origin = sheet.book.sheets[src]
        sheet.range((r + 1, 1), (r + n, width)).copy_from(origin.range((a + 1, 1), (a + n, width)), copy_type="formats")
    own.shown = {rc: a for rc, a in shown.items() if a}
    own.blocked = {r for r1, _c1, r2, _c2 in rs.merges for r in range(r1, r2 + 1)}
    return own


def _stable(value: Any) -> Any:
    """A value with formats replaced by their properties (for comparing layouts)."""
    if isinstance(value, Format):
        return ("format", tuple(sorted((k, repr(v)) for k, v in value.props.items())))
    if isinstance(value, dict):
        return tuple(sorted((k, _stable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(v) for v in value)
    return value


def layout_key(rs: RecordingSheet) -> str | None:
    """A short digest of everything of a recorded sheet but its cell
    contents, names, links and notes: formats, merges, widths, heights,
    validation and conditional formats.  Sheets with equal keys can be copies
    of one laid-out sheet.  None for sheets with tables, charts or data
    blocks (those are laid out one by one)."""
    import hashlib

    if rs.tables or rs.charts or rs.blocks:
        return None
    formats = sorted((rc, _stable(c.fmt)) for rc, c in rs.cells.items() if c.fmt is not None and c.fmt.props)
    parts = (
        rs.bounds(),
        formats,
        sorted(rs.merges),
        _stable(rs.validations),
        _stable(rs.conditional),
        _stable(rs.columns),
        _stable(sorted(rs.rows.items())),
    )
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


def _lay_out_columns_and_rows(sheet, rs: RecordingSheet, points: bool) -> None:
    """Column widths, column formats and row heights, equal neighbours together."""
    nrows, _ = rs.bounds()
    widths: dict[int, float] = {}
    aspects: dict[tuple[str, str], tuple[str, Any, list[int]]] = {}
    for first, last, width, fmt in rs.columns:
        for c in range(first, last + 1):
            if width is not None:
                widths[c] = width
            if fmt is not None and fmt.props and nrows:
                for key, value in _aspects(fmt.props).items():
                    aspects.setdefault((key, repr(value)), (key, value, []))[2].append(c)
    by_width: dict[float, list[int]] = {}
    for c, w in widths.items():
        by_width.setdefault(w, []).append(c)
    for w, cols in by_width.items():
        for c1, c2 in _column_runs(cols):
            sheet.range((1, c1 + 1), (max(nrows, 1), c2 + 1)).column_width = _points(w) if points else w
    for key, value, cols in aspects.values():  # column formats first, so cell formats win
        for c1, c2 in _column_runs(cols):
            _apply_aspect(sheet.range((1, c1 + 1), (nrows, c2 + 1)), key, value)
    by_height: dict[float, list[int]] = {}
    for r, (height, _fmt) in rs.rows.items():
        if height is not None:
            by_height.setdefault(height, []).append(r)
    for h, rows in by_height.items():
        for r1, r2 in _column_runs(rows):
            sheet.range((r1 + 1, 1), (r2 + 1, 1)).row_height = h


def _lay_out_cells(
    sheet, rs: RecordingSheet, before: list[Laid] | None = None, later: list | None = None
) -> Laid | None:
    """Cell formats (rows that fit rows of the sheets in ``before`` copied
    from them: :func:`_lay_out_formats`), merges, validation and conditional
    formats -- these appended to ``later`` instead when given (Excel's paste of
    formats would carry a conditional format along to the copies).  Returns
    what the sheet's cells show, when ``before`` is given."""
    laid = _lay_out_formats(sheet, rs, before)
    for r1, c1, r2, c2 in rs.merges:
        sheet.range(address(r1, c1, r2, c2)).merge(False)
    for r1, c1, r2, c2, options in rs.validations:
        _validation(sheet.range(address(r1, c1, r2, c2)), options)
    if later is not None:
        later.append((sheet, rs))
        return laid
    _conditional_formats(sheet, rs)
    return laid


def _conditional_formats(sheet, rs: RecordingSheet) -> None:
    for r1, c1, r2, c2, options in rs.conditional:
        _conditional(sheet.range(address(r1, c1, r2, c2)), options)


def _finish(book, sheet, rs: RecordingSheet) -> None:
    """Links, notes, frozen panes and charts."""
    for (r, c), cell in rs.cells.items():
        if cell.url and not cell.url.startswith("internal:"):  # internal links are formulas (_grid)
            sheet.range((r + 1, c + 1)).add_hyperlink(cell.url, str(cell.value))
    for r, c, text in rs.comments:
        try:
            sheet.range((r + 1, c + 1)).add_note(text)
        except NotImplementedError:
            pass  # notes need a newer Excel; the note is help text only
    if rs.freeze and any(rs.freeze):
        sheet.freeze_panes.freeze_at(sheet.range((rs.freeze[0] + 1, rs.freeze[1] + 1)))
    for row, col, chart, options in rs.charts:
        _chart(book, sheet, rs, row, col, chart, options)


def _layout_sheet(book, rs: RecordingSheet, key: str, points: bool):
    """The hidden sheet holding the layout ``key`` (laid out now if the book
    has none from an earlier run)."""
    name = LAYOUT_SHEET_PREFIX + key
    for s in book.sheets:
        if s.name == name:
            return s
    sheet = book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])
    _lay_out_columns_and_rows(sheet, rs, points)
    _lay_out_cells(sheet, rs)
    sheet.visible = False
    return sheet


def render(book, recording: RecordingWorkbook, *, before=None, share_layouts: bool = False) -> list[str]:
    """Add the recorded sheets to ``book`` (an xlwings Book) after its last
    sheet (or before ``before``), with cells, formats, merges, widths,
    validation, conditional formats, frozen panes, notes, hyperlinks, charts
    and defined names.  Sheet names must be free in ``book`` (see
    :func:`free_names`).  Returns the names added.

    ``share_layouts``: sheets laid out alike (ADPs: see :func:`layout_key`;
    two or more of them, or a lone sheet, or a layout an earlier run kept)
    are copies (``Sheet.copy``) of one hidden sheet that holds their layout,
    kept in the book for the next run; each copy then gets only its cells,
    links and names -- a few actions a sheet instead of hundreds."""
    return list(render_steps(book, recording, before=before, share_layouts=share_layouts))


def render_steps(book, recording: RecordingWorkbook, *, before=None, share_layouts: bool = False):
    """:func:`render` one sheet at a time: yields each sheet's name once its
    actions are all queued (xlwings Lite flushes there, so a failure leaves
    whole sheets only and the pane shows the sheets arriving); the
    conditional formats (heat maps) of every sheet come with the last sheet,
    once no more formats are copied, and the book's own names after it."""
    points = _uses_points(book)
    added = []
    done: set[str] = set()
    keys = [layout_key(rs) if share_layouts else None for rs in recording.sheets]
    existing = {s.name for s in book.sheets}
    laid_out: list[Laid] = []
    later: list = []  # conditional formats, once no more formats are copied
    if len(keys) > 1:  # a layout is shared by two sheets or more, or kept from an earlier run
        keys = [
            k if k is not None and (keys.count(k) > 1 or LAYOUT_SHEET_PREFIX + k in existing) else None for k in keys
        ]
    for rs, key in zip(recording.sheets, keys):
        last = book.sheets[len(book.sheets) - 1]
        if key is not None:
            template = _layout_sheet(book, rs, key, points)
            if before is not None:
                sheet = template.copy(before=before, name=rs.name)
            else:
                sheet = template.copy(after=book.sheets[len(book.sheets) - 1], name=rs.name)
            sheet.visible = True
            _write_cells(sheet, rs)
        else:
            if before is not None:
                sheet = book.sheets.add(name=rs.name, before=before)
            else:
                sheet = book.sheets.add(name=rs.name, after=last)
            _lay_out_columns_and_rows(sheet, rs, points)
            _write_cells(sheet, rs)
            for r1, c1, r2, c2, options in rs.tables:
                style = str(options.get("style", "Table Style Medium 2")).replace(" ", "")
                table = sheet.tables.add(source=sheet.range(address(r1, c1, r2, c2)), table_style_name=style)
                if options.get("name"):
                    table.name = options["name"]
            laid = _lay_out_cells(sheet, rs, laid_out, later)
            if laid is not None:
                laid_out.append(laid)
        _finish(book, sheet, rs)
        # the sheet's own names now, if they refer to sheets that exist already
        present = {s.name for s in book.sheets}
        mine = [(n, f) for n, f in recording.names if _scope(n) == rs.name and _sheets_in(f) <= present]
        _add_names(book, mine)
        done.update(n for n, _ in mine)
        added.append(rs.name)
        if rs is recording.sheets[-1]:
            for sh, r in later:
                _conditional_formats(sh, r)
        yield rs.name
    _add_names(book, [(n, f) for n, f in recording.names if n not in done])


def _scope(name: str) -> str | None:
    """The sheet a sheet-scoped name ("'ADP Acme'!forecast") belongs to."""
    if "!" not in name:
        return None
    return name.rsplit("!", 1)[0].strip("'").replace("''", "'")


_SHEET_REF = re.compile(r"'((?:[^']|'')+)'!|([A-Za-z_][\w.]*)!")


def _sheets_in(formula: str) -> set[str]:
    """The sheets a name's formula refers to ("='ADP Acme'!$B$3" -> {"ADP Acme"})."""
    return {(q.replace("''", "'") if q else p) for q, p in _SHEET_REF.findall(formula)}


def _add_names(book, names: list[tuple[str, str]]) -> None:
    for name, formula in names:
        scope = _scope(name)
        if scope is not None:
            book.sheets[scope].names.add(name.rsplit("!", 1)[1], formula)
        else:
            book.names.add(name, formula)


def free_names(book, titles: Iterable[str]) -> list[str]:
    """Sheet names for ``titles`` that are free in ``book`` ("ADP Acme (2)"
    when "ADP Acme" is taken): a second run adds a numbered sheet and never
    touches the user's."""
    from xlb2b.excel.names import sheet_names

    return sheet_names(titles, taken=[s.name for s in book.sheets])
