"""Exports as people really have them: headers over two rows, deep headers, data on another
sheet, ambiguous columns and look-alike ids, impossible dates, damaged and legacy workbooks,
plain-language refusals, and CSV outputs that a spreadsheet cannot run as formulas.

Every file is built here (or committed under tests/data/) and every expected total is worked
out by hand in a comment next to it.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlb2b.cli import main
from xlb2b.errors import FATAL, WARNING, InputError
from xlb2b.inputs import read_clients, read_market, read_transactions

DATA = Path(__file__).resolve().parent / "data"


def run(capsys, *argv):
    """main(argv) in-process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return rc, out.out, out.err


def fatal_reasons(err: InputError) -> str:
    return " | ".join(p.reason for p in err.report if p.severity == FATAL)


def workbook(path: Path, rows, title: str = "Лист1", extra: dict | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    for name, more in (extra or {}).items():
        ws2 = wb.create_sheet(name)
        for r in more:
            ws2.append(list(r))
    wb.save(path)
    return path


# --------------------------------------------------------------------------
# CSV outputs cannot run formulas (OWASP CSV injection)


def test_csv_output_neutralises_formula_text_and_keeps_numbers(tmp_path, capsys):
    src = tmp_path / "sales.csv"
    src.write_text('Client;Date;Amount\n'
                   '"=HYPERLINK(""http://x"",""y"")";2025-03-03;100\n'
                   '+1+1;2025-03-04;40,5\n'
                   '@SUM(1);2025-03-05;7\n'
                   '-neg;2025-03-06;3\n'
                   'plain;2025-03-07;1\n', encoding="utf-8")
    out = tmp_path / "c.csv"
    rc, _, err = run(capsys, "analyze", src, "-o", tmp_path / "o.xlsx", "--csv", out, "-q")
    assert rc == 0, err
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={"client_id": str}).set_index("client_id")
    # every text cell beginning with = + - @ starts with a quote; the others are untouched
    assert sorted(got.index) == sorted(["'=HYPERLINK(\"http://x\",\"y\")", "'+1+1", "'@SUM(1)",
                                        "'-neg", "plain"])
    # revenue stays a number: 100 + 40.5 + 7 + 3 + 1 = 151.5
    assert got["revenue"].dtype.kind == "f" and got["revenue"].sum() == 151.5
    assert got.loc["'+1+1", "revenue"] == 40.5


def test_csv_safe_frame_touches_only_text_cells():
    from xlb2b.io_util import csv_safe_frame
    df = pd.DataFrame({"t": ["\tx", "\ry", "ok", None], "n": [-1.0, 2.0, -3.0, 4.0],
                       "c": pd.Categorical(["=a", "b", "b", "b"]), "m": [-5, "-5", "@", 1.5]})
    safe = csv_safe_frame(df)
    assert safe["t"].tolist()[:3] == ["'\tx", "'\ry", "ok"] and pd.isna(safe["t"].iloc[3])
    assert safe["n"].tolist() == [-1.0, 2.0, -3.0, 4.0]          # a negative number is a number
    assert list(safe["c"].astype(str)) == ["'=a", "b", "b", "b"]
    assert safe["m"].tolist() == [-5, "'-5", "'@", 1.5]
    assert df["t"].iloc[0] == "\tx"                               # the input is not changed
