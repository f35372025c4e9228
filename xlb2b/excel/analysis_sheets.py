"""The analysis workbook: live formulas with cached values (METHODOLOGY §3–§4, §9).

Metrics are written as values; every score, code, group and class is a
formula that refers to the Settings sheet, every summary table is built with
SUMIFS/COUNTIFS over the Clients sheet, and every formula carries the value
the Python engine computed, so viewers that do not calculate show the right
numbers while Excel recalculates live when a setting changes.

The writer is put together from its parts: :mod:`~xlb2b.excel.analysis_base` (columns, formats, the
writer's state and cell helpers), :mod:`~xlb2b.excel.analysis_settings` (the Settings sheet, and the settings
read back from it), :mod:`~xlb2b.excel.analysis_clients` (the Clients sheet and its formulas),
:mod:`~xlb2b.excel.analysis_summaries` (summary sheets, bar charts), :mod:`~xlb2b.excel.analysis_contents`
(Contents, ABC curve, portrait, excluded, input issues) and :mod:`~xlb2b.excel.dynamics_sheets` (two windows).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from xlb2b.errors import InputError
from xlb2b.excel.analysis_base import INT, MONEY, RATIO, SHARE, SUMMARY_ORDER
from xlb2b.excel.analysis_clients import _ClientsSheet
from xlb2b.excel.analysis_contents import _OtherSheets
from xlb2b.excel.analysis_settings import _SettingsSheet, settings_from_sheet  # noqa: F401 (udfs/scripts, tests)
from xlb2b.excel.analysis_summaries import _SummarySheets
from xlb2b.excel.labels import column_header, sheet_name  # noqa: F401 (column_header: tests)
from xlb2b.excel.rows import Column, add_rows
from xlb2b.io_util import atomic_write


class _Writer(_SettingsSheet, _ClientsSheet, _SummarySheets, _OtherSheets):
    """The analysis workbook's writer: every sheet laid out in one XlsxWriter or recording workbook."""

    # ------------------------------------------------------------------ all
    def write(self) -> None:
        if self.buffer is None or self.filename is None:
            raise ValueError("this writer renders into a given workbook; it has no file of its own")
        self.build()
        self.wb.close()
        add_rows(self.buffer.getvalue(), self.filename, self.fast_rows)

    def build(self) -> None:
        """Lay every sheet out in ``self.wb``; the Clients rows are left in
        ``self.fast_rows`` ({sheet number: (rows, columns)})."""
        self.summary_pos: dict[str, tuple] = {}
        self.fast_rows: dict[int, tuple[int, list[Column]]] = {}
        self.clients_layout()
        self.contents()
        self.settings_sheet()
        self.clients_sheet()
        for name in SUMMARY_ORDER:
            self.summary_sheet(name)
        self.bar_chart("psc_group", 1)
        self.bar_chart("dsl_level", 1)
        self.abc_curve()
        try:
            portrait = self.a.portrait()
        except InputError:  # no attributes to compare: an empty sheet says so
            portrait = pd.DataFrame(
                columns=["attribute", "value", "clients_a", "share_a", "clients_all", "share_all", "lift"]
            )
        self.frame_sheet(
            "portrait",
            portrait,
            {"share_a": SHARE, "share_all": SHARE, "lift": RATIO, "clients_a": INT, "clients_all": INT},
        )
        if self.a.dynamics is not None:
            from xlb2b.excel.dynamics_sheets import dynamics_sheets

            dynamics_sheets(self)
        self.frame_sheet("excluded", self.a.excluded, {"revenue": MONEY})
        issues = self.a.report.to_frame()
        ws = self.frame_sheet("input_issues", issues, {"row": INT})
        self.reading_block(ws, len(issues.columns) + 1)


def add_analysis_sheets(
    workbook, analysis, *, lang: str = "en", sources: dict[str, str] | None = None, taken: Iterable[str] = ()
) -> list[str]:
    """Lay the analysis sheets out in a recording workbook
    (:class:`xlb2b.excel.live.RecordingWorkbook`), the Clients rows included, for
    :func:`xlb2b.excel.live.render`; sheet names avoid ``taken`` (a number is
    added).  Returns the sheet names."""
    w = _Writer(analysis, None, lang, sources, workbook, taken)
    w.build()
    sheets = workbook.worksheets()
    for number, (_n, columns) in w.fast_rows.items():
        sheets[number - 1].add_rows(1, columns)
    return [ws.get_name() for ws in sheets]


def analysis_sheet_names(lang: str = "en") -> list[str]:
    """The names of the sheets the analysis writes, in ``lang``."""
    from xlb2b.excel.dynamics_sheets import SHEET_KEYS

    return [
        sheet_name(k, lang)
        for k in (
            ["contents", "settings", "clients", "abc_curve", "portrait", "excluded", "input_issues"]
            + [f"summary_{n}" for n in SUMMARY_ORDER]
            + SHEET_KEYS
        )
    ]


def write_analysis_workbook(analysis, path, *, lang: str = "en", sources: dict[str, str] | None = None) -> Path:
    """Write the analysis workbook to ``path`` atomically; returns the path."""
    path = Path(path)
    atomic_write(path, lambda tmp: _Writer(analysis, tmp, lang, sources).write())
    return path
