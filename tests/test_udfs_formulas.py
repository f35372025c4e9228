"""A workbook whose cells call the Excel functions, evaluated by the
``formulas`` engine with the functions registered: array formulas over
columns (``{=PSC_SEGMENT(B2:B200,C2:C200,D2:D200)}``, the Excel 2016/2019
way) and scalar calls give the core's values, ``INDEX`` over a column result
gives one row in a plain cell, and a failing call is a real error value that
``IFERROR``, ``ISERROR`` and ``IFNA`` see."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

formulas = pytest.importorskip("formulas")
openpyxl = pytest.importorskip("openpyxl")
import schedula as sh  # noqa: E402  (installed with formulas)
from openpyxl.worksheet.formula import ArrayFormula  # noqa: E402

from udfs import convert as cv  # noqa: E402
from udfs import functions as F  # noqa: E402
from xlb2b.analysis import segments as seg  # noqa: E402
from xlb2b.analysis.satisfaction import nps  # noqa: E402
from xlb2b.settings import Settings  # noqa: E402

N = 199          # rows 2..200


def _excel_args(args):
    """What the engine passes (Ranges, arrays, EMPTY) as Excel would: 2-D
    lists with None for empty cells."""
    out = []
    for a in args:
        a = getattr(a, "value", a)
        if isinstance(a, np.ndarray):
            out.append([[None if v is sh.EMPTY else v for v in row] for row in a.tolist()])
        else:
            out.append(None if a is sh.EMPTY else a)
    return out


def _register(fn):
    """The function as the engine calls it; an error text (the classic result,
    which xlb2b.xlam turns into CVErr) becomes the engine's error value."""
    def inner(*args):
        res = np.array(fn(*_excel_args(args)), dtype=object)
        if res.size == 1 and cv.error_kind(res.ravel()[0]):
            return formulas.functions.Error.errors[cv.ERRORS[cv.error_kind(res.ravel()[0])].text]
        return res if res.size > 1 else res.ravel()[0]
    return inner


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    rng = np.random.default_rng(11)
    data = pd.DataFrame({
        "price": np.round(rng.lognormal(3, 1, N), 2),
        "regularity": np.round(rng.uniform(0.05, 1, N), 3),
        "units": rng.integers(1, 300, N).astype(float),
        "revenue": np.round(rng.lognormal(8, 1.2, N), 2),
        "nps": rng.integers(0, 11, N).astype(float),
    })
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["price", "regularity", "units", "revenue", "nps"])
    for row in data.itertuples(index=False):
        ws.append(list(row))
    last = N + 1
    ws["G2"] = ArrayFormula(f"G2:G{last}", f"=PSC_SEGMENT(A2:A{last},B2:B{last},C2:C{last})")
    ws["H2"] = ArrayFormula(f"H2:H{last}", f"=ABC_CLASS(D2:D{last})")
    ws["J1"] = f"=NPS(E2:E{last})"
    ws["J2"] = "=HHI(A2:A4)"
    ws["J3"] = "=PSC_SEGMENT(30,0.5,100,L1:N2)"
    ws["J4"] = f"=NPS(A2:A{last})"                    # prices are no NPS answers: an error value
    ws["J5"] = "=PROGRESS_LEVEL(P1:U1)"
    for col, v in zip("PQRSTU", [3, 4, 3, 3, 4, 4]):
        ws[f"{col}1"] = v
    # errors: IFERROR / ISERROR / IFNA see them (NPS of prices: #VALUE!; HHI of zeros: #NUM!;
    # OTIF with no order that has both answers: #N/A)
    ws["K1"] = f'=IFERROR(NPS(A2:A{last}),"no NPS")'
    ws["K2"] = f"=ISERROR(NPS(A2:A{last}))"
    ws["K3"] = '=IFERROR(HHI(W1:W2),-1)'
    ws["K4"] = '=IFNA(OTIF(X1:X2,X3:X4),"no order")'
    ws["K5"] = '=IFNA(NPS(A2:A4),"not N/A")'
    ws["K6"] = f'=IFERROR(NPS(E2:E{last}),"no NPS")'
    ws["K7"] = '=ISERROR(ABC_CLASS(D2:D6))'
    ws["W1"], ws["W2"] = 0, 0
    ws["X1"], ws["X4"] = "yes", "no"                           # no order with both answers
    # Excel 2016/2019: one row of a column result in a plain cell; and an array formula
    # over more rows than the result has (the rows below show #N/A)
    ws["I2"] = f"=INDEX(PSC_SEGMENT($A$2:$A${last},$B$2:$B${last},$C$2:$C${last}),5)"
    ws["I3"] = "=INDEX(B2B_METRICS(Y1:AA4),3,2)"
    ws["Y1"], ws["Z1"], ws["AA1"] = "client", "date", "amount"
    for r, (c, d, a) in enumerate([("A", 45292, 100), ("A", 45323, 50), ("B", 45323, 70)], start=2):
        ws[f"Y{r}"], ws[f"Z{r}"], ws[f"AA{r}"] = c, d, a
    ws["AC1"] = ArrayFormula("AC1:AC8", "=ABC_CLASS(D2:D6)")
    ws["L1"], ws["M1"], ws["N1"] = "P", 20, 40
    ws["L2"], ws["M2"], ws["N2"] = "C", 50, 150
    path = tmp_path_factory.mktemp("fx") / "functions.xlsx"
    wb.save(path)

    functions = formulas.get_functions()
    for name in F.__all__:
        functions[name] = _register(getattr(F, name))
    model = formulas.ExcelModel().loads(str(path)).finish()
    with pytest.MonkeyPatch.context() as mp:
        # the classic results (xlwings may be in its server mode from other tests)
        mp.setattr(cv, "runtime", lambda: "classic")
        sol = model.calculate()
    cells = {}
    for key, value in sol.items():
        ref = key.split("!")[-1]
        cells[ref] = np.asarray(value.value, dtype=object)
    return data, cells


def test_array_formulas_over_columns_give_the_core_values(solved):
    data, cells = solved
    frame = data.rename(columns={"price": "avg_unit_price"})
    want = list(seg.psc(frame, Settings()).columns["psc_code"])
    assert list(cells[f"G2:G{N + 1}"].ravel()) == want
    ids = np.array([f"{i:012d}" for i in range(N)], dtype=object)
    assert list(cells[f"H2:H{N + 1}"].ravel()) == list(seg.abc_classes(data["revenue"], ids))


def test_scalar_calls_give_the_core_values(solved):
    data, cells = solved
    assert cells["J1"].ravel()[0] == pytest.approx(nps(data["nps"]))
    p = data["price"].to_numpy()[:3]
    assert cells["J2"].ravel()[0] == pytest.approx(((p / p.sum()) ** 2).sum())
    # 30 between P cuts 20 and 40 -> P2; 0.5 -> S2; 100 between C cuts 50 and 150 -> C2
    assert cells["J3"].ravel()[0] == "P2_S2_C2"
    assert cells["J4"].ravel()[0] == formulas.functions.Error.errors["#VALUE!"]
    assert cells["J5"].ravel()[0] == 3.5


def test_iferror_iserror_and_ifna_see_the_error_values(solved):
    data, cells = solved
    v = lambda ref: cells[ref].ravel()[0]  # noqa: E731
    assert v("K1") == "no NPS"                       # prices are no NPS answers: #VALUE!, caught
    assert bool(v("K2")) is True                     # ISERROR sees it
    assert v("K3") == -1                             # HHI of a total of 0: #NUM!, caught
    assert v("K4") == "no order"                     # OTIF with nothing to count: #N/A, IFNA catches it
    assert v("K5") == formulas.functions.Error.errors["#VALUE!"]   # IFNA lets #VALUE! through
    assert v("K6") == pytest.approx(nps(data["nps"]))              # no error: IFERROR keeps the value
    assert bool(v("K7")) is False                    # a good call is no error


def test_index_over_a_column_result_gives_one_row_in_a_plain_cell(solved):
    data, cells = solved
    frame = data.rename(columns={"price": "avg_unit_price"})
    want = list(seg.psc(frame, Settings()).columns["psc_code"])
    assert cells["I2"].ravel()[0] == want[4]
    # B2B_METRICS: header row, A, B; row 3 column 2 = revenue of B
    assert cells["I3"].ravel()[0] == 70


def test_an_array_formula_over_more_rows_than_the_result_pads_with_na(solved):
    data, cells = solved
    got = list(cells["AC1:AC8"].ravel())
    ids = np.array([f"{i:012d}" for i in range(5)], dtype=object)
    assert got[:5] == list(seg.abc_classes(data["revenue"].iloc[:5], ids))
    assert got[5:] == [formulas.functions.Error.errors["#N/A"]] * 3
