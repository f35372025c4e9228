"""Input problems: one record per rejected value, collected into a report.

Nothing is dropped silently: every row or value that a reader or the analysis
leaves out is listed here with the file, sheet, row, column, value and reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

#: severities, from the mildest
INFO, WARNING, ERROR, FATAL = "info", "warning", "error", "fatal"


@dataclass(frozen=True)
class Problem:
    """One problem found in the input.

    ``row`` is the row number a person sees: the Excel row (header is row 1)
    or the CSV line number; ``None`` when the problem concerns a whole column
    or file.
    """

    reason: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: Any = None
    severity: str = ERROR

    def __str__(self) -> str:
        where = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        loc = ", ".join(where)
        val = "" if self.value is None else f" (value {self.value!r})"
        return f"{loc}: {self.reason}{val}" if loc else f"{self.reason}{val}"


COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "reason"]


@dataclass
class Report:
    """An ordered collection of :class:`Problem`."""

    problems: list[Problem] = field(default_factory=list)
    #: what was read from each input (:class:`xlb2b.inputs.reading.Reading`), in reading order
    readings: list[Any] = field(default_factory=list)

    def add(self, reason: str, **where: Any) -> Problem:
        p = Problem(reason, **where)
        self.problems.append(p)
        return p

    def extend(self, other: Report | Iterable[Problem]) -> None:
        if isinstance(other, Report):
            self.problems.extend(other.problems)
            self.readings.extend(r for r in other.readings if all(r is not x for x in self.readings))
        else:
            self.problems.extend(other)

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self):
        return iter(self.problems)

    def __bool__(self) -> bool:  # an empty report is still a report
        return True

    @property
    def fatal(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == FATAL]

    def to_frame(self) -> pd.DataFrame:
        if not self.problems:
            return pd.DataFrame(columns=COLUMNS)
        return pd.DataFrame([asdict(p) for p in self.problems])[COLUMNS]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "no problems"


class InputError(ValueError):
    """Raised when the input cannot be used at all; ``.report`` lists why."""

    def __init__(self, message: str, report: Report | None = None):
        self.report = report if report is not None else Report()
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        fatal = self.report.fatal if self.report else []
        if not fatal:
            return base
        lines = "\n".join(f"  - {p}" for p in fatal[:20])
        more = f"\n  ... and {len(fatal) - 20} more" if len(fatal) > 20 else ""
        return f"{base}\n{lines}{more}"
