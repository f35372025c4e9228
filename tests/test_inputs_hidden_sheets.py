"""Hidden sheets: read only when no visible sheet holds the table, and said; listed as hidden among the sheets not read.

Every workbook is built here by hand (the .xls/.ods ones in tests/data, see its README).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlb2b.errors import FATAL, WARNING, InputError
from xlb2b.inputs import read_transactions

DATA = Path(__file__).parent / "data"
NOTE = ("sheet 'Данные' is hidden in the workbook; it was read because no visible sheet holds the table; "
        "use --sheet to choose")
TABLE = [["Контрагент", "Дата", "Сумма"],
         ["ООО Ромашка", dt.datetime(2024, 3, 1), 1250.5],
         ["ИП Петров", dt.datetime(2024, 3, 15), 300],
         ["ООО Ромашка", dt.datetime(2024, 3, 20), 49.5]]             # 1250.5 + 300 + 49.5 = 1600


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch):
    """Run a test through both cell-by-cell workbook readers."""
    from xlb2b.inputs.sources import xlsx as xlsx_source
    if request.param == "openpyxl":
        monkeypatch.setattr(xlsx_source, "_import_calamine", lambda: None)
    return request.param


def save(path: Path, sheets: list[tuple[str, str, list[list]]]) -> Path:
    """Sheets as (name, state, rows); state is visible, hidden or veryHidden."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, state, rows in sheets:
        ws = wb.create_sheet(name)
        ws.sheet_state = state
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _hidden_table(tmp_path: Path) -> Path:
    return save(tmp_path / "book.xlsx", [("Обложка", "visible", [["Отчёт о продажах"], ["Период", "март 2024"]]),
                                         ("Данные", "hidden", TABLE),
                                         ("Служебный", "veryHidden", [["код", 1], ["код", 2]])])


def test_table_only_on_a_hidden_sheet_is_read_and_said(tmp_path, engine):
    t = read_transactions(_hidden_table(tmp_path))
    assert t.sheet == "Данные"
    assert t.data["amount"].sum() == 1600.0
    r = t.reading
    assert r.sheet_hidden and r.where() == "book.xlsx, sheet 'Данные' (hidden), A1:C4"
    assert NOTE in r.warnings
    w = [p.reason for p in t.report if p.severity == WARNING]
    assert w == ["sheet 'Обложка' has no table with the required columns; " + NOTE]


def test_hidden_sheets_are_listed_as_hidden_among_the_sheets_not_read(tmp_path, engine):
    r = read_transactions(_hidden_table(tmp_path)).reading
    assert r.other_sheets == [("Обложка", "A1:B2, 2 rows × 2 columns"),
                              ("Служебный", "hidden; A1:B2, 2 rows × 2 columns")]
    assert "'Служебный' (hidden; A1:B2, 2 rows × 2 columns)" in "\n".join(r.lines())


@pytest.mark.parametrize("n", [3, 150])                    # 150 lines: the bulk reader's sheet choice too
def test_a_visible_sheet_with_the_table_wins_over_a_hidden_one_named_for_it(tmp_path, n):
    lines = [["Альфа", dt.datetime(2024, 1, 1) + dt.timedelta(days=i), 10] for i in range(n)]
    hidden = TABLE + lines[3:]                               # as long as the visible one: 1 + n rows
    path = save(tmp_path / "book.xlsx", [("Продажи", "hidden", hidden), ("Лист1", "visible", [TABLE[0]] + lines)])
    t = read_transactions(path)
    assert t.sheet == "Лист1"
    assert t.data["amount"].sum() == 10.0 * n
    assert not t.reading.sheet_hidden
    assert t.reading.other_sheets == [("Продажи", f"hidden; A1:C{n + 1}, {n + 1} rows × 3 columns")]
    assert not [p for p in t.report if "hidden" in p.reason]


def test_a_hidden_sheet_asked_for_is_read_without_the_note(tmp_path, engine):
    t = read_transactions(_hidden_table(tmp_path), sheet="Данные")
    assert t.data["amount"].sum() == 1600.0
    assert t.reading.sheet_hidden and NOTE not in t.reading.warnings


def test_two_hidden_sheets_with_the_table_are_refused_naming_them_as_hidden(tmp_path, engine):
    path = save(tmp_path / "book.xlsx", [("Обложка", "visible", [["Отчёт"]]), ("Данные", "hidden", TABLE),
                                         ("Копия", "hidden", TABLE)])
    with pytest.raises(InputError) as e:
        read_transactions(path)
    [p] = [p for p in e.value.report if p.severity == FATAL]
    assert "several other sheets have one: 'Данные' (hidden), 'Копия' (hidden)" in p.reason


@pytest.mark.parametrize("name", ["hidden.xls", "hidden.ods"])
def test_xls_and_ods_hidden_sheets_are_said_and_listed(name):
    from xlb2b.inputs.sources import legacy
    if legacy._import_calamine() is None:
        pytest.skip("python-calamine is not installed")
    t = read_transactions(DATA / name)
    assert t.sheet == "Данные" and t.data["amount"].sum() == 1600.0
    r = t.reading
    assert r.where() == f"{name}, sheet 'Данные' (hidden), A1:C4"
    assert NOTE in r.warnings
    assert r.other_sheets == [("Обложка", "A1:B2, 2 rows × 2 columns"),
                              ("Служебный", "hidden; A1:B2, 2 rows × 2 columns")]


def test_xls_and_ods_list_their_visible_sheets_not_read():
    from xlb2b.inputs.sources import legacy
    if legacy._import_calamine() is None:
        pytest.skip("python-calamine is not installed")
    r = read_transactions(DATA / "legacy.ods").reading
    assert r.other_sheets == [("Параметры", "A1:B2, 2 rows × 2 columns")] and not r.sheet_hidden


def test_xls_sheets_are_listed_from_the_one_open_of_the_read(monkeypatch):
    from xlb2b.inputs.sources import legacy
    real = legacy._import_calamine()
    if real is None:
        pytest.skip("python-calamine is not installed")
    opened = []

    class Counting:
        @staticmethod
        def from_path(p):
            opened.append(p)
            return real.from_path(p)

    monkeypatch.setattr(legacy, "_import_calamine", lambda: Counting)
    r = read_transactions(DATA / "hidden.xls").reading
    assert len(opened) == 1
    assert ("Служебный", "hidden; A1:B2, 2 rows × 2 columns") in r.other_sheets
