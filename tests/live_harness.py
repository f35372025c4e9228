"""Run the button scripts the way xlwings Server and Lite do, and measure.

A book is sent to Python as xlwings' Office.js client sends it (the
``getBookData`` of xlwings Server's ``custom-scripts/index.js``): every
sheet's name, and the used-range values of the sheets the script's
``include`` lists (dates as ISO text, empty cells as ""); the script runs
through ``xlwings.server.custom_scripts_call`` on ``xw.Book(json=...)``, and
the actions it returns are what Excel would apply.  Used by
tests/test_live_budgets.py and benchmarks/bench_live.py.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from officejs import server_imports

with server_imports():
    import xlwings as xw
    from xlwings.server import custom_scripts_call, custom_scripts_meta

    from udfs import scripts as S

__all__ = ["xw", "S", "sample_sheets", "request", "run", "Run"]


def _cell(v):
    if isinstance(v, (dt.datetime, dt.date)) or hasattr(v, "isoformat"):
        return v.isoformat()[:19] + ".000Z"
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v


def frame_rows(df) -> list[list]:
    cols = [df[c].tolist() for c in df.columns]
    rows = [list(df.columns)]
    rows += [[_cell(v) for v in r] for r in zip(*cols)]
    return rows


def sample_sheets(data) -> list[tuple[str, list[list]]]:
    """The sample's Transactions, Clients and Market as sheets of a book."""
    return [("Transactions", frame_rows(data.transactions)), ("Clients", frame_rows(data.clients)),
            ("Market", frame_rows(data.market))]


def includes(script: str) -> list[str] | None:
    meta = {m["function_name"]: m for m in custom_scripts_meta(S)}
    inc = meta[script].get("include")
    return inc.split(",") if inc else None


def sheet_name_entry(sheets, sheet: str, name: str, refers_to: str) -> dict:
    """A sheet-scoped defined name as xlwings' Office.js client lists it."""
    i = [n for n, _ in sheets].index(sheet)
    return {"name": f"{sheet}!{name}", "refers_to": refers_to, "book_scope": False, "scope_sheet_index": i,
            "scope_sheet_name": sheet, "sheet_index": i, "address": "$A$1"}


def request(sheets, include: list[str] | None, *, selection="A1", active=0, names=()) -> dict:
    """The request body xlwings' Office.js client sends for a script with
    ``include`` (None: every sheet) in a book with the defined ``names``."""
    out = []
    for name, values in sheets:
        sent = include is None or name in include
        out.append({"name": name, "values": values if sent else [[]], "pictures": [], "tables": [],
                    "shapes": [], "charts": [], "notes": [], "print_area": None, "show_gridlines": True,
                    "pivot_tables": []})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": "Sales.xlsx", "active_sheet_index": active, "selection": selection},
            "sheets": out, "names": list(names)}


@dataclass
class Run:
    script: str
    request_bytes: int
    sheets_sent: list[str]
    actions: list[dict]
    seconds: float
    book: object = None
    sizes: list[int] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(a["func"] for a in self.actions)

    @property
    def response_bytes(self) -> int:
        return sum(self.sizes)

    def cells(self, a: dict) -> int:
        v = a.get("values")
        if isinstance(v, list):
            return sum(len(r) for r in v)
        return (a.get("row_count") or 0) * (a.get("column_count") or 0) if a.get("values") is not None else 0

    def alerts(self) -> list[str]:
        return [a["args"][0] for a in self.actions if a["func"] == "alert"]


def run(sheets, script: str, *, selection="A1", active=0, measure_request=True, names=()) -> Run:
    include = includes(script)
    body = request(sheets, include, selection=selection, active=active, names=names)
    size = len(json.dumps(body, separators=(",", ":"))) if measure_request else -1
    sent = [s["name"] for s in body["sheets"] if s["values"] != [[]]]
    book = xw.Book(json=body)
    t = time.perf_counter()
    asyncio.run(custom_scripts_call(S, script, typehint_to_value={xw.Book: book}))
    seconds = time.perf_counter() - t
    actions = book.json()["actions"]
    r = Run(script, size, sent, actions, seconds, book)
    r.sizes = [len(json.dumps(a, separators=(",", ":"), default=str)) for a in actions]
    return r


class FakeLite:
    """xlwings Lite's client as an async book meets it: ``js.xlwings`` with
    the reads xlwings calls (``getUsedRangeAddress``, ``getRangeValues``) and
    ``runActions`` (a flush), over the given sheets; every read and every
    batch of actions is recorded.  Install with :meth:`install` (a fake ``js``
    and ``pyodide.ffi`` module, and ``sys.platform`` "emscripten", as in
    Pyodide)."""

    def __init__(self, sheets):
        self.sheets = dict(sheets)
        self.reads: list[tuple[str, str, int, int]] = []  # sheet, address, cells, JSON bytes
        self.batches: list[list[dict]] = []

    class _Py:
        def __init__(self, value):
            self.value = value

        def to_py(self):
            return self.value

    async def getUsedRangeAddress(self, sheet, values_only=False):  # noqa: N802 (xlwings' JS names)
        values = self.sheets[sheet]
        if not values or not values[0]:
            return None
        return f"$A$1:${_col(len(values[0]))}${len(values)}"

    async def getRangeValues(self, sheet, address):  # noqa: N802
        (r1, c1), (r2, c2) = xw.utils.a1_to_tuples(address.replace("$", ""))
        r2, c2 = r2 or r1, c2 or c1
        values = [row[c1 - 1:c2] for row in self.sheets[sheet][r1 - 1:r2]]
        size = len(json.dumps(values, separators=(",", ":"), default=str))
        self.reads.append((sheet, address, (r2 - r1 + 1) * (c2 - c1 + 1), size))
        return self._Py(values)

    async def runActions(self, actions):  # noqa: N802
        self.batches.append(list(actions["actions"]))

    def install(self, monkeypatch):
        import sys
        import types

        js = types.ModuleType("js")
        js.xlwings = self
        js.Object = types.SimpleNamespace(fromEntries=dict)
        ffi = types.ModuleType("pyodide.ffi")

        class JsNull:
            pass
        ffi.JsNull = JsNull
        ffi.to_js = lambda value, **_: value
        pyodide = types.ModuleType("pyodide")
        pyodide.ffi = ffi
        monkeypatch.setitem(sys.modules, "js", js)
        monkeypatch.setitem(sys.modules, "pyodide", pyodide)
        monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
        monkeypatch.setattr(sys, "platform", "emscripten")


def _col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def run_lite(sheets, script: str, monkeypatch, *, selection="A1") -> tuple[list[dict], FakeLite]:
    """Run a script of udfs/lite/main.py the way xlwings Lite does with an
    async book: the request holds the sheet names only; returns every action
    (the flushed batches and the last ones) and the fake client."""
    with server_imports():
        from udfs.lite import main as lite
    fake = FakeLite(sheets)
    fake.install(monkeypatch)
    body = request(sheets, [], selection=selection)
    for s in body["sheets"]:
        s["values"] = [[]]
    book = xw.Book(json=body)
    asyncio.run(custom_scripts_call(lite, script, typehint_to_value={xw.Book: book}))
    actions = [a for batch in fake.batches for a in batch] + book.json()["actions"]
    return actions, fake
