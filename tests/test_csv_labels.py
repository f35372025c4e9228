"""CSV outputs with --lang ru carry the Russian segment and status names the workbook shows."""

from __future__ import annotations

import pandas as pd
import pytest

from xlb2b.cli import main

# the ru locale's names (xlb2b/locales/ru.toml, ru.dynamics.toml), written out here
PSC_RU = {
    "06 New": "06 Новые",
    "01 Best": "01 Лучшие",
    "05 Misers": "05 Жмоты (систематично, но много дешёвого)",
    "02 Unstable best": "02 Нестабильно лучшие (много дорогого, но не системного)",
    "03 Systematic expensive, but little": "03 Системно дорогое, но мало",
    "04 Normal": "04 Нормальные",
}
RFM_RU = {
    "Champions": "Чемпионы",
    "Loyal": "Лояльные",
    "Potential loyalists": "Потенциально лояльные",
    "New customers": "Новые",
    "Promising": "Перспективные",
    "Need attention": "Требуют внимания",
    "About to sleep": "Засыпающие",
    "At risk": "В зоне риска",
    "Can't lose them": "Нельзя потерять",
    "Hibernating": "Спящие",
    "Lost": "Потерянные",
}
STATUS_RU = {
    "new": "Новый",
    "returned": "Вернулся",
    "lost": "Потерян",
    "grown": "Вырос",
    "shrunk": "Сократился",
    "flat": "Без изменений",
    "other": "Прочее",
}
LAPSE_RU = {"on_track": "В графике", "late": "Запаздывает", "lapsing": "Уходит", "too_few_purchases": "Мало покупок"}


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    from xlb2b.sample import generate

    d = tmp_path_factory.mktemp("csv")
    tx = d / "tx.csv"
    generate(80, seed=4).transactions.to_csv(tx, index=False)
    for lang in ("en", "ru"):
        assert (
            main(
                [
                    "analyze",
                    str(tx),
                    "--lang",
                    lang,
                    "-o",
                    str(d / f"{lang}.xlsx"),
                    "--csv",
                    str(d / f"{lang}.csv"),
                    "-q",
                ]
            )
            == 0
        )
    en = pd.read_csv(d / "en.csv", sep=",", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ru = pd.read_csv(d / "ru.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return en.set_index("client_id"), ru.set_index("client_id").loc[en["client_id"]]


@pytest.mark.parametrize(
    "column, names",
    [
        ("psc_group", PSC_RU),
        ("rfm_segment", RFM_RU),
        ("status", STATUS_RU),
        ("lapse_status", LAPSE_RU),
        ("psc_group_w0", PSC_RU),
        ("rfm_segment_w0", RFM_RU),
    ],
)
def test_ru_csv_names_are_the_ru_locale_names_of_the_en_csv(both, column, names):
    en, ru = both
    assert (en[column] != "").any()
    expected = [names[v] if v else "" for v in en[column]]
    assert list(ru[column]) == expected


def test_ru_csv_keeps_codes_and_classes_as_they_are(both):
    en, ru = both
    for column in ("psc_code", "rfm_code", "abc_class", "xyz_class"):
        assert list(ru[column]) == list(en[column])


def test_ru_summary_table_names_its_segments_and_total_in_russian():
    from xlb2b import Settings, analyze
    from xlb2b.excel.labels import localised_summary

    tx = pd.DataFrame(
        {
            "client_id": ["a", "b"],
            "date": pd.to_datetime(["2025-03-01", "2025-04-01"]),
            "amount": [10.0, 20.0],
        }
    )
    a = analyze(tx, settings=Settings())
    # two clients with tenure ≤ 3 months: both "06 New"; the Total row is "Всего"
    got = localised_summary(a.summary("psc_group"), "psc_group", "ru")
    rows = dict(zip(got["segment"], got["clients"]))
    assert rows == {"06 Новые": 2, "Всего": 2}
    assert list(localised_summary(a.summary("psc_group"), "psc_group", "en")["segment"]) == ["06 New", "Total"]


def test_en_csv_keeps_the_engine_names(both):
    en, _ = both
    assert set(en["psc_group"]) - {""} <= set(PSC_RU)
    assert set(en["status"]) - {""} <= set(STATUS_RU)
