"""Inputs a user brings that the other tests never made: each case checks the exit status, the message
and the numbers against figures worked out by hand."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_module(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "xlb2b", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_python_dash_m_runs_the_command_line():
    done = _run_module("--help")
    assert done.returncode == 0
    assert "analyze" in done.stdout and "Traceback" not in done.stderr
