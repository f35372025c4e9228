"""The sample workbook for xlwings Lite, with the sheet buttons main.py binds its scripts to.

The sample workbook for xlwings Lite: a "B2B" sheet with the sheet buttons
that ``udfs/lite/main.py`` binds its scripts to, and small sample data.

xlwings Lite runs a script when the cell named in ``@script(button="[shape]Sheet!Cell")``
is selected; a shape that carries a link to that cell (and covers it) selects it
when clicked. Each button here is a text box named ``xlb2b_<button tag>`` with
an internal link to the cell under it.

Usage::

    python -m udfs.lite.build xlb2b-lite.xlsx
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pandas as pd
import xlsxwriter

from xlb2b.io_util import atomic_write
from xlb2b.sample import generate

__all__ = ["SHEET", "SHEET_BUTTONS", "build_lite_workbook", "button_binding"]

SHEET = "B2B"
#: button tag -> (cell the button covers and links to, label); "adp" and
#: "fill_template" (selected client) have none: clicking a sheet button moves
#: the selection
SHEET_BUTTONS: dict[str, tuple[str, str]] = {
    "analyze": ("B4", "Analyze client base"),
    "adp_a": ("B6", "Build ADPs for A clients"),
    "bcg": ("B8", "Add BCG scoring"),
    "checklist": ("B10", "Add progress checklist"),
    "refresh": ("B12", "Refresh"),
    "settings": ("B14", "Settings"),
    "help": ("B16", "Help"),
    "refresh_report": ("B18", "Refresh report tables"),
    "dynamics": ("B20", "Analyze with two windows"),
}


def shape_name(tag: str) -> str:
    return f"xlb2b_{tag}"


def button_binding(tag: str) -> str:
    """The ``button=`` argument of the Lite script of ``tag``: ``[xlb2b_analyze]B2B!B4``."""
    return f"[{shape_name(tag)}]{SHEET}!{SHEET_BUTTONS[tag][0]}"


def _name_shapes(xlsx: str, names: list[str]) -> None:
    """Give the text boxes of the first sheet's drawing their names (XlsxWriter
    calls them "TextBox 1", "TextBox 2"... in insertion order)."""
    part = "xl/drawings/drawing1.xml"
    with zipfile.ZipFile(xlsx) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    out = []
    for info, data in entries:
        if info.filename == part:
            xml = data.decode("utf-8")
            for i, name in enumerate(names, start=1):
                old = f'name="TextBox {i}"'
                if xml.count(old) != 1:
                    raise RuntimeError(f"{part}: expected one shape {old}")
                xml = xml.replace(old, f'name="{name}"')
            data = xml.encode("utf-8")
        out.append((info, data))
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in out:
            z.writestr(info, data)


def _write_table(wb, name: str, df: pd.DataFrame, date_fmt, money_fmt) -> None:
    ws = wb.add_worksheet(name)
    df = df.reset_index(drop=True)
    ws.write_row(0, 0, list(df.columns), wb.add_format({"bold": True, "bottom": 1}))
    for j, col in enumerate(df.columns):
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            for i, v in enumerate(s):
                if pd.notna(v):
                    ws.write_datetime(i + 1, j, v.to_pydatetime(), date_fmt)
        else:
            fmt = money_fmt if col in ("amount", "cost", "overdue_amount") else None
            for i, v in enumerate(s.tolist()):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                ws.write(i + 1, j, v.isoformat() if hasattr(v, "isoformat") else v, fmt)
        ws.set_column(j, j, max(10, min(28, len(str(col)) + 4)))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(df), len(df.columns) - 1)


def build_lite_workbook(path: str | Path, *, n_clients: int = 40, seed: int = 2024) -> Path:
    """Write the sample workbook ``path`` (.xlsx): sheet "B2B" with the buttons,
    sheets Transactions, Clients and Market with ``n_clients`` sample clients
    (one year). Written atomically; returns the path."""
    path = Path(path)
    data = generate(n_clients, years=1, seed=seed)

    def write(tmp: str) -> None:
        wb = xlsxwriter.Workbook(tmp)
        wb.set_properties({"title": "xlb2b sample for xlwings Lite"})
        ws = wb.add_worksheet(SHEET)
        ws.set_column("A:A", 3)
        ws.set_column("B:B", 34)
        ws.set_column("C:C", 3)
        ws.set_column("D:D", 70)
        ws.write("B1", "xlb2b: B2B client-base analysis", wb.add_format({"bold": True, "font_size": 16}))
        ws.write(
            "B2",
            f"Sample data: {n_clients} clients, our supplier {data.our_supplier!r}. "
            "Open xlwings Lite once, then click a button.",
        )
        note = wb.add_format({"text_wrap": True, "valign": "vcenter"})
        notes = {
            "analyze": "Reads Transactions, Clients and Market and writes the analysis sheets.",
            "adp_a": "Account Development Plan sheets for every ABC class A client.",
            "bcg": "BCG portfolio scoring with its bubble chart.",
            "checklist": "Progress checklist (levels 1..5) for the account plans.",
            "refresh": "Recomputes the analysis sheets with the current settings.",
            "settings": "Opens the Settings sheet (window, cut points, weights).",
            "help": "What each button does.",
            "refresh_report": "Writes the analysis into this workbook's named report tables (summary_abc...).",
            "dynamics": "The analysis and the nine two-window sheets (previous window against the analysis window).",
        }
        for tag, (cell, label) in SHEET_BUTTONS.items():
            row = int(cell[1:]) - 1
            ws.set_row(row, 30)
            ws.insert_textbox(
                cell,
                label,
                {
                    "object_name": shape_name(tag),
                    "url": f"internal:{SHEET}!{cell}",
                    "tip": label,
                    "width": 240,
                    "height": 38,
                    "x_offset": 2,
                    "y_offset": 1,
                    "fill": {"color": "#1F4E79"},
                    "line": {"color": "#1F4E79"},
                    "font": {"color": "white", "bold": True, "size": 11},
                    "align": {"vertical": "middle", "horizontal": "center"},
                },
            )
            ws.write(row, 3, notes[tag], note)
        ws.write(
            "B18",
            "Build ADP for selected client: select the client's row on Clients, "
            "then run build_adp from the xlwings Lite task pane.",
            note,
        )
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        money_fmt = wb.add_format({"num_format": "#,##0.00"})
        _write_table(wb, "Transactions", data.transactions, date_fmt, money_fmt)
        _write_table(wb, "Clients", data.clients, date_fmt, money_fmt)
        _write_table(wb, "Market", data.market, date_fmt, money_fmt)
        ws.activate()
        wb.close()
        _name_shapes(tmp, [shape_name(tag) for tag in SHEET_BUTTONS])

    atomic_write(path, write)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = build_lite_workbook(args[0] if args else "xlb2b-lite.xlsx")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
