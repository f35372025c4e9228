"""Plausibility warnings: inputs that read cleanly but look suspicious enough to change the analysis.

Each check names what it saw and what the user can do; none changes the data.

* **far in time**: at most 2 % of the lines (and at most 50) lie more than
  365 days before or after every other line.
* **spelling variants**: client ids that are equal once spaces, punctuation,
  quotes, «ё» and the leading zeros of an id of digits are set aside (letter
  case and look-alike Latin/Cyrillic letters are merged by the reader already,
  see ``ids``).
* **copies**: at least 3 consecutive lines repeat, in the same order, 3
  consecutive earlier lines in every field read (client, date, amount and,
  when present, order, item and quantity), as when a block is pasted twice.
* **other columns**: the amount, date or client column was chosen while another
  column's header contains one of that field's names (the reading report
  lists why it was not taken).
* **a comma that could be either separator**: every amount written with a comma
  has exactly three digits after it ("1,250"), so no cell settles whether it
  is 1.25 or 1 250.
* **a subtotal kept as a line**: the last line of a run of three or more lines of
  one client equals the sum of the run's other lines, or the first or last
  line of the table equals the sum of all the others (at least three).  These
  rows have a client and a date, so they are kept (a genuine line can have
  such an amount); the warning says how to remove them if they are sums.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from xlb2b.errors import WARNING
from xlb2b.inputs.context import _Ctx
from xlb2b.inputs.structure import close, fmt_amount
from xlb2b.inputs.values import _arrow_strings

#: lines "far in time": at most this share of the lines ...
FAR_MAX_SHARE = 0.02
#: ... and at most this many ...
FAR_MAX_LINES = 50
#: ... lying more than this many days from every other line
FAR_DAYS = 365
#: fewest lines for the time check
FAR_MIN_LINES = 10
#: a block of at least this many consecutive lines repeating earlier ones is warned about
COPIES_MIN = 3
#: spelling-variant groups named in one warning
VARIANTS_SHOWN = 5

#: look-alike Cyrillic letters written as the Latin ones (a key only: never shown)
_CYRILLIC_LOOKALIKE = str.maketrans("аеорсхукмтнв", "aeopcxykmthb")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _spelling_key(s: str) -> str:
    t = str(s).casefold().replace("ё", "е").translate(_CYRILLIC_LOOKALIKE)
    return _NOT_WORD.sub("", t)


def _spelling_keys(values) -> np.ndarray:
    """:func:`_spelling_keys_raw` with the leading zeros of an id of digits only
    dropped ('000123' and '123': Excel drops them from an id stored as a number)."""
    keys = _spelling_keys_raw(values)
    digits = pd.Series(keys, dtype=object).str.fullmatch(r"0+[0-9]+").fillna(False).to_numpy(dtype=bool)
    if digits.any():
        keys[digits] = [k.lstrip("0") or "0" for k in keys[digits]]
    return keys


def _spelling_keys_raw(values) -> np.ndarray:
    """:func:`_spelling_key` of every value, as an object array.  An ASCII text
    only needs lowering and stripping of everything but letters and digits
    (it holds no Cyrillic letter): pyarrow does that for all of them at once
    when it is installed; the other texts are keyed one by one."""
    texts = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(texts, skipna=False) != "string":
        texts = np.asarray([str(v) for v in texts], dtype=object)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return np.asarray([_spelling_key(t) for t in texts], dtype=object)
    arr = pa.array(texts, type=pa.string())
    keys = pc.replace_substring_regex(pc.ascii_lower(arr), r"[^0-9a-z]+", "")
    out = keys.to_numpy(zero_copy_only=False).astype(object, copy=True)
    other = np.flatnonzero(~pc.string_is_ascii(arr).to_numpy(zero_copy_only=False))
    if len(other):
        out[other] = [_spelling_key(t) for t in texts[other]]
    return out


def _one_pattern(arr) -> bool:
    """Whether distinct ASCII texts are sure to have distinct spelling keys
    because they all follow one fixed pattern: the same length, no capital
    letter, and every other character than a letter or digit at the same
    places ("00-00123", "K/0042"), so removing those characters cannot make
    two of them equal."""
    if len(arr) < 2 or arr.null_count or arr.buffers()[2] is None:
        return False
    off = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    lens = np.diff(off)
    width = int(lens[0])
    if width == 0 or not (lens == width).all():
        return False
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[off[0] : off[-1]].reshape(len(arr), width)
    # capital letters (65-90); digits (48-57) and small letters (97-122) are the letters and digits
    if ((data >= 65) & (data <= 90)).any():
        return False
    other = ~(((data >= 48) & (data <= 57)) | ((data >= 97) & (data <= 122)))
    return bool((other == other[0]).all())


def _ascii_keys(arr, pa, pc):
    """The spelling keys of an array of ASCII texts: lowered, and every
    character but letters and digits removed.  When the texts hold only a
    few such characters (the usual "-", " ", "/"), each is removed as a plain
    substring, which is much faster than the regular expression."""
    low = pc.ascii_lower(arr)
    data = arr.buffers()[2]
    if data is None:
        return low
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    alnum = np.zeros(256, dtype=bool)
    alnum[48:58] = alnum[65:91] = alnum[97:123] = True
    other = np.flatnonzero((counts > 0) & ~alnum)
    if len(other) > 8:
        return pc.replace_substring_regex(low, r"[^0-9a-z]+", "")
    for b in other:
        low = pc.replace_substring(low, chr(int(b)), "")
    return low


def _shared_keys(values) -> tuple[np.ndarray, np.ndarray]:
    """Which of the distinct ``values`` share their :func:`_spelling_key` with
    another one, and the keys of those (in their order).  With pyarrow and
    ASCII texts only (the usual ids), the keys are made, hashed and counted
    inside pyarrow, and only the shared ones become Python objects."""
    texts = np.asarray(values, dtype=object)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        pa = None
    if pa is not None and pd.api.types.infer_dtype(texts, skipna=False) == "string":
        arr = _arrow_strings(texts, pa)
        if pc.all(pc.string_is_ascii(arr)).as_py():
            if _one_pattern(arr):
                return np.zeros(len(texts), dtype=bool), np.zeros(0, dtype=object)
            keys = _ascii_keys(arr, pa, pc)
            if pc.any(pc.starts_with(keys, "0")).as_py():  # '000123' and '123' (see _spelling_keys)
                keys = pc.replace_substring_regex(keys, r"^0+([0-9]+)$", r"\1")
            codes = keys.dictionary_encode().indices.to_numpy(zero_copy_only=False)
            dup = np.bincount(codes, minlength=1)[codes] > 1
            if not dup.any():
                return dup, np.zeros(0, dtype=object)
            return dup, keys.filter(pa.array(dup)).to_numpy(zero_copy_only=False).astype(object)
    keys = pd.Series(_spelling_keys(texts))
    dup = keys.duplicated(keep=False).to_numpy()
    return dup, keys[dup].to_numpy()


def _rows(rows, limit: int = 5) -> str:
    rows = [int(r) for r in rows]
    s = ", ".join(map(str, rows[:limit]))
    return f"row{'s' if len(rows) > 1 else ''} {s}" + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def check(
    data: pd.DataFrame,
    ctx: _Ctx,
    columns: dict[str, str],
    reading,
    amount_cells: pd.Series | None = None,
    amount_rows: np.ndarray | None = None,
) -> list[str]:
    """Add a warning to the report (and to ``reading.warnings``) for every suspicious trait;
    ``amount_cells``/``amount_rows``: the amount column's cells as read, and their row numbers."""
    found: list[tuple[str, int | None, str]] = []  # (text, row, column)
    if amount_cells is not None and amount_rows is not None and "amount" in data:
        found += _ambiguous_comma(amount_cells, amount_rows, data, columns.get("amount", "amount"))
    if len(data) and "date" in data:
        found += _far_in_time(data, columns.get("date", "date"))
    if len(data) and "client_id" in data:
        codes, uniq = _codes(data["client_id"])
        found += _spelling(data, codes, uniq, columns.get("client_id", "client_id"))
        found += _scientific(data, codes, uniq, columns.get("client_id", "client_id"))
        if "amount" in data:
            found += _copies(data, codes)
            found += _kept_sums(data, codes, columns.get("amount", "amount"))
    found += _other_columns(reading)
    for text, row, column in found:
        ctx.report.problems.append(ctx.problem(text, row=row, column=column, severity=WARNING))
        reading.warnings.append(text)
    return [t for t, _r, _c in found]


def _codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column and its distinct values (categorical columns have them already)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(dtype=np.int64), np.asarray(s.cat.categories, dtype=object)
    codes, uniq = pd.factorize(s, sort=False)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


def _far_in_time(data: pd.DataFrame, column: str) -> list[tuple[str, int | None, str]]:
    d = data["date"].to_numpy(dtype="datetime64[ns]").view(np.int64) // 86_400_000_000_000
    n = len(d)
    if n < FAR_MIN_LINES:
        return []
    k = min(max(1, int(FAR_MAX_SHARE * n)), FAR_MAX_LINES)
    out: list[tuple[str, int | None, str]] = []
    rows = data["row"].to_numpy()
    # only the k+2 earliest and the k+2 latest dates matter: no sort of the whole column
    m = k + 2
    if n > 2 * m:
        part = np.argpartition(d, [m - 1, n - m])
        lo = part[:m][np.argsort(d[part[:m]], kind="stable")]
        hi = part[n - m :][np.argsort(d[part[n - m :]], kind="stable")]
        order = np.empty(n, dtype=np.int64)  # filled at both ends only
        order[:m], order[n - m :] = lo, hi
        s = np.zeros(n, dtype=np.int64)
        s[:m], s[n - m :] = d[lo], d[hi]
    else:
        order = np.argsort(d, kind="stable")
        s = d[order]
    # late lines: a gap among the last k+1 sorted dates
    gaps = np.diff(s[n - k - 1 :])
    if len(gaps) and gaps.max() > FAR_DAYS:
        i = n - k - 1 + int(np.argmax(gaps)) + 1
        tail = np.sort(rows[order[i:]])
        first, last = pd.Timestamp(s[i], unit="D"), pd.Timestamp(s[-1], unit="D")
        rest_end = pd.Timestamp(s[i - 1], unit="D")
        out.append(
            (
                f"{n - i} line(s) dated {first:%Y-%m-%d}"
                + (f" to {last:%Y-%m-%d}" if last != first else "")
                + f" ({_rows(tail)}) lie {int(s[i] - s[i - 1]):,} days after every other line (the others "
                f"end {rest_end:%Y-%m-%d}); the default window ends with the latest month, so it would "
                "hold almost only them. Check those dates, or give the window with --start/--end",
                int(tail[0]),
                column,
            )
        )
    gaps = np.diff(s[: k + 1])
    if len(gaps) and gaps.max() > FAR_DAYS:
        i = int(np.argmax(gaps)) + 1
        head = np.sort(rows[order[:i]])
        first, last = pd.Timestamp(s[0], unit="D"), pd.Timestamp(s[i - 1], unit="D")
        rest = pd.Timestamp(s[i], unit="D")
        out.append(
            (
                f"{i} line(s) dated {first:%Y-%m-%d}"
                + (f" to {last:%Y-%m-%d}" if last != first else "")
                + f" ({_rows(head)}) lie {int(s[i] - s[i - 1]):,} days before every other line (the "
                f"others start {rest:%Y-%m-%d}); they set the first purchase, tenure and LTV of their "
                "clients. Check those dates, or leave them out with --start",
                int(head[0]),
                column,
            )
        )
    return out


#: a client id as Excel shows a long number in a General cell: a mantissa, ``E+`` and an exponent
#: of 5 or more (``1.23457E+11``, ``1,23457E+11``, ``1E+15``); the digits not shown are lost
_SCIENTIFIC = re.compile(r"^[+-]?\d(?:[.,]\d+)?[Ee]\+?(?:[5-9]|\d{2,})$")


def _scientific(
    data: pd.DataFrame, codes: np.ndarray, uniq: np.ndarray, column: str
) -> list[tuple[str, int | None, str]]:
    """Client ids that are long numbers written in scientific notation: different clients may
    share one of them, and nothing in the file can tell them apart."""
    hit = [j for j, u in enumerate(uniq) if isinstance(u, str) and _SCIENTIFIC.match(u.strip())]
    if not hit:
        return []
    rows = data["row"].to_numpy()
    texts, first = [], None
    for j in hit[:VARIANTS_SHOWN]:
        its = np.sort(rows[codes == j])
        first = int(its[0]) if first is None else min(first, int(its[0]))
        texts.append(f"{str(uniq[j])!r} ({len(its)} line{'s' * (len(its) != 1)}, {_rows(its)})")
    more = f"; and {len(hit) - VARIANTS_SHOWN} more such ids" if len(hit) > VARIANTS_SHOWN else ""
    return [
        (
            f"client ids written in scientific notation: {'; '.join(texts)}{more}. Excel shows a long number "
            "(an INN, a client code) this way in a General cell, and the export kept only the digits shown, so "
            "different clients may have been merged under one such id and the figures of each are unknown; "
            "they were read as written. Export again with the id column formatted as Text (or use a client "
            "code column)",
            first,
            column,
        )
    ]


def _spelling(
    data: pd.DataFrame, codes: np.ndarray, uniq: np.ndarray, column: str
) -> list[tuple[str, int | None, str]]:
    if len(uniq) < 2:
        return []
    dup, shared = _shared_keys(uniq)
    if not dup.any():
        return []
    first_row = pd.Series(data["row"].to_numpy()).groupby(codes).min()
    groups = pd.Series(np.flatnonzero(dup)).groupby(shared, sort=False)
    texts = []
    for _k, members in groups:
        m = sorted(members.tolist(), key=lambda j: first_row[j])
        texts.append(" and ".join(f"{str(uniq[j])!r} (first in row {int(first_row[j])})" for j in m))
    more = f"; and {len(texts) - VARIANTS_SHOWN} more such groups" if len(texts) > VARIANTS_SHOWN else ""
    return [
        (
            f"client ids that differ only in spaces, punctuation, quotes or leading zeros are analysed as "
            f"different clients (ids differing only in letter case or look-alike letters are merged already): "
            f"{'; '.join(texts[:VARIANTS_SHOWN])}{more}. If they are one client, make the ids identical "
            "in the source (or use a client code column; Excel drops the leading zeros of an id stored as "
            "a number: format the id column as Text)",
            None,
            column,
        )
    ]


def _copies(data: pd.DataFrame, codes: np.ndarray) -> list[tuple[str, int | None, str]]:
    cols = [c for c in ("client_id", "date", "amount", "order_id", "sku", "quantity") if c in data]
    n = len(data)
    if n < 2 * COPIES_MIN:
        return []
    # one 64-bit hash per line from the fields' codes; the lines it pairs are compared exactly below
    h = np.zeros(n, dtype=np.uint64)
    for j, c in enumerate(cols):
        if c == "client_id":
            v = codes.astype(np.int64, copy=False).view(np.uint64)  # the same bits, no copy
        elif c == "date":
            v = data[c].to_numpy(dtype="datetime64[ns]").view(np.uint64)
        elif pd.api.types.is_float_dtype(data[c].dtype):
            v = np.nan_to_num(data[c].to_numpy(dtype=np.float64), nan=-0.5).view(np.uint64)
        else:
            v = _codes(data[c])[0].astype(np.uint64)
        with np.errstate(over="ignore"):
            h = (h ^ v) * np.uint64(0x100000001B3 + 2 * j)
    # a line can only repeat another, or be repeated, when its hash shares a bucket with another
    # line's: only those lines are hashed exactly (a quarter or so of them)
    bucket = (h >> np.uint64(40)).astype(np.int64) & ((1 << 22) - 1)
    cand = np.flatnonzero(np.bincount(bucket, minlength=1 << 22)[bucket] > 1)
    gid, _u = pd.factorize(h[cand])
    if len(cand) - len(_u) < COPIES_MIN:
        return []  # the usual case: no line repeats another
    first = np.empty(len(_u), dtype=np.int64)
    first[gid[::-1]] = cand[::-1]  # the last write wins: each hash's first line
    # the lines that repeat an earlier one (in line order) and that line; the rest of the check
    # works on these few lines only
    orig = first[gid]
    later = orig != cand
    idx, orig = cand[later], orig[later]
    if len(idx):  # a hash shared by different lines is not a copy
        same = np.ones(len(idx), dtype=bool)
        for c in cols:
            a, b = data[c].iloc[idx].to_numpy(), data[c].iloc[orig].to_numpy()
            same &= (a == b) | (pd.isna(a) & pd.isna(b))
        idx, orig = idx[same], orig[same]
    if len(idx) < COPIES_MIN:
        return []
    # a copy continues a block when the line before it is a copy of the line before its original
    cont = np.r_[False, (idx[1:] == idx[:-1] + 1) & (orig[1:] == orig[:-1] + 1)]
    block = np.cumsum(~cont)
    sizes = np.bincount(block)
    in_blocks = sizes[block] >= COPIES_MIN
    k = int(in_blocks.sum())
    if k < COPIES_MIN:
        return []
    rows = data["row"].to_numpy()
    copies, originals = rows[idx[in_blocks]], rows[orig[in_blocks]]
    return [
        (
            f"{k:,} lines ({_rows(copies)}) repeat, in the same order, earlier lines ({_rows(originals)}) in "
            f"every field read ({', '.join(cols)}); if the data was pasted or exported twice, remove the "
            "copies; if they are genuine repeated sales, nothing to do",
            int(copies[0]),
            "",
        )
    ]


def _kept_sums(data: pd.DataFrame, codes: np.ndarray, column: str) -> list[tuple[str, int | None, str]]:
    out: list[tuple[str, int | None, str]] = []
    amt = data["amount"].to_numpy(dtype=np.float64)
    rows = data["row"].to_numpy()
    n = len(amt)
    start = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    end = np.r_[start[1:], n]  # exclusive
    long_ = (end - start) >= 3
    if long_.any():
        csum = np.r_[0.0, np.cumsum(amt)]
        s, e = start[long_], end[long_]
        others = csum[e - 1] - csum[s]
        last = amt[e - 1]
        tol = 0.005 * (e - s - 1) + 1e-9 * np.abs(others)
        hit = (np.abs(last - others) <= tol) & (np.abs(last) > 0)
        for a, b in zip(s[hit], e[hit]):
            out.append(
                (
                    f"the line in row {int(rows[b - 1])} ({fmt_amount(amt[b - 1])}) equals the sum of the "
                    f"lines above it of the same client ({_rows(rows[a : b - 1])}); it has a date, so it is "
                    "kept as a line. If it is a subtotal, delete it (or clear its date) and read again",
                    int(rows[b - 1]),
                    column,
                )
            )
    if n >= 4:
        total = float(amt.sum())
        for i in (0, n - 1):
            if amt[i] and close(amt[i], total - amt[i], n - 1):
                out.append(
                    (
                        f"the line in row {int(rows[i])} ({fmt_amount(amt[i])}) equals the sum of all the "
                        "other lines: it looks like a grand total read as a line, which doubles the "
                        "revenue. If it is a total, delete it (or clear its date) and read again",
                        int(rows[i]),
                        column,
                    )
                )
    return out


_AMBIGUOUS = re.compile(r"^[-+(]?\d{1,3},\d{3}\)?$")
_CURRENCY = re.compile(r"[\s\u00a0₽$€]|руб\.?|р\.")


def _ambiguous_comma(
    cells: pd.Series, rows: np.ndarray, data: pd.DataFrame, column: str
) -> list[tuple[str, int | None, str]]:
    if cells.dtype != object or not len(cells):
        return []
    first = None
    for v in pd.unique(cells.to_numpy()):  # stops at the first cell that settles the separator
        if isinstance(v, str) and "," in v:
            if not _AMBIGUOUS.match(_CURRENCY.sub("", v)):
                return []
            first = first or v
    if first is None:
        return []
    pos = np.flatnonzero(cells.to_numpy() == first)
    if not len(pos):
        return []
    row = int(rows[pos[0]])
    got = data.loc[data["row"].to_numpy() == row, "amount"]
    if got.empty:
        return []
    value = float(got.iloc[0])
    how = "a decimal comma" if not float(value).is_integer() else "a thousands separator"
    return [
        (
            f"every amount written with a comma has exactly three digits after it (such as {first!r} in row "
            f"{row}, read as {value:g}): the comma was read as {how}, and no cell of the column settles it. "
            "If that is wrong, write the amounts as numbers in the workbook, or save the CSV with the other "
            "separator",
            row,
            column,
        )
    ]


def _other_columns(reading) -> list[tuple[str, int | None, str]]:
    out: list[tuple[str, int | None, str]] = []
    for fs in reading.fields:
        if fs.name not in ("client_id", "date", "amount"):
            continue
        named = [c for c, why in fs.alternatives if why.startswith("its header contains")]
        if named:
            out.append(
                (
                    f"{fs.name} was read from {fs.column!r}, but {', '.join(named)} could also be it "
                    f"(its header contains a name of this field); if it should be used, name it: "
                    f"--map {fs.name}=<header> (mapping={{{fs.name!r}: '<header>'}} in Python)",
                    None,
                    fs.column,
                )
            )
    return out
