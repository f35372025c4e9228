"""The analysis workbook: live formulas with cached values (METHODOLOGY §3–§4, §9).

Metrics are written as values; every score, code, group and class is a
formula that refers to the Settings sheet, every summary table is built with
SUMIFS/COUNTIFS over the Clients sheet, and every formula carries the value
the Python engine computed, so viewers that do not calculate show the right
numbers while Excel recalculates live when a setting changes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.segments import psc_basis
from xlb2b.analysis.summary import (
    BASE_COLUMNS,
    KML_COLUMNS,
    NOT_SEGMENTED,
    SEGMENT_COLUMNS,
    TOTAL,
    abc_curve_points,
)
from xlb2b.errors import InputError
from xlb2b.excel.criteria import is_plain, sum_exact
from xlb2b.excel.labels import DEFAULT_HEADERS, _Labels, column_header, segment_label, sheet_name  # noqa: F401
from xlb2b.excel.names import _q, sheet_names
from xlb2b.excel.rows import (
    Column,
    _fast_sheet_class,
    add_rows,
    client_table_frame,
    date_serials,
    escape_xml,
    new_workbook,
)
from xlb2b.io_util import atomic_write, column_letter
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


class _Writer:
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

    # ------------------------------------------------------------------ settings
    def settings_sheet(self) -> None:
        s, t = self.s, self.t
        name = self.sheet_names["settings"]
        ws = self.wb.add_worksheet(name, self.sheet_class)
        self.ws_settings = ws
        ws.set_column(0, 0, 46)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 18)
        ws.set_column(3, 3, 70)
        ws.set_column(4, 4, 14)
        ws.write_string(0, 0, t("sheet.settings", "Settings"), self.f_title)
        ws.write_string(
            1,
            0,
            t(
                "contents.how_to_change",
                "Change any yellow cell: every score, code, class and "
                "summary recalculates. Green cells are calculated.",
            ),
            self.f_wrap,
        )
        row = 3
        for key, txt in (
            ("column.setting", "Setting"),
            ("column.value", "Value"),
            ("column.name", "Name"),
            ("column.hint", "What it is"),
            ("column.as_analysed", "As analysed"),
        ):
            ws.write_string(
                row,
                ["column.setting", "column.value", "column.name", "column.hint", "column.as_analysed"].index(key),
                t(key, txt),
                self.f_head,
            )
        row += 1
        w = self.a.window
        dates = [("window_start", w.start), ("window_end", w.end)]
        if self.a.dynamics is not None:
            dates += [("previous_start", self.a.dynamics.w0.start), ("previous_end", self.a.dynamics.w0.end)]
        # the windows are read back by Refresh (settings_from_sheet): an edited date makes its window
        # explicit; W1's dates as analysed (column E) tell an edit from data that moved the window since
        for key, v in dates:
            ws.write_string(row, 0, t(f"setting.{key}"))
            ws.write_datetime(row, 1, v.to_pydatetime(), self.f_edit_date)
            ws.write_string(row, 2, key)
            ws.write_string(row, 3, t(f"setting_hint.{key}", "Analysis window (metrics are computed for it)"))
            if key.startswith("window"):
                ws.write_datetime(row, 4, v.to_pydatetime(), self.f[DATE])
            self.name(key, name, row, 1)
            row += 1
        if self.a.dynamics is not None:
            for key, v, choices in (
                ("migration_cuts", s.migration_cuts, ["own", "current"]),
                ("cohort_period", s.cohort_period, ["quarter", "year"]),
            ):
                ws.write_string(row, 0, t(f"setting.{key}"))
                ws.write_string(row, 1, v, self.f_edit[TEXT])
                ws.data_validation(row, 1, row, 1, {"validate": "list", "source": choices})
                ws.write_string(row, 2, key)
                ws.write_string(row, 3, t(f"setting_hint.{key}", ""))
                row += 1
        fixed = [
            ("quantile_k", s.quantile_k),
            ("rfm_k", s.rfm_k),
            ("psc_price_basis", s.psc_price_basis),
            ("months_observed_floor", s.months_observed_floor),
        ]
        for key, v in fixed:
            ws.write_string(row, 0, t(f"setting.{key}"))
            self.value(ws, row, 1, v, self.f[INT] if not isinstance(v, str) else self.f[TEXT])
            ws.write_string(row, 2, key)
            ws.write_string(
                row,
                3,
                t(
                    "setting_hint.fixed_here",
                    "Fixed in this workbook: change it in the settings file and run the analysis again.",
                ),
            )
            row += 1
        editable = [
            ("psc_s2_min", s.psc_s_bounds[0], SHARE),
            ("psc_s3_min", s.psc_s_bounds[1], SHARE),
            ("spl_overdue_days", s.spl_overdue_days, INT),
            ("kml_k2_min", s.kml_k_bounds[0], INT),
            ("kml_k3_min", s.kml_k_bounds[1], INT),
            ("kml_m2_min", s.kml_m_bounds[0], RATIO),
            ("kml_m3_min", s.kml_m_bounds[1], RATIO),
            ("dsl_d2_min", s.dsl_d_bounds[0], INT),
            ("dsl_d3_min", s.dsl_d_bounds[1], INT),
            ("dsl_s2_below", s.dsl_s_bounds[1], SHARE),
            ("dsl_s3_below", s.dsl_s_bounds[0], SHARE),
            ("abc_a_below", s.abc_cuts[0], SHARE),
            ("abc_b_below", s.abc_cuts[1], SHARE),
            ("xyz_x_max", s.xyz_cuts[0], SHARE),
            ("xyz_y_max", s.xyz_cuts[1], SHARE),
        ]
        if self.a.dynamics is not None:
            editable += [("lapse_late_min", s.lapse_bounds[0], RATIO), ("lapse_lapsing_min", s.lapse_bounds[1], RATIO)]
        for key, v, kind in editable:
            ws.write_string(row, 0, t(f"setting.{key}"))
            ws.write_number(row, 1, float(v), self.f_edit[kind])
            ws.write_string(row, 2, key)
            ws.write_string(row, 3, t(f"setting_hint.{key}", ""))
            self.name(key, name, row, 1)
            row += 1
        # portfolio scoring (used by the BCG scoring sheet): weights and bounds, editable
        row += 1
        ws.write_string(row, 0, t("setting.bcg", "BCG portfolio scoring"), self.f_bold)
        row += 1
        bcg: list[tuple[str, Any, str, str | None]] = [
            (f"bcg_weight_{k}", w, RATIO, t(f"bcg_factor.{k}", k)) for k, w in s.bcg_weights.items()
        ]
        bcg += [
            ("bcg_tier_medium", s.bcg_tier_bounds[0], RATIO, None),
            ("bcg_tier_high", s.bcg_tier_bounds[1], RATIO, None),
        ]
        bcg += [(f"bcg_sow_{j + 2}", b, SHARE, None) for j, b in enumerate(s.bcg_sow_bounds)]
        bcg += [("bant_threshold", s.bant_threshold, INT, None)]
        for key, v, kind, text in bcg:
            ws.write_string(row, 0, text or t(f"setting.{key}"))
            ws.write_number(row, 1, float(v), self.f_edit[kind])
            ws.write_string(row, 2, key)
            ws.write_string(row, 3, t(f"setting_hint.{key}", ""))
            self.name(key, name, row, 1)
            row += 1
        ws.write_string(row, 0, t("setting.our_supplier", "Our name in the Market table"))
        ws.write_string(row, 1, s.our_supplier, self.f_edit[TEXT])
        ws.write_string(row, 2, "our_supplier")
        row += 1
        # quantile cut points: PERCENTILE.INC over the bounded Clients columns
        row += 1
        ws.write_string(row, 0, t("setting.cut_points", "Quantile cut points (PERCENTILE.INC)"), self.f_bold)
        row += 1
        cuts = self.a.cut_points
        specs = [
            ("psc_p", "psc_p_basis", self.s.quantile_k, False),
            ("psc_c", "psc_c_basis", self.s.quantile_k, False),
            ("spl_l", "gross_profit", self.s.quantile_k, False),
            ("kml_l", "market_spend", self.s.quantile_k, False),
            ("dsl_l", "gross_profit", self.s.quantile_k, False),
            ("rfm_r", "recency_days", self.s.rfm_k, True),
            ("rfm_f", "orders", self.s.rfm_k, False),
            ("rfm_m", "revenue", self.s.rfm_k, False),
        ]
        for key, col, k, desc in specs:
            rng = self.crange(col)
            got = cuts.get(key) or []
            for j in range(1, k):
                q = f"{k - j}/{k}" if desc else f"{j}/{k}"
                cached = _excel(got[j - 1]) if j - 1 < len(got) else ""
                nm = f"{key}_cut{j}"
                ws.write_string(row, 0, t(f"setting.{nm}", f"{key.upper().replace('_', ' ')} cut point {j}"))
                ws.write_formula(row, 1, f'IFERROR(_xlfn.PERCENTILE.INC({rng},{q}),"")', self.f_calc[RATIO], cached)
                ws.write_string(row, 2, nm)
                self.name(nm, name, row, 1)
                row += 1
        # PSC group rule table
        row += 1
        ws.write_string(row, 0, t("setting.psc_groups", "PSC named groups: first matching rule wins"), self.f_bold)
        row += 1
        rule_cols = ["rule_group", "p_min", "p_max", "s_min", "s_max", "c_min", "c_max", "tenure_min", "tenure_max"]
        for j, key in enumerate(rule_cols):
            ws.write_string(row, j, t(f"setting.{key}", key.replace("_", " ")), self.f_head)
        row += 1
        full = {
            "p_min": 1,
            "p_max": 3,
            "s_min": 1,
            "s_max": 3,
            "c_min": 1,
            "c_max": 3,
            "tenure_min": 0,
            "tenure_max": 9999,
        }
        self.rules: list[dict[str, str]] = []
        self.rule_rows: list[tuple[int, str]] = []
        for rule in self.s.psc_groups:
            refs: dict[str, str] = {}
            group = self.group_tr(rule["group"])
            ws.write_string(row, 0, group, self.f_edit[TEXT])
            refs["group"] = f"{_q(name)}!$A${row + 1}"
            for j, key in enumerate(rule_cols[1:], start=1):
                v = rule.get(key)
                v = full[key] if v is None else v
                ws.write_number(row, j, float(v), self.f_edit[INT])
                refs[key] = f"{_q(name)}!${column_letter(j)}${row + 1}"
            self.rules.append(refs)
            self.rule_rows.append((row, group))
            row += 1
        # RFM grid
        row += 1
        ws.write_string(
            row,
            0,
            t("setting.rfm_grid", "RFM segments: row R (5 at the top), column FM = round-half-up((F+M)/2)"),
            self.f_bold,
        )
        row += 1
        for j in range(5):
            ws.write_string(row, 1 + j, f"FM{j + 1}", self.f_head)
        row += 1
        top = row
        for i, names in enumerate(self.s.rfm_grid):
            ws.write_string(row, 0, f"R{5 - i}", self.f_head)
            for j, nm in enumerate(names):
                ws.write_string(row, 1 + j, self.rfm_tr(nm), self.f_edit[TEXT])
            row += 1
        self.wb.define_name("rfm_grid", f"={_q(name)}!$B${top + 1}:$F${top + 5}")
        ws.freeze_panes(4, 0)
        ws.fit_to_pages(1, 0)

    # ------------------------------------------------------------------ clients
    def clients_layout(self) -> None:
        c = self.c
        cols = [
            (k, f)
            for k, f in VALUE_COLUMNS
            if k in c and (k in ALWAYS or k in DYNAMICS_VALUE_COLUMNS or c[k].notna().any())
        ]
        self.value_cols = cols
        self.col: dict[str, int] = {k: i for i, (k, _) in enumerate(cols)}
        for j, k in enumerate(self.formula_columns):
            self.col[k] = len(cols) + j

    def crange(self, key: str) -> str:
        letter = column_letter(self.col[key])
        return f"{_q(self.sheet_names['clients'])}!${letter}$2:${letter}${self.last}"

    def formulas(self) -> dict[str, Callable[[Callable[[str], str]], str]]:
        """Formula per score/code column; ``x(key)`` gives the same-row cell."""

        def lapse(key):
            return label(f"lapse_status.{key}", self.lang).replace('"', '""')

        def q3(key, basis):
            return lambda x: f'IF({x(basis)}="","",1+({x(basis)}>{key}_cut1)+({x(basis)}>{key}_cut2))'

        def up(basis, b1, b2):
            return lambda x: f'IF({x(basis)}="","",1+({x(basis)}>={b1})+({x(basis)}>={b2}))'

        def code(parts, sep="_"):
            def f(x):
                blank = ",".join(f'{x(k)}=""' for _, k in parts)
                join = f'&"{sep}"&'.join(f'"{letter}"&{x(k)}' for letter, k in parts)
                return f'IF(OR({blank}),"",{join})'

            return f

        def group(x):
            # the first rule of the Settings table whose eight bounds hold:
            # SUMPRODUCT evaluates the comparisons over the table's columns
            # without an array formula (Excel 2016, LibreOffice); the largest
            # "rows from the bottom" of a matching rule is the first one; no
            # match gives INDEX(...) beyond the table, #REF!, hence ""
            if not self.rule_rows:
                return '""'
            first, last = self.rule_rows[0][0] + 1, self.rule_rows[-1][0] + 1
            sheet = _q(self.sheet_names["settings"])

            def col(j: int) -> str:
                letter = column_letter(j)
                return f"{sheet}!${letter}${first}:${letter}${last}"

            match = "*".join(
                f"({x(k)}>={col(lo)})*({x(k)}<={col(lo + 1)})"
                for k, lo in (("psc_p", 1), ("psc_s", 3), ("psc_c", 5), ("tenure_months", 7))
            )
            weight = f"({last + 1}-ROW({col(0)}))"
            n = last - first + 1
            return f'IF({x("psc_code")}="","",IFERROR(INDEX({col(0)},{n + 1}-SUMPRODUCT(MAX({match}*{weight}))),""))'

        def spl_p(x):
            d, a, f = (x(k) if k in self.col else '""' for k in ("overdue_days", "overdue_amount", "overdue_flag"))
            return (
                f'IF(AND({d}="",{a}="",{f}=""),"",IF({d}<>"",IF({d}<=0,3,IF({d}<=spl_overdue_days,2,1)),'
                f'IF({a}<>"",IF({a}>0,1,3),IF({f}>0,1,3))))'
            )

        def rfm_q(key, basis, desc):
            op = "<" if desc else ">"
            return lambda x: (
                f'IF({x(basis)}="","",1+' + "+".join(f"({x(basis)}{op}{key}_cut{j})" for j in range(1, 5)) + ")"
            )

        return {
            "psc_p": q3("psc_p", "psc_p_basis"),
            "psc_s": up("regularity", "psc_s2_min", "psc_s3_min"),
            "psc_c": q3("psc_c", "psc_c_basis"),
            "psc_code": lambda x: (
                f'IF(OR({x("psc_p")}="",{x("psc_c")}=""),"","P"&{x("psc_p")}&"_S"&{x("psc_s")}&"_C"&{x("psc_c")})'
            ),
            "psc_group": group,
            "spl_s": up("regularity", "psc_s2_min", "psc_s3_min"),
            "spl_p": spl_p,
            "spl_l": q3("spl_l", "gross_profit"),
            "spl_code": code([("S", "spl_s"), ("P", "spl_p"), ("L", "spl_l")]),
            "kml_k": up("suppliers", "kml_k2_min", "kml_k3_min"),
            "kml_m": up("hhi", "kml_m2_min", "kml_m3_min"),
            "kml_l": q3("kml_l", "market_spend"),
            "kml_code": code([("K", "kml_k"), ("M", "kml_m"), ("L", "kml_l")]),
            "dsl_d": up("categories", "dsl_d2_min", "dsl_d3_min"),
            "dsl_s": lambda x: (
                f'IF({x("top_category_share")}="","",1+({x("top_category_share")}<dsl_s2_below)'
                f"+({x('top_category_share')}<dsl_s3_below))"
            ),
            "dsl_l": q3("dsl_l", "gross_profit"),
            "dsl_code": code([("D", "dsl_d"), ("S", "dsl_s"), ("L", "dsl_l")]),
            "dsl_level": lambda x: (
                f'IF(OR({x("dsl_d")}="",{x("dsl_s")}=""),"",IF({x("dsl_d")}=1,1,IF({x("dsl_s")}=1,2,3)))'
            ),
            "rfm_r": rfm_q("rfm_r", "recency_days", True),
            "rfm_f": rfm_q("rfm_f", "orders", False),
            "rfm_m": rfm_q("rfm_m", "revenue", False),
            "rfm_code": code([("R", "rfm_r"), ("F", "rfm_f"), ("M", "rfm_m")], sep=""),
            "rfm_segment": lambda x: (
                f'IF({x("rfm_code")}="","",INDEX(rfm_grid,6-{x("rfm_r")},INT(({x("rfm_f")}+{x("rfm_m")})/2+0.5)))'
            ),
            "abc_class": lambda x: (
                f'IF({x("share_before")}="","",IF({x("share_before")}<abc_a_below,"A",'
                f'IF({x("share_before")}<abc_b_below,"B","C")))'
            ),
            "xyz_class": lambda x: (
                f'IF({x("monthly_cv")}="","Z",IF({x("monthly_cv")}<=xyz_x_max,"X",'
                f'IF({x("monthly_cv")}<=xyz_y_max,"Y","Z")))'
            ),
            # lapse risk (§12): days since the last purchase / median gap, bounds on the Settings sheet
            "lapse_ratio": lambda x: (
                f'IF(OR({x("recency_days")}="",{x("typical_gap")}=""),"",{x("recency_days")}/{x("typical_gap")})'
            ),
            "lapse_status": lambda x: (
                f'IF({x("lapse_ratio")}="","{lapse("too_few_purchases")}",'
                f'IF({x("lapse_ratio")}>=lapse_lapsing_min,"{lapse("lapsing")}",'
                f'IF({x("lapse_ratio")}>=lapse_late_min,"{lapse("late")}",'
                f'"{lapse("on_track")}")))'
            ),
        }

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

    def clients_sheet(self) -> None:
        """The Clients table.  XlsxWriter writes its header, column formats and
        the table; the data rows are added by :mod:`xlb2b.excel.rows` after the
        workbook closes (see :meth:`write`)."""
        name = self.sheet_names["clients"]
        ws = self.wb.add_worksheet(name, self.sheet_class)
        c = self.c
        spl_off = c["spl_code"].isna().all() and c["spl_s"].isna().all()
        formulas = self.formulas()
        letters = {k: column_letter(i) for k, i in self.col.items()}
        token = "\x00"
        rows = np.asarray([str(r) for r in range(2, self.n + 2)], dtype=object)
        columns: list[Column] = []
        for i, (k, kind) in enumerate(self.value_cols):
            ws.set_column(i, i, 22 if k in ("client_id", "name") else 12, self.f[kind])
            v = c[k]
            if kind == TEXT:
                columns.append(Column("s", v.astype(object).to_numpy()))
            elif kind == DATE:
                columns.append(Column("n", date_serials(v.to_numpy())))
            else:
                columns.append(
                    Column("n", pd.to_numeric(v, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
                )
        translate = {"psc_group": self.group_tr, "rfm_segment": self.rfm_tr}
        lapse_tr = lambda v: label(f"lapse_status.{v}", self.lang) if isinstance(v, str) else v
        translate["lapse_status"] = lapse_tr
        for k in self.formula_columns:
            ws.set_column(
                self.col[k], self.col[k], 22 if k in ("psc_group", "rfm_segment", "lapse_status") else 10, self.f[SCORE]
            )
            if spl_off and k.startswith("spl_"):
                columns.append(Column("s", np.full(self.n, None, dtype=object)))
                continue
            template = formulas[k](lambda key: (letters[key] + token) if key in letters else '""')
            parts = escape_xml(template).split(token)
            f = np.full(self.n, parts[0], dtype=object)
            for part in parts[1:]:
                f = f + rows + part
            columns.append(Column("f", f, self.cached_column(c[k], translate.get(k)), escaped=True))
        headers = [self.header(k) for k, _ in self.value_cols] + [self.header(k) for k in self.formula_columns]
        client_table_frame(ws, "Clients", self.n, headers, self.f_head)
        ws.set_landscape()
        ws.repeat_rows(0)
        self.fast_rows[len(self.wb.worksheets())] = (self.n, columns)

    # ------------------------------------------------------------------ summaries
    def segment_keys(self, name: str) -> list[tuple[Any, str | None]]:
        """(key, formula or None) per segment row, in the table's order."""
        combos = lambda letters: [
            f"{a}{i}_{b}{j}_{c}{k}" for i in (3, 2, 1) for j in (3, 2, 1) for k in (3, 2, 1) for a, b, c in [letters]
        ]
        if name == "psc":
            return [(k, None) for k in combos(("P", "S", "C"))]
        if name == "spl":
            return [(k, None) for k in combos(("S", "P", "L"))]
        if name == "kml":
            return [(k, None) for k in combos(("K", "M", "L"))]
        if name == "dsl":
            return [(k, None) for k in combos(("D", "S", "L"))]
        if name == "rfm":
            return [(f"R{r}F{f}M{m}", None) for r in range(5, 0, -1) for f in range(5, 0, -1) for m in range(5, 0, -1)]
        if name == "dsl_level":
            return [(1, None), (2, None), (3, None)]
        if name == "abc":
            return [("A", None), ("B", None), ("C", None)]
        if name == "xyz":
            return [("X", None), ("Y", None), ("Z", None)]
        if name == "psc_group":
            settings = self.sheet_names["settings"]
            rows = sorted(self.rule_rows, key=lambda t: t[1])
            seen: set[str] = set()
            out: list[tuple[Any, str | None]] = []
            for row, group in rows:
                if group not in seen:
                    seen.add(group)
                    out.append((group, f"{_q(settings)}!$A${row + 1}"))
            return out
        if name == "rfm_segment":
            return [(self.rfm_tr(n), None) for n in dict.fromkeys(v for row in self.s.rfm_grid for v in row)]
        raise ValueError(name)

    def summary_sheet(self, name: str) -> None:
        t = self.t
        sheet = self.sheet_names[f"summary_{name}"]
        ws = self.wb.add_worksheet(sheet, self.sheet_class)
        kml = name == "kml"
        py = self.a.summary(name, with_sums=True)
        tr = self.group_tr if name == "psc_group" else self.rfm_tr if name == "rfm_segment" else (lambda v: v)
        py["segment"] = [tr(v) for v in py["segment"]]
        by_key = {
            (str(k) if not isinstance(k, str) else k): row for k, row in zip(py["segment"], py.to_dict("records"))
        }
        keys = self.segment_keys(name)
        code_col = SEGMENT_COLUMNS[name]
        code = self.crange(code_col)
        has_gp = self.c["gross_profit"].notna().any()
        # no sku or category column: D (distinct items per client) is unknown, not 0
        has_skus = "skus" in self.c and self.c["skus"].notna().any()
        visible = BASE_COLUMNS + (KML_COLUMNS if kml else [])
        sums = ["orders", "units", "skus", "revenue_cap"]
        cols = visible + sums
        L = {k: column_letter(i + (1 if k in sums else 0)) for i, k in enumerate(cols)}
        C = {k: i + (1 if k in sums else 0) for i, k in enumerate(cols)}
        fmt = {
            "revenue": MONEY,
            "revenue_share": SHARE,
            "gross_profit": MONEY,
            "gross_profit_share": SHARE,
            "clients": INT,
            "clients_share": SHARE,
            "ltv": MONEY,
            "avg_check": MONEY,
            "avg_price": MONEY,
            "depth": RATIO,
            "orders_per_client": RATIO,
            "diversity": RATIO,
            "slots": RATIO,
            "capacity_units": RATIO,
            "revenue_per_capacity": MONEY,
            "market_spend": MONEY,
            "sow": SHARE,
            "recency_days": RATIO,
            "competitors": INT,
            "regions": INT,
            "orders": INT,
            "units": RATIO,
            "skus": INT,
            "revenue_cap": MONEY,
        }
        title = t(f"summary_title.{name}", name.upper())
        ws.write_string(0, 0, title, self.f_title)
        hrow = 2
        for k in cols:
            ws.write_string(
                hrow,
                C[k],
                self.header(k) if k != "revenue_cap" else t("column.revenue_cap", "Revenue of clients with capacity"),
                self.f_head,
            )
        first = hrow + 1
        seg_rows = len(keys)
        ns_row = first + seg_rows  # 0-based row of "(not segmented)"
        tot_row = ns_row + 1
        tot = str(tot_row + 1)
        rng = self.crange

        share_of = {"revenue_share": "revenue", "gross_profit_share": "gross_profit", "clients_share": "clients"}

        def cached(row_key, k):
            rec = by_key.get(row_key)
            if rec is None:  # a segment nobody is in: sums 0, shares 0 of a non-zero total
                if k in share_of:
                    total = by_key.get(TOTAL, {}).get(share_of[k])
                    return 0.0 if not _missing(total) and total != 0 else ""
                return (
                    0
                    if k in ("revenue", "gross_profit", "clients", "capacity_units", "market_spend") + tuple(sums)
                    else ""
                )
            v = rec.get(k)
            if k in ("revenue", "gross_profit", "capacity_units", "market_spend") + tuple(sums):
                return 0.0 if _missing(v) else float(v)
            return _excel(v)

        def ratios(ws, r, key, f_of):
            er = str(r + 1)
            spec = {
                "revenue_share": (f"{L['revenue']}{er}", f"{L['revenue']}${tot}"),
                "gross_profit_share": (f"{L['gross_profit']}{er}", f"{L['gross_profit']}${tot}"),
                "clients_share": (f"{L['clients']}{er}", f"{L['clients']}${tot}"),
                "ltv": (f"{L['revenue']}{er}", f"{L['clients']}{er}"),
                "avg_check": (f"{L['revenue']}{er}", f"{L['orders']}{er}"),
                "avg_price": (f"{L['revenue']}{er}", f"{L['units']}{er}"),
                "depth": (f"{L['units']}{er}", f"{L['orders']}{er}"),
                "orders_per_client": (f"{L['orders']}{er}", f"{L['clients']}{er}"),
                "diversity": (f"{L['skus']}{er}", f"{L['clients']}{er}"),
                "slots": (f"{L['units']}{er}", f"{L['clients']}{er}"),
                "revenue_per_capacity": (f"{L['revenue_cap']}{er}", f"{L['capacity_units']}{er}"),
            }
            for k, (num, den) in spec.items():
                if (k == "gross_profit_share" and not has_gp) or (k == "diversity" and not has_skus):
                    continue
                ws.write_formula(r, C[k], f'IFERROR({num}/{den},"")', f_of(fmt[k]), cached(key, k))

        sum_src = {
            "revenue": "revenue",
            "gross_profit": "gross_profit",
            "capacity_units": "capacity_units",
            "orders": "orders",
            "units": "units",
            "market_spend": "market_spend",
        }
        if has_skus:
            sum_src["skus"] = "skus"
        plain = lambda kind: self.f[kind]
        # our own codes are safe as SUMIFS criteria; user-named groups and segments are matched
        # exactly (SUMIFS would read "=Key", "A*" or "~" in them as operators or wildcards)
        exact = not all(is_plain(k) for k, _ in keys)
        for i, (key, key_formula) in enumerate(keys):
            r = first + i
            er = str(r + 1)
            crit = f"$A{er}"
            if key_formula:
                ws.write_formula(r, 0, key_formula, self.f[TEXT], key)
            elif isinstance(key, str):
                ws.write_string(r, 0, key)
            else:
                ws.write_number(r, 0, key)
            lookup = str(key) if not isinstance(key, str) else key
            for k, src in sum_src.items():
                if k not in C or (k == "gross_profit" and not has_gp) or src not in self.col:
                    continue
                ws.write_formula(
                    r,
                    C[k],
                    sum_exact(rng(src), [(code, crit)]) if exact else f"SUMIFS({rng(src)},{code},{crit})",
                    self.f[fmt[k]],
                    cached(lookup, k),
                )
            ws.write_formula(
                r,
                C["clients"],
                sum_exact(None, [(code, crit)]) if exact else f"COUNTIFS({code},{crit})",
                self.f[INT],
                cached(lookup, "clients"),
            )
            if "capacity_units" in self.col:
                ws.write_formula(
                    r,
                    C["revenue_cap"],
                    sum_exact(rng("revenue"), [(code, crit)], (rng("capacity_units"),))
                    if exact
                    else f'SUMIFS({rng("revenue")},{code},{crit},{rng("capacity_units")},">0")',
                    self.f[MONEY],
                    cached(lookup, "revenue_cap"),
                )
            if kml:
                # KML keys are our codes (K3_M2_L1): AVERAGEIFS matches them exactly
                for k in ("sow", "recency_days"):
                    if k in self.col:
                        ws.write_formula(
                            r,
                            C[k],
                            f'IFERROR(AVERAGEIFS({rng(k)},{code},{crit}),"")',
                            self.f[fmt[k]],
                            cached(lookup, k),
                        )
                for k in ("competitors", "regions"):
                    self.value(ws, r, C[k], cached(lookup, k) if lookup in by_key else 0, self.f[INT])
            ratios(ws, r, lookup, plain)
        # (not segmented): the Total minus the rows above, so it stays right when settings change
        r = ns_row
        er = str(r + 1)
        ws.write_string(r, 0, t("summary_title.not_segmented", NOT_SEGMENTED))
        f_rows = lambda k: f"{L[k]}${tot}-SUM({L[k]}{first + 1}:{L[k]}{ns_row})"
        for k in list(sum_src) + ["clients", "revenue_cap"]:
            if k not in C or (k == "gross_profit" and not has_gp):
                continue
            if k in sum_src and sum_src[k] not in self.col:
                continue
            if k == "revenue_cap" and "capacity_units" not in self.col:
                continue
            ws.write_formula(r, C[k], f_rows(k), self.f[fmt[k]], cached(NOT_SEGMENTED, k))
        if kml:
            for k in ("sow", "recency_days", "competitors", "regions"):
                self.value(ws, r, C[k], cached(NOT_SEGMENTED, k) if NOT_SEGMENTED in by_key else "", self.f[fmt[k]])
        ratios(ws, r, NOT_SEGMENTED, plain)
        # Total: straight from the Clients columns; its ratios from its own sums
        r = tot_row
        ws.write_string(r, 0, t("summary_title.total", TOTAL), self.f_total[TEXT])
        tf = lambda kind: self.f_total.get(kind, self.f[kind])
        for k, src in sum_src.items():
            if k not in C or (k == "gross_profit" and not has_gp) or src not in self.col:
                continue
            ws.write_formula(r, C[k], f"SUM({rng(src)})", tf(fmt[k]), cached(TOTAL, k))
        ws.write_formula(r, C["clients"], f"COUNTA({rng('client_id')})", tf(INT), cached(TOTAL, "clients"))
        if "capacity_units" in self.col:
            ws.write_formula(
                r,
                C["revenue_cap"],
                f'SUMIFS({rng("revenue")},{rng("capacity_units")},">0")',
                tf(MONEY),
                cached(TOTAL, "revenue_cap"),
            )
        if kml:
            for k in ("sow", "recency_days"):
                if k in self.col:
                    ws.write_formula(r, C[k], f'IFERROR(AVERAGE({rng(k)}),"")', tf(fmt[k]), cached(TOTAL, k))
            for k in ("competitors", "regions"):
                self.value(ws, r, C[k], cached(TOTAL, k), tf(INT))
        ratios(ws, r, TOTAL, tf)
        ws.set_column(0, 0, 52 if name == "psc_group" else 24 if name == "rfm_segment" else 14)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_column(1, len(cols), 14)
        ws.set_row(hrow, 45)
        ws.freeze_panes(hrow + 1, 1)
        self.summary_pos[name] = (sheet, first, ns_row - 1, C)
        if name in ("psc", "kml", "psc_group"):
            ws.conditional_format(
                first,
                C["revenue_share"],
                ns_row - 1,
                C["revenue_share"],
                {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"},
            )
            ws.conditional_format(
                first,
                C["clients_share"],
                ns_row - 1,
                C["clients_share"],
                {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"},
            )

    def bar_chart(self, name: str, anchor_col: int) -> None:
        sheet, r0, r1, C = self.summary_pos[name]
        chart = self.wb.add_chart({"type": "column"})
        for k in ("revenue_share", "clients_share"):
            chart.add_series(
                {"name": self.header(k), "categories": [sheet, r0, 0, r1, 0], "values": [sheet, r0, C[k], r1, C[k]]}
            )
        chart.set_title({"name": self.t(f"summary_title.{name}", name)})
        chart.set_y_axis({"num_format": "0%", "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 360})
        self.wb.get_worksheet_by_name(sheet).insert_chart(r1 + 4, 1, chart)

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


#: Settings-sheet keys (column "Name") -> (Settings field, position in a tuple or dict key)
_SHEET_SETTINGS: dict[str, tuple[str, Any]] = {
    "psc_s2_min": ("psc_s_bounds", 0),
    "psc_s3_min": ("psc_s_bounds", 1),
    "spl_overdue_days": ("spl_overdue_days", None),
    "kml_k2_min": ("kml_k_bounds", 0),
    "kml_k3_min": ("kml_k_bounds", 1),
    "kml_m2_min": ("kml_m_bounds", 0),
    "kml_m3_min": ("kml_m_bounds", 1),
    "dsl_d2_min": ("dsl_d_bounds", 0),
    "dsl_d3_min": ("dsl_d_bounds", 1),
    "dsl_s2_below": ("dsl_s_bounds", 1),
    "dsl_s3_below": ("dsl_s_bounds", 0),
    "abc_a_below": ("abc_cuts", 0),
    "abc_b_below": ("abc_cuts", 1),
    "xyz_x_max": ("xyz_cuts", 0),
    "xyz_y_max": ("xyz_cuts", 1),
    "bcg_tier_medium": ("bcg_tier_bounds", 0),
    "bcg_tier_high": ("bcg_tier_bounds", 1),
    "bcg_sow_2": ("bcg_sow_bounds", 0),
    "bcg_sow_3": ("bcg_sow_bounds", 1),
    "bcg_sow_4": ("bcg_sow_bounds", 2),
    "bcg_sow_5": ("bcg_sow_bounds", 3),
    "bant_threshold": ("bant_threshold", None),
    "our_supplier": ("our_supplier", None),
    "lapse_late_min": ("lapse_bounds", 0),
    "lapse_lapsing_min": ("lapse_bounds", 1),
}


def settings_from_sheet(rows, base=None, *, where: str = "Settings", dates=None):
    """The settings a Settings sheet of ours holds (its rows as a 2-D list:
    label, value, name, hint, as analysed), over ``base`` (default settings):
    the windows, thresholds, bounds, BCG weights, tiers, SOW bounds, BANT
    threshold and our supplier name the user may have edited.  ``dates``: the
    transaction dates, to refuse an edited analysis window outside the data.
    Bad values raise ``ValueError`` naming the row."""
    from xlb2b.settings import Settings

    s = base or Settings()
    d = s.to_dict()
    days: dict[str, dt.date] = {}
    analysed: dict[str, dt.date] = {}
    at: dict[str, str] = {}
    for i, row in enumerate(rows or [], 1):
        row = list(row) + [None] * 4
        key, value = row[2], row[1]
        if not isinstance(key, str):
            continue
        if key in _SHEET_DATES:
            at[key] = f"{where}, row {i}, column B ({key})"
            days[key] = _sheet_date(value, at[key])
            if row[4] not in (None, ""):
                analysed[key] = _sheet_date(row[4], f"{where}, row {i}, column E ({key})")
            continue
        if key in _SHEET_CHOICES:
            text = "" if value is None else str(value).strip().lower()
            if text not in _SHEET_CHOICES[key]:
                raise ValueError(
                    f"{where}, row {i}, column B ({key}): {value!r} is not one of " + ", ".join(_SHEET_CHOICES[key])
                )
            d[key] = text
            continue
        if key.startswith("bcg_weight_") and key[len("bcg_weight_") :] in d["bcg_weights"]:
            field_, pos = "bcg_weights", key[len("bcg_weight_") :]
        elif key in _SHEET_SETTINGS:
            field_, pos = _SHEET_SETTINGS[key]
        else:
            continue
        if field_ == "our_supplier":
            d[field_] = "" if value is None else str(value)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}, row {i}, column B ({key}): {value!r} is not a number") from None
        if pos is None:
            d[field_] = int(number) if field_ == "bant_threshold" else number
        elif isinstance(pos, str):
            d[field_] = {**d[field_], pos: number}
        else:
            seq = list(d[field_])
            seq[pos] = number
            d[field_] = seq
    for first, last in (("window_start", "window_end"), ("previous_start", "previous_end")):
        if first in days and last in days and days[last] < days[first]:
            raise ValueError(
                f"{at[last]}: {days[last]:%Y-%m-%d} is before {first} {days[first]:%Y-%m-%d} "
                "(type a last day on or after the first day)"
            )
    w1 = ("window_start", "window_end")
    edited = all(k in days for k in w1) and any(k in analysed and analysed[k] != days[k] for k in w1)
    if edited:
        # an edited analysis window is analysed as typed; left as analysed, it keeps following the data
        if dates is not None:
            _check_in_data(days, at, dates)
        d.update(window="explicit", window_start=days["window_start"], window_end=days["window_end"])
    if "previous_start" in days and "previous_end" in days:
        d.update(_previous_from_sheet(days, analysed))
    return Settings.from_dict(d, source=where)


#: Settings-sheet keys read back as dates (the windows) and as one of a few words
_SHEET_DATES = ("window_start", "window_end", "previous_start", "previous_end")
_SHEET_CHOICES = {"migration_cuts": ("own", "current"), "cohort_period": ("quarter", "year")}


def _sheet_date(value, where: str) -> dt.date:
    """A date cell as the sheet's reader returns it: a date/datetime (openpyxl,
    classic COM), ISO text, or an Excel serial number (Office.js)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(
            f"{where}: the date is empty; enter a date like 2025-01-01, or delete the row to use the default"
        )
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a date (type it as a date, e.g. 2024-01-31)")


def _previous_from_sheet(days: dict[str, dt.date], analysed: dict[str, dt.date]) -> dict[str, Any]:
    """W0 from the sheet's dates: the default (None, None) when they are the
    ones the default rule gives for the sheet's W1 or for W1 as analysed (so
    W0 keeps following W1 when new data or an edit moves it), else explicit."""
    from xlb2b.analysis.metrics import Window

    w0 = (days["previous_start"], days["previous_end"])
    for w1 in (days, analysed):
        if "window_start" in w1 and "window_end" in w1 and w1["window_start"] <= w1["window_end"]:
            default = Window(pd.Timestamp(w1["window_start"]), pd.Timestamp(w1["window_end"])).preceding()
            if w0 == (default.start.date(), default.end.date()):
                return {"previous_start": None, "previous_end": None}
    return {"previous_start": w0[0], "previous_end": w0[1]}


def _check_in_data(days: dict[str, dt.date], at: dict[str, str], dates) -> None:
    """Refuse an analysis window outside the months the data spans (the "all"
    window of METHODOLOGY §1): an end outside them, or a start after them.  A
    start before the data is kept, as the default window has when the data
    holds less than 12 months."""
    from xlb2b.analysis.metrics import Window

    d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if d.empty:
        return
    span = Window(d.min().normalize().replace(day=1), d.max().normalize() + pd.offsets.MonthEnd(0))
    for key, lo in (("window_start", pd.Timestamp.min), ("window_end", span.start)):
        day = pd.Timestamp(days[key])
        if not lo <= day <= span.end:
            raise ValueError(
                f"{at[key]}: {day:%Y-%m-%d} is outside the data, whose months run {span} "
                f"(transactions from {d.min():%Y-%m-%d} to {d.max():%Y-%m-%d}); type a date inside them"
            )
