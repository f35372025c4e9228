"""The analysis workbook's Contents sheet, ABC curve and plain tables (portrait, excluded clients, input issues)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from xlb2b.analysis.summary import abc_curve_points
from xlb2b.excel.analysis_base import RATIO, SHARE, SUMMARY_ORDER, TEXT, _WriterBase
from xlb2b.excel.names import _q


class _OtherSheets(_WriterBase):
    """Contents, the ABC curve and the sheets of plain tables with the reading report."""

    # ------------------------------------------------------------------ other sheets
    def abc_curve(self) -> None:
        sheet = self.sheet_names["abc_curve"]
        ws = self.wb.add_worksheet(sheet, self.sheet_class)
        points = abc_curve_points(self.c["revenue"].to_numpy(dtype=float))
        xs, ys = points[:, 0], points[:, 1]
        ws.write_string(0, 0, self.header("cumulative_share_clients"), self.f_head)
        ws.write_string(0, 1, self.header("cumulative_share_revenue"), self.f_head)
        for i, (x, y) in enumerate(zip(xs, ys), start=1):
            ws.write_number(i, 0, float(x), self.f[SHARE])
            ws.write_number(i, 1, float(y), self.f[SHARE])
        ws.set_column(0, 1, 22)
        ws.freeze_panes(1, 0)
        chart = self.wb.add_chart({"type": "scatter", "subtype": "straight"})
        chart.add_series(
            {
                "name": self.t("summary_title.abc", "ABC"),
                "categories": [sheet, 1, 0, len(xs), 0],
                "values": [sheet, 1, 1, len(xs), 1],
            }
        )
        chart.set_title({"name": self.t("sheet.abc_curve", "ABC curve")})
        chart.set_x_axis({"name": self.header("cumulative_share_clients"), "num_format": "0%", "min": 0, "max": 1})
        chart.set_y_axis({"name": self.header("cumulative_share_revenue"), "num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 420})
        ws.insert_chart(1, 3, chart)

    def frame_sheet(self, key: str, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> Any:
        ws = self.wb.add_worksheet(self.sheet_names[key], self.sheet_class)
        formats = formats or {}
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, self.header(col), self.f_head)
            ws.set_column(j, j, 60 if col == "reason" else 18)
        for i, rec in enumerate(frame.itertuples(index=False), start=1):
            for j, v in enumerate(rec):
                col = frame.columns[j]
                self.value(ws, i, j, v, self.f[formats.get(col, TEXT if isinstance(v, str) else RATIO)])
        ws.freeze_panes(1, 0)
        if len(frame):
            ws.autofilter(0, 0, len(frame), len(frame.columns) - 1)
        return ws

    def reading_block(self, ws, col: int) -> None:
        """The reading report of every input, from column ``col`` (right of the problems table)."""
        readings = [r for r in getattr(self.a.report, "readings", []) if r is not None]
        ws.set_column(col, col, 24)
        ws.set_column(col + 1, col + 1, 110)
        ws.write_string(0, col, self.t("contents.reading", "What was read"), self.f_bold)
        row = 1
        if not readings:
            ws.write_string(
                row,
                col + 1,
                self.t("contents.reading_none", "no reading report (the inputs were given as tables already read)"),
            )
        for r in readings:
            ws.write_string(row, col, r.kind, self.f_bold)
            row += 1
            for item, text in r.items():
                if item:
                    ws.write_string(row, col, item)
                ws.write_string(row, col + 1, text)
                row += 1
            row += 1

    def contents(self) -> None:
        t = self.t
        ws = self.wb.add_worksheet(self.sheet_names["contents"], self.sheet_class)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 100)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.write_string(0, 0, t("contents.title", "xlb2b client-base analysis"), self.f_title)
        row = 2
        info = [
            (t("contents.window", "Window"), str(self.a.window)),
            (t("contents.generated", "Generated"), dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ]
        for kind, src in self.sources.items():
            info.append((f"{t('contents.inputs', 'Input')}: {kind}", str(src)))
        info.append(
            (t("contents.clients_count", "Clients analysed / excluded"), f"{self.n:,} / {len(self.a.excluded):,}")
        )
        for k, v in info:
            ws.write_string(row, 0, k, self.f_bold)
            ws.write_string(row, 1, v)
            row += 1
        row += 1
        ws.write_string(
            row,
            1,
            t(
                "contents.how_to_change",
                "Change any yellow cell on the Settings sheet; every score, code, class and summary recalculates.",
            ),
            self.f_wrap,
        )
        row += 2
        dyn = []
        if self.a.dynamics is not None:
            from xlb2b.excel.dynamics_sheets import SHEET_KEYS

            dyn = SHEET_KEYS
        for key in (
            ["settings", "clients"]
            + [f"summary_{n}" for n in SUMMARY_ORDER]
            + ["abc_curve", "portrait"]
            + dyn
            + ["excluded", "input_issues"]
        ):
            sheet = self.sheet_names[key]
            ws.write_url(row, 0, f"internal:{_q(sheet)}!A1", self.f_link, sheet)
            ws.write_string(row, 1, t(f"contents.{key}", ""))
            row += 1
