"""Small file helpers shared by every reader and writer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Let ``write(tmp_name)`` fill a temporary file in the same folder, sync
    it, then rename it over ``path``: a reader never sees a half-written file
    and a failed write leaves the old file untouched.  A symbolic link is
    followed: the file it points at is replaced and the link kept."""
    path = Path(path)
    if path.is_symlink():
        # write the file the link points at: replacing the link itself would leave the
        # user's file as it was and turn the link into a copy
        path = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file private; give it the mode of the file it replaces (a private
        # workbook stays private, a shared one shared), else the mode a plain open() would
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        try:
            os.replace(tmp, path)
        except OSError as e:
            # name the file the user knows, not our temporary one (a workbook open in Excel
            # on Windows, a read-only file or folder)
            raise type(e)(
                e.errno,
                f"{e.strerror or e}: it could not be replaced; close it in the program that has it open "
                "and check that it is not read-only",
                str(path),
            ) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    atomic_write(path, write)


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA" (Excel column names)."""
    name = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        name = chr(65 + r) + name
    return name


#: first characters that make a spreadsheet read a CSV cell as a formula (OWASP "CSV Injection")
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_text(value: object) -> object:
    """A text value with a leading single quote when it begins with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return, so that a spreadsheet
    opening the CSV shows it as text instead of evaluating it (OWASP's advice
    on CSV injection).  Anything that is not ``str`` (numbers, dates, empty
    cells) is returned unchanged."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def csv_safe_frame(frame):
    """A copy of ``frame`` whose text cells pass through :func:`csv_safe_text`;
    numeric, boolean and date columns are left as they are (numbers stay
    numbers).  Categorical columns are rewritten through their categories."""
    import pandas as pd

    out = {}
    changed = False
    for name in frame.columns:
        s = frame[name]
        if isinstance(s, pd.DataFrame):  # duplicated column labels: leave as is
            return frame
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = pd.Index(dtype.categories)
            if cats.dtype == object or isinstance(cats.dtype, pd.StringDtype):
                safe = cats.map(csv_safe_text)
                if not safe.equals(cats):
                    if safe.is_unique:
                        s = s.cat.rename_categories(safe)
                    else:
                        s = s.astype(object).map(csv_safe_text)
                    changed = True
        elif pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            safe = s.map(csv_safe_text)
            if not safe.equals(s):
                s, changed = safe, True
        out[name] = s
    if not changed:
        return frame
    return pd.DataFrame(out, index=frame.index)[list(frame.columns)]
