"""The command line's progress: a bar on a terminal that keeps moving during a long stage, plain lines elsewhere."""
from __future__ import annotations

import io
import time

from xlb2b.cli import output as cli


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_stage_shows_its_own_time_on_a_terminal(monkeypatch):
    err = _Terminal()
    monkeypatch.setattr(cli.sys, "stderr", err)
    monkeypatch.setattr(cli.Stages, "TICK", 0.02)
    with cli.Stages(["reading transactions", "writing workbook"]) as stage:
        stage("reading transactions")
        stage.started -= 3.0                      # as if the stage had run for three seconds
        deadline = time.monotonic() + 5
        while "s in this stage" not in err.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        shown = err.getvalue()
        stage("writing workbook")
    assert "3 s in this stage" in shown
    assert "reading transactions" in shown
    assert stage._ticker is None                  # the redrawing thread ended with the bar


def test_a_short_stage_shows_no_stage_time(monkeypatch):
    err = _Terminal()
    monkeypatch.setattr(cli.sys, "stderr", err)
    monkeypatch.setattr(cli.Stages, "TICK", 0.02)
    with cli.Stages(["reading transactions"]) as stage:
        stage("reading transactions")
        time.sleep(0.1)
    assert "in this stage" not in err.getvalue()


def test_without_a_terminal_one_line_per_stage_and_no_thread(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", err)
    with cli.Stages(["reading transactions", "writing workbook"]) as stage:
        stage("reading transactions")
        stage("writing workbook")
        assert stage._ticker is None
    assert err.getvalue().splitlines() == ["[1/2] reading transactions", "[2/2] writing workbook"]
