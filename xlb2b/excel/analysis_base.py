"""What the analysis workbook's sheets share: columns, number formats, the writer's state and cell helpers.

The analysis writer (:class:`xlb2b.excel.analysis_sheets._Writer`) is one class put together from a part per
kind of sheet, each a subclass of :class:`_WriterBase`: :mod:`~xlb2b.excel.analysis_settings`,
:mod:`~xlb2b.excel.analysis_clients`, :mod:`~xlb2b.excel.analysis_summaries` and
:mod:`~xlb2b.excel.analysis_contents`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.segments import psc_basis
from xlb2b.excel.labels import _Labels, column_header, sheet_name
from xlb2b.excel.names import _q, sheet_names
from xlb2b.excel.rows import Column, _fast_sheet_class, new_workbook
from xlb2b.io_util import column_letter
from xlb2b.locale import label

SUMMARY_ORDER = ["psc_group", "psc", "dsl_level", "dsl", "kml", "spl", "rfm_segment", "rfm", "abc", "xyz"]
MONEY, INT, SHARE, RATIO, DATE, TEXT, SCORE = "money", "int", "share", "ratio", "date", "text", "score"

# Clients-sheet value columns: (key, number format)
VALUE_COLUMNS: list[tuple[str, str]] = [
    ("client_id", TEXT),
    ("name", TEXT),
    ("industry", TEXT),
    ("region", TEXT),
    ("manager", TEXT),
    ("revenue", MONEY),
    ("gross_profit", MONEY),
    ("margin", SHARE),
    ("orders", INT),
    ("units", RATIO),
    ("lines", INT),
    ("avg_unit_price", MONEY),
    ("avg_check", MONEY),
    ("depth", RATIO),
    ("skus", INT),
    ("categories", INT),
    ("top_category_share", SHARE),
    ("first_date", DATE),
    ("last_date", DATE),
    ("recency_days", INT),
    ("tenure_months", INT),
    ("active_months", INT),
    ("months_observed", INT),
    ("regularity", SHARE),
    ("monthly_cv", RATIO),
    ("ltv", MONEY),
    ("capacity_units", RATIO),
    ("revenue_per_capacity", MONEY),
    ("overdue_days", INT),
    ("overdue_amount", MONEY),
    ("overdue_flag", INT),
    ("suppliers", INT),
    ("hhi", RATIO),
    ("market_spend", MONEY),
    ("sow", SHARE),
    ("share_before", SHARE),
    ("psc_p_basis", RATIO),
    ("psc_c_basis", RATIO),
    # the preceding window W0 (§11) and lapse risk (§12), when the analysis compared the windows
    ("revenue_w0", MONEY),
    ("units_w0", RATIO),
    ("status", TEXT),
    ("price_effect", MONEY),
    ("volume_effect", MONEY),
    ("psc_group_w0", TEXT),
    ("abc_class_w0", TEXT),
    ("rfm_segment_w0", TEXT),
    ("dsl_level_w0", INT),
    ("xyz_class_w0", TEXT),
    ("purchase_dates", INT),
    ("typical_gap", RATIO),
]
#: Clients-sheet columns of the two-window section (values), shown whenever the analysis has them
DYNAMICS_VALUE_COLUMNS = {
    "revenue_w0",
    "units_w0",
    "status",
    "price_effect",
    "volume_effect",
    "psc_group_w0",
    "abc_class_w0",
    "rfm_segment_w0",
    "dsl_level_w0",
    "xyz_class_w0",
    "purchase_dates",
    "typical_gap",
}
#: formula columns after FORMULA_COLUMNS when the analysis compared the windows
LAPSE_FORMULA_COLUMNS = ["lapse_ratio", "lapse_status"]
ALWAYS = {
    "client_id",
    "revenue",
    "orders",
    "units",
    "recency_days",
    "regularity",
    "monthly_cv",
    "share_before",
    "psc_p_basis",
    "psc_c_basis",
    "tenure_months",
    "top_category_share",
    "categories",
    "gross_profit",
    "suppliers",
    "hhi",
    "market_spend",
    "sow",
    "capacity_units",
    "overdue_days",
    "overdue_amount",
    "overdue_flag",
    "skus",
}
FORMULA_COLUMNS = [
    "psc_p",
    "psc_s",
    "psc_c",
    "psc_code",
    "psc_group",
    "spl_s",
    "spl_p",
    "spl_l",
    "spl_code",
    "kml_k",
    "kml_m",
    "kml_l",
    "kml_code",
    "dsl_d",
    "dsl_s",
    "dsl_l",
    "dsl_code",
    "dsl_level",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_code",
    "rfm_segment",
    "abc_class",
    "xyz_class",
]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _excel(v: Any) -> Any:
    """A Python result as Excel shows it: missing -> "" (formulas return "")."""
    if _missing(v):
        return ""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


class _WriterBase:
    """The writer's state (the analysis, its settings, labels, formats, sheet names) and its cell helpers."""

    # set by the parts as they lay their sheets out; declared here, where every part reads them
    col: dict[str, int]
    rule_rows: list[tuple[int, str]]
    summary_pos: dict[str, tuple]
    fast_rows: dict[int, tuple[int, list[Column]]]

    def __init__(
        self,
        analysis,
        filename: str | None,
        lang: str,
        sources: dict[str, str] | None,
        workbook=None,
        taken: Iterable[str] = (),
    ):
        self.a = analysis
        self.s = analysis.settings
        self.t = _Labels(lang)
        self.lang = lang
        self.sources = sources or {k: v.source for k, v in analysis.inputs.items()}
        self.filename = filename
        self.buffer = None
        if workbook is None:
            self.buffer = io.BytesIO()
            workbook = new_workbook(self.buffer, in_memory=True)
        self.wb = workbook
        self.group_tr = self.t.translator("psc_group")
        self.rfm_tr = self.t.translator("rfm_segment")
        # the fast row path writes file XML; a recording workbook takes the rows as they are
        self.sheet_class = _fast_sheet_class() if self.buffer is not None else None
        keys = ["contents", "settings", "clients", "abc_curve", "portrait", "excluded", "input_issues"] + [
            f"summary_{n}" for n in SUMMARY_ORDER
        ]
        if analysis.dynamics is not None:
            from xlb2b.excel.dynamics_sheets import SHEET_KEYS

            keys += SHEET_KEYS
        self.sheet_names = dict(zip(keys, sheet_names([sheet_name(k, lang) for k in keys], taken)))
        self._formats()
        c = analysis.clients.copy()
        pb, cb = psc_basis(c, self.s)
        c["psc_p_basis"], c["psc_c_basis"] = pb, cb
        self.formula_columns = FORMULA_COLUMNS + (LAPSE_FORMULA_COLUMNS if "lapse_ratio" in c else [])
        if "status" in c:
            status_tr = lambda v: label(f"client_status.{v}", lang) if isinstance(v, str) else v
            c["status"] = self.cached_column(c["status"], status_tr)
            c["psc_group_w0"] = self.cached_column(c["psc_group_w0"], self.group_tr)
            c["rfm_segment_w0"] = self.cached_column(c["rfm_segment_w0"], self.rfm_tr)
            for k in ("status", "psc_group_w0", "rfm_segment_w0", "abc_class_w0", "xyz_class_w0"):
                c[k] = pd.Series(c[k], index=c.index, dtype=object).replace("", None)
        self.c = c
        self.n = len(c)
        self.last = max(self.n, 1) + 1  # last data row (1-based) of the Clients sheet

    # ------------------------------------------------------------------ formats
    def _formats(self) -> None:
        wb = self.wb
        date = "dd.mm.yyyy" if self.lang == "ru" else "yyyy-mm-dd"
        self.f = {
            MONEY: wb.add_format({"num_format": "#,##0.00"}),
            INT: wb.add_format({"num_format": "#,##0"}),
            SHARE: wb.add_format({"num_format": "0.0%"}),
            RATIO: wb.add_format({"num_format": "#,##0.00"}),
            SCORE: wb.add_format({"num_format": "0", "align": "center"}),
            DATE: wb.add_format({"num_format": date}),
            TEXT: wb.add_format({}),
        }
        self.f_head = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        )
        self.f_title = wb.add_format({"bold": True, "font_size": 14})
        self.f_bold = wb.add_format({"bold": True})
        self.f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.f_edit = {
            k: wb.add_format({"num_format": self.f[k].num_format, "bg_color": "#FFF2CC", "border": 1})
            for k in (MONEY, INT, SHARE, RATIO, TEXT)
        }
        self.f_edit_date = wb.add_format({"num_format": self.f[DATE].num_format, "bg_color": "#FFF2CC", "border": 1})
        self.f_calc = {
            k: wb.add_format({"num_format": self.f[k].num_format, "bg_color": "#E2EFDA", "border": 1})
            for k in (MONEY, INT, SHARE, RATIO)
        }
        self.f_total = {
            k: wb.add_format({"num_format": self.f[k].num_format, "bold": True, "top": 1})
            for k in (MONEY, INT, SHARE, RATIO, TEXT)
        }
        self.f_link = wb.add_format({"font_color": "blue", "underline": 1})

    # ------------------------------------------------------------------ helpers
    def header(self, key: str) -> str:
        return column_header(key, self.lang)

    def value(self, ws, r: int, col: int, v: Any, fmt) -> None:
        if _missing(v):
            return
        if isinstance(v, str):
            ws.write_string(r, col, v, fmt)
        elif isinstance(v, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
            ws.write_datetime(r, col, pd.Timestamp(v).to_pydatetime(), fmt)
        elif isinstance(v, (bool, np.bool_)):
            ws.write_boolean(r, col, bool(v), fmt)
        else:
            ws.write_number(r, col, float(v), fmt)

    def name(self, key: str, sheet: str, row: int, col: int) -> None:
        self.wb.define_name(key, f"={_q(sheet)}!${column_letter(col)}${row + 1}")

    def crange(self, key: str) -> str:
        letter = column_letter(self.col[key])
        return f"{_q(self.sheet_names['clients'])}!${letter}$2:${letter}${self.last}"

    @staticmethod
    def cached_column(values: pd.Series, translate=None) -> np.ndarray:
        """Engine results as the formulas show them: missing -> "", integers
        as numbers, names translated."""
        if pd.api.types.is_numeric_dtype(values.dtype):
            v = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
            out = v.astype(object)
            out[np.isnan(v)] = ""
            return out
        out = values.astype(object).to_numpy().copy()
        miss = pd.isna(out)
        out[miss] = ""
        if translate is not None:
            codes, uniques = pd.factorize(pd.Series(out[~miss], dtype=object))
            out[~miss] = np.asarray([translate(u) for u in uniques], dtype=object)[codes]
        return out
