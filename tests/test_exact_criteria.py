"""Group, segment and manager names that SUMIFS would read as operators or wildcards ("=Ivanov", "A*",
"A?", "~x", "<5") sum exactly their own clients in the workbook's formulas, and LibreOffice recalculates
them to the cached (engine) values.

W1 = 2025, W0 = 2024.  PSC groups by tenure (months from the first purchase's month to the window's end
month): "=Old" 25 months or more, "A*" up to 12, "AB" the rest.  Clients (W0 revenue -> W1 revenue, one
unit a line):

    c1 manager "=Ivanov"  2024-03 100 -> 2025-03 150   grown, price +50   W0 group A* (10 m), W1 AB (22 m)
    c2 manager "Ivanov"   2024-03  50 -> 2025-03  70   grown, price +20   A* -> AB
    c3 manager "A*"               new  2025-02 200                       -> A* (11 m)
    c4 manager "AB"               new  2025-05  30                       -> A* (8 m)
    c5 manager "A?"   2023-01 40; nothing in W0; 2025-04 60: returned    -> =Old (36 m)
    c6 manager "~x"   2024-06  80 -> nothing: lost                      A* (7 m) -> lost
    c7 manager "<5"   2022-01 10; 2024-05 20 -> 2025-05 25: grown +5     =Old -> =Old
    c8 manager "ivanov"           new  2025-07  10                       -> A* (6 m)
"""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from lo import compare_recalculated, recalc, requires_soffice
from test_dynamics_hand import Y2025

from xlb2b import Settings, analyze
from xlb2b.excel.analysis_sheets import sheet_name, write_analysis_workbook
from xlb2b.excel.criteria import is_plain, literal, sum_exact
from xlb2b.locale import label

LINES = [
    ("c1", "2024-03-01", 100), ("c1", "2025-03-01", 150),
    ("c2", "2024-03-01", 50), ("c2", "2025-03-01", 70),
    ("c3", "2025-02-01", 200),
    ("c4", "2025-05-01", 30),
    ("c5", "2023-01-01", 40), ("c5", "2025-04-01", 60),
    ("c6", "2024-06-01", 80),
    ("c7", "2022-01-01", 10), ("c7", "2024-05-01", 20), ("c7", "2025-05-01", 25),
    ("c8", "2025-07-01", 10),
]
MANAGERS = {"c1": "=Ivanov", "c2": "Ivanov", "c3": "A*", "c4": "AB", "c5": "A?", "c6": "~x", "c7": "<5",
            "c8": "ivanov"}
GROUPS = [{"group": "=Old", "tenure_min": 25}, {"group": "A*", "tenure_max": 12}, {"group": "AB"}]

#: bridge by manager, by hand from the table above (rows not listed are 0)
BY_MANAGER = {
    "=Ivanov": {"start": 100, "grown_price": 50, "end": 150},
    "Ivanov": {"start": 50, "grown_price": 20, "end": 70},
    "A*": {"new": 200, "end": 200},
    "AB": {"new": 30, "end": 30},
    "A?": {"returned": 60, "end": 60},
    "~x": {"start": 80, "lost": -80},
    "<5": {"start": 20, "grown_price": 5, "end": 25},
    "ivanov": {"new": 10, "end": 10},
}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tx = pd.DataFrame(LINES, columns=["client_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["quantity"] = 1
    tx["sku"] = "s1"
    clients = pd.DataFrame({"client_id": list(MANAGERS), "manager": list(MANAGERS.values())})
    a = analyze(tx, clients, settings=Settings(**Y2025, psc_groups=GROUPS))
    return a, write_analysis_workbook(a, tmp_path_factory.mktemp("exact") / "exact.xlsx")


def grid(ws, title: str) -> dict[str, dict[str, object]]:
    """A labelled block: {column header: {row label: value}} under the row whose first cell is ``title``."""
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == title)
    head = rows[top + 1]
    out: dict[str, dict[str, object]] = {}
    for r in rows[top + 2:]:
        if r[0] in (None, ""):
            break
        for j, h in enumerate(head[1:], start=1):
            if h not in (None, ""):
                out.setdefault(h, {})[r[0]] = r[j]
    return out


def bridge_by_manager(path) -> dict[str, dict[str, float]]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet_name("bridge")]
    g = grid(ws, label("bridge.by_manager", "en"))
    keys = {label(f"bridge.{k}", "en"): k for k in ("start", "new", "returned", "lost", "grown_price",
                                                    "grown_volume", "shrunk_price", "shrunk_volume", "flat",
                                                    "no_unit_data", "other", "end")}
    return {m: {keys[r]: v for r, v in col.items() if v} for m, col in g.items() if m in BY_MANAGER}


def test_literal_criterion_escapes_operators_and_wildcards():
    assert literal("=Ivanov") == '"==Ivanov"'
    assert literal("A*?~") == '"=A~*~?~~"'
    assert literal('say "hi"') == '"=say ""hi"""'


def test_our_codes_are_plain_and_user_names_are_not():
    assert all(is_plain(k) for k in ("P3_S2_C1", "R5F4M3", "A", 2))
    assert not any(is_plain(k) for k in ("=Old", "A*", "A?", "~x", "<5", "01", "06 New", ""))


def test_exact_sum_formula_shape():
    assert sum_exact("V", [("R", "$A2")], ("P",)) == "SUMPRODUCT(--EXACT(R,$A2),ISNUMBER(P)*(P>0),V)"


def test_bridge_by_manager_cached_values_are_the_hand_computed_ones(book):
    a, path = book
    assert bridge_by_manager(path) == BY_MANAGER


def test_psc_group_summary_sums_each_named_group_alone(book):
    a, path = book
    ws = openpyxl.load_workbook(path, data_only=True)[sheet_name("summary_psc_group")]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    # A*: c3 200 + c4 30 + c8 10 ; AB: c1 150 + c2 70 ; =Old: c5 60 + c7 25
    assert {g: (rows[g][1], rows[g][5]) for g in ("A*", "AB", "=Old")} == {
        "A*": (240, 3), "AB": (220, 2), "=Old": (85, 2)}


def test_psc_group_migration_matrix_by_hand(book):
    a, path = book
    ws = openpyxl.load_workbook(path, data_only=True)[sheet_name("migration_psc_group")]
    nb, lost = label("dynamics.not_buyer_w0", "en"), label("dynamics.lost", "en")
    clients = grid(ws, label("dynamics.matrix_clients", "en"))
    w1 = grid(ws, label("dynamics.matrix_revenue_w1", "en"))
    nonzero = lambda g: {(r, c): v for c, col in g.items() if c != "Total" for r, v in col.items() if v}
    assert nonzero(clients) == {("A*", "AB"): 2, ("A*", lost): 1, ("=Old", "=Old"): 1, (nb, "A*"): 3,
                                (nb, "=Old"): 1}
    assert nonzero(w1) == {("A*", "AB"): 220, ("=Old", "=Old"): 25, (nb, "A*"): 240, (nb, "=Old"): 60}
    # stayed: the diagonal (=Old -> =Old) over W0's four buyers
    assert ws["B3"].value == pytest.approx(1 / 4)


@requires_soffice
def test_libreoffice_recalculates_the_exact_matches_to_the_engine_values(book, tmp_path):
    a, path = book
    out = recalc(path, tmp_path / "lo")
    assert compare_recalculated(path, out) == []
    assert bridge_by_manager(out) == BY_MANAGER
