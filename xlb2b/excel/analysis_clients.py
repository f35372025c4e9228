"""The analysis workbook's Clients sheet: a row per client, metrics as values, every score, code and class a formula."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from xlb2b.excel.analysis_base import ALWAYS, DATE, DYNAMICS_VALUE_COLUMNS, SCORE, TEXT, VALUE_COLUMNS, _WriterBase
from xlb2b.excel.names import _q
from xlb2b.excel.rows import Column, client_table_frame, date_serials, escape_xml
from xlb2b.io_util import column_letter
from xlb2b.locale import label


class _ClientsSheet(_WriterBase):
    """The Clients sheet: its columns, the formula of each score/code column, its rows."""

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
