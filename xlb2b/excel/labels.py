"""Localised text of the workbooks: labels, column headers, sheet titles and segment names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xlb2b.analysis.summary import NOT_SEGMENTED, TOTAL
from xlb2b.locale import label, labels

DEFAULT_HEADERS = {"psc_p_basis": "P basis", "psc_c_basis": "C basis", "share_before": "Revenue share before"}


def column_header(key: str, lang: str = "en") -> str:
    """The header the workbook gives a client or summary column."""
    return _Labels(lang)(f"column.{key}", DEFAULT_HEADERS.get(key, key.replace("_", " ").capitalize()))


def sheet_name(key: str, lang: str = "en") -> str:
    """The name of one of the workbook's sheets (keys as in the locale's [sheet])."""
    return _Labels(lang)(f"sheet.{key}", key.replace("_", " ").title())


def segment_label(summary: str, segment, lang: str = "en"):
    """A summary row's segment as the workbook shows it in ``lang`` (default
    PSC group and RFM segment names, Total and "(not segmented)" translated)."""
    t = _Labels(lang)
    if segment == TOTAL:
        return t("summary_title.total", TOTAL)
    if segment == NOT_SEGMENTED:
        return t("summary_title.not_segmented", NOT_SEGMENTED)
    section = {"psc_group": "psc_group", "rfm_segment": "rfm_segment"}.get(summary)
    return t.translator(section)(segment) if section else segment


class _Labels:
    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, key: str, default: str | None = None) -> str:
        text = label(key, self.lang)
        if text == key:
            return default if default is not None else key.split(".", 1)[-1].replace("_", " ").capitalize()
        return text

    def translator(self, section: str) -> Callable[[Any], Any]:
        """Map a default English name (PSC group, RFM segment) to this language."""
        if self.lang == "en":
            return lambda v: v
        en = labels(section, "en")
        loc = labels(section, self.lang)
        table = {name: loc.get(key, name) for key, name in en.items()}
        return lambda v: table.get(v, v) if isinstance(v, str) else v


#: client columns holding names the workbook shows translated: column -> how
_CLIENT_LABELS = {
    "psc_group": "psc_group",
    "psc_group_w0": "psc_group",
    "rfm_segment": "rfm_segment",
    "rfm_segment_w0": "rfm_segment",
    "status": "client_status.",
    "lapse_status": "lapse_status.",
}


def _keyed(prefix: str, lang: str) -> Callable[[Any], Any]:
    """Map a key (``grown``) to its ``lang`` label under ``prefix`` (``client_status.``)."""
    return lambda v: label(f"{prefix}{v}", lang) if isinstance(v, str) else v


def localised_clients(frame, lang: str = "en"):
    """The clients table with its PSC group, RFM segment, client status and
    lapse status names as the workbook shows them in ``lang`` (a copy; the
    table itself for ``en``, whose CSV keeps the engine's names)."""
    if lang == "en":
        return frame
    t = _Labels(lang)
    out = frame.copy()
    for col, how in _CLIENT_LABELS.items():
        if col not in out:
            continue
        tr: Callable[[Any], Any] = t.translator(how) if not how.endswith(".") else _keyed(how, lang)
        values = out[col].astype(object)
        out[col] = values.map(tr, na_action="ignore")
    return out


def localised_summary(frame, summary: str, lang: str = "en"):
    """A summary table with its segment column as the workbook shows it in
    ``lang`` (:func:`segment_label`); the table itself for ``en``."""
    if lang == "en" or "segment" not in frame:
        return frame
    out = frame.copy()
    out["segment"] = [segment_label(summary, v, lang) for v in out["segment"].astype(object)]
    return out
