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
    from udfs import functions as F  # noqa: E402

import asyncio  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from xlb2b.analysis import segments as seg  # noqa: E402
from xlb2b.analysis.satisfaction import nps  # noqa: E402
from xlb2b.analysis.scores import quantile_score  # noqa: E402
from xlb2b.settings import Settings  # noqa: E402

NAMES = F.__all__


def xl(v):
    """A Python value as Excel sends it: a 2-D list (a 1-D list is a column)."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return v
        return [[None if (isinstance(x, float) and math.isnan(x)) else x] for x in v]
    return [[v]]


def call(name, *args):
    body = {"func_name": name, "args": [xl(a) for a in args], "caller_address": "Sheet1!Z1",
            "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
    return asyncio.run(custom_functions_call(body, F))


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
    if isinstance(v, list):
        v = v[0][0] if v and isinstance(v[0], list) else v[0]
    return isinstance(v, str) and v.startswith("#VALUE! ") and len(v) > 10


def test_xlwings_is_in_server_mode_and_the_environment_is_restored():
    assert xw.on_server
    assert hasattr(F.PSC_SEGMENT, "__xlfunc__")
    for k, v in _saved.items():
        assert os.environ.get(k) == v


# ------------------------------------------------------------------ metadata
def test_meta_lists_every_function_with_parameters_optional_flags_and_descriptions():
    meta = custom_functions_meta(F)
    funcs = {f["name"]: f for f in meta["functions"]}
    assert set(funcs) == set(NAMES) and len(NAMES) == 28
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
        "transactions_with_headers", "window_start", "window_end"]
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
    got = col(call("SPL_SEGMENT", c["regularity"].to_numpy(), c["overdue_days"].to_numpy(), c["gross_profit"].to_numpy()))
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
BAD = [
    ("PSC_SEGMENT", (["a", 20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "text"),
    ("PSC_SEGMENT", (["12", 20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "stored as text"),
    ("PSC_SEGMENT", ([None, None], [None, None], [None, None]), "empty"),
    ("PSC_SEGMENT", ([10, 20, 30], [0.5, 0.5], [1, 2, 3]), "different lengths"),
    ("PSC_SEGMENT", ([10, 10, 10], [0.5, 0.5, 0.5], [1, 2, 3]), "equal"),
    ("PSC_SEGMENT", ([10, -20, 30], [0.5, 0.5, 0.5], [1, 2, 3]), "≥ 0"),
    ("PSC_SEGMENT", ([10, 20, 30], [0.5, 0.5, 0.5], [1, 2, 3], [[1, 2]]), "cut_points"),
    ("PSC_CUTS", ([10, 10], [0.5, 0.5], [1, 2]), "equal"),
    ("PSC_GROUP", (["X1"],), "not a code"),
    ("SPL_SEGMENT", ([0.5, 0.6], [None, None], [1, 2]), "payment"),
    ("KML_SEGMENT", ([1, 2], [0.5, 1.5], [10, 20]), "between 0 and 1"),
    ("DSL_SEGMENT", ([1, 2], [0.5, 0.9], [10, 10]), "equal"),
    ("DSL_LEVEL", ([True],), "code"),
    ("RFM_SCORE", ([1, 2], [1, 1], [3, 4]), "equal"),
    ("RFM_SEGMENT", (["R9F1M1"],), "above 5"),
    ("ABC_CLASS", ([10, -1],), "≥ 0"),
    ("ABC_CLASS", ([10, 5], 0.9, 0.5), "increasing"),
    ("XYZ_CLASS", ([[None, None]],), "empty"),
    ("QUANTILE_SCORE", ([1, 2, 3], 1), "k"),
    ("HHI", ([None],), "empty"),
    ("HHI", ([0, 0],), "total"),
    ("SOW", ([10], [0]), "> 0"),
    ("SOW", ([10], [5]), "above"),
    ("REGULARITY", (["soon"],), "not a date"),
    ("REGULARITY", ([45292], 45292), "both"),
    ("SLOTS", ([10], [-2]), "> 0"),
    ("LTV_B2B", ([-1], [2]), "≥ 0"),
    ("BCG_SCORE", ([[6, 2]],), "1..5"),
    ("BCG_SCORE", ([[3, 2]], [[1, 1, 1]]), "weights"),
    ("BCG_TIER", ([7],), "1..5"),
    ("BCG_TIER", ([3], "sideways"), "axis"),
    ("BCG_STRATEGY", (["Huge"], ["Weak"]), "tier"),
    ("BCG_STRATEGY", ([3], [3], "de"), "lang"),
    ("BANT_SCORE", (["maybe"], ["yes"], ["yes"], ["yes"]), "yes/no"),
    ("ADP_FORECAST", ([100], [0.1], [1.5]), "0..1"),
    ("PROGRESS_LEVEL", ([[3, 9]],), "1..5"),
    ("NPS", ([11, 5],), "0..10"),
    ("NPS", (["great"],), "text"),
    ("CSI", ([1, 2], [6, 3]), "scale_max"),
    ("CSI", ([0, 0], [3, 3]), "sum to 0"),
    ("OTIF", (["yes", "perhaps"], ["yes", "yes"]), "yes/no"),
    ("OTIF", ([None], ["yes"]), "empty"),
    ("B2B_METRICS", ([["client", "date", "amount"]],), "header row"),
    ("B2B_METRICS", ([["who", "when"], ["A", 1]],), "#VALUE!"),
    ("B2B_SEGMENTS", ([["client", "date", "amount"], ["A", 45292, 10]], 45292), "both"),
]


@pytest.mark.parametrize("name,args,reason", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_give_an_error_value_with_a_reason(name, args, reason):
    out = call(name, *args)
    assert is_error(out), out
    text = out[0][0]
    assert reason in text, text
    # plain Python gives the same, never raises
    plain = getattr(F, name)(*[xl(a) for a in args])
    assert plain == [[text]]


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_infinity_give_an_error_value(name):
    fn = getattr(F, name)
    n_args = len(fn.__xlfunc__["args"]) - sum("optional" in a for a in fn.__xlfunc__["args"])
    for bad in (float("nan"), float("inf")):
        out = fn(*[[[bad]]] * n_args)
        assert is_error(out), (name, out)


def test_every_function_survives_garbage_without_raising():
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
    assert not any(str(v).startswith("#VALUE!") for r in out for v in r), (name, out)
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
