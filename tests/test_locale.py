"""Locale files: both languages carry the same keys, every column and sheet
has a label, and the default PSC group and RFM segment names are the English
labels the Russian ones are looked up by."""
from __future__ import annotations

import tomllib
from dataclasses import fields
from importlib import resources

import pytest

from xlb2b import errors
from xlb2b.analysis import portrait
from xlb2b.analysis.summary import BASE_COLUMNS, KML_COLUMNS, SEGMENT_COLUMNS
from xlb2b.excel.dynamics_sheets import SHEET_KEYS as DYNAMICS_SHEETS  # noqa: E402
from xlb2b.locale import LANGUAGES, label, labels
from xlb2b.pipeline import CLIENT_COLUMNS, EXTRA_COLUMNS
from xlb2b.settings import DEFAULT_PSC_GROUPS, DEFAULT_RFM_GRID, Settings

SHEETS = ["contents", "settings", "clients", "summary_psc", "summary_psc_group", "summary_spl",
          "summary_kml", "summary_dsl", "summary_dsl_level", "summary_rfm", "summary_rfm_segment",
          "summary_abc", "summary_xyz", "portrait", "excluded", "input_issues", "abc_curve"] + DYNAMICS_SHEETS
SECTIONS = ["sheet", "column", "summary_title", "psc_group", "rfm_segment", "dsl_level", "dsl_level_hint",
            "abc", "xyz", "setting", "setting_hint", "contents", "severity"]
BOUND_CELLS = ["psc_s2_min", "psc_s3_min", "kml_k2_min", "kml_k3_min", "kml_m2_min", "kml_m3_min",
               "dsl_d2_min", "dsl_d3_min", "dsl_s2_below", "dsl_s3_below", "abc_a_below", "abc_b_below",
               "xyz_x_max", "xyz_y_max", "lapse_late_min", "lapse_lapsing_min"]
CUT_POINTS = ([f"{s}_cut{j}" for s in ("psc_p", "psc_c", "spl_l", "kml_l", "dsl_l") for j in (1, 2)]
              + [f"rfm_{x}_cut{j}" for x in "rfm" for j in (1, 2, 3, 4)])
TABLE_HEADERS = ["rule_group", "p_min", "p_max", "s_min", "s_max", "c_min", "c_max", "tenure_min",
                 "tenure_max", "rfm_grid", "r_row", "fm_col"]
BAD_SHEET_CHARS = set("[]:*?/\\")


def raw(lang: str, part: str = "") -> dict:
    name = f"{lang}.{part}.toml" if part else f"{lang}.toml"
    return tomllib.loads(resources.files("xlb2b").joinpath("locales", name).read_text(encoding="utf-8"))


def parts() -> list[str]:
    """"" for <lang>.toml, then every <part> of <lang>.<part>.toml files in English."""
    names = [p.name for p in resources.files("xlb2b").joinpath("locales").iterdir()]
    return [""] + sorted(n[len("en."):-len(".toml")] for n in names
                         if n.startswith("en.") and n.endswith(".toml") and n != "en.toml")


def test_same_sections_and_keys_in_every_language():
    assert {"toolkit", "scripts"} <= set(parts())
    for part in parts():
        en = raw("en", part)
        for lang in LANGUAGES:
            t = raw(lang, part)
            assert set(t) == set(en), (lang, part)
            for section in en:
                assert set(t[section]) == set(en[section]), (lang, part, section)
                assert all(isinstance(v, str) and v.strip() for v in t[section].values()), (lang, section)


def test_required_sections_present():
    for lang in LANGUAGES:
        assert set(SECTIONS) <= set(raw(lang)), lang


def test_every_column_has_a_label():
    keys = (CLIENT_COLUMNS + EXTRA_COLUMNS + BASE_COLUMNS + KML_COLUMNS + errors.COLUMNS
            + portrait.COLUMNS + ["client_id", "reason", "revenue", "share_before",
                                  "cumulative_share_clients", "cumulative_share_revenue"])
    for lang in LANGUAGES:
        cols = raw(lang)["column"]
        missing = [k for k in keys if k not in cols]
        assert not missing, (lang, missing)
    assert label("column.segment", "en") == "Segment"
    assert label("column.segment", "ru") == "Сегмент"
    assert label("column.revenue_share", "ru") == "%GT Выручка"
    assert label("column.orders_per_client", "ru") == "Количество чеков на человека"


def test_sheet_names_valid_and_unique():
    for lang in LANGUAGES:
        sheets = raw(lang)["sheet"]
        assert set(sheets) == set(SHEETS), lang
        names = list(sheets.values())
        assert len({n.casefold() for n in names}) == len(names), lang     # Excel ignores case
        for n in names:
            assert 1 <= len(n) <= 31, (lang, n)
            assert not (set(n) & BAD_SHEET_CHARS), (lang, n)
            assert not n.startswith("'") and not n.endswith("'"), (lang, n)
            assert n.strip() == n and n.casefold() != "history", (lang, n)


def test_summary_titles_and_contents_cover_every_sheet():
    for lang in LANGUAGES:
        t = raw(lang)
        assert set(SEGMENT_COLUMNS) | {"total", "not_segmented"} <= set(t["summary_title"]), lang
        assert set(SHEETS) | {"title", "window", "inputs", "how_to_change", "generated"} <= set(t["contents"])
    assert label("summary_title.total", "ru") == "Всего"
    assert label("summary_title.not_segmented", "en") == "(not segmented)"
    assert label("summary_title.kml", "ru") == "KML - анализ (перспективность контрагента)"


def test_psc_groups_match_defaults():
    en = labels("psc_group", "en")
    assert sorted(en.values()) == sorted(r["group"] for r in DEFAULT_PSC_GROUPS)
    ru = labels("psc_group", "ru")
    for key, name in en.items():
        assert ru[key][:3] == name[:3]              # same "NN " prefix: sorting gives 01..06
    assert [ru[k] for k in sorted(ru, key=ru.get)] == [ru[k] for k in sorted(en, key=en.get)]
    assert label("psc_group.best", "ru") == "01 Лучшие"
    assert label("psc_group.new", "ru") == "06 Новые"


def test_rfm_segments_match_grid():
    en = labels("rfm_segment", "en")
    grid = {name for row in DEFAULT_RFM_GRID for name in row}
    assert set(en.values()) == grid and len(en) == len(grid) == 11
    assert label("rfm_segment.champions", "ru") == "Чемпионы"
    assert label("rfm_segment.cant_lose", "ru") == "Нельзя потерять"


def test_translated_names_are_distinct():
    for lang in LANGUAGES:
        for section in ("psc_group", "rfm_segment", "dsl_level", "severity"):
            vals = list(labels(section, lang).values())
            assert len(set(vals)) == len(vals), (lang, section)


def test_dsl_levels():
    for level in (1, 2, 3):
        assert label(f"dsl_level.{level}", "en") == f"Level {level}"
        assert label(f"dsl_level.{level}", "ru") == f"Уровень {level}"
    assert label("dsl_level_hint.1", "ru") == "берут одно и то же и не пробовали другого"


def test_every_setting_has_label_and_hint():
    names = [f.name for f in fields(Settings)]
    for lang in LANGUAGES:
        t = raw(lang)
        missing = [n for n in names if n not in t["setting"] or n not in t["setting_hint"]]
        assert not missing, (lang, missing)
        missing = [n for n in BOUND_CELLS if n not in t["setting"] or n not in t["setting_hint"]]
        assert not missing, (lang, missing)
        missing = [n for n in CUT_POINTS + TABLE_HEADERS if n not in t["setting"]]
        assert not missing, (lang, missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_severities_and_classes(lang):
    assert set(labels("severity", lang)) == {errors.INFO, errors.WARNING, errors.ERROR, errors.FATAL}
    assert set(labels("abc", lang)) == set("ABC")
    assert set(labels("xyz", lang)) == set("XYZ")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_headers_distinct_within_a_sheet(lang):
    from xlb2b.analysis.summary import SUM_COLUMNS
    for cols in (CLIENT_COLUMNS + EXTRA_COLUMNS, BASE_COLUMNS + KML_COLUMNS + SUM_COLUMNS,
                 errors.COLUMNS, portrait.COLUMNS):
        heads = [label(f"column.{k}", lang) for k in cols]
        assert len(set(heads)) == len(heads), [h for h in heads if heads.count(h) > 1]
