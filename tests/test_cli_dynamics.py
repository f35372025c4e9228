"""The command line's two-window part: the bridge in the terminal summary, --previous-start/--previous-end."""
from __future__ import annotations

import re

from test_cli import run, write

# W1 = 2024-04-01 .. 2025-03-31 (12 months to the latest month), W0 = 2023-04-01 .. 2024-03-31
SALES = """Client,Date,Amount,Qty
A,2024-03-10,100,10
A,2025-03-10,150,10
B,2023-12-01,80,2
C,2025-02-01,40,1
"""


def bridge_amounts(out: str) -> dict[str, str]:
    block = out.split("Revenue bridge:", 1)[1]
    rows = {}
    for line in block.splitlines()[3:]:
        m = re.match(r"\s+(.+?)\s{2,}(\S*)\s+(-?[\d,]+)\s", line + " ")
        if m:
            rows[m.group(1)] = m.group(3)
    return rows


def test_analyze_prints_the_bridge_by_hand(tmp_path, capsys):
    tx = write(tmp_path / "sales.csv", SALES)
    rc, out, err = run(capsys, "analyze", tx, "-q")
    assert rc == 0
    assert "Revenue bridge: preceding window 2023-04-01 – 2024-03-31 -> analysis window 2024-04-01 – 2025-03-31" in out
    got = bridge_amounts(out)
    # start = A 100 + B 80 ; new C 40 ; lost B -80 ; A: P 10 -> 15 at C = 10: price (15-10)*20/2 = 50, volume 0
    assert got["Start (W0 revenue)"] == "180"
    assert got["New clients"] == "40"
    assert got["Lost clients"] == "-80"
    assert got["Grown: price"] == "50"
    assert got["Grown: volume"] == "0"
    assert got["End (W1 revenue)"] == "190"
    # retention over W0's buyers A and B: 1 of 2; NRR = 150 / 180 ; GRR = 100 / 180
    assert re.search(r"Logo retention\s+1\s+50\.0%", out)
    assert re.search(r"\(NRR\)\s+150\s+83\.3%", out)
    assert re.search(r"\(GRR\)\s+100\s+55\.6%", out)


def test_explicit_previous_window_from_the_command_line(tmp_path, capsys):
    tx = write(tmp_path / "sales.csv", SALES)
    rc, out, _ = run(capsys, "analyze", tx, "-q", "--previous-start", "2023-12-01", "--previous-end", "2024-01-31")
    assert rc == 0
    got = bridge_amounts(out)
    # W0 holds only B (80); A's March 2024 line is in neither window, so A comes back in W1: returned 150
    assert got["Start (W0 revenue)"] == "80"
    assert got["Returned clients"] == "150"
    assert got["End (W1 revenue)"] == "190"


def test_previous_start_without_end_is_a_usage_error(tmp_path, capsys):
    tx = write(tmp_path / "sales.csv", SALES)
    rc, out, err = run(capsys, "analyze", tx, "-q", "--previous-start", "2023-12-01")
    assert rc == 2
    assert "--previous-start needs --previous-end" in err


def test_overlapping_previous_window_is_an_input_error(tmp_path, capsys):
    tx = write(tmp_path / "sales.csv", SALES)
    rc, out, err = run(capsys, "analyze", tx, "-q", "--previous-start", "2024-01-01", "--previous-end", "2024-06-30")
    assert rc == 2
    assert "previous" in (out + err)
