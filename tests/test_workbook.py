"""The analysis workbook: cached values are the engine's numbers, text stays
text, and LibreOffice's recalculation gives the cached values back."""
import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlb2b import Settings, analyze
from xlb2b.excel.analysis_sheets import column_header, sheet_name, write_analysis_workbook
from xlb2b.sample import generate

YEAR = Settings(window="explicit", window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 12, 31),
                our_supplier="Us")


def tiny():
    """Six clients with every segmentation present (values chosen to spread the scores)."""
    rows = []
    spec = {  # client: (amount per order, orders, months apart, quantity, category list)
        "a": (1000, 12, 1, 10, ["x", "y", "z", "w"]),
        "b": (500, 6, 2, 20, ["x"]),
        "c": (200, 3, 4, 2, ["x", "y"]),
        "d": (50, 2, 5, 1, ["z"]),
        "e": (3000, 1, 1, 3, ["y"]),
        "f": (80, 4, 3, 8, ["x", "x", "y"]),
    }
    for cid, (amt, n, gap, q, cats) in spec.items():
        for i in range(n):
            month = 12 - i * gap
            if month < 1:
                break
            cat = cats[i % len(cats)]
            rows.append((cid, f"{cid}-{i}", pd.Timestamp(2024, month, 10), f"{cat}-sku", cat, q, amt, amt * 0.7))
    tx = pd.DataFrame(rows, columns=["client_id", "order_id", "date", "sku", "category", "quantity",
                                     "amount", "cost"])
    clients = pd.DataFrame({"client_id": list("abcdef"),
                            "name": ["=HYPERLINK(\"http://x\")", "+7 495", "-minus", "@at", "Plain", "Ёлка"],
                            "capacity_units": [4, 2, np.nan, 1, 3, np.nan],
                            "overdue_days": [0, 10, 45, 0, np.nan, 31]})
    market = pd.DataFrame({"client_id": list("aabbccde"),
                           "supplier": ["Us", "X", "Us", "Y", "Us", "Z", "Us", "X"],
                           "amount": [9000, 3000, 3000, 100, 600, 900, 100, 5]})
    return tx, clients, market


def cached_frame(path, sheet):
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_clients_formulas_cache_the_engine_values_and_input_text_stays_text(tmp_path):
    tx, cl, mk = tiny()
    a = analyze(tx, cl, mk, YEAR)
    path = write_analysis_workbook(a, tmp_path / "a.xlsx")
    got = cached_frame(path, sheet_name("clients")).set_index(column_header("client_id"))
    want = a.clients.set_index("client_id")
    for col in ("psc_p", "psc_s", "psc_c", "psc_code", "psc_group", "spl_code", "kml_code", "dsl_code",
                "dsl_level", "rfm_code", "rfm_segment", "abc_class", "xyz_class"):
        for cid in want.index:
            w, g = want.loc[cid, col], got.loc[cid, column_header(col)]
            assert ((pd.isna(g) or g == "") if pd.isna(w) else g == w), (cid, col, w, g)
    # input text that looks like a formula is a string cell, never a formula
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet_name("clients")]
    names = {ws.cell(r, 2).value for r in range(2, 8)}
    assert "=HYPERLINK(\"http://x\")" in names and "+7 495" in names and "@at" in names
    assert all(ws.cell(r, 2).data_type == "s" for r in range(2, 8))


def test_summary_rows_cache_the_engine_summary(tmp_path):
    tx, cl, mk = tiny()
    a = analyze(tx, cl, mk, YEAR)
    path = write_analysis_workbook(a, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    sheet = sheet_name("summary_abc")
    rows = list(wb[sheet].iter_rows(values_only=True))
    table = {r[0]: r for r in rows if r and r[0] in ("A", "B", "C", "Total")}
    py = a.summary("abc").set_index("segment")
    for seg in py.index:
        assert table[seg][1] == pytest.approx(py.loc[seg, "revenue"])       # revenue
        assert table[seg][5] == py.loc[seg, "clients"]                       # clients


def test_writes_the_full_sample_in_both_languages(tmp_path):
    d = generate(300, seed=5)
    a = analyze(d.transactions, d.clients, d.market, Settings(our_supplier=d.our_supplier))
    for lang in ("en", "ru"):
        p = write_analysis_workbook(a, tmp_path / f"{lang}.xlsx", lang=lang)
        wb = openpyxl.load_workbook(p, read_only=True)
        # 17 analysis sheets and 9 of the two-window section
        assert len(wb.sheetnames) == 26 and len(set(wb.sheetnames)) == 26


def test_both_languages_give_the_same_numbers(tmp_path):
    tx, cl, mk = tiny()
    a = analyze(tx, cl, mk, YEAR)
    books = {lang: openpyxl.load_workbook(write_analysis_workbook(a, tmp_path / f"{lang}.xlsx", lang=lang),
                                          data_only=True) for lang in ("en", "ru")}
    en, ru = books["en"], books["ru"]
    compared = 0
    for ws_en, ws_ru in zip(en.worksheets, ru.worksheets):
        if ws_en.title == sheet_name("contents"):
            continue
        for row_en, row_ru in zip(ws_en.iter_rows(values_only=True), ws_ru.iter_rows(values_only=True)):
            for x, y in zip(row_en, row_ru):
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    assert y == pytest.approx(x), (ws_en.title, x, y)
                    compared += 1
    assert compared > 500
