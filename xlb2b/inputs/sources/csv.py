"""CSV and text files: encoding, delimiter and quoted multi-line fields (pyarrow's reader when installed)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import HEADER_SCAN_ROWS, _from_grid
from xlb2b.inputs.raw import _Raw

#: the first lines of a file go through the line-tracking reader below, which
#: copes with title lines, ragged rows and blank lines above the header; the
#: rest (the bulk) through pyarrow's CSV reader when it is installed
HEAD_LINES = max(100, HEADER_SCAN_ROWS)

# ---- CSV


def _read_csv(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    data = path.read_bytes()
    got = None
    head = _utf8_head(data) if _import_arrow_csv() is not None else None
    if head is not None:
        # a big UTF-8 file: only its head is decoded here; pyarrow reads the rest
        # as bytes and checks that they are UTF-8 (if not: the whole file below)
        delim = _delimiter(head)
        got = _csv_grid_arrow(head, delim, ctx, data)
    if got is None:
        text, utf8 = _decode_as(data, ctx)
        if not text or text.isspace():  # (no copy of a big text, unlike strip)
            ctx.fatal("the file is empty: there is nothing to read; check that this is the right file")
        if "\n" not in text and "\r" in text:
            text = text.replace("\r", "\n")  # old Mac line ends
            utf8 = False
        delim = _delimiter(text)
        got = _csv_grid_arrow(text, delim, ctx, data if utf8 else None) if _import_arrow_csv() is not None else None
        del data
        grid, rownums = got if got is not None else _csv_grid(text, delim, ctx)
    else:
        grid, rownums = got
    # ';' files come from Russian-locale Excel/1C: the decimal separator is a comma.
    # In ',' files an ambiguous "1,234" is a thousands separator (it had to be quoted).
    return _from_grid(
        grid,
        rownums,
        canon_map,
        ctx,
        letters=False,
        decimal_comma=True if delim == ";" else None,
        comma_default=delim != ",",
    )


def _delimiter(text: str) -> str:
    if text[:4].lower() == "sep=" and len(text) > 4 and text[4] not in "\r\n":
        return text[4]  # Excel's own hint line, e.g. "sep=;"
    return _sniff_delimiter(text)


#: files bigger than this have only their first HEAD_BYTES decoded as text
#: when pyarrow reads the rest
HEAD_BYTES = 1 << 20


def _utf8_head(data: bytes) -> str | None:
    """The text of the first HEAD_BYTES of a bigger file with line feeds that
    starts as UTF-8 (a character cut at the end is left out), else None."""
    if len(data) <= HEAD_BYTES or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    head = data[:HEAD_BYTES]
    if b"\n" not in head:
        return None
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8-sig")
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:
                return None  # not UTF-8: decided on the whole file as before
            continue
        return text if text.strip() else None
    return None


def _decode(data: bytes, ctx: _Ctx) -> str:
    return _decode_as(data, ctx)[0]


def _decode_as(data: bytes, ctx: _Ctx) -> tuple[str, bool]:
    """The text of the file, and whether the bytes are UTF-8 (then they go
    to pyarrow as they are, without encoding the text again)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), False  # Excel's "Unicode text"
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), False  # Russian accounting exports
    except UnicodeDecodeError:
        ctx.report.problems.append(
            ctx.problem(
                "the file is neither UTF-8 nor Windows-1251; undecodable bytes were replaced by \ufffd",
                severity=WARNING,
            )
        )
        return data.decode("cp1251", errors="replace"), False


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:200_000].split("\n")[:200] if ln.strip()][:50]
    best, best_score = ",", (-1, -1, -1)
    for prio, cand in enumerate((";", "\t", ",", "|")):
        counts = []
        for ln in lines:
            try:
                counts.append(len(next(csv.reader([ln], delimiter=cand))))
            except (csv.Error, StopIteration):
                counts.append(1)
        multi = [c for c in counts if c >= 2]
        if not multi:
            continue
        mode = max(set(multi), key=lambda c: (multi.count(c), c))
        score = (counts.count(mode), mode, -prio)
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_grid(text: str, delim: str, ctx: _Ctx) -> tuple[pd.DataFrame, np.ndarray]:
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
            doublequote=True,
        )
        if len(grid) == n_lines:  # one record per line: line number = index + 1
            return grid, np.arange(1, n_lines + 1)
    except (pd.errors.ParserError, ValueError):
        pass
    # ragged rows or line breaks inside quoted cells: the csv module tracks lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    nums: list[int] = []
    prev = 0
    try:
        for rec in reader:
            rows.append(rec)
            nums.append(prev + 1)
            prev = reader.line_num
    except csv.Error:
        ctx.fatal(
            f"cannot read the CSV file near line {prev + 1}: a field there is not "
            "closed (a quote mark without its pair) or is far too long; correct that line "
            "in a text editor, or save the file again as CSV from Excel",
            row=prev + 1,
        )
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(rows, dtype=object), np.asarray(nums, dtype=np.int64)


# ---- the same grid through pyarrow's CSV reader


def _import_arrow_csv():
    """pyarrow's csv module, or None (not installed, e.g. under Pyodide)."""
    try:
        import pyarrow.csv as pa_csv
    except ImportError:
        return None
    return pa_csv


def _text_dtype():
    """pandas' arrow-backed text dtype with NaN for missing values (the
    default ``str`` dtype of pandas 3), or None on a pandas without it."""
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except (TypeError, ImportError):
        return None


def _head_end(text: str) -> int:
    """Where the first HEAD_LINES lines end (after their line break), moved
    on to the end of a record when a quoted cell runs over that line."""
    pos = 0
    for _ in range(HEAD_LINES):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    while text.count('"', 0, pos) % 2:  # inside a quoted cell: take its next line too
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos


def _csv_grid_arrow(
    text: str, delim: str, ctx: _Ctx, utf8: bytes | None = None
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The grid of :func:`_csv_grid`, with every cell as text and the same
    line numbers, the bulk of the file parsed by pyarrow.  None when the rest
    of the file is not one record per row of equal width (ragged rows), or the
    line count does not add up: then the line-tracking reader reads it all.
    ``utf8``: the file's bytes when ``text`` is their UTF-8 text or the start
    of it (a BOM allowed); pyarrow checks that the rest is UTF-8 too."""
    pa_csv = _import_arrow_csv()
    dtype = _text_dtype()
    cut = _head_end(text)
    if pa_csv is None or dtype is None or cut >= len(text):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    if utf8 is None:
        utf8, start = text.encode("utf-8"), 0
    else:
        start = 3 if utf8.startswith(b"\xef\xbb\xbf") else 0
    start += len(text[:cut].encode("utf-8"))
    end = len(utf8)
    while end > start and utf8[end - 1] in b"\r\n":
        end -= 1
    if end <= start:
        return None
    # one line end stays: pyarrow cannot read a single unterminated line
    stop = end + (2 if utf8[end : end + 2] == b"\r\n" else 1 if end < len(utf8) else 0)
    head_grid, head_rows = _csv_grid(text[:cut], delim, ctx)
    invalid: list[int] = []

    def on_invalid(_row) -> str:
        invalid.append(1)
        return "skip"

    data = memoryview(utf8)[start:stop]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(
                delimiter=delim,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=_all_text(data, delim, pa),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    if invalid or table.num_rows == 0 or not all(pa.types.is_string(c.type) for c in table.columns):
        return None  # ragged rows, or a column whose type was guessed: not all text
    # a line break inside a quoted cell moves every later record down a line
    extra = np.zeros(table.num_rows, dtype=np.int64)
    breaks = utf8.count(b"\n", start, end)
    if breaks != table.num_rows - 1:  # (else no cell holds a line break)
        for col in table.columns:
            if pc.any(pc.match_substring(col, "\n")).as_py():
                extra += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
    if breaks != table.num_rows - 1 + int(extra.sum()):
        return None  # line ends the reader counts differently (a lone CR): let the other reader count
    first = int(text.count("\n", 0, cut)) + 1
    rows = first + np.arange(table.num_rows, dtype=np.int64)
    if extra.any():
        rows += np.concatenate(([0], np.cumsum(extra[:-1])))
    tail_grid = pd.DataFrame(
        {i: pd.Series(dtype.__from_arrow__(col), copy=False) for i, col in enumerate(table.columns)}
    )
    del table
    width = max(head_grid.shape[1], tail_grid.shape[1])
    parts = []
    for g in (head_grid, tail_grid):
        g = g.set_axis(range(g.shape[1]), axis=1).astype(dtype)
        for i in range(g.shape[1], width):
            g[i] = pd.Series([""] * len(g), dtype=dtype)
        parts.append(g)
    grid = pd.concat(parts, ignore_index=True)
    return grid, np.concatenate([np.asarray(head_rows, dtype=np.int64), rows])


def _all_text(data: memoryview, delim: str, pa) -> dict:
    """Column types that make pyarrow keep every column as text (the names
    it generates, f0, f1, ..., for more columns than the first lines have;
    the caller checks that no column got another type)."""
    head = bytes(data[: 1 << 16]).split(b"\n")[:20]
    n = max(line.count(delim.encode("utf-8")) for line in head) + 1
    return {f"f{i}": pa.string() for i in range(n)}
