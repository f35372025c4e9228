"""Users' workbooks for the tests that add our sheets to them: data, a formula, a defined name, a chart, macros."""

from __future__ import annotations

import zipfile
from pathlib import Path


def xlwings_vba() -> bytes:
    """The VBA project of xlwings' quickstart.xlsm (a macro project Excel itself saved)."""
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart.xlsm") as z:
        return z.read("xl/vbaProject.bin")


def user_book(path: Path, vba: bytes | None = None, *, clients_sheet: bool = True) -> None:
    """A sheet Budget with 10, 20, 30 and ``=SUM(A1:A3)`` saved as 60 in A4, the name
    ``budget_total`` on that cell, a column chart of A1:A3; ``clients_sheet``: also a
    sheet named Clients (the name the analysis' own Clients sheet wants); ``vba``: the
    macro project (give the path an .xlsm name)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Budget")
    ws.write_column(0, 0, [10, 20, 30])
    ws.write_formula(3, 0, "=SUM(A1:A3)", None, 60)
    wb.define_name("budget_total", "=Budget!$A$4")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Budget!$A$1:$A$3"})
    ws.insert_chart("C2", chart)
    if clients_sheet:
        wb.add_worksheet("Clients").write_string(0, 0, "our own client list")
    if vba is not None:
        bin_path = path.with_suffix(".bin")
        bin_path.write_bytes(vba)
        wb.add_vba_project(str(bin_path))
    wb.close()
