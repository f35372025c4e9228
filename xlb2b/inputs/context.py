"""Where the reader is (file, sheet) and the report it fills, for messages."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from xlb2b.errors import FATAL, InputError, Problem, Report

#: when a table is refused for too many bad rows, at most this many problems
#: are listed (the first ones, in row order)
MAX_PROBLEMS_WHEN_REFUSED = 200

# --------------------------------------------------------------------------
# context: where we are, for messages


@dataclass
class _Ctx:
    kind: str
    label: str
    sheet: str = ""
    report: Report = field(default_factory=Report)
    pending_fatal: int = 0
    #: how the header row of a grid was found (:class:`xlb2b.inputs.raw.HeaderFound`)
    header: Any = None

    def problem(self, reason: str, **kw: Any) -> Problem:
        return Problem(reason, file=self.label, sheet=self.sheet, **kw)

    def add_fatal(self, reason: str, **kw: Any) -> None:
        self.report.problems.append(self.problem(reason, severity=FATAL, **kw))
        self.pending_fatal += 1

    def raise_if_fatal(self) -> None:
        if self.pending_fatal:
            raise InputError(f"cannot read the {self.kind} table from {self.label}", self.report)

    def fatal(self, reason: str, **kw: Any) -> NoReturn:
        self.add_fatal(reason, **kw)
        self.raise_if_fatal()
        raise AssertionError("unreachable")  # pragma: no cover


def _default_label(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    if isinstance(source, pd.DataFrame):
        return "data frame"
    return "range"
