"""``analyze``: inputs → per-client metrics → segmentations → summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlb2b.analysis import segments as seg
from xlb2b.analysis.metrics import Window, client_metrics, market_metrics, resolve_window
from xlb2b.analysis.summary import SEGMENT_COLUMNS, SUM_COLUMNS, summary_table
from xlb2b.errors import FATAL, INFO, WARNING, InputError, Report
from xlb2b.inputs.tables import InputTable
from xlb2b.settings import Settings

#: the canonical client columns, in order (METHODOLOGY §2–§4)
CLIENT_COLUMNS = [
    "client_id",
    "revenue",
    "gross_profit",
    "margin",
    "orders",
    "units",
    "lines",
    "avg_unit_price",
    "avg_check",
    "depth",
    "skus",
    "categories",
    "top_category_share",
    "first_date",
    "last_date",
    "recency_days",
    "tenure_months",
    "active_months",
    "months_observed",
    "regularity",
    "monthly_cv",
    "ltv",
    "capacity_units",
    "revenue_per_capacity",
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
    "suppliers",
    "hhi",
    "market_spend",
    "sow",
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
#: attributes carried along after the canonical columns when the data has them
EXTRA_COLUMNS = [
    "name",
    "industry",
    "region",
    "manager",
    "overdue_days",
    "overdue_amount",
    "overdue_flag",
    "our_market_amount",
    "prev_revenue",
    "share_before",
]
#: per-client W0 -> W1 columns (§11–§12), after the extras, when dynamics are computed
DYNAMICS_COLUMNS = [
    "revenue_w0",
    "units_w0",
    "status",
    "change",
    "price_effect",
    "volume_effect",
    "psc_group_w0",
    "abc_class_w0",
    "rfm_segment_w0",
    "dsl_level_w0",
    "xyz_class_w0",
    "purchase_dates",
    "typical_gap",
    "lapse_ratio",
    "lapse_status",
]
INT_COLUMNS = [
    "orders",
    "lines",
    "skus",
    "categories",
    "recency_days",
    "tenure_months",
    "active_months",
    "months_observed",
    "suppliers",
    "psc_p",
    "psc_s",
    "psc_c",
    "spl_s",
    "spl_p",
    "spl_l",
    "kml_k",
    "kml_m",
    "kml_l",
    "dsl_d",
    "dsl_s",
    "dsl_l",
    "dsl_level",
    "rfm_r",
    "rfm_f",
    "rfm_m",
]
CLIENT_ATTRIBUTES = [
    "name",
    "industry",
    "manager",
    "region",
    "capacity_units",
    "overdue_days",
    "overdue_amount",
    "overdue_flag",
]

Progress = Callable[[str], None]


@dataclass
class Analysis:
    """What :func:`analyze` found.  ``clients``: one row per analysed client,
    the two-window columns (``DYNAMICS_COLUMNS``) last when ``dynamics`` is
    computed; ``dynamics``: the W0 -> W1 section (:class:`xlb2b.analysis.dynamics.Dynamics`),
    None with ``Settings(dynamics=False)``.  Without a progress callback,
    :func:`analyze` leaves the two-window section to the first use of
    ``clients`` or ``dynamics`` (the summaries, cut points, exclusions and
    report do not need it); with one (the command line, the buttons) it is
    computed inside :func:`analyze`, under its own stage."""

    _clients: pd.DataFrame = field(repr=False)
    excluded: pd.DataFrame
    cut_points: dict[str, list[float]]
    report: Report
    window: Window
    settings: Settings
    inputs: dict[str, InputTable] = field(default_factory=dict)
    competitors: pd.DataFrame | None = None
    _dynamics: Any = field(default=None, repr=False)
    _summaries: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    #: computes the two-window section: (Dynamics, its per-client columns for ``clients``)
    _pending: Callable[[], tuple[Any, dict[str, pd.Series]]] | None = field(default=None, repr=False)

    SUMMARIES = tuple(SEGMENT_COLUMNS)

    def _settle(self) -> None:
        """Compute the two-window section if it is still to be computed."""
        pending, self._pending = self._pending, None
        if pending is not None:
            dyn, columns = pending()
            if columns:
                base = self._clients
                extra = pd.DataFrame(columns, index=base.index)
                self._clients = pd.concat([base, extra], axis=1)
            self._dynamics = dyn

    def __getstate__(self) -> dict[str, Any]:
        """For pickling and copying: the two-window section computed first (the step that
        computes it is a closure, which cannot be pickled)."""
        self._settle()
        return self.__dict__.copy()

    @property
    def clients(self) -> pd.DataFrame:
        self._settle()
        return self._clients

    @clients.setter
    def clients(self, value: pd.DataFrame) -> None:
        self._settle()
        self._clients = value

    @property
    def dynamics(self) -> Any:
        """The two-window section (W0 -> W1), or None when ``Settings(dynamics=False)``."""
        self._settle()
        return self._dynamics

    @dynamics.setter
    def dynamics(self, value: Any) -> None:
        self._pending = None
        self._dynamics = value

    def summary(self, name: str, *, with_sums: bool = False) -> pd.DataFrame:
        """The consulting table of §9 for one segmentation (``with_sums``: also
        the orders, units, skus and revenue-with-capacity sums behind the ratios)."""
        if name not in SEGMENT_COLUMNS:
            raise ValueError(f"unknown summary {name!r}; choose from {', '.join(SEGMENT_COLUMNS)}")
        if name not in self._summaries:
            grid_order = list(dict.fromkeys(c for row in self.settings.rfm_grid for c in row))
            # the one-window columns are all it needs: the two-window section is not computed for it
            self._summaries[name] = summary_table(
                self._clients, name, competitors=self.competitors, grid_order=grid_order, with_sums=True
            )
        t = self._summaries[name]
        return (t if with_sums else t.drop(columns=SUM_COLUMNS)).copy()

    def portfolio(self, manual: Any = None) -> tuple[pd.DataFrame, Report]:
        """BCG portfolio scoring (§5): automatic factor ratings where the data
        allows, managers' ratings (a DataFrame or file) laid over them, axis
        scores, tiers and the localised strategy.  ``manual``: a DataFrame with
        client_id and factor columns (English or Russian names).  Returns (table, report);
        the table has client_id, the ten factor ratings, then the scores."""
        from xlb2b.planning.portfolio import auto_ratings, bcg_scores, merge_ratings

        auto = auto_ratings(self.clients, self.settings)
        report = Report()
        if manual is not None:
            auto, report = merge_ratings(auto, manual)
        scores = bcg_scores(auto, self.settings)
        return auto.merge(scores, on="client_id", how="left"), report

    def portrait(self, attributes: list[str] | None = None, klass: str = "A") -> pd.DataFrame:
        """Target-client portrait (§4): traits over-represented among class-A clients."""
        from xlb2b.analysis.portrait import portrait

        return portrait(self.clients, attributes, klass=klass)


#: the per-client money sums, shown and segmented to the cent (shares and ratios keep their precision)
MONEY_SUMS = ("revenue", "gross_profit", "ltv", "market_spend", "prev_revenue")


def _is_engine(source: Any) -> bool:
    """An input that stays in a database engine (:class:`xlb2b.inputs.scan.EngineInput`)."""
    return type(source).__name__ == "EngineInput" and hasattr(source, "table")


def _engine_metrics(tx_e: Any, settings: Settings) -> tuple[Window, Any, dict[str, pd.Series], Any]:
    """Window, per-client metrics, each client's latest region/manager and, with the
    two-window view, W0's per-client metrics, computed by the engine behind ``tx_e``
    in one query (xlb2b.analysis.aggregate)."""
    from xlb2b.analysis import aggregate
    from xlb2b.analysis.dynamics import previous_window

    t = tx_e.table
    window = aggregate.engine_window(t, settings, getattr(tx_e, "date_range", None))
    cols = [col for col in ("region", "manager") if col in t.columns]
    also = [previous_window(window, settings)] if settings.dynamics else []
    cm, latest, more = aggregate.client_metrics_and_latest(
        t, window, settings, gaps=settings.dynamics, latest=cols, also=also
    )
    return window, cm, latest, (more[0] if more else None)


def _as_input_table(e: Any) -> InputTable:
    """What the workbook writers need of an engine input: kind, source, report, columns."""
    return InputTable(kind=e.kind, data=pd.DataFrame(), report=e.report, source=e.source, columns=e.columns)


def _read(kind: str, source: Any, label: str | None = None) -> Any:
    """An :class:`InputTable`, or the engine input as it is (it stays in its engine)."""
    if isinstance(source, InputTable) or _is_engine(source):
        return source
    from xlb2b.inputs import read_table

    return read_table(kind, source, name=label)


def _last_value(tx: pd.DataFrame, col: str, client_ids: np.ndarray) -> pd.Series:
    """The value of ``col`` on each client's latest line that has one
    (region, manager), vectorised: no sort of the whole table."""
    ok = tx[col].notna().to_numpy()
    codes, uniq = pd.factorize(tx["client_id"], sort=False)
    vcodes, values = pd.factorize(tx[col], sort=False)
    c, v = codes[ok], vcodes[ok]
    d = tx["date"].to_numpy(dtype="datetime64[ns]")[ok].astype(np.int64)
    latest = np.full(len(uniq), np.iinfo(np.int64).min)
    np.maximum.at(latest, c, d)
    sel = d == latest[c]
    # among lines of the same latest date take the greatest value in text order, so the
    # result does not depend on the order of the rows
    vals = np.asarray(values, dtype=object)
    order = np.argsort(vals.astype(str), kind="stable")
    rank = np.empty(len(vals), dtype=np.int64)
    rank[order] = np.arange(len(vals))
    best = np.full(len(uniq), -1)
    np.maximum.at(best, c[sel], rank[v[sel]])
    out = pd.Series(np.where(best >= 0, vals[order[np.maximum(best, 0)]], None), index=np.asarray(uniq, dtype=object))
    return out.reindex(client_ids)


def _nullable_int(s: pd.Series) -> pd.arrays.IntegerArray:
    """A column of whole numbers (NaN where unknown) as nullable ``Int64``,
    built from the values and the mask directly: ``pd.array(floats,
    dtype="Int64")`` takes pandas' slow coercion path, which costs seconds
    for a few hundred thousand clients.  A value that is not a whole number
    still raises, as that path does."""
    v = s.to_numpy(dtype="float64", na_value=np.nan)
    mask = np.isnan(v)
    whole = np.where(mask, 0.0, v)
    if not (np.isfinite(whole).all() and (np.floor(whole) == whole).all()):
        return pd.array(v, dtype="Int64")  # raises for a fraction, as before
    return pd.arrays.IntegerArray(whole.astype(np.int64), mask)


def analyze(
    transactions: Any,
    clients: Any = None,
    market: Any = None,
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
) -> Analysis:
    """Run the whole client-base analysis.

    ``transactions``, ``clients``, ``market``: file paths, DataFrames, 2-D
    lists or :class:`InputTable`.  Raises :class:`InputError` (with its
    report) when the input cannot be used; otherwise every problem found is
    in ``Analysis.report``.
    """
    step = progress or (lambda _msg: None)
    settings = settings or Settings()
    report = Report()
    step("reading transactions")
    tx_t = _read("transactions", transactions)
    report.extend(tx_t.report)
    cl_t = mk_t = None
    if clients is not None:
        step("reading clients")
        cl_t = _read("clients", clients)
        report.extend(cl_t.report)
    if market is not None:
        step("reading market")
        mk_t = _read("market", market)
        report.extend(mk_t.report)
    engine = _is_engine(tx_t)
    from xlb2b.inputs.ids import align_client_ids

    if not engine:
        for_clients = align_client_ids(cl_t, tx_t)  # one spelling of an id across the tables
        for_market = align_client_ids(mk_t, tx_t) if not _is_engine(mk_t) else (mk_t, [])
        cl_t, mk_t = for_clients[0], for_market[0]
        report.extend(for_clients[1] + for_market[1])
    tx: Any = None if engine else tx_t.data
    if (tx_t.rows == 0) if engine else tx.empty:
        report.add("no usable transaction rows", file=tx_t.source, sheet=tx_t.sheet, severity=FATAL)
        raise InputError(f"{tx_t.source or 'transactions'}: no usable transaction rows", report)
    if not engine and not tx["amount"].to_numpy(dtype="float64").any():
        header = tx_t.columns.get("amount", "amount")
        report.add(
            f"every amount in column {header!r} is 0 ({len(tx):,} rows), so there is nothing "
            "to analyse; check that this is the amount column (choose another with --map "
            "amount=<header>), and if the amounts are formulas, open the file in Excel or "
            "LibreOffice Calc, save it, and run again",
            file=tx_t.source,
            sheet=tx_t.sheet,
            column=header,
            severity=FATAL,
        )
        raise InputError(f"{tx_t.source or 'transactions'}: every amount is 0", report)

    step("computing metrics")
    latest: dict[str, pd.Series] = {}
    w0_metrics: Any = None
    if engine:
        window, cm, latest, w0_metrics = _engine_metrics(tx_t, settings)
        # the ids of the engine's per-client table are the reference spelling for the clients table
        ref = InputTable(
            kind="transactions", data=pd.DataFrame({"client_id": cm.table["client_id"]}), source=tx_t.source
        )
        cl_t, problems = align_client_ids(cl_t, ref)
        report.extend(problems)
        if mk_t is not None and not _is_engine(mk_t):  # the market table too, as on the pandas path
            mk_t, problems = align_client_ids(mk_t, ref)
            report.extend(problems)
        elif mk_t is not None:
            report.add(
                "the market table is read by the engine: its client ids are matched to the transactions' "
                "exactly (no case, look-alike letter or leading-zero alignment); check that both tables write "
                "each id the same way, or give the market table as a file the pandas path reads",
                file=mk_t.source,
                column="client_id",
                severity=WARNING,
            )
    else:
        window = resolve_window(tx["date"].to_numpy(), settings)
        cm = client_metrics(tx, window, settings)
    table = cm.table
    if not cm.has_gross_profit:
        report.add(
            "gross profit unknown (no cost or gross_profit column): gross_profit, margin and every "
            "GP-based score (SPL L, DSL L) are left empty",
            file=tx_t.source,
            sheet=tx_t.sheet,
            column="cost",
            severity=WARNING,
        )
    if not cm.has_categories:
        report.add(
            "no sku or category column: skus, categories and DSL are left empty",
            file=tx_t.source,
            sheet=tx_t.sheet,
            column="category",
            severity=WARNING,
        )

    # attributes from the Clients table, then from the latest transaction line
    attrs = pd.DataFrame({"client_id": table["client_id"]})
    extra_ids: np.ndarray = np.array([], dtype=object)
    if cl_t is not None:
        cl = cl_t.data.drop_duplicates("client_id")
        cl = cl.astype({col: object for col in cl.columns if isinstance(cl[col].dtype, pd.CategoricalDtype)})
        keep = ["client_id"] + [c for c in CLIENT_ATTRIBUTES if c in cl]
        attrs = attrs.merge(cl[keep], on="client_id", how="left")
        extra_ids = cl.loc[~cl["client_id"].isin(table["client_id"]), "client_id"].to_numpy()
    for col in ("region", "manager"):
        if (col in latest if engine else col in tx) and (col not in attrs or attrs[col].isna().any()):
            ids = attrs["client_id"].to_numpy()
            fill = (latest[col].reindex(ids) if engine else _last_value(tx, col, ids)).to_numpy()
            # blanks of the Clients table take the latest line's value (fillna takes no array)
            attrs[col] = attrs[col].where(attrs[col].notna(), fill) if col in attrs else fill
    table = pd.concat([table.reset_index(drop=True), attrs.drop(columns="client_id").reset_index(drop=True)], axis=1)
    if "capacity_units" in table:
        table["revenue_per_capacity"] = np.where(
            table["capacity_units"] > 0,
            table["revenue"] / table["capacity_units"].where(table["capacity_units"] > 0),
            np.nan,
        )

    attributes = table[["client_id"] + [col for col in ("name", "industry", "region", "manager") if col in table]]

    # who is analysed, who is excluded (and why)
    in_window = table["lines"] > 0
    positive = table["revenue"] > 0
    out_rows = ~positive.to_numpy()  # the reasons are made for the excluded clients only
    reasons = np.where(
        ~in_window.to_numpy()[out_rows],
        "no transactions in the window",
        np.where(
            table["revenue"].to_numpy()[out_rows] == 0,
            "net revenue in the window is 0",
            "net revenue in the window is negative (returns exceed purchases)",
        ),
    )
    excluded = pd.DataFrame(
        {
            "client_id": table.loc[~positive, "client_id"].to_numpy(),
            "reason": reasons,
            "revenue": table.loc[~positive, "revenue"].to_numpy(),
        }
    )
    if len(extra_ids):
        excluded = pd.concat(
            [
                excluded,
                pd.DataFrame(
                    {"client_id": extra_ids, "reason": "in the Clients table but no transactions", "revenue": 0.0}
                ),
            ],
            ignore_index=True,
        )
    c = table.loc[positive].reset_index(drop=True)

    # market
    competitors = None
    if mk_t is not None:
        if _is_engine(mk_t):
            from xlb2b.analysis.aggregate import market_metrics_engine

            mm = market_metrics_engine(mk_t.table, window, settings)
        else:
            mm = market_metrics(mk_t.data, window, settings)
        competitors = mm.attrs.get("competitor_pairs")
        c = c.merge(mm, on="client_id", how="left")
        if not settings.our_supplier:
            report.add(
                "our_supplier is not set: SOW cannot be computed from the Market table",
                file=mk_t.source,
                sheet=mk_t.sheet,
                column="supplier",
                severity=WARNING,
            )
        elif not (mm["our_market_amount"] > 0).any():
            seen = ""
            if not _is_engine(mk_t) and "supplier" in mk_t.data:
                top = mk_t.data["supplier"].astype(object).value_counts().index[:5]
                if len(top):
                    seen = (
                        f" (the suppliers named most often there: {', '.join(repr(str(v)) for v in top)}); "
                        "if one of them is your company, give its name as written with --our-supplier "
                        "(our_supplier in the settings)"
                    )
            report.add(
                f"supplier {settings.our_supplier!r} not found in the Market table: SOW is 0 for every client" + seen,
                file=mk_t.source,
                sheet=mk_t.sheet,
                column="supplier",
                severity=WARNING,
            )
        missing = int(c["market_spend"].isna().sum())
        if missing:
            report.add(
                f"{missing} analysed client(s) have no purchases in the Market table in the window: "
                "their KML columns are empty",
                file=mk_t.source,
                sheet=mk_t.sheet,
                severity=INFO,
            )
    else:
        for col in ("suppliers", "hhi", "market_spend", "sow"):
            c[col] = np.nan

    # per-client money sums to the cent: what the sheets show, what the segments rank and score
    # and what the workbook's formulas recalculate from are then the same numbers
    for col in MONEY_SUMS:
        if col in c:
            c[col] = seg.cents(c[col].to_numpy(dtype="float64"))

    step("segmenting")
    cut_points: dict[str, list[float]] = {}
    for fn in seg.ALL:
        if fn is seg.kml and mk_t is None:
            continue
        s = fn(c, settings)
        for col, values in s.columns.items():
            if isinstance(values, np.ndarray) and values.dtype == object:
                # codes and labels stay Python objects, as they were made: pandas 3
                # would copy every one of them into an Arrow string column
                values = pd.Series(values, index=c.index, dtype=object, copy=False)
            c[col] = values
        cut_points.update(s.cuts)
        for m in s.messages:
            report.add(m, severity=WARNING if m.startswith(("SPL", "DSL")) else INFO)
    if mk_t is None:
        for col in ("kml_k", "kml_m", "kml_l", "kml_code"):
            c[col] = np.nan
        report.add("no Market table: KML, suppliers, HHI and SOW are left empty", severity=INFO)

    no_units = c.loc[c["units"] <= 0, "client_id"]
    for cid in no_units:
        report.add(
            f"client {cid}: positive revenue but net units ≤ 0, so no average unit price, no P score and no PSC code",
            file=tx_t.source,
            sheet=tx_t.sheet,
            column="quantity",
            value=cid,
            severity=INFO,
        )

    # the two-window section works on the per-client table as segmented (before the missing
    # columns are added, the whole-number ones become Int64 and the columns are put in order)
    w1_clients = c.copy(deep=False)
    for col in CLIENT_COLUMNS:
        if col not in c:
            c[col] = np.nan
    for col in INT_COLUMNS:
        c[col] = _nullable_int(c[col])
    c = c[CLIENT_COLUMNS + [x for x in EXTRA_COLUMNS if x in c]]
    inputs = {
        k: (_as_input_table(t) if _is_engine(t) else t)
        for k, t in (("transactions", tx_t), ("clients", cl_t), ("market", mk_t))
        if t is not None
    }
    out = Analysis(c, excluded, cut_points, report, window, settings, inputs, competitors)
    if settings.dynamics:
        from xlb2b.analysis.dynamics import previous_window

        previous_window(window, settings)  # a W0 that overlaps W1 is refused here, not on first use
        analysed = np.flatnonzero(positive.to_numpy())

        def two_windows() -> tuple[Any, dict[str, pd.Series]]:
            if engine:
                from xlb2b.analysis.aggregate import engine_dynamics

                dyn = engine_dynamics(
                    tx_t.table, window, cm.table, w1_clients, cut_points, attributes, settings, w0_metrics=w0_metrics
                )
            else:
                from xlb2b.analysis.dynamics import dynamics as _dynamics

                # the per-client table is in the order of the clients' first line in tx, as the day totals
                # of the dynamics are: the analysed clients go by their position there, not by their ids
                dyn = _dynamics(tx, window, w1_clients, cut_points, attributes, settings, codes=analysed)
            per = dyn.clients
            pos = dyn._cache.pop("w1_rows")
            # every analysed client buys in W1, so is in per; text columns stay as stored
            columns = {col: per[col].take(pos).set_axis(w1_clients.index) for col in DYNAMICS_COLUMNS if col in per}
            return dyn, columns

        out._pending = two_windows
        if progress is not None:  # the command line and the buttons show this stage and its errors here
            step("comparing windows")
            out._settle()
    return out
