"""The analysis workbook's summary sheets: a row per segment, SUMIFS/COUNTIFS over Clients, and their bar charts."""

from __future__ import annotations

from typing import Any

from xlb2b.analysis.summary import BASE_COLUMNS, KML_COLUMNS, NOT_SEGMENTED, SEGMENT_COLUMNS, TOTAL
from xlb2b.excel.analysis_base import INT, MONEY, RATIO, SHARE, TEXT, _excel, _missing, _WriterBase
from xlb2b.excel.criteria import is_plain, sum_exact
from xlb2b.excel.names import _q
from xlb2b.io_util import column_letter


class _SummarySheets(_WriterBase):
    """The summary sheets (one per segmentation) and the bar charts under them."""

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
