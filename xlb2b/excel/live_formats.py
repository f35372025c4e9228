"""A recorded sheet's formats as few actions: aspects set on rectangles, bands of rows copied from earlier sheets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xlb2b.excel.live_recording import Cell, RecordingSheet, address


def rectangles(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cover a set of cells with few rectangles (r1, c1, r2, c2): runs along
    each row, then equal runs of consecutive rows joined."""
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    runs: dict[tuple[int, int], list[int]] = {}
    for r, cols in by_row.items():
        cols.sort()
        start = prev = cols[0]
        ends: list[int | None] = [*cols[1:], None]
        for nxt in ends:
            if nxt is not None and nxt == prev + 1:
                prev = nxt
                continue
            runs.setdefault((start, prev), []).append(r)
            if nxt is not None:
                start = prev = nxt
    out = []
    for (c1, c2), rows in runs.items():
        rows.sort()
        first = last = rows[0]
        row_ends: list[int | None] = [*rows[1:], None]
        for nxt_row in row_ends:
            if nxt_row is not None and nxt_row == last + 1:
                last = nxt_row
                continue
            out.append((first, c1, last, c2))
            if nxt_row is not None:
                first = last = nxt_row
    return sorted(out)


_HALIGN = {
    "left": "left",
    "center": "center",
    "centre": "center",
    "right": "right",
    "fill": "fill",
    "justify": "justify",
    "center_across": "center_across_selection",
}
_VALIGN = {"top": "top", "vcenter": "center", "bottom": "bottom", "vjustify": "justify"}


def _border_key(props: dict) -> tuple:
    color = props.get("border_color", "#000000")
    if props.get("border"):
        return (("everything", color),)
    return tuple(
        (side, props.get(f"{key}_color", color))
        for key, side in (
            ("bottom", "edge_bottom"),
            ("top", "edge_top"),
            ("left", "edge_left"),
            ("right", "edge_right"),
        )
        if props.get(key)
    )


def _aspects(props: dict) -> dict[str, Any]:
    """A format split into independent aspects, each replayed on its own so
    that cells sharing one aspect (a fill, a number format, a border...) are
    set together whatever their other aspects."""
    out: dict[str, Any] = {}
    for key in ("bold", "italic"):
        if props.get(key):
            out[key] = True
    for key in ("font_size", "font_color", "font_name", "bg_color", "num_format"):
        if key in props and props[key] not in (None, ""):
            out[key] = props[key]
    if props.get("text_wrap"):
        out["text_wrap"] = True
    if props.get("align") in _HALIGN:
        out["align"] = _HALIGN[props["align"]]
    if props.get("valign") in _VALIGN:
        out["valign"] = _VALIGN[props["valign"]]
    if props.get("indent"):
        out["indent"] = int(props["indent"])
    border = _border_key(props)
    if border:
        out["border"] = border
    return out


def _apply_aspect(rng, key: str, value: Any) -> None:
    if key == "bold":
        rng.font.bold = True
    elif key == "italic":
        rng.font.italic = True
    elif key == "font_size":
        rng.font.size = value
    elif key == "font_color":
        rng.font.color = value
    elif key == "font_name":
        rng.font.name = value
    elif key == "bg_color":
        rng.color = value
    elif key == "num_format":
        rng.number_format = value
    elif key == "text_wrap":
        rng.wrap_text = True
    elif key == "align":
        rng.horizontal_alignment = value
    elif key == "valign":
        rng.vertical_alignment = value
    elif key == "indent":
        try:
            rng.adjust_indent(value)
        except (NotImplementedError, AttributeError):
            pass  # indentation is cosmetic; not every engine replays it
    elif key == "border":
        for side, color in value:
            if side == "everything":
                rows, cols = rng.shape
                sides = ["edge_top", "edge_bottom", "edge_left", "edge_right"]
                sides += ["inside_horizontal"] if rows > 1 else []
                sides += ["inside_vertical"] if cols > 1 else []
            else:
                sides = [side]
            for one in sides:  # continuous lines are thin unless told otherwise
                if str(color).upper() in ("#000000", "BLACK", "NONE"):
                    # a new line is drawn in the automatic colour, black: one action, not two
                    rng.borders.set(one, line_style="continuous")
                else:
                    rng.borders.set(one, line_style="continuous", color=color)


def _aspect_actions(key: str, value: Any, rect: tuple[int, int, int, int]) -> int:
    """The actions :func:`_apply_aspect` takes for one aspect on a rectangle."""
    if key != "border":
        return 1
    r1, c1, r2, c2 = rect
    return sum(4 + (r2 > r1) + (c2 > c1) if side == "everything" else 1 for side, _ in value)


def _apply_format(rng, props: dict) -> None:
    for key, value in _aspects(props).items():
        _apply_aspect(rng, key, value)


#: aspects that show nothing on an empty cell: a rectangle that sets one of
#: them may run over empty cells (a bold empty cell looks like any other);
#: a font size up to Excel's standard 11 points too (a larger one would make
#: Excel raise the row)
_UNSEEN_WHEN_EMPTY = frozenset(
    {"bold", "italic", "font_color", "font_name", "num_format", "text_wrap", "align", "valign"}
)


def _unseen_when_empty(key: str, value: Any) -> bool:
    return key in _UNSEEN_WHEN_EMPTY or (key == "font_size" and float(value) <= 11)


def _empty_cells(rs: RecordingSheet) -> set[tuple[int, int]]:
    """Cells within the sheet's bounds that hold nothing (no value, no
    formula); none for sheets with data blocks (their rows are data)."""
    if rs.blocks:
        return set()
    nrows, ncols = rs.bounds()
    full = {rc for rc, cell in rs.cells.items() if cell.formula is not None or cell.value not in (None, "") or cell.url}
    return {(r, c) for r in range(nrows) for c in range(ncols) if (r, c) not in full}


def format_plan(rs: RecordingSheet) -> list[tuple[str, Any, tuple[int, int, int, int]]]:
    """(aspect, value, rectangle) in the order they are applied.  Each aspect
    is set on rectangles of the cells sharing its value; for an aspect that an
    empty cell does not show, its most common value may first be laid over a
    larger rectangle that runs over empty cells and over the cells of its
    other values, which are set after it -- whichever takes fewer actions."""
    by_key: dict[str, dict[str, tuple[Any, list]]] = {}
    for rc, cell in rs.cells.items():
        if cell.fmt is None or not cell.fmt.props:
            continue
        for key, value in _aspects(cell.fmt.props).items():
            by_key.setdefault(key, {}).setdefault(repr(value), (value, []))[1].append(rc)
    empties: set[tuple[int, int]] | None = None
    plan: list[tuple[str, Any, tuple[int, int, int, int]]] = []
    for key, values in by_key.items():
        own = {v: rectangles(rcs) for v, (_, rcs) in values.items()}
        best: tuple[int, str | None, list] = (sum(len(r) for r in own.values()), None, [])
        if any(_unseen_when_empty(key, value) for value, _ in values.values()):
            if empties is None:
                empties = _empty_cells(rs)
            every = {rc for _, rcs in values.values() for rc in rcs}
            if empties:
                cover = rectangles(every | empties)
                for v, (value, rcs) in values.items():
                    if not _unseen_when_empty(key, value):
                        continue
                    mine = set(rcs)
                    base = [
                        (r1, c1, r2, c2)
                        for r1, c1, r2, c2 in cover
                        if any((r, c) in mine for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
                    ]
                    cost = len(base) + sum(len(r) for o, r in own.items() if o != v)
                    if cost < best[0]:
                        best = (cost, v, base)
        _, first, base = best
        if first is not None:
            plan += [(key, values[first][0], rect) for rect in base]
        for v, rects in own.items():
            if v != first:
                plan += [(key, values[v][0], rect) for rect in rects]
    return plan


def _format_cells(sheet, rs: RecordingSheet) -> None:
    for key, value, (r1, c1, r2, c2) in format_plan(rs):
        _apply_aspect(sheet.range(address(r1, c1, r2, c2)), key, value)


# ------------------------------------------------------- formats copied from rows laid out before

Aspects = dict[str, Any]
#: a band of rows whose formats are copied: (first row, rows, width, source
#: sheet name, source first row); 0-based
Copy = tuple[int, int, int, str, int]


@dataclass
class Laid:
    """What one sheet of a render looks like once laid out: the aspects each
    cell shows (column formats, then cell formats, as applied), and the rows
    whose formats may not be copied elsewhere (merged cells: Excel's paste of
    formats would merge the copies; conditional formats come after every
    copy, see :func:`xlb2b.excel.live.render_steps`)."""

    name: str
    shown: dict[tuple[int, int], Aspects]
    rows: int
    blocked: set[int]


def _column_aspects(rs: RecordingSheet) -> dict[int, Aspects]:
    out: dict[int, Aspects] = {}
    for first, last, _width, fmt in rs.columns:
        if fmt is not None and fmt.props:
            for c in range(first, last + 1):
                out.setdefault(c, {}).update(_aspects(fmt.props))
    return out


def _wanted(rs: RecordingSheet) -> dict[tuple[int, int], Aspects]:
    """The aspects each cell of a recorded sheet should show."""
    nrows, _ = rs.bounds()
    out: dict[tuple[int, int], Aspects] = {}
    for c, aspects in _column_aspects(rs).items():
        for r in range(nrows):
            out[(r, c)] = dict(aspects)
    for rc, cell in rs.cells.items():
        if cell.fmt is not None and cell.fmt.props:
            out.setdefault(rc, {}).update(_aspects(cell.fmt.props))
    return {rc: a for rc, a in out.items() if a}


def _full(cell: Cell | None) -> bool:
    return cell is not None and (cell.formula is not None or cell.value not in (None, "") or bool(cell.url))


def _row_fits(shown: dict[int, Aspects], wanted: dict[int, Aspects], full: set[int]) -> bool:
    """Whether a laid-out row (``shown``, by column) gives a row that wants
    ``wanted`` exactly what it should: equal aspects, or, on a cell that holds
    nothing, the wanted ones and more that an empty cell does not show."""
    for c in shown.keys() | wanted.keys():
        a, b = shown.get(c, {}), wanted.get(c, {})
        if a == b:
            continue
        if c in full:
            return False
        if any(a.get(k) != v for k, v in b.items()):
            return False
        if not all(_unseen_when_empty(k, v) for k, v in a.items() if k not in b):
            return False
    return True


def _by_row(cells: dict[tuple[int, int], Aspects]) -> dict[int, dict[int, Aspects]]:
    out: dict[int, dict[int, Aspects]] = {}
    for (r, c), a in cells.items():
        out.setdefault(r, {})[c] = a
    return out


def copy_plan(rs: RecordingSheet, before: list[Laid]) -> tuple[list[Copy], set[int]]:
    """Bands of rows of ``rs`` whose formats can be copied, each in one action
    (``Range.copy_from(..., copy_type="formats")``), from rows laid out before
    on an earlier sheet of the same render, and the rows they cover.  A band
    is as wide as the formatted cells of its rows here (a wider table's first
    columns may serve a narrower one).  Greedy: from each row, the longest
    band that fits."""
    if rs.blocks or rs.tables:
        return [], set()
    nrows, _ = rs.bounds()
    wanted = _by_row(_wanted(rs))
    full: dict[int, set[int]] = {}
    for (r, c), cell in rs.cells.items():
        if _full(cell):
            full.setdefault(r, set()).add(c)
    right = {r: 1 + max(cols) for r, cols in wanted.items() if cols}
    sources = []
    for laid in before:
        shown = _by_row(laid.shown)
        same = {a for a in range(1, laid.rows) if a - 1 not in laid.blocked and shown.get(a) == shown.get(a - 1)}
        sources.append((laid.name, shown, laid.rows, laid.blocked, same))

    def fits(shown_row: dict[int, Aspects], r: int, first: int, width: int) -> bool:
        """Row ``r`` here against a laid-out row, on columns first..width-1."""
        part = {c: a for c, a in shown_row.items() if first <= c < width}
        want = {c: a for c, a in wanted.get(r, {}).items() if first <= c < width}
        return _row_fits(part, want, full.get(r, set()))

    copies: list[Copy] = []
    covered: set[int] = set()
    r = 0
    while r < nrows:
        if not wanted.get(r):
            r += 1
            continue
        best: tuple[int, int, str, int] | None = None
        first_col = min(wanted[r])
        first_want = wanted[r][first_col].items()
        for name, shown, rows, src_blocked, same_as_above in sources:
            for a in range(rows):
                if a in same_as_above:  # a band from the row above is as long, or longer
                    continue
                got = shown.get(a, {}).get(first_col)
                if got is None or any(got.get(k) != v for k, v in first_want):
                    continue
                n = width = 0
                while r + n < nrows and a + n < rows and (a + n) not in src_blocked:
                    wider = max(width, right.get(r + n, 0))
                    if wider > width and not all(fits(shown.get(a + i, {}), r + i, width, wider) for i in range(n)):
                        break
                    if not fits(shown.get(a + n, {}), r + n, 0, wider):
                        break
                    n, width = n + 1, wider
                if n and (best is None or n > best[0]):
                    best = (n, width, name, a)
        if best is None:
            r += 1
            continue
        n, width, name, a = best
        copies.append((r, n, width, name, a))
        covered.update(range(r, r + n))
        r += n
    return copies, covered
