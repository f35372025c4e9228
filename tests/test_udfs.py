"""Excel cell functions (udfs/functions.py) through xlwings' real Office.js
code path: ``custom_functions_meta`` and ``custom_functions_call`` with the
request body Excel sends (every argument a 2-D list, empty cells None).

xlwings picks its decorators when it is imported, so the two environment
variables are set before the first import of xlwings and put back right
after: the rest of the suite (and its subprocesses) sees the environment it
had.  If xlwings was already imported without them, it is imported again.
"""
import os
import sys

from officejs import ROOT, server_imports  # noqa: E402

_saved = {k: os.environ.get(k) for k in ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")}
with server_imports():
    import xlwings as xw  # noqa: E402
    from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

    from udfs import convert as cv  # noqa: E402
    from udfs import functions as F  # noqa: E402

import asyncio  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from udf_cases import BAD, xl  # noqa: E402

from xlb2b.analysis import segments as seg  # noqa: E402
from xlb2b.analysis.satisfaction import nps  # noqa: E402
from xlb2b.analysis.scores import quantile_score  # noqa: E402
from xlb2b.settings import Settings  # noqa: E402

NAMES = F.__all__


class Shown:
    """An error value as the Office.js add-in hands it to Excel: the error (``#VALUE!``…)
    and the message Excel shows on the cell's error flag (None: no message)."""

    def __init__(self, text, message=None):
        self.text, self.message = text, message

    def __repr__(self):
        return f"Shown({self.text!r}, {self.message!r})"


_OFFICEJS_TYPES = {e.officejs: e.text for e in cv.ERRORS.values()}


def call(name, *args):
    """What Excel gets through xlwings' Office.js path: custom_functions_call's result, or,
    when it raises an XlwingsError, what the add-in's JavaScript makes of it (xlwings Server
    answers HTTP 400 with the message; custom-functions-code.js then throws
    CustomFunctions.Error(invalidValue, message), i.e. #VALUE! with that message)."""
    body = {"func_name": name, "args": [xl(a) for a in args], "caller_address": "Sheet1!Z1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
    try:
        out = asyncio.run(custom_functions_call(body, F))
    except xw.XlwingsError as e:
        return Shown("#VALUE!", str(e))
    if (isinstance(out, list) and len(out) == 1 and len(out[0]) == 1 and isinstance(out[0][0], dict)
            and out[0][0].get("type") == "Error"):
        return Shown(_OFFICEJS_TYPES[out[0][0]["errorType"]])
    return out


def one(name, *args):
    """A single-value result (Excel gets it as a 1x1 matrix)."""
    out = call(name, *args)
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]


def col(result):
    """A spilled column back to a flat list ('' = empty cell)."""
    assert isinstance(result, list) and all(len(r) == 1 for r in result), result
    return [r[0] for r in result]


def is_error(v):
    return isinstance(v, Shown)


@pytest.fixture
def classic(monkeypatch):
    """The functions as classic xlwings (COM) and plain Python run them."""
    monkeypatch.setattr(cv, "runtime", lambda: "classic")


def test_xlwings_is_in_server_mode_and_the_environment_is_restored():
    assert xw.on_server
    assert hasattr(F.PSC_SEGMENT, "__xlfunc__")
    for k, v in _saved.items():
        assert os.environ.get(k) == v


# ------------------------------------------------------------------ metadata
def test_meta_lists_every_function_with_parameters_optional_flags_and_descriptions():
    meta = custom_functions_meta(F)
    funcs = {f["name"]: f for f in meta["functions"]}
    assert set(funcs) == set(NAMES) and len(NAMES) == 35
    for name, f in funcs.items():
        assert f["description"] and "\n" not in f["description"], name
        assert not f["description"].startswith("Python function"), name
        for p in f["parameters"]:
            assert p["description"] and not p["description"].startswith("Positional argument"), (name, p)
    params = {p["name"]: p.get("optional", False) for p in funcs["PSC_SEGMENT"]["parameters"]}
    assert params == {"price": False, "regularity": False, "units": False, "cut_points": True}
    assert [p["name"] for p in funcs["ABC_CLASS"]["parameters"]] == ["values", "a_cut", "b_cut"]
    assert [p.get("optional", False) for p in funcs["ABC_CLASS"]["parameters"]] == [False, True, True]
    assert [p["name"] for p in funcs["B2B_METRICS"]["parameters"]] == [
        "transactions_with_headers", "window_start", "window_end", "s_bounds", "abc_cuts"]
    assert [p.get("optional", False) for p in funcs["B2B_SEGMENTS"]["parameters"]] == [False] + [True] * 4
    assert funcs["QUANTILE_SCORE"]["parameters"][1]["optional"]


# ------------------------------------------------------------------ hand-computed
PRICE = [10, 20, 30, 40, 50, 60]
REG = [0.9, 0.5, 0.2, 0.8, 0.4, 1.0]
UNITS = [5, 50, 500, 20, 2, 100]


def test_psc_segment_hand_computed_six_rows():
    # P cut points: PERCENTILE.INC(10..60, 1/3): rank 5/3 -> 20 + 2/3*10 = 26.67;
    #               2/3: rank 10/3 -> 40 + 1/3*10 = 43.33  => 10,20 P1; 30,40 P2; 50,60 P3
    # C: sorted 2,5,20,50,100,500; 1/3: rank 5/3 -> 5 + 2/3*15 = 15;
    #    2/3: rank 10/3 -> 50 + 1/3*50 = 66.67  => 5,2 C1; 50,20 C2; 500,100 C3
    # S: >= 0.75 S3, >= 0.40 S2, else S1
    want = ["P1_S3_C1", "P1_S2_C2", "P2_S1_C3", "P2_S3_C2", "P3_S2_C1", "P3_S3_C3"]
    assert col(call("PSC_SEGMENT", PRICE, REG, UNITS)) == want
    cuts = call("PSC_CUTS", PRICE, REG, UNITS)
    assert cuts[0] == ["score", "cut 1", "cut 2"]
    assert cuts[1][0] == "P" and cuts[1][1:] == pytest.approx([80 / 3, 130 / 3])
    assert cuts[2] == ["S", 0.4, 0.75]
    assert cuts[3][0] == "C" and cuts[3][1:] == pytest.approx([15, 200 / 3])
    # the same table scores single cells on the same scale
    for p, s, u, code in zip(PRICE, REG, UNITS, want):
        assert call("PSC_SEGMENT", p, s, u, cuts) == [[code]]
    assert call("PSC_SEGMENT", 30, 0.2, 500, [[26.67, 43.33], [15, 66.67]]) == [["P2_S1_C3"]]


def test_nps_hand_computed():
    assert one("NPS", [10, 9, 8, 7, 6, 0, 10]) == pytest.approx(100 * (3 / 7 - 2 / 7))
    assert one("NPS", 10) == 100


def test_small_hand_computed_values():
    assert one("HHI", [50, 30, 20]) == pytest.approx(0.25 + 0.09 + 0.04)
    assert one("HHI", 7) == 1
    assert col(call("SOW", [200, 50], [1000, 50])) == [0.2, 1]
    assert col(call("SLOTS", [1000, 450], [20, 15])) == [50, 30]
    assert col(call("LTV_B2B", [20, 15], [50, 30])) == [1000, 450]
    assert col(call("ADP_FORECAST", 100000, 0.1, 0.3)) == [pytest.approx(33000)]
    assert one("PROGRESS_LEVEL", [[3, 4, 3, 3, 4, 4]]) == 3.5          # the seed's example
    assert one("CSI", [5, 3, 2], [4, 5, 3]) == pytest.approx(100 * (20 + 15 + 6) / (10 * 5))
    assert one("OTIF", ["yes", "yes", "no", "yes"], ["yes", "no", "yes", "yes"]) == 0.5
    assert col(call("ABC_CLASS", [500, 300, 100, 60, 40])) == ["A", "A", "B", "B", "C"]
    assert col(call("QUANTILE_SCORE", [1, 2, 3, 4, 5, 6], 3)) == [1, 1, 2, 2, 3, 3]
    assert col(call("QUANTILE_SCORE", [1, 2, 3, 4, 5, 6], 3, True)) == [3, 3, 2, 2, 1, 1]
    assert col(call("BCG_SCORE", [[4, 4, 3, None, None], [2, 1, 2, None, 3]])) == [pytest.approx(11 / 3), 2]
    assert col(call("BCG_TIER", [11 / 3, 7 / 3, 2], "relationship")) == ["Strong", "Medium", "Weak"]
    assert col(call("BCG_STRATEGY", ["High", "Low"], ["Weak", "Strong"])) == ["Invest", "Protect position and income"]
    assert col(call("BCG_STRATEGY", [4.5], [4.5], "ru")) == ["Укрепление"]
    assert col(call("BANT_SCORE", ["yes", "yes"], [True, "no"], [1, "да"], ["y", 0])) == [4, 2]
    assert col(call("PSC_GROUP", ["P3_S3_C3", "P1_S2_C3", "P2_S1_C2", "P2_S2_C2"], [12, 12, 12, 2])) == [
        "01 Best", "05 Misers", "02 Unstable best", "06 New"]
    assert col(call("DSL_LEVEL", ["D1_S1_L2", "D2_S1_L3", "D3_S3_L1"])) == [1, 2, 3]
    assert col(call("RFM_SEGMENT", ["R5F4M5", "R1F1M2", "R3F3M3"])) == ["Champions", "Lost", "Need attention"]
    # 100, 80, 120, 100: population std = sqrt(800/4) = 14.14, cv 0.141 -> Y
    assert col(call("XYZ_CLASS", [[100, 100, 100, 100], [100, 80, 120, 100], [0, 300, 0, 100]])) == ["X", "Y", "Z"]
    # serials 2024-01-01, 02-01, 04-01, 11-01; window Dec 2023..Nov 2024, observed from Jan: 4 / 11
    assert one("REGULARITY", [45292, 45323, 45383, 45597]) == pytest.approx(4 / 11)
    assert one("REGULARITY", [45292, 45323], 45292, 45657) == pytest.approx(2 / 12)


def test_tables_with_headers():
    tx = [["client", "date", "amount"], ["A", 45292, 100], ["A", 45323, 50], ["B", 45323, 70]]
    m = call("B2B_METRICS", tx)
    assert m[0][:3] == ["client_id", "revenue", "gross_profit"]
    rows = {r[0]: dict(zip(m[0], r)) for r in m[1:]}
    assert rows["A"]["revenue"] == 150 and rows["A"]["orders"] == 2 and rows["B"]["revenue"] == 70
    s = call("B2B_SEGMENTS", tx)
    assert s[0][0] == "client_id" and "psc_code" in s[0] and "abc_class" in s[0]
    assert len(s) == 3


# ------------------------------------------------------------------ 10,000 rows vs the core
N = 10_000


@pytest.fixture(scope="module")
def clients():
    rng = np.random.default_rng(4)
    return pd.DataFrame({
        "avg_unit_price": np.round(rng.lognormal(3, 1, N), 2),
        "regularity": np.round(rng.uniform(0.05, 1, N), 3),
        "units": rng.integers(1, 500, N).astype(float),
        "recency_days": rng.integers(0, 365, N).astype(float),
        "orders": rng.integers(1, 60, N).astype(float),
        "revenue": np.round(rng.lognormal(8, 1.5, N), 2),
        "gross_profit": np.round(rng.normal(1000, 400, N), 2),
        "overdue_days": rng.choice([0, 0, 5, 40], N).astype(float),
        "suppliers": rng.integers(1, 8, N).astype(float),
        "hhi": np.round(rng.uniform(0.1, 1, N), 3),
        "market_spend": np.round(rng.lognormal(9, 1, N), 2),
        "categories": rng.integers(1, 7, N).astype(float),
        "top_category_share": np.round(rng.uniform(0.2, 1, N), 3),
        "nps": rng.integers(0, 11, N).astype(float),
    })


def _core(values):
    return ["" if (isinstance(v, float) and math.isnan(v)) else v for v in values]


def test_ten_thousand_rows_equal_the_core(clients):
    c, s = clients, Settings()
    got = col(call("PSC_SEGMENT", c["avg_unit_price"].to_numpy(), c["regularity"].to_numpy(), c["units"].to_numpy()))
    assert got == _core(list(seg.psc(c, s).columns["psc_code"]))
    got = col(call("SPL_SEGMENT", c["regularity"].to_numpy(), c["overdue_days"].to_numpy(),
                   c["gross_profit"].to_numpy()))
    assert got == _core(list(seg.spl(c, s).columns["spl_code"]))
    got = col(call("KML_SEGMENT", c["suppliers"].to_numpy(), c["hhi"].to_numpy(), c["market_spend"].to_numpy()))
    assert got == _core(list(seg.kml(c, s).columns["kml_code"]))
    got = col(call("DSL_SEGMENT", c["categories"].to_numpy(), c["top_category_share"].to_numpy(),
                   c["gross_profit"].to_numpy()))
    assert got == _core(list(seg.dsl(c, s).columns["dsl_code"]))
    got = col(call("RFM_SCORE", c["recency_days"].to_numpy(), c["orders"].to_numpy(), c["revenue"].to_numpy()))
    codes = seg.rfm(c, s).columns["rfm_code"]
    assert got == _core(list(codes))
    assert col(call("RFM_SEGMENT", np.asarray(codes))) == list(seg.rfm(c, s).columns["rfm_segment"])
    ids = np.array([f"{i:012d}" for i in range(N)], dtype=object)
    assert col(call("ABC_CLASS", c["revenue"].to_numpy())) == list(seg.abc_classes(c["revenue"], ids))
    q, _ = quantile_score(c["revenue"], 4)
    assert col(call("QUANTILE_SCORE", c["revenue"].to_numpy(), 4)) == list(q)
    assert one("NPS", c["nps"].to_numpy()) == pytest.approx(nps(c["nps"]))


def test_psc_segment_with_its_own_cut_points_equals_without(clients):
    c = clients.iloc[:2000]
    args = (c["avg_unit_price"].to_numpy(), c["regularity"].to_numpy(), c["units"].to_numpy())
    cuts = call("PSC_CUTS", *args)
    assert col(call("PSC_SEGMENT", *args, cuts)) == col(call("PSC_SEGMENT", *args))


def test_empty_cells_in_a_column_give_empty_results():
    price = [10, None, 30, 40, 50, 60]
    got = col(call("PSC_SEGMENT", price, REG, UNITS))
    assert got[1] == "" and all(isinstance(g, str) and g.startswith("P") for i, g in enumerate(got) if i != 1)


def test_a_single_row_works_like_a_column():
    assert one("NPS", [[10, 9, 0]]) == pytest.approx(100 / 3)
    assert col(call("QUANTILE_SCORE", [[1, 2, 3]])) == [1, 2, 3]


# ------------------------------------------------------------------ bad arguments


BAD_IDS = [f"{b[0]}-{i}" for i, b in enumerate(BAD)]


def test_the_bad_argument_cases_are_all_there():
    assert len(BAD) == 45
    assert {b[3] for b in BAD} == {"#VALUE!", "#N/A", "#NUM!"}


@pytest.mark.parametrize("name,args,reason,error", BAD, ids=BAD_IDS)
def test_bad_arguments_give_a_real_error_value_through_office_js(name, args, reason, error):
    out = call(name, *args)
    assert is_error(out), out
    assert out.text == error, out
    if error == "#VALUE!":          # Office.js shows the message of #VALUE! on the error flag
        assert reason in out.message and "Traceback" not in out.message, out
    else:                           # #N/A and #NUM!: no message in Excel
        assert out.message is None


@pytest.mark.parametrize("name,args,reason,error", BAD, ids=BAD_IDS)
def test_b2b_explain_gives_the_reason_of_every_bad_argument_case(name, args, reason, error):
    text = one("B2B_EXPLAIN", name, *args)
    assert isinstance(text, str) and reason in text and text.endswith(f"({error})"), text


@pytest.mark.parametrize("name,args,reason,error", BAD, ids=BAD_IDS)
def test_bad_arguments_give_the_error_text_on_the_classic_path(classic, name, args, reason, error):
    from xlwings import conversion

    plain = getattr(F, name)(*[xl(a) for a in args])
    # what classic xlwings' call_udf hands to COM: conversion.write(ret, None, options) of the
    # "raw" return; its one stage writes to a range only, and a UDF's return has none, so the
    # engine (Windows' is not on Linux) plays no part
    out = conversion.write(plain, None, getattr(F, name).__xlfunc__["ret"]["options"], engine_name="remote")
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    text = out[0][0]
    assert cv.error_kind(text) == {e.text: k for k, e in cv.ERRORS.items()}[error], text
    assert text.startswith(error + " ") and reason in text


def test_good_calls_explain_ok():
    assert one("B2B_EXPLAIN", "NPS", [10, 9, 0]) == "OK"
    assert one("B2B_EXPLAIN", "psc_segment", PRICE, REG, UNITS) == "OK"
    assert "not an xlb2b function" in one("B2B_EXPLAIN", "VLOOKUP")
    assert "takes 1 argument" in one("B2B_EXPLAIN", "NPS", [1], [2])


def test_the_error_mapping_has_the_com_and_vba_numbers_of_excel():
    # XlCVError: xlErrValue 2015, xlErrNA 2042, xlErrNum 2036; COM reads cell errors as
    # 0x800A0000 + that number (xlwings/_xlwindows.py lists -2146826273 as "#VALUE!")
    got = {k: (e.text, e.vba, e.com, e.officejs) for k, e in cv.ERRORS.items()}
    assert got == {"value": ("#VALUE!", 2015, -2146826273, "Value"),
                   "na": ("#N/A", 2042, -2146826246, "NotAvailable"),
                   "num": ("#NUM!", 2036, -2146826252, "Num")}


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_infinity_give_an_error_value(name):
    n_args = len(getattr(F, name).__xlfunc__["args"]) - sum(
        "optional" in a for a in getattr(F, name).__xlfunc__["args"])
    if name == "B2B_EXPLAIN":
        return
    for bad in (float("nan"), float("inf")):
        out = call(name, *[[[bad]]] * n_args)
        assert is_error(out), (name, out)


def test_every_function_survives_garbage_without_raising(classic):
    junk = [None, "", "x", [[None]], [["a", 1], [None, True]], [[{"k": 1}]], [], [[]]]
    for name in NAMES:
        fn = getattr(F, name)
        n = len(fn.__xlfunc__["args"])
        for j in junk:
            out = fn(*[j] * n)
            assert isinstance(out, list) and all(isinstance(r, list) for r in out), (name, j, out)


# ------------------------------------------------------------------ no licence
def test_without_a_licence_key_the_module_imports_and_every_function_is_plain_python():
    code = r"""
import re, sys
sys.path.insert(0, sys.argv[1])
import xlwings as xw
from udfs import functions as F
assert not xw.on_server
for name in F.__all__:
    fn = getattr(F, name)
    assert not hasattr(fn, "__xlfunc__"), name
    ex = re.search(r"Example: (.*)", fn.__doc__).group(1)
    out = eval(ex, vars(F))
    assert isinstance(out, list) and isinstance(out[0], list), (name, out)
    assert not any(str(v).startswith(("#VALUE! ", "#N/A ", "#NUM! ")) for r in out for v in r), (name, out)
assert F.NPS([[None], [""]]) == [["#VALUE! scores: the range is empty"]]
assert F.HHI([[0], [0]])[0][0].startswith("#NUM! ")
print(F.NPS([[10], [9], [8], [7], [6], [0], [10]])[0][0])
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS")}
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True,
                         env=env, cwd=str(ROOT / "tests"))
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == pytest.approx(100 / 7)


# ------------------------------------------------------------------ reference docs
def test_the_committed_function_reference_is_the_generated_one():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_function_docs.py"), "--check"],
                         capture_output=True, text=True, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr + out.stdout


# ------------------------------------------------------------------ other runtimes' shapes
def test_classic_com_shapes_tuples_and_dates():
    # classic xlwings hands raw ranges over as tuples of tuples, dates as datetime
    import datetime as dt
    price = tuple((p,) for p in PRICE)
    reg = tuple((r,) for r in REG)
    units = tuple((u,) for u in UNITS)
    assert F.PSC_SEGMENT(price, reg, units) == [[c] for c in col(call("PSC_SEGMENT", PRICE, REG, UNITS))]
    days = ((dt.datetime(2024, 1, 1),), (dt.datetime(2024, 2, 1),), (dt.datetime(2024, 4, 1),),
            (dt.datetime(2024, 11, 1),))
    assert F.REGULARITY(days)[0][0] == pytest.approx(4 / 11)
    assert F.REGULARITY(days, dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31))[0][0] == pytest.approx(4 / 12)


def test_pyodide_empty_cells_are_empty():
    class JsNull:                    # xlwings Lite hands empty cells of raw ranges over as JsNull
        pass
    price = [[10], [JsNull()], [30], [40], [50], [60]]
    got = F.PSC_SEGMENT(price, [[r] for r in REG], [[u] for u in UNITS])
    assert got[1] == [""] and got[0][0].startswith("P")
    assert F.NPS([[10], [JsNull()], [0]]) == [[0.0]]


def test_single_row_tables_through_the_office_js_path():
    # Office.js hands a one-row range over as a 1-D list: table arguments read it as a row
    assert col(call("BCG_SCORE", [[4, 4, 3, 5, 2]])) == [pytest.approx(3.6)]
    assert col(call("XYZ_CLASS", [[100, 100, 100, 100]])) == ["X"]
    assert one("PROGRESS_LEVEL", [[3], [4], [3], [3], [4], [4]]) == 3.5
    assert col(call("BCG_SCORE", [[4, 2]], [[3, 1]])) == [pytest.approx(3.5)]


def test_planning_columns_equal_the_core(clients):
    from xlb2b import planning
    c = clients
    rev, price, units = c["revenue"].to_numpy(), c["avg_unit_price"].to_numpy(), c["units"].to_numpy()
    spend = rev + c["market_spend"].to_numpy()
    assert col(call("SOW", rev, spend)) == list(planning.share_of_wallet(rev, spend))
    assert col(call("SLOTS", rev, price)) == list(planning.slots(rev, price))
    assert col(call("LTV_B2B", price, units)) == list(planning.ltv(price, units))
    g, t = c["hhi"].to_numpy() - 0.5, c["top_category_share"].to_numpy()
    assert col(call("ADP_FORECAST", rev, g, t)) == list(planning.adp_forecast(rev, g, t))
    block = np.column_stack([c["categories"].to_numpy()[:500].clip(1, 5)] * 6)
    block[::7, 2] = np.nan
    cells = [[None if np.isnan(v) else v for v in r] for r in block.tolist()]     # empty cells
    assert col(call("PROGRESS_LEVEL", cells)) == [planning.progress_level(r) for r in block]


# ------------------------------------------------------------------ both languages
def _cyrillic(text):
    """Mostly Russian: at least a quarter of the letters are Cyrillic (codes and names stay Latin)."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in letters) >= 0.25 * len(letters) > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_function_and_argument_is_described_in_english_and_russian(name):
    fn = getattr(F, name)
    ru = cv.russian_doc(fn)
    args = [a["name"] for a in fn.__xlfunc__["args"]]
    assert set(ru) - {"note"} == {""} | set(args), (name, set(ru) ^ ({""} | set(args)))
    assert all(_cyrillic(t) for t in ru.values()), ru
    english = fn.__xlfunc__["ret"]["doc"]
    assert english and not _cyrillic(english) and "RU" not in english
    for a in fn.__xlfunc__["args"]:
        assert a["doc"] and not _cyrillic(a["doc"]), (name, a["name"])
    assert "RU" not in cv.english_doc(fn)


def test_russian_metadata_for_office_js_replaces_every_description():
    meta = custom_functions_meta(F)
    ru = cv.localized_meta(meta, F, "ru")
    assert [f["id"] for f in ru["functions"]] == [f["id"] for f in meta["functions"]]
    for en_f, ru_f in zip(meta["functions"], ru["functions"]):
        assert ru_f["description"] == cv.russian_doc(getattr(F, en_f["id"]))[""]
        assert ru_f["name"] == en_f["name"] and ru_f["result"] == en_f["result"]
        for p_en, p_ru in zip(en_f["parameters"], ru_f["parameters"]):
            assert p_ru["name"] == p_en["name"] and _cyrillic(p_ru["description"])
            assert p_ru.get("optional") == p_en.get("optional")
    assert not _cyrillic(meta["functions"][0]["description"])      # the English one is untouched


def test_russian_reference_uses_ru_ru_syntax():
    text = (ROOT / "docs" / "functions.ru.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"#### {name}\n" in text, name
        assert cv.russian_doc(getattr(F, name))[""] in text, name
    # arguments split by ';', decimal comma, array columns by '\'
    assert "=SOW({200;50}; {1000;50})" in text
    assert "=ADP_FORECAST(100000; 0,1; 0,3)" in text
    assert "=BCG_SCORE({4\\4\\3\\5\\2;2\\1\\2\\1\\3})" in text
    assert "Результат: `0,363636`" in text                        # REGULARITY 4/11
    assert "=PSC_SEGMENT(10, " not in text and "0.1" not in text.split("## Справочник")[1]


# ------------------------------------------------------------------ whole-client settings
TX = [["client", "date", "amount"], ["A", 45292, 100], ["A", 45323, 50], ["B", 45323, 70],
      ["C", 45323, 30]]


def test_b2b_segments_takes_the_abc_cuts():
    # revenues A 150, B 70, C 30 of 250: shares before A 0, B 0.6, C 0.88
    seg = call("B2B_SEGMENTS", TX)
    abc = {r[0]: r[seg[0].index("abc_class")] for r in seg[1:]}
    assert abc == {"A": "A", "B": "A", "C": "B"}     # default 0.80 / 0.95: B (0.6 < 0.8) is A
    seg = call("B2B_SEGMENTS", TX, None, None, None, [[0.5, 0.7]])
    abc = {r[0]: r[seg[0].index("abc_class")] for r in seg[1:]}
    assert abc == {"A": "A", "B": "B", "C": "C"}     # 0.6 ≥ 0.5: B; 0.88 ≥ 0.7: C


def test_b2b_metrics_takes_the_window_and_the_s_bounds():
    # window Jan 2024 only: A bought once (100); B and C bought in February, outside
    m = call("B2B_METRICS", TX, 45292, 45322)
    rows = {r[0]: dict(zip(m[0], r)) for r in m[1:]}
    assert list(rows) == ["A"] and rows["A"]["revenue"] == 100
    assert rows["A"]["regularity"] == pytest.approx(1 / 3)      # 1 month of at least 3 observed
    # default window (12 months to Feb 2024): A active 2 of 3 months -> 0.667: S2 by default
    # (0.40 <= s < 0.75), S3 when S3 starts at 0.6
    codes = lambda out: {r[0]: r[out[0].index("psc_code")] for r in out[1:]}  # noqa: E731
    assert "_S2_" in codes(call("B2B_SEGMENTS", TX))["A"]
    assert "_S3_" in codes(call("B2B_SEGMENTS", TX, None, None, [[0.5, 0.6]]))["A"]
    bad = call("B2B_METRICS", TX, None, None, [[0.5]])
    assert is_error(bad) and "s_bounds: expected 2 numbers" in bad.message
    bad = call("B2B_METRICS", TX, None, None, [[0.9, 0.5]])
    assert is_error(bad) and "increasing" in bad.message


# ------------------------------------------------------------------ shapes (Excel 2016/2019)
# An array formula over the output range (Ctrl+Shift+Enter) and INDEX(result, row) need one result
# row per input row, one column, in input order; one value is a 1x1 range; tables have a header.
SINGLE = {"HHI", "NPS", "CSI", "OTIF", "REGULARITY", "B2B_EXPLAIN", "LAPSE_RATIO", "NRR", "GRR"}
TABLES = {"PSC_CUTS": (4, 3), "B2B_METRICS": (3, 19), "B2B_SEGMENTS": (3, 11)}


@pytest.mark.parametrize("name", NAMES)
def test_each_function_returns_the_shape_an_array_formula_fills(name):
    import re as _re

    example = _re.search(r"Example: (.*)", cv.english_doc(getattr(F, name))).group(1)
    args = eval("[" + _re.match(r"\w+\((.*)\)$", example).group(1) + "]", {})
    out = call(name, *args)
    assert isinstance(out, list) and out and all(isinstance(r, list) for r in out), out
    shape = (len(out), len({len(r) for r in out}) == 1 and len(out[0]))
    if name in SINGLE or (name == "PROGRESS_LEVEL"):
        assert shape == (1, 1)
    elif name in TABLES:
        assert shape == TABLES[name]
    else:                                   # a column: one row per client (the first argument's rows)
        first = args[0]
        assert shape == (len(first), 1), (name, shape)


def test_a_column_keeps_empty_rows_so_the_filled_range_lines_up():
    price = [10, None, 30, None, 50, 60, 70]
    reg = [0.9, 0.5, 0.2, 0.8, 0.4, 1.0, 0.3]
    units = [5, 50, 500, 20, 2, 100, 7]
    got = col(call("PSC_SEGMENT", price, reg, units))
    assert len(got) == 7 and got[1] == "" and got[3] == "" and all(got[i] for i in (0, 2, 4, 5, 6))
