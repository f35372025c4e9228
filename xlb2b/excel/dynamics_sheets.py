"""The analysis workbook's two-window section: bridge, migration, cohorts, watch list (METHODOLOGY §11–§12).

Laid out by the analysis writer (:mod:`xlb2b.excel.analysis_sheets`) when the
analysis compared the windows.  One sheet holds a row per client with a line
in W0 or W1 (its revenue and units in each window, status, contribution and
segments); every total of the Bridge and Migration sheets is a SUMIFS or
COUNTIFS over it, and the Watch list's counts are COUNTIFS over Clients, so
each carries the engine's value and Excel recalculates it live.  Cohort
activity comes from order lines, not client rows: the cohort sheet holds the
engine's counts and revenue as values and its ratios as formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis.dynamics import (
    BRIDGE_ROWS,
    LOST,
    NOT_BUYER_W0,
    NOT_SEGMENTED,
    group_values,
    migration_labels,
    revenue_bridge,
    stayed_share,
    watch_list,
)
from xlb2b.analysis.money import snap_cents
from xlb2b.excel.criteria import literal, sum_exact, text_constant
from xlb2b.excel.names import _q
from xlb2b.excel.rows import Column, client_table_frame
from xlb2b.io_util import column_letter
from xlb2b.locale import label

MIGRATION_KEYS = ["psc_group", "abc", "rfm_segment", "dsl_level", "xyz"]
SHEET_KEYS = ["bridge"] + [f"migration_{k}" for k in MIGRATION_KEYS] + ["cohorts", "watch_list", "dynamics_clients"]
MONEY, INT, SHARE, RATIO, TEXT = "money", "int", "share", "ratio", "text"
#: rows of a Migration sheet's list of clients that moved (the biggest by W1 revenue)
MOVERS_SHOWN = 500

#: what each bridge row sums on the client sheet: (value column, bridge-row key or None for all)
_BRIDGE_SOURCE = {
    "new": ("change", "new"),
    "returned": ("change", "returned"),
    "lost": ("change", "lost"),
    "grown_price": ("price_effect", "grown"),
    "grown_volume": ("volume_effect", "grown"),
    "shrunk_price": ("price_effect", "shrunk"),
    "shrunk_volume": ("volume_effect", "shrunk"),
    "flat": ("change", "flat"),
    "no_unit_data": ("change", "no_unit_data"),
    "other": ("change", "other"),
}


def _num(v: Any):
    """A cached number: NaN/None -> "" (the formulas' IFERROR result)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if f != f else f


class _Section:
    def __init__(self, w):
        self.w = w
        self.d = w.a.dynamics
        self.t = w.t
        self.lang = w.lang
        self.names = w.sheet_names
        self.f = w.f
        self._labels()
        self.clients = self._client_frame()
        self.n = len(self.clients)
        self.last = max(self.n, 1) + 1

    # ------------------------------------------------------------------ labels
    def _labels(self) -> None:
        t, lang = self.t, self.lang
        self.status_label = {
            k: label(f"client_status.{k}", lang)
            for k in ("new", "returned", "lost", "grown", "shrunk", "flat", "other")
        }
        self.row_key_label = dict(self.status_label)
        self.row_key_label["no_unit_data"] = label("bridge.no_unit_data", lang)
        self.special = {
            NOT_BUYER_W0: t("dynamics.not_buyer_w0", NOT_BUYER_W0),
            LOST: t("dynamics.lost", LOST),
            NOT_SEGMENTED: t("dynamics.not_segmented", NOT_SEGMENTED),
            "": "",
        }

    def segment_label(self, name: str, value: str) -> str:
        if value in self.special:
            return self.special[value]
        if name == "psc_group":
            return self.w.group_tr(value)
        if name == "rfm_segment":
            return self.w.rfm_tr(value)
        if name == "dsl_level":
            return label(f"dsl_level.{value}", self.lang)
        return value

    def _map(self, values: np.ndarray, fn) -> np.ndarray:
        """Apply ``fn`` once per distinct value (no per-client Python work)."""
        codes, uniq = pd.factorize(pd.Series(values, dtype=object).fillna(""), sort=False)
        return np.asarray([fn(u) for u in uniq], dtype=object)[codes] if len(uniq) else np.asarray(values, dtype=object)

    # ------------------------------------------------------------------ the client sheet's frame
    def _client_frame(self) -> pd.DataFrame:
        c = self.d.clients
        out = pd.DataFrame({"client_id": c["client_id"].astype(object).to_numpy()})
        for k in ("name", "manager"):
            if k in c and c[k].notna().any():
                out[k] = c[k].astype(object).to_numpy()
        out["status"] = self._map(c["status"].to_numpy(), lambda v: self.status_label.get(v, v))
        out["bridge_row"] = self._map(c["bridge_row"].to_numpy(), lambda v: self.row_key_label.get(v, v))
        for k in ("revenue_w0", "units_w0", "revenue_w1", "units_w1", "change", "price_effect", "volume_effect"):
            out[k] = c[k].to_numpy(dtype="float64")
        group = group_values(c, "psc_group")
        out["bridge_psc_group"] = self._map(group, lambda v: self.segment_label("psc_group", v))
        mg = c["manager"].astype(object).to_numpy() if "manager" in c else np.full(len(c), None, dtype=object)
        out["bridge_manager"] = self._map(
            np.where(pd.isna(mg), NOT_SEGMENTED, mg), lambda v: self.segment_label("manager", v)
        )
        for name in MIGRATION_KEYS:
            f, t = migration_labels(c, name)
            out[f"{name}_from"] = self._map(f, lambda v, n=name: self.segment_label(n, v))
            out[f"{name}_to"] = self._map(t, lambda v, n=name: self.segment_label(n, v))
        money = ("revenue", "change", "price", "volume")
        self.kinds = {
            k: (TEXT if not pd.api.types.is_numeric_dtype(out[k].dtype) else MONEY if k.startswith(money) else RATIO)
            for k in out.columns
        }
        self.col = {k: i for i, k in enumerate(out.columns)}
        return out

    def rng(self, key: str) -> str:
        letter = column_letter(self.col[key])
        return f"{_q(self.names['dynamics_clients'])}!${letter}$2:${letter}${self.last}"

    def client_sheet(self) -> None:
        w = self.w
        ws = w.wb.add_worksheet(self.names["dynamics_clients"], w.sheet_class)
        c = self.clients
        columns = []
        for i, k in enumerate(c.columns):
            kind = self.kinds[k]
            ws.set_column(i, i, 24 if kind == TEXT else 13, self.f[kind])
            if kind == TEXT:
                v = c[k].to_numpy(dtype=object).copy()
                v[pd.isna(v) | (v == "")] = None
                columns.append(Column("s", v))
            else:
                columns.append(Column("n", c[k].to_numpy(dtype="float64")))
        headers = [w.header(k) for k in c.columns]
        client_table_frame(ws, "ClientDynamics", self.n, headers, w.f_head)
        w.fast_rows[len(w.wb.worksheets())] = (self.n, columns)

    # ------------------------------------------------------------------ bridge
    def bridge_formula(self, key: str, group: tuple[str, str] | None = None) -> str:
        """SUMIFS of one bridge row; within a group ((range key, criterion
        cell): a manager or group name, any text) an exact SUMPRODUCT."""
        if key in ("start", "end"):
            values = self.rng("revenue_w0" if key == "start" else "revenue_w1")
            return sum_exact(values, [(self.rng(group[0]), group[1])]) if group else f"SUM({values})"
        col, row_key = _BRIDGE_SOURCE[key]
        row_label = self.row_key_label[row_key]
        if group:
            exact = [(self.rng("bridge_row"), text_constant(row_label)), (self.rng(group[0]), group[1])]
            return sum_exact(self.rng(col), exact)
        return f"SUMIFS({self.rng(col)},{self.rng('bridge_row')},{literal(row_label)})"

    def count_formula(self, key: str) -> str:
        if key == "start":
            return f'COUNTIFS({self.rng("revenue_w0")},">0")'
        if key == "end":
            return f'COUNTIFS({self.rng("revenue_w1")},">0")'
        return f"COUNTIFS({self.rng('bridge_row')},{literal(self.row_key_label[_BRIDGE_SOURCE[key][1]])})"

    def bridge_sheet(self) -> None:
        w, t = self.w, self.t
        sheet = self.names["bridge"]
        ws = w.wb.add_worksheet(sheet, w.sheet_class)
        d = self.d
        ws.write_string(0, 0, t("bridge.title", "Revenue bridge"), w.f_title)
        ws.write_string(1, 0, f"{t('bridge.windows', 'W0 -> W1')}: {d.w0} -> {d.w1}")
        heads = [
            "",
            t("column.clients", "Clients"),
            t("column.revenue", "Revenue"),
            t("column.share_of_start", "% of start"),
            t("column.running_total", "Running total"),
            t("bridge.base", "Base"),
            t("bridge.total", "Total"),
            t("bridge.up", "Increase"),
            t("bridge.down", "Decrease"),
        ]
        hrow = 3
        for j, h in enumerate(heads):
            ws.write_string(hrow, j, h, w.f_head)
        b = d.bridge().set_index("row")
        first = hrow + 1
        amounts = b["amount"].to_numpy(dtype=float)
        running = np.cumsum(np.r_[amounts[0], amounts[1:-1]])
        start_row = first + 1  # Excel row of "start"
        for i, key in enumerate(BRIDGE_ROWS):
            r = first + i
            er = r + 1
            amount = float(b.loc[key, "amount"])
            fmt_b = w.f_total[MONEY] if key in ("start", "end") else self.f[MONEY]
            ws.write_string(r, 0, t(f"bridge.{key}", key), w.f_bold if key in ("start", "end") else self.f[TEXT])
            ws.write_formula(r, 1, self.count_formula(key), self.f[INT], int(b.loc[key, "clients"]))
            ws.write_formula(r, 2, self.bridge_formula(key), fmt_b, amount)
            start = amounts[0]
            ws.write_formula(r, 3, f'IFERROR(C{er}/C${start_row},"")', self.f[SHARE], amount / start if start else "")
            # waterfall helper columns: running total, invisible base, total, increase, decrease
            if key == "start":
                ws.write_formula(r, 4, f"C{er}", self.f[MONEY], amount)
                vals = (0.0, amount, 0.0, 0.0)
                forms = ("0", f"C{er}", "0", "0")
            elif key == "end":
                ws.write_formula(r, 4, f"C{er}", self.f[MONEY], amount)
                vals = (0.0, amount, 0.0, 0.0)
                forms = ("0", f"C{er}", "0", "0")
            else:
                run = float(running[i])
                prev = float(running[i - 1])
                ws.write_formula(r, 4, f"E{er - 1}+C{er}", self.f[MONEY], run)
                vals = (min(prev, run), 0.0, max(amount, 0.0), max(-amount, 0.0))
                forms = (f"MIN(E{er - 1},E{er})", "0", f"MAX(C{er},0)", f"MAX(-C{er},0)")
            for j, (fm, v) in enumerate(zip(forms, vals)):
                ws.write_formula(r, 5 + j, fm, self.f[MONEY], v)
        last_row = first + len(BRIDGE_ROWS) - 1
        r = last_row + 1
        ws.write_string(r, 0, t("bridge.check", "Check: start + contributions - end"), self.f[TEXT])
        # to the cent: sums of floating-point money differ in their last bits between engines
        residual = round(float(amounts[0] + amounts[1:-1].sum() - amounts[-1]), 2) + 0.0
        ws.write_formula(
            r, 2, f"ROUND(C{first + 1}+SUM(C{first + 2}:C{last_row})-C{last_row + 1},2)", self.f[MONEY], residual
        )
        # retention over W0's buyers
        ret = d.retention().iloc[0]
        r += 2
        r0, r1 = self.rng("revenue_w0"), self.rng("revenue_w1")
        items = [
            ("column.buyers_w0", "Buyers in W0", f'COUNTIFS({r0},">0")', int(ret["buyers_w0"]), INT),
            ("column.retained", "Buyers in both windows", f'COUNTIFS({r0},">0",{r1},">0")', int(ret["retained"]), INT),
            ("bridge.logo_retention", "Logo retention", None, _num(ret["logo_retention"]), SHARE),
            (
                "bridge.nrr",
                "NRR",
                f'IFERROR(SUMIFS({r1},{r0},">0",{r1},">0")/SUMIFS({r0},{r0},">0"),"")',
                _num(ret["nrr"]),
                SHARE,
            ),
            (
                "bridge.grr",
                "GRR",
                f"IFERROR(SUMPRODUCT(({r0}>0)*(({r1}>{r0})*{r0}+({r1}<={r0})*({r1}>0)*{r1}))"
                f'/SUMIFS({r0},{r0},">0"),"")',
                _num(ret["grr"]),
                SHARE,
            ),
        ]
        top = r
        for k, default, formula, cached, kind in items:
            ws.write_string(r, 0, t(k, default), self.f[TEXT])
            if formula is None:
                formula = f'IFERROR(B{top + 2}/B{top + 1},"")'
            ws.write_formula(r, 1, formula, self.f[kind], cached)
            r += 1
        ws.set_column(0, 0, 36)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 8, 15)
        self.waterfall(ws, sheet, first, last_row)
        r += 2
        r = self.group_grid(ws, r, "psc_group", "bridge_psc_group", t("bridge.by_psc_group", "By PSC group"))
        r += 2
        self.group_grid(ws, r, "manager", "bridge_manager", t("bridge.by_manager", "By manager"))
        ws.freeze_panes(hrow + 1, 1)

    def waterfall(self, ws, sheet: str, first: int, last: int) -> None:
        """A waterfall drawn as stacked columns: an invisible base under each
        change (Excel 2016 and LibreOffice both draw stacked columns; the
        native waterfall type is Excel 2016+ only and unknown to XlsxWriter)."""
        w, t = self.w, self.t
        chart = w.wb.add_chart({"type": "column", "subtype": "stacked"})
        cats = [sheet, first, 0, last, 0]
        styles: list[tuple[int, dict[str, Any]]] = [
            (5, {"fill": {"none": True}, "border": {"none": True}}),
            (6, {"fill": {"color": "#4472C4"}}),
            (7, {"fill": {"color": "#70AD47"}}),
            (8, {"fill": {"color": "#E15759"}}),
        ]
        for col, style in styles:
            chart.add_series(
                {
                    "name": [sheet, first - 1, col],
                    "categories": cats,
                    "values": [sheet, first, col, last, col],
                    "gap": 40,
                    **style,
                }
            )
        chart.set_title({"name": t("bridge.title", "Revenue bridge")})
        chart.set_legend({"none": True})
        chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
        chart.set_size({"width": 900, "height": 420})
        ws.insert_chart(1, 10, chart)

    def group_grid(self, ws, r: int, by: str, col_key: str, title: str) -> int:
        """The bridge by group: rows = bridge rows, one column per group, then the total."""
        w, t = self.w, self.t
        frame = self.d.clients.copy()
        frame["_g"] = self.clients[col_key].to_numpy()
        bt = revenue_bridge(frame, "_g")
        groups = list(dict.fromkeys(bt["group"]))
        val = {(g, k): a for g, k, a in zip(bt["group"], bt["row"], bt["amount"])}
        ws.write_string(r, 0, title, w.f_bold)
        r += 1
        hrow = r
        ws.write_string(hrow, 0, "", w.f_head)
        for j, g in enumerate(groups, start=1):
            ws.write_string(hrow, j, str(g), w.f_head)
        ws.write_string(hrow, len(groups) + 1, t("bridge.total", "Total"), w.f_head)
        total = self.d.bridge().set_index("row")["amount"]
        for i, key in enumerate(BRIDGE_ROWS):
            rr = hrow + 1 + i
            ws.write_string(rr, 0, t(f"bridge.{key}", key))
            for j, g in enumerate(groups, start=1):
                crit = f"{column_letter(j)}${hrow + 1}"
                ws.write_formula(
                    rr, j, self.bridge_formula(key, (col_key, crit)), self.f[MONEY], float(val.get((g, key), 0.0))
                )
            ws.write_formula(
                rr,
                len(groups) + 1,
                f"SUM(B{rr + 1}:{column_letter(len(groups))}{rr + 1})",
                w.f_total[MONEY],
                float(total[key]),
            )
        ws.set_column(1, max(len(groups) + 1, 8), 15)
        return hrow + len(BRIDGE_ROWS) + 1

    # ------------------------------------------------------------------ migration
    def categories(self, name: str) -> list[str]:
        s = self.w.s
        if name == "psc_group":
            base = sorted(dict.fromkeys(r["group"] for r in s.psc_groups))
        elif name == "abc":
            base = ["A", "B", "C"]
        elif name == "xyz":
            base = ["X", "Y", "Z"]
        elif name == "dsl_level":
            base = ["1", "2", "3"]
        else:
            base = list(dict.fromkeys(v for row in s.rfm_grid for v in row))
        return base

    def migration_sheet(self, name: str) -> None:
        w, t = self.w, self.t
        sheet = self.names[f"migration_{name}"]
        ws = w.wb.add_worksheet(sheet, w.sheet_class)
        m = self.d.migration(name)
        fr = [self.segment_label(name, v) for v in m["from"]]
        to = [self.segment_label(name, v) for v in m["to"]]
        cells = {(a, b): (n, x0, x1) for a, b, n, x0, x1 in zip(fr, to, m["clients"], m["revenue_w0"], m["revenue_w1"])}
        cats = [self.segment_label(name, v) for v in self.categories(name)]
        present_from = list(dict.fromkeys(fr))
        present_to = list(dict.fromkeys(to))
        rows = cats + [
            x
            for x in present_from
            if x not in cats and x not in (self.special[NOT_SEGMENTED], self.special[NOT_BUYER_W0])
        ]
        rows += [self.special[NOT_SEGMENTED], self.special[NOT_BUYER_W0]]
        cols = cats + [
            x for x in present_to if x not in cats and x not in (self.special[NOT_SEGMENTED], self.special[LOST])
        ]
        cols += [self.special[NOT_SEGMENTED], self.special[LOST]]
        title = t(f"summary_title.{name}", name)
        ws.write_string(0, 0, f"{t('dynamics.migration_title', 'Segment migration W0 -> W1')}: {title}", w.f_title)
        mode = "cuts_current" if w.s.migration_cuts == "current" else "cuts_own"
        ws.write_string(1, 0, f"{self.d.w0} -> {self.d.w1}; {t(f'dynamics.{mode}', mode)}")
        # the cut points W0 was scored on (W1's are on the Settings sheet)
        keys = {"psc_group": ("psc_p", "psc_c"), "rfm_segment": ("rfm_r", "rfm_f", "rfm_m")}.get(name, ())
        w0_cuts = self.d.cut_points.get("w0", {})
        shown = [
            f"{k.upper().replace('_', ' ')}: " + ", ".join(f"{x:,.2f}" for x in w0_cuts[k])
            for k in keys
            if w0_cuts.get(k)
        ]
        if shown:
            ws.write_string(1, 6, f"{t('dynamics.w0_cuts', 'W0 cut points')}: " + "; ".join(shown))
        fc, tc = self.rng(f"{name}_from"), self.rng(f"{name}_to")
        r0, r1 = self.rng("revenue_w0"), self.rng("revenue_w1")
        r = 3
        blocks = [
            # segment names may be any text (a user's PSC group or RFM segment): exact matches
            ("dynamics.matrix_clients", "Clients", 0, INT, lambda a, b: sum_exact(None, [(fc, a), (tc, b)])),
            ("dynamics.matrix_revenue_w0", "W0 revenue", 1, MONEY, lambda a, b: sum_exact(r0, [(fc, a), (tc, b)])),
            ("dynamics.matrix_revenue_w1", "W1 revenue", 2, MONEY, lambda a, b: sum_exact(r1, [(fc, a), (tc, b)])),
        ]
        stayed_cells = []
        for bi, (key, default, idx, kind, formula) in enumerate(blocks):
            ws.write_string(r, 0, t(key, default), w.f_bold)
            r += 1
            hrow = r
            ws.write_string(hrow, 0, f"{t('dynamics.from_w0', 'W0')} \\ {t('dynamics.to_w1', 'W1')}", w.f_head)
            for j, cname in enumerate(cols, start=1):
                ws.write_string(hrow, j, cname, w.f_head)
            ws.write_string(hrow, len(cols) + 1, t("bridge.total", "Total"), w.f_head)
            for i, rname in enumerate(rows):
                rr = hrow + 1 + i
                ws.write_string(rr, 0, rname, w.f_bold)
                for j, cname in enumerate(cols, start=1):
                    a = f"$A{rr + 1}"
                    b = f"{column_letter(j)}${hrow + 1}"
                    v = cells.get((rname, cname), (0, 0.0, 0.0))[idx]
                    ws.write_formula(rr, j, formula(a, b), self.f[kind], float(v) if kind == MONEY else int(v))
                    if bi == 0 and rname == cname and rname in cats:
                        stayed_cells.append(f"{column_letter(j)}{rr + 1}")
                tot = sum(v[idx] for (a_, _), v in cells.items() if a_ == rname)
                ws.write_formula(
                    rr,
                    len(cols) + 1,
                    f"SUM(B{rr + 1}:{column_letter(len(cols))}{rr + 1})",
                    w.f_total[kind],
                    float(tot) if kind == MONEY else int(tot),
                )
            if bi == 0:
                ws.conditional_format(
                    hrow + 1,
                    1,
                    hrow + len(rows),
                    len(cols),
                    {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#F8696B"},
                )
            r = hrow + len(rows) + 2
        # stayed: share of W0 buyers on the diagonal
        ws.write_string(2, 0, t("dynamics.stayed", "Stayed"), w.f_bold)
        diag = "+".join(stayed_cells) if stayed_cells else "0"
        ws.write_formula(2, 1, f'IFERROR(({diag})/COUNTIFS({r0},">0"),"")', self.f[SHARE], _num(stayed_share(m)))
        ws.set_column(0, 0, 34)
        ws.set_column(1, len(cols) + 1, 14)
        # the clients that moved (buyers in both windows in different segments), by W1 revenue
        c = self.clients
        f_, t_ = c[f"{name}_from"].to_numpy(dtype=object), c[f"{name}_to"].to_numpy(dtype=object)
        both = (c["revenue_w0"].to_numpy() > 0) & (c["revenue_w1"].to_numpy() > 0) & (f_ != t_)
        mv = c.loc[both, [k for k in ("client_id", "name", "manager") if k in c] + ["revenue_w0", "revenue_w1"]].copy()
        mv.insert(len(mv.columns) - 2, "from", f_[both])
        mv.insert(len(mv.columns) - 2, "to", t_[both])
        # by W1 revenue to the cent (two equal to the cent are a tie, broken by id)
        mv = mv.assign(_cents=np.round(mv["revenue_w1"].to_numpy(dtype="float64"), 2))
        mv = mv.sort_values(["_cents", "client_id"], ascending=[False, True], kind="stable").drop(columns="_cents")
        ws.write_string(r, 0, t("dynamics.movers", "Clients that moved"), w.f_bold)
        if len(mv) > MOVERS_SHOWN:
            # the whole list is on the Client dynamics sheet (filter its W0 and W1 columns)
            ws.write_string(
                r,
                2,
                t(
                    "dynamics.movers_more",
                    "the {shown} with the most W1 revenue of {n}; all of them: the Client dynamics sheet",
                ).format(shown=MOVERS_SHOWN, n=len(mv)),
            )
            mv = mv.iloc[:MOVERS_SHOWN]
        r += 1
        heads = {"from": t("dynamics.from_w0", "W0 segment"), "to": t("dynamics.to_w1", "W1 segment")}
        for j, k in enumerate(mv.columns):
            ws.write_string(r, j, heads.get(k, w.header(k)), w.f_head)
        for i, rec in enumerate(mv.itertuples(index=False), start=r + 1):
            for j, v in enumerate(rec):
                k = mv.columns[j]
                w.value(ws, i, j, v, self.f[MONEY] if k.startswith("revenue") else self.f[TEXT])
        ws.freeze_panes(3, 1)

    # ------------------------------------------------------------------ cohorts
    def cohort_sheet(self) -> None:
        w, t = self.w, self.t
        sheet = self.names["cohorts"]
        ws = w.wb.add_worksheet(sheet, w.sheet_class)
        co = self.d.cohorts()
        ws.write_string(0, 0, t("dynamics.cohort_title", "Cohorts by first purchase"), w.f_title)
        ws.write_string(1, 0, f"{self.d.w1}; {t('setting.cohort_period', 'Cohort period')}: {w.s.cohort_period}")
        if co.empty:
            return
        cohorts = list(dict.fromkeys(co["cohort"]))
        periods = list(co.loc[co["cohort"] == cohorts[0], "period"])  # the first cohort runs to the end
        incomplete = set(co.loc[co["incomplete"].astype(bool), "period"])
        by = {(a, p): rec for a, p, rec in zip(co["cohort"], co["period"], co.to_dict("records"))}
        size = dict(zip(co["cohort"], co["cohort_size"]))
        blocks = [
            ("dynamics.cohort_active", "Active clients", "active", INT),
            ("dynamics.cohort_retention", "Logo retention", "logo_retention", SHARE),
            ("dynamics.cohort_revenue", "Revenue", "revenue", MONEY),
            ("dynamics.cohort_index", "Revenue index", "revenue_index", RATIO),
        ]
        r = 3
        pos: dict[str, tuple[int, int]] = {}  # block key -> (header row, first data row)
        for key, default, field, kind in blocks:
            ws.write_string(r, 0, t(key, default), w.f_bold)
            r += 1
            hrow = r
            ws.write_string(hrow, 0, t("dynamics.cohort", "Cohort"), w.f_head)
            ws.write_string(hrow, 1, t("dynamics.cohort_size", "Clients"), w.f_head)
            for j, p in enumerate(periods, start=2):
                head = f"{p} ({t('dynamics.incomplete', 'incomplete')})" if p in incomplete else str(p)
                ws.write_string(hrow, j, head, w.f_head)
            pos[field] = (hrow, hrow + 1)
            for i, coh in enumerate(cohorts):
                rr = hrow + 1 + i
                ws.write_string(rr, 0, str(coh), w.f_bold)
                ws.write_number(rr, 1, float(size[coh]), self.f[INT])
                for j, p in enumerate(periods, start=2):
                    rec = by.get((coh, p))
                    if rec is None:
                        continue
                    if field in ("active", "revenue"):
                        self.w.value(ws, rr, j, rec[field], self.f[kind])
                        continue
                    src = "active" if field == "logo_retention" else "revenue"
                    sh, sfirst = pos[src]
                    src_cell = f"{column_letter(j)}{sfirst + i + 1}"
                    if field == "logo_retention":
                        fm = f'IFERROR({src_cell}/$B{rr + 1},"")'
                    else:
                        own = f"${column_letter(2 + periods.index(coh))}{sfirst + i + 1}" if coh in periods else None
                        fm = f'IFERROR(IF({own}>0,{src_cell}/{own},""),"")' if own else '""'
                    ws.write_formula(rr, j, fm, self.f[kind], _num(rec[field]))
            if field in ("logo_retention", "revenue_index"):
                ws.conditional_format(
                    hrow + 1,
                    2,
                    hrow + len(cohorts),
                    1 + len(periods),
                    {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFEB84", "max_color": "#63BE7B"},
                )
            r = hrow + len(cohorts) + 2
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1 + len(periods), 12)
        ws.freeze_panes(5, 2)

    # ------------------------------------------------------------------ watch list
    def watch_sheet(self) -> None:
        w, t = self.w, self.t
        sheet = self.names["watch_list"]
        ws = w.wb.add_worksheet(sheet, w.sheet_class)
        ws.write_string(0, 0, t("dynamics.watch_title", "Watch list"), w.f_title)
        ws.write_string(2, 0, t("dynamics.watch_counts", "Clients by lapse status"), w.f_bold)
        heads = ["", t("column.clients", "Clients"), t("dynamics.revenue_at_stake", "Revenue at stake")]
        for j, h in enumerate(heads):
            ws.write_string(3, j, h, w.f_head)
        c = w.a.clients
        st = w.crange("lapse_status")
        rev = w.crange("revenue")
        for i, key in enumerate(("lapsing", "late", "on_track", "too_few_purchases")):
            r = 4 + i
            ws.write_string(r, 0, label(f"lapse_status.{key}", self.lang), w.f_bold)
            sel = c["lapse_status"] == key
            crit = literal(label(f"lapse_status.{key}", self.lang))
            ws.write_formula(r, 1, f"COUNTIFS({st},{crit})", self.f[INT], int(sel.sum()))
            at_stake = c.loc[sel, "revenue"]
            cached = float(snap_cents(at_stake.sum(), at_stake.abs().sum(), len(at_stake)))
            ws.write_formula(r, 2, f"SUMIFS({rev},{st},{crit})", self.f[MONEY], cached)
        wl = watch_list(c)
        wl["lapse_status"] = [label(f"lapse_status.{v}", self.lang) for v in wl["lapse_status"]]
        r = 10
        fmts = {
            "lapse_ratio": RATIO,
            "typical_gap": RATIO,
            "recency_days": INT,
            "purchase_dates": INT,
            "revenue_at_stake": MONEY,
            "last_date": "date",
        }
        for j, k in enumerate(wl.columns):
            ws.write_string(
                r, j, t("dynamics.revenue_at_stake", k) if k == "revenue_at_stake" else w.header(k), w.f_head
            )
            ws.set_column(j, j, 22 if fmts.get(k) is None else 14)
        for i, rec in enumerate(wl.itertuples(index=False), start=r + 1):
            for j, v in enumerate(rec):
                k = wl.columns[j]
                w.value(ws, i, j, v, self.f[fmts.get(k, TEXT)])
        ws.freeze_panes(r + 1, 1)
        if len(wl):
            ws.autofilter(r, 0, r + len(wl), len(wl.columns) - 1)


def dynamics_sheets(w) -> None:
    """Lay out the section's sheets in the writer ``w``'s workbook."""
    s = _Section(w)
    s.bridge_sheet()
    for name in MIGRATION_KEYS:
        s.migration_sheet(name)
    s.cohort_sheet()
    s.watch_sheet()
    s.client_sheet()
