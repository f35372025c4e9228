"""The button scripts through xlwings' Office.js code path.

Each script runs through ``xlwings.server.custom_scripts_call`` on an
``xw.Book(json=...)`` (noncommercial key, as in xlwings Server) and the
actions it sends back to Excel are checked: sheets added, the cells written
(compared with the file our same layout code writes through XlsxWriter, an
independent renderer), validation, names, charts, and that the sheets already
in the book are left alone.
"""
from officejs import server_imports

with server_imports():
    import xlwings as xw  # noqa: E402
    from xlwings.server import custom_scripts_call, custom_scripts_meta  # noqa: E402

    from udfs import scripts as S  # noqa: E402

import asyncio  # noqa: E402
import datetime as dt  # noqa: E402
import re  # noqa: E402

import openpyxl  # noqa: E402
import pytest  # noqa: E402

from xlb2b import sample  # noqa: E402
from xlb2b.excel import adp_sheets as adp  # noqa: E402
from xlb2b.excel.analysis_sheets import write_analysis_workbook  # noqa: E402
from xlb2b.excel.live import excel_text  # noqa: E402
from xlb2b.locale import labels  # noqa: E402
from xlb2b.pipeline import analyze  # noqa: E402


def _sheet(name, values):
    return {"name": name, "values": values, "pictures": [], "shapes": [], "charts": [], "notes": [],
            "tables": [], "print_area": None, "show_gridlines": True, "pivot_tables": []}


def _cell(v):
    """A value as Office.js sends it to xlwings: dates as ISO text, empty as ""."""
    if isinstance(v, (dt.datetime, dt.date)) or hasattr(v, "isoformat"):
        return v.isoformat()[:19] + ".000Z"
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v


def sample_rows():
    """A 40-client sample and its transactions as the rows of a sheet sent by Office.js."""
    d = sample.generate(40, seed=3)
    tx = d.transactions
    rows = [list(tx.columns)] + [[_cell(v) for v in r] for r in tx.itertuples(index=False)]
    return d, rows


@pytest.fixture(scope="module")
def data():
    return sample_rows()


def make_book(sheets, selection="A1", active=0, names=None):
    return xw.Book(json={"client": "Office.js", "version": xw.__version__,
                         "book": {"name": "Sales.xlsx", "active_sheet_index": active, "selection": selection},
                         "sheets": [_sheet(n, v) for n, v in sheets], "names": names or []})


def run(book, script):
    asyncio.run(custom_scripts_call(S, script, typehint_to_value={xw.Book: book}))
    return book.json()["actions"]


def added_sheets(actions):
    """Sheets the user sees added: new sheets and named copies (not the
    hidden sheets that hold a shared layout)."""
    out = []
    for i, a in enumerate(actions):
        if a["func"] == "addSheet" and not a["args"][1].startswith("xlb2b layout "):
            out.append(a["args"][1])
        elif a["func"] == "setSheetName" and i and actions[i - 1]["func"] == "copySheet":
            out.append(a["args"][0])
    return out


def alerts(actions):
    return [a["args"][0] for a in actions if a["func"] == "alert"]


def grids(actions, book_sheets):
    """{sheet name: {(row, col): written entry}} from the setFormula actions."""
    out = {}
    for a in actions:
        if a["func"] == "setFormula":
            name = book_sheets[a["sheet_position"]]
            g = out.setdefault(name, {})
            if isinstance(a["values"], str):        # one formula filled over the range
                for i in range(a["row_count"]):
                    for j in range(a["column_count"]):
                        g[(a["start_row"] + i, a["start_column"] + j)] = filled(a["values"], i)
                continue
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    if v != "":
                        g[(a["start_row"] + i, a["start_column"] + j)] = v
    return out


def shown(v):
    """What a cell written with entry ``v`` reads back as, for a second run: a
    HYPERLINK formula shows its friendly name (Microsoft's HYPERLINK
    reference), any other formula here 0, a constant itself."""
    if not (isinstance(v, str) and v.startswith("=")):
        return v
    link = re.fullmatch(r'=HYPERLINK\("[^"]*","((?:[^"]|"")*)"\)', v)
    return link.group(1).replace('""', '"') if link else 0


def filled(formula, down):
    """``formula`` as Excel fills it ``down`` rows lower: row numbers without a
    "$" grow, absolute rows, text in quotes, sheet names and names stay."""
    out = []
    for k, piece in enumerate(re.split(r"(\"[^\"]*\"|'[^']*')", formula)):
        if k % 2:
            out.append(piece)
            continue
        out.append(re.sub(r"(?<![\w.$])(\$?[A-Z]{1,3})(\d+)(?![\w(!])",
                          lambda m: f"{m.group(1)}{int(m.group(2)) + down}", piece))
    return "".join(out)


def file_cells(path, sheet, renamed=None):
    """The cells of a file's sheet as the live path writes them; ``renamed``:
    {file sheet name: live sheet name} for formulas that refer to it."""
    ws = openpyxl.load_workbook(path)[sheet]
    out = {}
    for row in ws.iter_rows():
        for c in row:
            v = c.value
            if v is None or v == "":
                continue
            if isinstance(v, str) and not v.startswith("="):
                v = excel_text(v)
            elif isinstance(v, str):
                for old, new in (renamed or {}).items():
                    v = re.sub(rf"(?<![\w'])'?{re.escape(old)}'?!", f"'{new}'!", v)
            if isinstance(v, bool):
                pass
            elif isinstance(v, (int, float)):
                v = float(v)
            elif isinstance(v, dt.datetime):
                v = (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
            out[(c.row - 1, c.column - 1)] = v
    return out


def same_cells(live, file):
    assert set(live) == set(file), sorted(set(live) ^ set(file))[:10]
    for k, v in file.items():
        w = live[k]
        if isinstance(v, float):
            assert float(w) == pytest.approx(v, rel=1e-12, abs=1e-12), k
        else:
            assert w == v, (k, w, v)


def test_every_button_is_a_registered_script():
    meta = {m["function_name"] for m in custom_scripts_meta(S)}
    assert set(S.BUTTONS.values()) <= meta


DYNAMICS = ["Bridge", "Migration PSC groups", "Migration ABC", "Migration RFM segments", "Migration DSL levels",
            "Migration XYZ", "Cohorts", "Watch list", "Client dynamics"]


def test_analyze_leaves_the_two_window_sheets_to_their_own_button(data):
    d, rows = data
    book = make_book([("Transactions", rows)])
    names = added_sheets(run(book, "analyze_client_base"))
    assert len(names) == 17 and not set(DYNAMICS) & set(names) and "ABC" in names
    # the Contents sheet lists only the sheets written
    live = grids(run(make_book([("Transactions", rows)]), "analyze_client_base"), ["Transactions"] + names)
    listed = {shown(v) for (r, c), v in live["Contents"].items() if c == 0}
    assert "Bridge" not in listed and "ABC" in listed


def test_a_refresh_keeps_the_two_window_sheets_a_previous_run_wrote(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    acts = run(first, "analyze_two_windows")
    live = grids(acts, [s.name for s in first.sheets])
    contents = {}
    for (r, c), v in live["Contents"].items():
        contents[(r, c)] = shown(v)
    n, m = max(r for r, _ in contents) + 1, max(c for _, c in contents) + 1
    grid = [[contents.get((r, c), "") for c in range(m)] for r in range(n)]
    names = added_sheets(run(make_book([("Transactions", rows), ("Contents", grid)] +
                                       [(s, [[""]]) for s in DYNAMICS]), "refresh"))
    assert set(DYNAMICS) <= set(names) and len(names) == 26


def test_analyze_with_two_windows_writes_the_analysis_sheets_as_the_file_has_them(data, tmp_path):
    d, rows = data
    book = make_book([("Transactions", rows), ("Notes", [["my note", 1]])])
    actions = run(book, "analyze_two_windows")
    names = added_sheets(actions)
    # the analysis' Clients sheet is named Clients when the book has no input sheet
    # of that name (it is marked as ours); 17 analysis sheets and the 9 of the
    # two-window section (bridge, 5 migrations, cohorts, watch list, clients)
    assert names[:3] == ["Contents", "Settings", "Clients"] and "ABC" in names and len(names) == 26
    # nothing was written to the user's two sheets (positions 0 and 1)
    assert not [a for a in actions if a["sheet_position"] in (0, 1)]
    # the same layout written to a file by XlsxWriter holds the same cells
    a = analyze([[None if v == "" else v for v in r] for r in rows])
    path = write_analysis_workbook(a, tmp_path / "a.xlsx")
    order = [s.name for s in book.sheets]
    live = grids(actions, order)
    renamed: dict = {}
    for sheet in ("Clients", "Settings", "ABC", "PSC groups", "KML", "Bridge", "Migration ABC", "Cohorts",
                  "Watch list", "Client dynamics"):
        same_cells(live[renamed.get(sheet, sheet)], file_cells(path, sheet, renamed))
    # the reading report sits beside the input issues, naming the workbook and sheet read
    read = set(live["Input issues"].values())
    assert "What was read" in read and any(str(v).startswith("Sales.xlsx, sheet Transactions, rows 1–")
                                           for v in read)
    # settings cells are named, the Clients rows are one Excel table, charts are native
    added_names = {x["args"][0] for x in actions if x["func"] == "namesAdd"}
    assert {"abc_a_below", "psc_s2_min", "rfm_grid"} <= added_names
    assert [x["args"][1] for x in actions if x["func"] == "setTableName"] == ["Clients", "ClientDynamics"]
    assert sum(x["func"] == "addChart" for x in actions) == 4          # with the bridge's waterfall
    assert alerts(actions) and "31 clients" in alerts(actions)[0]
    # the message gives what was read from the range, in one line
    n = sum(1 for r in rows[1:] if any(v not in ("", None) for v in r))
    assert f"{n:,} of {n:,} rows accepted" in alerts(actions)[0]


def test_second_analysis_replaces_its_sheets_and_keeps_edited_settings(data):
    d, rows = data
    first = make_book([("Transactions", rows)])
    acts = run(first, "analyze_client_base")
    live = grids(acts, [s.name for s in first.sheets])

    def values(sheet):
        g = live[sheet]
        n = max(r for r, _ in g) + 1
        m = max(c for _, c in g) + 1
        out = [["" for _ in range(m)] for _ in range(n)]
        for (r, c), v in g.items():
            out[r][c] = shown(v)
        return out
    settings = values("Settings")
    row = next(i for i, r in enumerate(settings) if r[2] == "abc_a_below")
    assert settings[row][1] == pytest.approx(0.8)
    settings[row][1] = 0.7          # the user edits a yellow cell
    book = make_book([("Transactions", rows), ("Contents", values("Contents")), ("Settings", settings),
                      ("Clients", values("Clients")), ("My sheet", [["keep me"]])])
    actions = run(book, "refresh")
    deleted = [book_sheet for a in actions if a["func"] == "sheetDelete"
               for book_sheet in [a["sheet_position"]]]
    assert len(deleted) == 3                    # Contents, Settings, Clients of the first run
    assert "My sheet" in [s.name for s in book.sheets]
    new = grids(actions, [s.name for s in book.sheets])
    s2 = new["Settings"]
    r2 = next(r for (r, c), v in s2.items() if c == 2 and v == "abc_a_below")
    assert s2[(r2, 1)] == pytest.approx(0.7)
    assert added_sheets(actions)[:3] == ["Contents", "Settings", "Clients"]


def test_build_adp_for_the_selected_client(data, tmp_path):
    d, rows = data
    a = analyze([[None if v == "" else v for v in r] for r in rows])
    cid = a.clients.sort_values("revenue", ascending=False).client_id.iloc[0]
    r = next(i for i, row in enumerate(rows) if row[0] == cid)
    book = make_book([("Transactions", rows)], selection=f"D{r + 1}")   # any cell of the client's row
    actions = run(book, "build_adp")
    name = added_sheets(actions)
    assert len(name) == 1 and name[0].startswith("ADP ")
    path = adp.write_adp_workbook(a, [cid], tmp_path / "adp.xlsx")
    live = grids(actions, [s.name for s in book.sheets])[name[0]]
    same_cells(live, file_cells(path, name[0]))
    lists = [x["args"] for x in actions if x["func"] == "setDataValidationList"]
    assert any(["yes", "no"] == x[0]["values"] for x in lists)
    rules = [x["args"] for x in actions if x["func"] == "setDataValidationRule"]
    assert rules and {x[0]["type"] for x in rules} <= {"whole_number", "decimal"}
    assert {"formula1": "=1", "formula2": "=5", "operator": "between", "type": "whole_number"} in [
        x[0] for x in rules]                       # the six progress ratings 1..5
    scoped = {x["args"][0] for x in actions if x["func"] == "namesAdd"}
    assert {"forecast", "whitespace", "progress_level", "completion_share"} <= scoped
    # a second press adds a numbered sheet next to the first
    again = make_book([("Transactions", rows), (name[0], [["x"]])], selection=f"D{r + 1}")
    assert added_sheets(run(again, "build_adp")) == [f"{name[0]} ({2})"[:31]]


def test_build_adp_explains_a_cell_that_is_no_client(data):
    _, rows = data
    book = make_book([("Transactions", rows), ("Other", [["nobody here"]])], selection="A1", active=1)
    actions = run(book, "build_adp")
    assert added_sheets(actions) == []
    assert "nobody here" in alerts(actions)[0]


def test_a_book_without_transactions_gets_a_message():
    book = make_book([("Sheet1", [["a", "b"], [1, 2]])])
    actions = run(book, "analyze_client_base")
    assert added_sheets(actions) == []
    assert "Transactions" in alerts(actions)[0]


def test_adps_for_a_clients_and_revenue_plan(data):
    _, rows = data
    a = analyze([[None if v == "" else v for v in r] for r in rows])
    n_a = int((a.clients.abc_class == "A").sum())
    book = make_book([("Transactions", rows)])
    names = added_sheets(run(book, "build_adps_a"))
    assert len(names) == n_a + 1 and names[-1] == "Revenue plan"


def test_bcg_checklist_and_help_sheets(data):
    _, rows = data
    book = make_book([("Transactions", rows)])
    actions = run(book, "add_bcg_scoring")
    assert len(added_sheets(actions)) == 1 and sum(x["func"] == "addChart" for x in actions) == 1
    book = make_book([("Transactions", rows)])
    actions = run(book, "add_progress_checklist")
    live = grids(actions, [s.name for s in book.sheets])[added_sheets(actions)[0]]
    text = " | ".join(v for v in live.values() if isinstance(v, str))
    steps = labels("progress_step", "en")
    assert len(steps) == 23 and all(step in text for step in steps.values())
    book = make_book([("Transactions", rows)])
    actions = run(book, "show_help")
    live = grids(actions, [s.name for s in book.sheets])[added_sheets(actions)[0]]
    texts = set(live.values())
    assert {"PSC_SEGMENT(...)", "NPS(...)", "BCG_STRATEGY(...)"} <= texts


def test_settings_button_without_analysis_says_what_to_do():
    book = make_book([("Transactions", [["client_id"]])])
    actions = run(book, "open_settings")
    assert "Analyze" in alerts(actions)[0]
