"""CSV and text files: encoding, delimiter and quoted multi-line fields (pyarrow's reader when installed)."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.headers import HEADER_SCAN_ROWS, _find_header, _from_grid, _match_columns, _with_header
from xlb2b.inputs.raw import _Raw
from xlb2b.inputs.values import _blank_mask, _Parsed, _text_codes

#: the first lines of a file go through the line-tracking reader below, which
#: copes with title lines, ragged rows and blank lines above the header; the
#: rest (the bulk) through pyarrow's CSV reader when it is installed
HEAD_LINES = max(100, HEADER_SCAN_ROWS)

# ---- CSV


def _read_csv(path: Path, canon_map: dict, ctx: _Ctx) -> _Raw:
    data = _file_bytes(path)
    got = None
    head = _utf8_head(data) if _import_arrow_csv() is not None else None
    if head is not None:
        # a big UTF-8 file: only its head is decoded here; pyarrow reads the rest
        # as bytes and checks that they are UTF-8 (if not: the whole file below)
        delim = _delimiter(head)
        got = _csv_grid_arrow(head, delim, ctx, data, canon_map)
    if got is not None:
        return got
    data = bytes(data)
    text, utf8 = _decode_as(data, ctx)
    if not text or text.isspace():  # (no copy of a big text, unlike strip)
        ctx.fatal("the file is empty: there is nothing to read; check that this is the right file")
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # old Mac line ends
        utf8 = False
    delim = _delimiter(text)
    if _import_arrow_csv() is not None:
        got = _csv_grid_arrow(text, delim, ctx, data if utf8 else None, canon_map)
        if got is not None:
            return got
    del data
    grid, rownums = _csv_grid(text, delim, ctx)
    raw = _from_grid(grid, rownums, canon_map, ctx, letters=False, **_separators(delim))
    _overflow_note(raw, delim)
    return raw


def _overflow_note(raw: _Raw, delim: str) -> None:
    """A note (``raw.notes``) when some lines, fewer than half, have values in fields to the right
    of the last header: a value holding the separator not quoted as a whole shifts the cells after
    it, which are then read in the wrong columns."""
    keys = raw.keys or [(h,) for h in raw.headers]
    named = [p for p, k in enumerate(keys) if k and k[0]]
    if not named:
        return
    extra = list(range(named[-1] + 1, len(raw.headers)))
    if not extra:
        return
    over = np.zeros(len(raw.frame), dtype=bool)
    for p in extra:
        over |= ~_blank_mask(raw.frame[p])
    n = int(over.sum())
    if not n or n * 2 > len(raw.frame):
        return
    lines = [int(r) for r in np.asarray(raw.rows)[over][:5]]
    sep = {"\t": "tab", ";": "';'", ",": "','"}.get(delim, repr(delim))
    d = delim if delim != "\t" else "<tab>"
    listed = ", ".join(map(str, lines)) + (f" and {n - len(lines)} more" if n > len(lines) else "")
    raw.notes.append(
        f"{n} line{'s' * (n != 1)} ({'line' if n == 1 else 'lines'} {listed}) {'has' if n == 1 else 'have'} more "
        f"fields than the header: a value holding the separator {sep} that is not quoted as a whole (such as "
        f'ООО "Ромашка{d} и Ко" instead of "ООО ""Ромашка{d} и Ко""") moves the cells after it to the right, so they '
        "are read in the wrong columns (and most often rejected); quote such values whole, or save the file "
        "again from Excel"
    )


def _separators(delim: str) -> dict:
    """How numbers are written, by the delimiter: ';' files come from
    Russian-locale Excel/1C, where the decimal separator is a comma; in ','
    files an ambiguous "1,234" is a thousands separator (it had to be quoted)."""
    return {"decimal_comma": True if delim == ";" else None, "comma_default": delim != ","}


def _file_bytes(path: Path):
    """The file's bytes: memory-mapped when it is big and pyarrow will read
    it (no copy in memory), else read."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size <= HEAD_BYTES or _import_arrow_csv() is None:
            return f.read()
        try:
            import mmap

            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ImportError, OSError, ValueError):
            return f.read()


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


def _head_end(text: str, lines: int | None = None) -> int:
    """Where the first ``lines`` (HEAD_LINES) lines end (after their line
    break), moved on to the end of a record when a quoted cell runs over that line."""
    pos = 0
    for _ in range(HEAD_LINES if lines is None else lines):
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


def _line_start(text: str, line: int) -> int:
    """Where line ``line`` (1-based) of ``text`` starts."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _scan(text: str, delim: str, ctx: _Ctx) -> tuple[pd.DataFrame, np.ndarray, int] | None:
    """The first records of ``text``, enough to find the header as in the
    whole grid (HEADER_SCAN_ROWS of them, or all), and where they end; None
    when they are not in ``text`` (a head of a bigger file with long lines)."""
    lines = max(HEAD_LINES, HEADER_SCAN_ROWS) + 1
    while True:
        cut = _head_end(text, lines)
        grid, rows = _csv_grid(text[:cut], delim, ctx)
        if len(grid) > HEADER_SCAN_ROWS or cut >= len(text):
            return grid, rows, cut
        if lines > 100_000:
            return None
        lines *= 4


_COLUMN_IN_ERROR = re.compile(r"In CSV column #(\d+)")


def _csv_grid_arrow(text: str, delim: str, ctx: _Ctx, utf8=None, canon_map: dict | None = None) -> _Raw | None:
    """The raw table the line-tracking reader gives, with the same line
    numbers, the data rows parsed by pyarrow.  The header is found in the
    first records (read by :func:`_csv_grid`); pyarrow reads every line under
    it, converting each canonical column that is written plainly: numbers
    to floats, ISO dates to dates, text columns to codes into their distinct
    values (a column where any cell is not plain, is empty, is not finite or
    is not a plausible date is read as text, to be parsed and reported cell by
    cell as before).  None when the file has no more than HEAD_LINES lines,
    when the data rows are not one record per row of equal width (ragged
    rows), or the line count does not add up: then the line-tracking reader
    reads it all.  ``utf8``: the file's bytes when ``text`` is their UTF-8 text
    or the start of it (a BOM allowed); pyarrow checks that the rest is UTF-8 too."""
    pa_csv = _import_arrow_csv()
    dtype = _text_dtype()
    if pa_csv is None or dtype is None or _head_end(text) >= len(text):
        return None
    import pyarrow as pa

    from xlb2b.errors import InputError

    canon_map = canon_map or {}
    got = _scan(text, delim, ctx)
    if got is None:
        return None
    scan_grid, scan_rows, cut = got
    trial = _Ctx(kind=ctx.kind, label=ctx.label)
    try:
        h, depth, keys, scanned = _find_header(scan_grid, trial, canon_map)
    except InputError:
        return None  # the line-tracking reader says why
    k = h + depth
    first = int(scan_rows[k]) if k < len(scan_rows) else int(text.count("\n", 0, cut)) + 1
    pos = _line_start(text, first) if k < len(scan_rows) else cut
    if pos >= len(text):
        return None
    if utf8 is None:
        utf8, start = text.encode("utf-8"), 0
    else:
        start = 3 if utf8[:3] == b"\xef\xbb\xbf" else 0
    start += len(text[:pos].encode("utf-8"))
    end = len(utf8)
    while end > start and utf8[end - 1] in b"\r\n":
        end -= 1
    if end <= start:
        return None
    # one line end stays: pyarrow cannot read a single unterminated line
    stop = end + (2 if utf8[end : end + 2] == b"\r\n" else 1 if end < len(utf8) else 0)
    data = memoryview(utf8)[start:stop]
    seps = _separators(delim)
    types = _column_types(scan_grid, scan_rows, canon_map, ctx, seps, pa)
    table = None
    for _ in range(len(types) + 2):
        invalid: list[int] = []

        def on_invalid(_row, invalid=invalid) -> str:
            invalid.append(1)
            return "skip"

        try:
            table = _arrow_read(pa_csv, pa, data, delim, types, seps, on_invalid)
        except pa.ArrowInvalid as e:
            m = _COLUMN_IN_ERROR.search(str(e))
            col = f"f{m.group(1)}" if m else None
            if col in types and not pa.types.is_string(types[col]):
                types[col] = pa.string()  # a cell that is not plain: the column as text
                continue
            return None
        except (pa.ArrowTypeError, ValueError):
            return None
        if invalid or table.num_rows == 0:
            return None  # ragged rows
        redo = [f"f{j}" for j, c in enumerate(table.columns) if not _clean(c, pa)]
        if not redo:
            break
        for name in redo:  # empty, not finite or implausible: the column as text
            types[name] = pa.string()
    else:
        return None
    if table is None or not all(_expected(c.type, types.get(f"f{j}"), pa) for j, c in enumerate(table.columns)):
        return None  # a column whose type was guessed
    rows = _record_lines(table, utf8, start, end, first, pa)
    if rows is None:
        return None
    width = max(len(keys), table.num_columns)
    cols, done = {}, {}
    for j in range(table.num_columns):
        cols[j], parsed = _to_pandas(table.column(j), dtype, pa)
        if parsed is not None:
            done[j] = parsed
    del table
    n = len(rows)
    for j in range(len(cols), width):
        cols[j] = pd.Series(pd.array([""] * n, dtype=dtype))
    frame = pd.DataFrame(cols, copy=False)
    keys = list(keys) + [("",)] * (width - len(keys))
    raw = _with_header(
        frame, rows, keys, int(scan_rows[h]), depth, scanned, canon_map, ctx, letters=False, first_seen=True, **seps
    )
    kept = ctx.header.columns if ctx.header is not None else []
    raw.parsed.update({p: done[j] for p, j in enumerate(kept) if j in done})
    return raw


def _arrow_read(pa_csv, pa, data: memoryview, delim: str, types: dict, seps: dict, on_invalid):
    return pa_csv.read_csv(
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
            column_types=types,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[""],  # only typed columns can be null: text keeps ""
            decimal_point="," if seps["decimal_comma"] else ".",
        ),
    )


def _column_types(scan_grid: pd.DataFrame, scan_rows: np.ndarray, canon_map: dict, ctx: _Ctx, seps: dict, pa) -> dict:
    """The Arrow type to read each grid column as: float64 for a number
    column, date32 for a date column, codes into distinct values for a text
    column (by the header the first records hold), text for every other one
    (the names pyarrow generates, f0, f1, ...; more than the first lines may have)."""
    from xlb2b.errors import InputError
    from xlb2b.inputs.columns import COLUMN_TYPES, DATE, NUMBER, TEXT

    types = {f"f{i}": pa.string() for i in range(max(scan_grid.shape[1], 1) + 64)}
    trial = _Ctx(kind=ctx.kind, label=ctx.label)
    try:
        raw = _from_grid(scan_grid, scan_rows, canon_map, trial, letters=False, **seps)
        positions = _match_columns(raw, canon_map, trial)
    except InputError:
        return types
    cols = trial.header.columns if trial.header is not None else []
    by = {TEXT: pa.dictionary(pa.int32(), pa.string()), NUMBER: pa.float64(), DATE: pa.date32()}
    for c, p in positions.items():
        t = by.get(COLUMN_TYPES[c])
        if t is not None and p < len(cols):
            types[f"f{cols[p]}"] = t
    return types


def _expected(got, wanted, pa) -> bool:
    if wanted is None or pa.types.is_string(wanted):
        return pa.types.is_string(got)
    return got.equals(wanted)


def _clean(col, pa) -> bool:
    """Whether a converted column holds only what its text would have given
    without a problem: no empty cell, finite numbers, plausible dates."""
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_string(t) or pa.types.is_dictionary(t):
        return True
    if col.null_count:
        return False
    if pa.types.is_floating(t):
        return bool(pc.all(pc.is_finite(col)).as_py() is not False)
    if pa.types.is_date(t):
        from xlb2b.inputs.dates import EARLIEST_DATE, FUTURE_GRACE_DAYS, _run_day

        lo, hi = pc.min_max(col).values()
        if lo.as_py() is None:
            return True
        latest = (_run_day() + np.timedelta64(FUTURE_GRACE_DAYS, "D")).astype(object)
        return EARLIEST_DATE.astype(object) <= lo.as_py() and hi.as_py() <= latest
    return False


def _record_lines(table, utf8, start: int, end: int, first: int, pa) -> np.ndarray | None:
    """The line number of each record, ``first`` for the first one; a line
    break inside a quoted cell moves every later record down a line.  None when
    the line ends do not add up (a lone CR: the other reader counts them)."""
    import pyarrow.compute as pc

    n = table.num_rows
    rows = first + np.arange(n, dtype=np.int64)
    if utf8.find(b'"', start, end) < 0 and utf8.find(b"\r", start, end) < 0:
        return rows  # no quoted cell, no CR: one line per record
    extra = np.zeros(n, dtype=np.int64)
    breaks = _count_byte(utf8, 10, start, end)
    if breaks != n - 1:  # (else no cell holds a line break)
        for col in table.columns:
            if pa.types.is_string(col.type) and pc.any(pc.match_substring(col, "\n")).as_py():
                extra += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
            elif pa.types.is_dictionary(col.type):
                d = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
                per = pc.count_substring(d.dictionary, "\n").to_numpy(zero_copy_only=False)
                if per.any():
                    extra += per[d.indices.to_numpy(zero_copy_only=False)]
    if breaks != n - 1 + int(extra.sum()):
        return None
    if extra.any():
        rows += np.concatenate(([0], np.cumsum(extra[:-1])))
    return rows


def _count_byte(buf, byte: int, start: int, end: int) -> int:
    """How many times ``byte`` occurs in ``buf[start:end]`` (bytes or a memory map)."""
    if isinstance(buf, bytes):
        return buf.count(bytes([byte]), start, end)
    n, step = 0, 1 << 24
    for a in range(start, end, step):
        b = min(a + step, end)
        n += int(np.count_nonzero(np.frombuffer(buf, dtype=np.uint8, count=b - a, offset=a) == byte))
    return n


def _to_pandas(col, dtype, pa) -> tuple[pd.Series, _Parsed | None]:
    """One Arrow column as the frame's column: text as pandas' arrow-backed
    text, codes as a categorical, numbers as floats, dates as datetime64[ns];
    and, for codes, the column parsed as text when no distinct value needs
    cleaning (no spaces around it, not empty): what :func:`_parse` would give."""
    t = col.type
    if pa.types.is_string(t):
        return pd.Series(dtype.__from_arrow__(col), copy=False), None
    if pa.types.is_dictionary(t):
        return _text_codes(col.combine_chunks() if col.num_chunks != 1 else col.chunk(0), pa)
    if pa.types.is_date(t):
        days = col.to_numpy().astype("datetime64[D]")
        return pd.Series(days.astype("datetime64[ns]"), copy=False), None
    return pd.Series(col.to_numpy(), dtype=np.float64, copy=False), None
