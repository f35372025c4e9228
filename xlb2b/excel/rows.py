"""Fast data rows for workbooks built with XlsxWriter.

XlsxWriter builds everything that has structure (formats, column styles,
tables, defined names, charts, conditional formats); writing each cell
through it costs about ten microseconds, which dominates a sheet of a million
cells.  So the big sheets are left empty in XlsxWriter and their ``<row>``
elements are added to the sheet XML afterwards, a column at a time with
vectorised string operations, exactly as XlsxWriter would write them:
numbers, inline strings, booleans, and formulas with their cached values.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlb2b.io_util import column_letter

ZIP_LEVEL = 3  # deflate level of the data sheets: fast, about 15 % larger than 6

_XL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_XL_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_LEADING_TRAILING_SPACE = re.compile(r"^\s|\s$")
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


@dataclass
class Column:
    """One column of data rows.

    kind: "n" numbers (NaN/inf = empty cell), "s" text (None/NaN = empty),
    "b" booleans, "f" formulas (``values`` without the leading "=") whose
    ``cached`` results are numbers or strings ("" for an empty result).
    ``style``: the XlsxWriter format index; None takes the column's style.
    """

    kind: str
    values: np.ndarray
    cached: np.ndarray | None = None
    style: int | None = None
    escaped: bool = False  # formulas already XML-escaped (escape a template once, not every row)


def escape_text(text: str) -> str:
    """Cell text as XlsxWriter writes it: literal _xHHHH_ escaped, control
    characters as _xHHHH_, then XML-escaped."""
    text = _XL_ESCAPE.sub(r"_x005F\1", text)
    text = _XL_CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def date_serials(values) -> np.ndarray:
    """datetime64 values as Excel serial days (NaT -> NaN)."""
    d = np.asarray(values, dtype="datetime64[ns]")
    out = (d - EXCEL_EPOCH.astype("datetime64[ns]")) / np.timedelta64(1, "D")
    return np.where(np.isnat(d), np.nan, out)


def _number_text(v: np.ndarray) -> np.ndarray:
    """Numbers as XlsxWriter writes them (whole numbers without a point,
    others with 16 significant digits)."""
    w = np.where(np.isfinite(v), v, 0.0)
    whole = (w == np.round(w)) & (np.abs(w) < 1e15)
    out = np.empty(len(v), dtype=object)
    if whole.any():
        out[whole] = list(map(str, w[whole].astype(np.int64).tolist()))
    if (~whole).any():
        out[~whole] = list(map("{:.16G}".format, w[~whole].tolist()))
    return out


def _text_cells(values) -> tuple[np.ndarray, np.ndarray]:
    """(``<is><t>…</t></is>`` fragment per value, missing mask), computed on
    the distinct values only."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    frags = []
    for u in uniques:
        u = str(u)
        space = ' xml:space="preserve"' if _LEADING_TRAILING_SPACE.search(u) else ""
        frags.append(f"<is><t{space}>{escape_text(u)}</t></is>")
    frags.append("")
    return np.asarray(frags, dtype=object)[codes], codes < 0


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _formula_cells(formulas, cached, escaped: bool) -> np.ndarray:
    f = np.asarray(formulas, dtype=object)
    if not escaped:
        f = np.asarray([escape_xml(x) for x in f], dtype=object)
    cached = np.asarray(cached, dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in cached), dtype=bool, count=len(cached))
    out = np.empty(len(cached), dtype=object)
    if is_text.any():
        codes, uniques = pd.factorize(pd.Series(cached[is_text], dtype=object))
        texts = np.asarray([escape_text(u) for u in uniques], dtype=object)[codes]
        out[is_text] = ' t="str"><f>' + f[is_text] + "</f><v>" + texts + "</v></c>"
    if (~is_text).any():
        nums = np.asarray([float(v) if v is not None else 0.0 for v in cached[~is_text]], dtype=float)
        out[~is_text] = "><f>" + f[~is_text] + "</f><v>" + _number_text(nums) + "</v></c>"
    return out


def rows_xml(columns: list[Column], styles: dict[int, str], n_rows: int, *, first_row: int = 2, chunk: int = 20_000):
    """The ``<row>`` elements for rows first_row..first_row+n_rows-1, as UTF-8 chunks."""
    for i0 in range(0, n_rows, chunk):
        i1 = min(n_rows, i0 + chunk)
        rows = np.asarray([str(r) for r in range(first_row + i0, first_row + i1)], dtype=object)
        line = '<row r="' + rows + '">'
        for j, col in enumerate(columns):
            style = col.style if col.style is not None else styles.get(j)
            s = f' s="{style}"' if style is not None else ""
            head = f'<c r="{column_letter(j)}' + rows + '"' + s
            v = col.values[i0:i1]
            if col.kind == "s":
                frag, miss = _text_cells(v)
                cell = head + ' t="inlineStr">' + frag + "</c>"
            elif col.kind == "b":
                miss = pd.isna(v)
                bits = np.where(np.where(miss, False, v).astype(bool), "1", "0").astype(object)
                cell = head + ' t="b"><v>' + bits + "</v></c>"
            elif col.kind == "f":
                miss = np.zeros(len(v), dtype=bool)
                cached = col.cached if col.cached is not None else np.full(len(col.values), "", dtype=object)
                cell = head + _formula_cells(v, cached[i0:i1], col.escaped)
            else:
                v = np.asarray(v, dtype="float64")
                miss = ~np.isfinite(v)
                cell = head + "><v>" + _number_text(v) + "</v></c>"
            if miss.any():
                cell = np.where(miss, "", cell).astype(object)
            line = line + cell
        line = line + "</row>"
        yield "".join(line.tolist()).encode("utf-8")


def column_styles(xml: str) -> dict[int, str]:
    """Column index (0-based) -> the style index of its format, from ``<cols>``."""
    styles = {}
    for attrs in re.findall(r"<col ([^>]*)/>", xml):
        a = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
        if "style" in a:
            for j in range(int(a["min"]) - 1, int(a["max"])):
                styles[j] = a["style"]
    return styles


def add_rows(
    skeleton: bytes,
    filename: str,
    sheets: dict[int, tuple[int, list[Column]]],
    *,
    first_row: int = 2,
    chunk: int = 20_000,
) -> None:
    """Copy the XlsxWriter package ``skeleton`` to ``filename``, adding the
    data rows of the sheets named by their 1-based position (``sheetN.xml``)
    after the rows XlsxWriter wrote (the header)."""
    with (
        zipfile.ZipFile(io.BytesIO(skeleton)) as zin,
        zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            n_rows, columns = sheets.get(int(m.group(1)), (0, [])) if m else (0, [])
            if not n_rows:
                zout.writestr(info, data)
                continue
            xml = data.decode("utf-8")
            before, sep, after = xml.partition("</sheetData>")
            if not sep:
                raise RuntimeError(f"unexpected worksheet XML in {info.filename}")
            styles = column_styles(before)
            last = f"{column_letter(len(columns) - 1)}{first_row + n_rows - 1}"
            before = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', before, count=1)
            with zout.open(info.filename, "w") as f:
                f.write(before.encode("utf-8"))
                for part in rows_xml(columns, styles, n_rows, first_row=first_row, chunk=chunk):
                    f.write(part)
                f.write((sep + after).encode("utf-8"))


def _fast_sheet_class():
    """A worksheet that takes our formulas as written.

    XlsxWriter scans every formula with some thirty regular expressions to add
    the ``_xlfn.`` prefix to newer functions; our formulas use only functions
    of Excel 2016 and carry their prefixes already (``_xlfn.PERCENTILE.INC``),
    so the scan is skipped: it costs more than everything else on a
    20,000-client sheet.  Subclassing the worksheet is XlsxWriter's own
    extension route (``add_worksheet(worksheet_class=...)``)."""
    from xlsxwriter.worksheet import Worksheet

    class FastFormulaWorksheet(Worksheet):
        def _prepare_formula(self, formula, expand_future_functions=False):
            return formula[1:] if formula.startswith("=") else formula

    return FastFormulaWorksheet


def new_workbook(target, *, in_memory: bool = False):
    """An XlsxWriter workbook as all our writers make it: text stays text (no
    formulas, links or numbers guessed from strings), NaN/inf become error
    cells; ``in_memory`` for a BytesIO ``target``."""
    import xlsxwriter

    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": True,
    }
    if in_memory:
        options["in_memory"] = True
    return xlsxwriter.Workbook(target, options)


def client_table_frame(ws, name: str, n: int, headers: list[str], header_format) -> None:
    """The Excel table of a sheet with one row per client (``n`` rows under
    ``headers``): a named table in the style of the analysis, a tall header
    row, the header and the id column frozen."""
    ws.add_table(
        0,
        0,
        max(n, 1),
        len(headers) - 1,
        {
            "name": name,
            "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": header_format} for h in headers],
        },
    )
    ws.set_row(0, 45)
    ws.freeze_panes(1, 1)
