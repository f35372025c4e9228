"""A workbook whose cells call the Excel functions, evaluated by the
``formulas`` engine with the functions registered: array formulas over
columns (``{=PSC_SEGMENT(B2:B200,C2:C200,D2:D200)}``) and scalar calls give
the core's values."""
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
    def inner(*args):
        res = np.array(fn(*_excel_args(args)), dtype=object)
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
    ws["L1"], ws["M1"], ws["N1"] = "P", 20, 40
    ws["L2"], ws["M2"], ws["N2"] = "C", 50, 150
    path = tmp_path_factory.mktemp("fx") / "functions.xlsx"
    wb.save(path)

    functions = formulas.get_functions()
    for name in F.__all__:
        functions[name] = _register(getattr(F, name))
    model = formulas.ExcelModel().loads(str(path)).finish()
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
    assert str(cells["J4"].ravel()[0]).startswith("#VALUE! scores:")
    assert cells["J5"].ravel()[0] == 3.5
