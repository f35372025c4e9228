"""The command line: `xlb2b demo`, `xlb2b analyze`, exit statuses, outputs."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from xlb2b import Settings, analyze
from xlb2b.cli import main

BOM = b"\xef\xbb\xbf"


def run(capsys, *argv):
    """main(argv) in-process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return rc, out.out, out.err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# four clients in March 2025, revenue 45, 30, 15, 10 (total 100)
FOUR = """Client,Date,Amount,Qty
K1,2025-03-03,25,1
K1,2025-03-10,20,2
K2,2025-03-04,30,3
K3,2025-03-05,15,1
K4,2025-03-07,10,5
"""

# two years of monthly purchases, 2024-01 .. 2025-06 (18 months)
def long_history(path: Path) -> Path:
    rows = ["Клиент;Дата;Сумма"]
    for m in range(18):
        y, mo = 2024 + m // 12, m % 12 + 1
        rows.append(f"A;15.{mo:02d}.{y};1 000,50")
        if m % 3 == 0:
            rows.append(f"B;20.{mo:02d}.{y};250")
    path.write_text("\n".join(rows) + "\n", encoding="cp1251")
    return path


# --------------------------------------------------------------------------
# demo


def test_demo_writes_inputs_and_results(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", str(out), "--clients", "300"]) == 0
    printed = capsys.readouterr().out
    assert "PSC groups" in printed and "Total" in printed
    for name in ("transactions.xlsx", "clients.xlsx", "market.xlsx", "clients_analysis.csv",
                 "summary_psc_group.csv", "summary_kml.csv"):
        assert (out / name).exists(), name
    clients = pd.read_csv(out / "clients_analysis.csv")
    tx = pd.read_excel(out / "transactions.xlsx", engine="openpyxl")
    excluded = pd.read_csv(out / "excluded.csv")
    # every client of the sample is either analysed or excluded, never both
    assert set(clients["client_id"]).isdisjoint(excluded["client_id"])
    assert set(tx["client_id"]) <= set(clients["client_id"]) | set(excluded["client_id"])
    groups = pd.read_csv(out / "summary_psc_group.csv")
    assert groups["segment"].iloc[-1] == "Total"
    assert groups["clients"].iloc[-1] == len(clients)
    assert abs(groups["revenue"].iloc[:-1].sum() - clients["revenue"].sum()) < 0.01


def test_input_error_exits_2_with_a_readable_report(tmp_path, capsys, monkeypatch):
    import xlb2b.cli.parser as cli
    from xlb2b import InputError, Report

    def broken(args):
        r = Report()
        r.add("not a date", file="t.csv", row=7, column="Дата", value="31.02.2024", severity="fatal")
        raise InputError("t.csv: unusable", r)

    monkeypatch.setattr(cli, "cmd_demo", broken)
    assert main(["demo", str(tmp_path)]) == 2
    err = capsys.readouterr()
    assert "Traceback" not in err.err + err.out
    # the report goes to stderr with the error line
    assert "31.02.2024" in err.err + err.out and "Дата" in err.err + err.out


def test_demo_workbook_and_rerun_into_its_own_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    for _ in range(2):                                   # demo owns its folder: a rerun overwrites
        rc, printed, err = run(capsys, "demo", out, "--clients", 200, "--quiet", "--lang", "ru")
        assert rc == 0 and err == ""
    assert "ABC" in printed and str(out / "analysis.xlsx") in printed
    for name in ("survey.xlsx", "deliveries.xlsx", "analysis.xlsx"):
        assert (out / name).exists()
    assert (out / "clients_analysis.csv").read_bytes().startswith(BOM)
    pytest.importorskip("xlb2b.excel.analysis_sheets")
    import openpyxl
    wb = openpyxl.load_workbook(out / "analysis.xlsx", read_only=True)
    assert len(wb.sheetnames) > 3


def test_demo_into_a_file_is_refused(tmp_path, capsys):
    f = write(tmp_path / "x", "not a folder")
    rc, _, err = run(capsys, "demo", f, "--clients", 50, "-q")
    assert rc == 1 and "not a folder" in err
    assert f.read_text() == "not a folder"


# --------------------------------------------------------------------------
# analyze: success, outputs, CSV


def test_analyze_writes_workbook_csv_and_summary(tmp_path, capsys):
    tx = write(tmp_path / "sales.csv", FOUR)
    before = tx.read_bytes(), os.stat(tx).st_mtime_ns
    rc, out, err = run(capsys, "analyze", tx, "--csv", tmp_path / "c.csv", "-q")
    assert rc == 0 and err == ""
    wb = tmp_path / "sales-analysis.xlsx"                  # default: beside the transactions
    assert wb.exists() and wb.read_bytes()[:2] == b"PK"
    assert (tx.read_bytes(), os.stat(tx).st_mtime_ns) == before      # the input is untouched
    assert "Window: 2024-04-01 – 2025-03-31" in out
    assert "Clients: 4 analysed, 0 excluded" in out
    assert "PSC groups" in out and "% revenue" in out and "100.0%" in out
    assert str(wb) in out and str(tmp_path / "c.csv") in out


def test_csv_english_and_russian_formats_hold_the_engine_values(tmp_path, capsys):
    tx = long_history(tmp_path / "t.csv")
    expected = analyze(str(tx)).clients.set_index("client_id")
    for lang, sep, dec in (("en", ",", "."), ("ru", ";", ",")):
        csv = tmp_path / f"c-{lang}.csv"
        rc, _, _ = run(capsys, "analyze", tx, "-o", tmp_path / f"{lang}.xlsx", "--csv", csv, "--lang", lang, "-q")
        assert rc == 0
        raw = csv.read_bytes()
        assert raw.startswith(BOM)
        header = raw[len(BOM):].decode("utf-8").splitlines()[0]
        assert header.split(sep)[:3] == ["client_id", "revenue", "gross_profit"]
        got = pd.read_csv(csv, sep=sep, decimal=dec, encoding="utf-8-sig").set_index("client_id")
        assert list(got.index) == list(expected.index)
        for col in ("revenue", "regularity", "monthly_cv", "avg_check", "share_before"):
            assert got[col].tolist() == pytest.approx(expected[col].astype(float).tolist(), rel=0, abs=0), col
        assert got["abc_class"].tolist() == expected["abc_class"].tolist()
        assert got["last_date"].tolist() == [d.strftime("%Y-%m-%d") for d in expected["last_date"]]
        # A: 12 months x 1 000,50
        assert f"A{sep}12006{dec}0{sep}" in raw.decode("utf-8-sig")


def test_settings_file_abc_cut_changes_the_classes(tmp_path, capsys):
    tx = write(tmp_path / "four.csv", FOUR)
    # revenue 45, 30, 15, 10 of 100; share_before (revenue of the clients before / total):
    #   K1 0.00, K2 0.45, K3 0.75, K4 0.90
    # default cuts 0.80, 0.95: A if < 0.80, B if < 0.95 -> K1 A, K2 A, K3 A, K4 B
    # cuts 0.40, 0.70:        A if < 0.40, B if < 0.70 -> K1 A, K2 B, K3 C, K4 C
    settings = tmp_path / "s.toml"
    assert run(capsys, "settings", "init", settings)[0] == 0
    text = settings.read_text(encoding="utf-8")
    assert "abc_cuts = [0.8, 0.95]" in text
    settings.write_text(text.replace("abc_cuts = [0.8, 0.95]", "abc_cuts = [0.4, 0.7]"), encoding="utf-8")

    def classes(*extra):
        csv = tmp_path / "c.csv"
        assert run(capsys, "analyze", tx, "--csv", csv, "--force", "-q", *extra)[0] == 0
        got = pd.read_csv(csv, encoding="utf-8-sig")
        return dict(zip(got["client_id"], got["abc_class"])), dict(zip(got["client_id"], got["share_before"]))

    default, before = classes()
    assert before == pytest.approx({"K1": 0.0, "K2": 0.45, "K3": 0.75, "K4": 0.90})
    assert default == {"K1": "A", "K2": "A", "K3": "A", "K4": "B"}
    assert classes("--settings", settings)[0] == {"K1": "A", "K2": "B", "K3": "C", "K4": "C"}


def test_window_options(tmp_path, capsys):
    tx = long_history(tmp_path / "t.csv")
    out = tmp_path / "o.xlsx"

    def window(*extra):
        rc, printed, err = run(capsys, "analyze", tx, "-o", out, "--force", "-q", "--csv", tmp_path / "c.csv",
                               *extra)
        assert rc == 0, err
        revenue = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig").set_index("client_id")["revenue"]
        return next(ln for ln in printed.splitlines() if ln.startswith("Window:")), revenue

    line, rev = window()
    assert line.startswith("Window: 2024-07-01 – 2025-06-30")     # 12 months to the latest month
    assert rev["A"] == pytest.approx(12 * 1000.5)
    line, rev = window("--all")
    assert line.startswith("Window: 2024-01-01 – 2025-06-30")
    assert rev["A"] == pytest.approx(18 * 1000.5) and rev["B"] == pytest.approx(6 * 250)
    line, rev = window("--start", "2024-03-01", "--end", "31.05.2024")
    assert line.startswith("Window: 2024-03-01 – 2024-05-31 (as given)")
    assert rev["A"] == pytest.approx(3 * 1000.5) and rev["B"] == pytest.approx(250)   # B bought in April

    for extra, words in ((["--start", "2024-03-01"], "--end"), (["--end", "2024-03-01"], "--start"),
                         (["--all", "--start", "2024-01-01", "--end", "2024-02-01"], "--all"),
                         (["--start", "2024-05-01", "--end", "2024-03-01"], "before"),
                         (["--start", "2024-02-30", "--end", "2024-03-01"], "not a date")):
        rc, _, err = run(capsys, "analyze", tx, "-o", tmp_path / "never.xlsx", *extra)
        assert rc == 2 and words in err, extra
    assert not (tmp_path / "never.xlsx").exists()


def test_command_line_window_overrides_the_settings_file(tmp_path, capsys):
    tx = long_history(tmp_path / "t.csv")
    s = tmp_path / "s.toml"
    Settings(window="explicit", window_start="2024-01-01", window_end="2024-01-31").save(s)
    rc, out, _ = run(capsys, "analyze", tx, "--settings", s, "-q")
    assert rc == 0 and "\nWindow: 2024-01-01 – 2024-01-31" in out
    rc, out, _ = run(capsys, "analyze", tx, "--settings", s, "--all", "--force", "-q")
    assert rc == 0 and "\nWindow: 2024-01-01 – 2025-06-30" in out


def test_sheet_option(tmp_path, capsys):
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        pd.DataFrame({"Notes": ["nothing here"]}).to_excel(w, sheet_name="Cover", index=False)
        pd.DataFrame({"Client": ["K1", "K2"], "Date": ["2025-03-01", "2025-03-02"],
                      "Amount": [10.0, 20.0]}).to_excel(w, sheet_name="Data2", index=False)
    rc, out, _ = run(capsys, "analyze", book, "--sheet", "Data2", "-q")
    assert rc == 0 and "Clients: 2 analysed" in out
    rc, _, err = run(capsys, "analyze", book, "--sheet", "Nope", "-o", tmp_path / "x.xlsx", "-q")
    assert rc == 2 and "Nope" in err and "Data2" in err


# --------------------------------------------------------------------------
# input problems


def test_missing_required_column_is_fatal_exit_2(tmp_path, capsys):
    tx = write(tmp_path / "nocol.csv", "Client,Date,Qty\nK1,2025-03-03,4\nK2,2025-03-04,5\n")
    rc, out, err = run(capsys, "analyze", tx, "-q")
    assert rc == 2 and out == ""
    assert err.startswith("error: cannot read the transactions table from nocol.csv")
    assert "file" in err and "reason" in err                      # the table header
    assert "required column 'amount' not found" in err
    assert not (tmp_path / "nocol-analysis.xlsx").exists()


def test_fatal_report_table_names_file_row_column_and_value(tmp_path, capsys):
    # two of three rows have text in the amount column: more than half rejected -> fatal
    tx = write(tmp_path / "bad.csv", "Client,Date,Amount\nK1,2025-03-03,45\nK2,2025-03-04,x1\nK3,2025-03-05,abc\n")
    rc, _, err = run(capsys, "analyze", tx, "-q")
    assert rc == 2
    lines = err.splitlines()
    header = next(line for line in lines if line.split()[:1] == ["file"])
    assert header.split() == ["file", "sheet", "row", "column", "value", "reason"]
    bad = [line.split() for line in lines if "abc" in line.split()]
    assert bad and bad[0][:4] == ["bad.csv", "4", "Amount", "abc"] and "number" in " ".join(bad[0][4:])
    assert any(line.split()[:4] == ["bad.csv", "3", "Amount", "x1"] for line in lines)


def test_long_report_is_cut_at_50_rows(tmp_path, capsys):
    rows = ["Client,Date,Amount"] + [f"K{i},2025-03-01,oops{i}" for i in range(80)] + ["K,2025-03-01,1"]
    tx = write(tmp_path / "many.csv", "\n".join(rows) + "\n")
    rc, _, err = run(capsys, "analyze", tx, "-q")
    assert rc == 2
    assert "oops49" in err or "oops48" in err
    assert "oops79" not in err and "... and " in err


def test_non_fatal_bad_row_is_counted_and_the_workbook_still_written(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR.replace("K3,2025-03-05,15,1", "K3,2025-03-05,abc,1\nK3,2025-03-06,15,1"))
    rc, out, err = run(capsys, "analyze", tx, "-q")
    assert rc == 0 and err == ""
    count = next(line for line in out.splitlines() if line.startswith("Input problems:"))
    assert "1 error" in count and "Input" in count and "t-analysis.xlsx" in count   # the hint
    wb_path = tmp_path / "t-analysis.xlsx"
    assert wb_path.exists()
    workbook = pytest.importorskip("xlb2b.excel.analysis_sheets")
    import openpyxl
    wb = openpyxl.load_workbook(wb_path, read_only=True)
    ws = wb[workbook.sheet_name("input_issues", "en")]
    cells = [v for row in ws.iter_rows(values_only=True) for v in row]
    assert "abc" in cells and "t.csv" in cells


# --------------------------------------------------------------------------
# outputs: never overwritten without --force, checked before any work


def test_existing_output_is_refused_untouched_then_forced(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"precious bytes\x00\x01")
    rc, printed, err = run(capsys, "analyze", tx, "-o", out)
    assert rc == 1 and printed == ""
    assert err.strip() == f"error: {out} exists; use --force to overwrite"     # no progress: nothing ran
    assert out.read_bytes() == b"precious bytes\x00\x01"
    rc, _, _ = run(capsys, "analyze", tx, "-o", out, "--force", "-q")
    assert rc == 0 and out.read_bytes()[:2] == b"PK"


def test_existing_csv_is_checked_before_the_work(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    csv = write(tmp_path / "c.csv", "keep")
    rc, _, err = run(capsys, "analyze", tx, "--csv", csv, "-q")
    assert rc == 1 and "c.csv exists; use --force" in err
    assert not (tmp_path / "t-analysis.xlsx").exists() and csv.read_text() == "keep"


def test_output_onto_an_input_is_refused_even_with_force(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    rc, _, err = run(capsys, "analyze", tx, "--csv", tx, "--force", "-q")
    assert rc == 1 and "input" in err and tx.read_text(encoding="utf-8") == FOUR


def test_output_in_a_missing_folder_or_not_xlsx(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    rc, _, err = run(capsys, "analyze", tx, "-o", tmp_path / "no" / "o.xlsx", "-q")
    assert rc == 1 and "does not exist" in err
    rc, _, err = run(capsys, "analyze", tx, "-o", tmp_path / "o.xls", "-q")
    assert rc == 1 and ".xlsx" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_read_only_folder_exit_1(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        rc, _, err = run(capsys, "analyze", tx, "-o", ro / "o.xlsx", "-q")
    finally:
        ro.chmod(0o700)
    assert rc == 1 and "not writable" in err


def test_unwritable_folder_is_found_before_the_work(tmp_path, capsys, monkeypatch):
    import xlb2b.cli.output as cli
    import xlb2b.pipeline

    def never(*a, **k):
        raise AssertionError("the analysis must not start")

    monkeypatch.setattr(xlb2b.pipeline, "analyze", never)
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False)
    rc, _, err = run(capsys, "analyze", write(tmp_path / "t.csv", FOUR), "-q")
    assert rc == 1 and "not writable" in err


def test_write_failure_at_the_end_is_exit_1(tmp_path, capsys, monkeypatch):
    import xlb2b.excel.analysis_sheets as wbmod

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "o.xlsx"))

    monkeypatch.setattr(wbmod, "write_analysis_workbook", denied)
    rc, _, err = run(capsys, "analyze", write(tmp_path / "t.csv", FOUR), "-o", tmp_path / "o.xlsx", "-q")
    assert rc == 1 and "Permission denied" in err and "o.xlsx" in err


# --------------------------------------------------------------------------
# internal errors, progress, subprocess


def test_unexpected_error_is_one_line_exit_3_and_reraised_in_debug(tmp_path, capsys, monkeypatch):
    import xlb2b.pipeline

    def boom(*a, **k):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(xlb2b.pipeline, "analyze", boom)
    monkeypatch.delenv("XLB2B_DEBUG", raising=False)
    tx = write(tmp_path / "t.csv", FOUR)
    rc, _, err = run(capsys, "analyze", tx, "-q")
    assert rc == 3
    assert err.splitlines() == ["internal error: RuntimeError: boom", "run with XLB2B_DEBUG=1 for details"]
    monkeypatch.setenv("XLB2B_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["analyze", str(tx), "-q"])


def test_progress_goes_to_stderr_one_line_per_stage_and_quiet_silences_it(tmp_path, capsys):
    tx = write(tmp_path / "t.csv", FOUR)
    rc, out, err = run(capsys, "analyze", tx, "--csv", tmp_path / "c.csv")
    assert rc == 0
    assert err.splitlines() == ["[1/6] reading transactions", "[2/6] computing metrics", "[3/6] segmenting",
                                "[4/6] comparing windows", "[5/6] writing workbook", "[6/6] writing CSV"]
    assert "reading" not in out
    rc, _, err = run(capsys, "analyze", tx, "--force", "--quiet")
    assert rc == 0 and err == ""


def test_usage_errors_and_help_return_status(capsys):
    assert main([]) == 2
    assert main(["analyze"]) == 2
    assert main(["--help"]) == 0
    printed = capsys.readouterr().out
    assert "analyze" in printed and "settings" in printed
    assert main(["demo", "--help"]) == 0
    assert "overwrites" in capsys.readouterr().out


def _subprocess(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("XLB2B_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "xlb2b.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_subprocess_success_and_input_error(tmp_path):
    write(tmp_path / "t.csv", FOUR)
    p = _subprocess(["analyze", "t.csv", "--csv", "c.csv"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Window:" in p.stdout and "[1/6] reading transactions" in p.stderr
    assert (tmp_path / "t-analysis.xlsx").exists() and (tmp_path / "c.csv").exists()
    write(tmp_path / "bad.csv", "Client,Date\nK1,2025-03-03\n")
    p = _subprocess(["analyze", "bad.csv"], tmp_path)
    assert p.returncode == 2
    assert "error:" in p.stderr and "amount" in p.stderr and "Traceback" not in p.stdout + p.stderr
    p = _subprocess(["analyze", "t.csv"], tmp_path)
    assert p.returncode == 1 and "exists; use --force" in p.stderr


def test_map_option_names_unrecognised_headers(tmp_path, capsys):
    src = tmp_path / "m.csv"
    src.write_text("Покупатель;Когда;Сколько\nA;05.01.2025;100,50\nB;06.01.2025;20\n", encoding="utf-8")
    out = tmp_path / "m.xlsx"
    # without a mapping the headers are unknown: input error
    assert main(["analyze", str(src), "-o", str(out), "--quiet"]) == 2
    assert "--map date=" in " ".join(capsys.readouterr().err.split())     # the table wraps lines
    code = main(["analyze", str(src), "-o", str(out), "--quiet", "--csv", str(tmp_path / "c.csv"),
                 "--map", "client_id=Покупатель", "--map", "date=Когда", "--map", "amount=Сколько"])
    assert code == 0
    import pandas as pd
    clients = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert dict(zip(clients["client_id"], clients["revenue"])) == {"A": 100.5, "B": 20.0}
    assert main(["analyze", str(src), "-o", str(out), "--force", "--quiet", "--map", "client_id"]) == 2
