"""`xlb2b demo` end to end on a small sample."""
import pandas as pd

from xlb2b.cli import main


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
    import xlb2b.cli as cli
    from xlb2b import InputError, Report

    def broken(args):
        r = Report()
        r.add("not a date", file="t.csv", row=7, column="Дата", value="31.02.2024", severity="fatal")
        raise InputError("t.csv: unusable", r)

    monkeypatch.setattr(cli, "cmd_demo", broken)
    assert main(["demo", str(tmp_path)]) == 2
    err = capsys.readouterr()
    assert "Traceback" not in err.err + err.out
    assert "31.02.2024" in err.out and "Дата" in err.out
