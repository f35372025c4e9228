"""The analysis workbook's Settings sheet: every setting the formulas use, named, and the settings read back from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from xlb2b.excel.analysis_base import DATE, INT, RATIO, SHARE, TEXT, _excel, _WriterBase
from xlb2b.excel.names import _q
from xlb2b.io_util import column_letter


class _SettingsSheet(_WriterBase):
    """The Settings sheet: windows, bounds, cut points, PSC group rules, the RFM grid."""

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
