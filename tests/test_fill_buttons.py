"""The two template buttons through xlwings' Office.js code path: "Fill
template for selected client" copies the template sheet and writes the named
cells of the copy; "Refresh report tables" writes the named report tables,
grows them with the first data row's formatting, redefines the names, and
refuses (writing nothing) when a table cannot grow. Action counts stay within
tens per press."""
from officejs import server_imports

with server_imports():
    import xlwings as xw  # noqa: E402
    from xlwings.server import custom_scripts_call  # noqa: E402

    from udfs import scripts as S  # noqa: E402

import asyncio  # noqa: E402

from test_fill import TX  # noqa: E402

HEAD = ["client", "date", "order", "sku", "amount", "quantity"]


def _sheet(name, values):
    return {"name": name, "values": values, "pictures": [], "shapes": [], "charts": [], "notes": [],
            "tables": [], "print_area": None, "show_gridlines": True, "pivot_tables": []}


def _name(name, refers, sheets, scope=None):
    sheet, addr = refers[1:].split("!")
    sheet = sheet.strip("'")
    return {"name": name, "refers_to": refers, "sheet_index": sheets.index(sheet), "address": addr.replace("$", ""),
            "book_scope": scope is None, "scope_sheet_index": None if scope is None else sheets.index(scope),
            "scope_sheet_name": scope}


def _data_sheets():
    tx = [HEAD] + [[c, d, o, s, a, q] for c, d, o, s, a, q in TX]
    clients = [["client", "name", "industry", "manager"], ["C1", "Alpha LLC", "Clinic", "Anna"],
               ["C2", "Beta", "Lab", "Boris"], ["C3", "Gamma", "Clinic", "Anna"]]
    return [("Transactions", tx), ("Clients", clients)]


def _book(sheets, names, selection="A1", active=0):
    return xw.Book(json={"client": "Office.js", "version": xw.__version__,
                         "book": {"name": "Plans.xlsx", "active_sheet_index": active, "selection": selection},
                         "sheets": [_sheet(n, v) for n, v in sheets], "names": names})


def _run(book, script):
    asyncio.run(custom_scripts_call(S, script, typehint_to_value={xw.Book: book}))
    return book.json()["actions"]


def _writes(actions):
    return {(a["sheet_position"], a["start_row"], a["start_column"]): a["values"]
            for a in actions if a["func"] == "setValues"}


def _template_book():
    sheets = _data_sheets() + [("Plan", [[""] * 6 for _ in range(50)])]
    order = [n for n, _ in sheets]
    names = [_name(n, f"=Plan!{ref}", order, scope="Plan") for n, ref in
             [("company", "$B$5"), ("financials", "$E$13:$F$20"), ("ratings", "$B$36:$B$41"),
              ("need", "$B$44"), ("our_revenue", "$B$47"), ("forecast", "$B$50"), ("notes", "$C$3")]]
    return _book(sheets, names, selection="A2", active=1)      # Clients!A2 holds C1


def test_fill_template_copies_the_sheet_and_writes_the_named_cells():
    actions = _run(_template_book(), "fill_template_for_client")
    funcs = [a["func"] for a in actions]
    assert funcs.count("copySheet") == 1 and "alert" in funcs
    rename = [a for a in actions if a["func"] == "setSheetName"]
    assert rename and rename[0]["args"][0] == "Alpha LLC"
    w = _writes(actions)
    copy = 3                                              # after Transactions, Clients, Plan
    assert w[(copy, 4, 1)] == [["Alpha LLC"]]
    assert w[(copy, 12, 4)] == [[1000, 2000], [1000, 2000], [1000, 1000], [1, 2], [100, 2000 / 15],
                               [10, 7.5], [10, 15], [1, 2]]
    assert w[(copy, 35, 1)] == [[3]]                       # only the DSL level of the six ratings
    assert w[(copy, 43, 1)] == [[""]] and w[(copy, 46, 1)] == [[2000]]   # no market table: need empty
    assert (copy, 49, 1) not in w                          # the forecast stays the template's formula
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] != copy]
    assert len(actions) <= 15


def test_fill_template_without_template_names_says_so():
    book = _book(_data_sheets(), [], selection="A2", active=1)
    actions = _run(book, "fill_template_for_client")
    assert [a["func"] for a in actions] == ["alert"] and "docs/templates.md" in actions[0]["args"][0]


def _report_book(blocked=False):
    monthly = [[""] * 16 for _ in range(10)]
    monthly[4] = [0] * 16
    monthly[5] = [0] * 16
    if blocked:
        monthly[6][1] = "note"
    sheets = _data_sheets() + [("Monthly", monthly)]
    order = [n for n, _ in sheets]
    return _book(sheets, [_name("summary_abc", "=Monthly!$A$5:$P$6", order),
                          _name("window_start", "=Monthly!$B$2", order)])


def test_refresh_report_grows_the_table_and_redefines_its_name():
    actions = _run(_report_book(), "refresh_report_tables")
    w = _writes(actions)
    rows = w[(2, 4, 0)]
    # default window: the 12 months to September 2025 (the last order), so C3 has 200 + 800;
    # by revenue: C2 3000 A, C1 2000 (share before 0.5) A, C3 1000 (0.833) B; total 6000
    assert [r[0] for r in rows] == ["A", "B", "Total"] and [r[1] for r in rows] == [5000, 1000, 6000]
    fmt = [a for a in actions if a["func"] == "copyFromRange"]
    assert len(fmt) == 2 and all(a["args"][2] == "formats" for a in fmt)
    refers = [a for a in actions if a["func"] == "setNameRefersTo"]
    assert refers and refers[0]["args"][0] == "summary_abc" and refers[0]["args"][3] == "='Monthly'!$A$5:$P$7"
    assert len(actions) <= 12


def test_refresh_report_refuses_when_something_is_below():
    actions = _run(_report_book(blocked=True), "refresh_report_tables")
    assert [a["func"] for a in actions] == ["alert"]
    assert "summary_abc" in actions[0]["args"][0] and "B7" in actions[0]["args"][0]


def test_refresh_report_resizes_an_excel_table_named_like_a_report_table():
    monthly = [[""] * 16 for _ in range(10)]
    sheets = _data_sheets() + [("Monthly", monthly)]
    book = _book(sheets, [])
    table = {"name": "summary_abc", "range_address": "$A$4:$P$6", "header_row_range_address": "$A$4:$P$4",
             "data_body_range_address": "$A$5:$P$6", "total_row_range_address": None, "show_headers": True,
             "show_totals": False, "show_autofilter": True, "table_style": "TableStyleMedium2"}
    book.api["sheets"][2]["tables"] = [table]
    actions = _run(book, "refresh_report_tables")
    resize = [a for a in actions if a["func"] == "resizeTable"]
    assert resize and resize[0]["args"] == [0, "$A$4:$P$7"]         # header row 4, three data rows
    rows = _writes(actions)[(2, 4, 0)]
    assert [r[0] for r in rows] == ["A", "B", "Total"] and [r[1] for r in rows] == [5000, 1000, 6000]
    assert not [a for a in actions if a["func"] == "setNameRefersTo"]
