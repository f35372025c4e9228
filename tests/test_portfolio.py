"""BCG portfolio scoring, manual ratings, BANT (METHODOLOGY §5) and labels."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from xlb2b.analysis.answers import yes_no
from xlb2b.errors import ERROR, WARNING, InputError
from xlb2b.locale import find_key, label, labels
from xlb2b.planning.portfolio import AXES, BCG_COLUMNS, FACTORS, auto_ratings, bant, bcg_scores, merge_ratings
from xlb2b.settings import STRATEGY_KEYS, Settings

REL = AXES["relationship"]      # sow, price_orientation, dependence, loyalty, decision_makers
ATT = AXES["attractiveness"]    # potential, growth, margin, competition, assortment


def ratings(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """{client: {factor: rating}} -> ratings frame; unnamed factors are NaN."""
    frame = pd.DataFrame([{"client_id": c, **r} for c, r in rows.items()])
    for f in FACTORS:
        if f not in frame.columns:
            frame[f] = np.nan
    return frame[["client_id", *FACTORS]]


def row(frame: pd.DataFrame, client) -> pd.Series:
    return frame.set_index("client_id").loc[client]


# --------------------------------------------------------------------------- labels

def test_labels_in_both_languages_and_fallbacks():
    assert label("strategy.invest", "ru") == "Зона инвестиций"
    assert label("strategy.invest") == "Invest"
    assert label("strategy.harvest_minimise", "ru") == "Минимизировать инвестиции и собрать урожай"
    assert label("strategy.consider_ending", "ru") == "Рассмотрение завершения отношений"
    assert label("bcg_factor.decision_makers", "ru") == "Контакты с ЛПР"
    assert label("tier.relationship_strong", "ru") == "Сильные"
    assert label("bant.need", "ru") == "Потребность"
    assert label("strategy.invest", "de") == "Invest"          # unknown language -> English
    assert label("no.such_key", "ru") == "no.such_key"         # unknown key -> the key
    # every strategy key and factor has a label in both languages
    for lang in ("en", "ru"):
        assert set(STRATEGY_KEYS.values()) <= set(labels("strategy", lang))
        assert set(FACTORS) <= set(labels("bcg_factor", lang))
    assert labels("strategy", "ru")["strengthen"] == "Укрепление"


def test_find_key_reads_both_languages():
    assert find_key("Контакты с ЛПР", "bcg_factor") == "decision_makers"
    assert find_key("  client GROWTH ", "bcg_factor") == "growth"
    assert find_key("sow", "bcg_factor") == "sow"
    assert find_key("Name", "bcg_factor") is None


# --------------------------------------------------------------------------- tiers

def test_tier_exactly_on_the_bounds_equal_weights():
    r = ratings({
        # relationship 4,4,3 -> (4+4+3)/3 = 11/3 -> Strong; attractiveness 4,4,3 -> High
        "on_upper": {"sow": 4, "loyalty": 4, "dependence": 3, "potential": 4, "margin": 4, "growth": 3},
        # 3,2,2 -> 7/3 -> Medium on both axes
        "on_lower": {"sow": 3, "loyalty": 2, "dependence": 2, "potential": 3, "margin": 2, "growth": 2},
        # 4,3,3 -> 10/3 < 11/3 -> Medium; 2,2,2 -> 2 < 7/3 -> Low/Weak
        "below_upper": {"sow": 4, "loyalty": 3, "dependence": 3, "potential": 2, "margin": 2, "growth": 2},
    })
    out = bcg_scores(r)
    assert list(out.columns) == BCG_COLUMNS
    a = row(out, "on_upper")
    assert a.relationship == pytest.approx(11 / 3) and a.relationship_tier == "Strong"
    assert a.attractiveness == pytest.approx(11 / 3) and a.attractiveness_tier == "High"
    assert a.strategy_key == "strengthen"
    b = row(out, "on_lower")
    assert b.relationship == pytest.approx(7 / 3) and b.relationship_tier == "Medium"
    assert b.attractiveness_tier == "Medium" and b.strategy_key == "protect_focus"
    c = row(out, "below_upper")
    assert c.relationship == pytest.approx(10 / 3) and c.relationship_tier == "Medium"
    assert c.attractiveness == 2 and c.attractiveness_tier == "Low"
    assert c.strategy_key == "harvest"                       # Low x Medium


def test_tier_exactly_on_the_bounds_unequal_weights():
    w = {"sow": 2.0, "price_orientation": 1.0, "potential": 2.0, "growth": 1.0}
    s = Settings(bcg_weights=w)
    r = ratings({
        # weights 2,1 ratings 4,3 -> (2*4 + 1*3)/(2+1) = 11/3 -> Strong / High
        "up": {"sow": 4, "price_orientation": 3, "potential": 4, "growth": 3},
        # weights 2,1 ratings 2,3 -> (4 + 3)/3 = 7/3 -> Medium
        "low": {"sow": 2, "price_orientation": 3, "potential": 2, "growth": 3},
        # weights 2,1 ratings 3,5 -> (6 + 5)/3 = 11/3 (equal weights would give 4)
        "up2": {"sow": 3, "price_orientation": 5, "potential": 2, "growth": 2},
    })
    out = bcg_scores(r, s)
    assert row(out, "up").relationship_tier == "Strong" and row(out, "up").attractiveness_tier == "High"
    assert row(out, "low").relationship_tier == "Medium" and row(out, "low").attractiveness_tier == "Medium"
    assert row(out, "up2").relationship == pytest.approx(11 / 3)
    assert row(out, "up2").relationship_tier == "Strong"
    assert row(out, "up2").attractiveness_tier == "Low"       # 2,2 -> 2


def test_tier_on_bound_with_inexact_float_weights():
    # weights 0.1, 0.2; ratings 3, 4 -> (0.3 + 0.8)/0.3 = 1.1/0.3 = 11/3 in exact arithmetic,
    # but 0.1*3 + 0.2*4 and 0.1 + 0.2 are not exact in binary floating point.
    s = Settings(bcg_weights={"sow": 0.1, "price_orientation": 0.2, "potential": 0.1, "growth": 0.2})
    # same weights, ratings 2, 2.5: (0.2 + 0.5)/0.3 = 7/3
    r = ratings({"x": {"sow": 3, "price_orientation": 4, "potential": 2, "growth": 2.5}})
    out = bcg_scores(r, s)
    assert out.relationship_tier[0] == "Strong"
    assert out.attractiveness_tier[0] == "Medium"


def test_all_nine_strategy_cells():
    # ratings 5 -> Strong / High, 3 -> Medium, 1 -> Weak / Low (3 lies in [7/3, 11/3))
    rel = {"Strong": 5, "Medium": 3, "Weak": 1}
    att = {"High": 5, "Medium": 3, "Low": 1}
    rows = {f"{a}-{r}": {**{f: rel[r] for f in REL}, **{f: att[a] for f in ATT}}
            for a in att for r in rel}
    s = Settings(locale="ru")
    out = bcg_scores(ratings(rows), s).set_index("client_id")
    ru = {
        "strengthen": "Укрепление", "invest": "Зона инвестиций",
        "invest_selectively": "Выборочно инвестировать", "protect_focus": "Защищать и фокусироваться",
        "harvest_minimise": "Минимизировать инвестиции и собрать урожай",
        "protect_position": "Защищать позиции и доход", "harvest": "Сбор урожая",
        "consider_ending": "Рассмотрение завершения отношений",
    }
    expected = {
        ("High", "Strong"): "strengthen", ("High", "Medium"): "invest", ("High", "Weak"): "invest",
        ("Medium", "Strong"): "invest_selectively", ("Medium", "Medium"): "protect_focus",
        ("Medium", "Weak"): "harvest_minimise", ("Low", "Strong"): "protect_position",
        ("Low", "Medium"): "harvest", ("Low", "Weak"): "consider_ending",
    }
    for (a, r), key in expected.items():
        got = out.loc[f"{a}-{r}"]
        assert (got.attractiveness_tier, got.relationship_tier) == (a, r)
        assert got.strategy_key == key
        assert got.strategy == ru[key]
        assert got.policy == s.bcg_policies[key]
        assert got.relationship_missing == 0 and got.attractiveness_missing == 0


def test_missing_ratings_are_counted_and_excluded():
    s = Settings(bcg_weights={"price_orientation": 0.0})
    r = ratings({
        # relationship: sow 5, loyalty 3 -> (5+3)/2 = 4; missing: dependence, decision_makers
        # (price_orientation has weight 0, so it is not counted as missing)
        # attractiveness: nothing rated -> NaN, 5 missing, empty tier, no strategy
        "a": {"sow": 5, "loyalty": 3},
        # price_orientation rated but weight 0: ignored -> relationship NaN
        "b": {"price_orientation": 5, "margin": 1},
    })
    out = bcg_scores(r, s)
    a = row(out, "a")
    assert a.relationship == 4 and a.relationship_missing == 2 and a.relationship_tier == "Strong"
    assert math.isnan(a.attractiveness) and a.attractiveness_missing == 5
    assert a.attractiveness_tier == "" and a.strategy_key == "" and a.strategy == "" and a.policy == ""
    b = row(out, "b")
    assert math.isnan(b.relationship) and b.relationship_tier == ""
    assert b.relationship_missing == 4
    assert b.attractiveness == 1 and b.attractiveness_missing == 4 and b.attractiveness_tier == "Low"


def test_bcg_scores_accepts_index_and_missing_columns():
    r = pd.DataFrame({"sow": [4.0], "margin": [2.0]}, index=pd.Index(["k1"], name="client_id"))
    out = bcg_scores(r)
    assert out.client_id.tolist() == ["k1"]
    assert out.relationship[0] == 4 and out.attractiveness[0] == 2
    assert out.strategy_key[0] == "protect_position"            # Low x Strong
    assert out.strategy[0] == "Protect position and income"


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=10, max_size=10),
       st.lists(st.floats(0.01, 10), min_size=10, max_size=10))
def test_axis_score_lies_between_its_ratings(values, weights):
    r = ratings({"x": {f: (np.nan if v is None else v) for f, v in zip(FACTORS, values)}})
    s = Settings(bcg_weights=dict(zip(FACTORS, weights)))
    out = bcg_scores(r, s)
    for axis, keys in AXES.items():
        got = [v for f, v in zip(FACTORS, values) if f in keys and v is not None]
        score = out[axis][0]
        assert out[f"{axis}_missing"][0] == len(keys) - len(got)
        if got:
            assert min(got) - 1e-9 <= score <= max(got) + 1e-9
        else:
            assert math.isnan(score) and out[f"{axis}_tier"][0] == ""


# --------------------------------------------------------------------------- auto ratings

def test_sow_exactly_on_the_bounds_goes_up():
    c = pd.DataFrame({"client_id": list("abcdefgh"),
                      "sow": [0.0999, 0.10, 0.2499, 0.25, 0.50, 0.75, 1.0, np.nan]})
    out = auto_ratings(c)
    # lower bounds 10 %, 25 %, 50 %, 75 %: score = 1 + number of bounds <= sow
    assert out.sow.tolist()[:7] == [1, 2, 2, 3, 4, 5, 5]
    assert math.isnan(out.sow[7])
    assert out.attrs["cuts"]["sow"] == [0.10, 0.25, 0.50, 0.75]


def test_competition_from_k_inverted():
    c = pd.DataFrame({"client_id": [1, 2, 3, 4, 5], "kml_k": [1, 2, 3, np.nan, 4]})
    out = auto_ratings(c)
    assert out.competition.tolist()[:3] == [5, 3, 1]           # K1 -> 5, K2 -> 3, K3 -> 1
    assert math.isnan(out.competition[3]) and math.isnan(out.competition[4])


def test_growth_quintiles_and_no_previous_revenue():
    c = pd.DataFrame({
        "client_id": ["a", "b", "c", "d", "e", "new", "gone"],
        "revenue":      [110, 200, 50, 100, 300, 80, 90],
        "prev_revenue": [100, 100, 100, 100, 100, 0, np.nan],
    })
    out = auto_ratings(c)
    # growth = revenue/prev - 1: a 0.1, b 1.0, c -0.5, d 0.0, e 2.0; "new" and "gone" have none.
    # sorted -0.5, 0, 0.1, 1.0, 2.0; quintile cut ranks (5-1)*j/5 = 0.8, 1.6, 2.4, 3.2:
    #   t1 = -0.5 + 0.8*0.5 = -0.1, t2 = 0 + 0.6*0.1 = 0.06, t3 = 0.1 + 0.4*0.9 = 0.46,
    #   t4 = 1.0 + 0.2*1.0 = 1.2
    # score = 1 + #(cuts below the value): c 1, d 2, a 3, b 4, e 5
    assert out.growth.tolist()[:5] == [3, 4, 1, 2, 5]
    assert math.isnan(out.growth[5]) and math.isnan(out.growth[6])
    assert out.attrs["cuts"]["growth"] == pytest.approx([-0.1, 0.06, 0.46, 1.2])


def test_margin_and_assortment_quintiles_and_manual_factors_empty():
    c = pd.DataFrame({"client_id": list("abcde"),
                      "margin": [0.1, 0.2, 0.3, 0.4, 0.5],
                      "categories": [1, 1, 1, 2, 5]})
    out = auto_ratings(c)
    # margin cuts 0.18, 0.26, 0.34, 0.42 -> 1..5
    assert out.margin.tolist() == [1, 2, 3, 4, 5]
    # categories sorted 1,1,1,2,5; cuts at ranks 0.8, 1.6, 2.4, 3.2: 1, 1, 1 + 0.4*1 = 1.4, 2 + 0.2*3 = 2.6
    # 1 -> 1 (not above any cut); 2 -> 1 + 3 = 4; 5 -> 5
    assert out.assortment.tolist() == [1, 1, 1, 4, 5]
    assert out.attrs["cuts"]["assortment"] == pytest.approx([1, 1, 1.4, 2.6])
    assert list(out.columns) == ["client_id", *FACTORS]
    for f in ("price_orientation", "dependence", "loyalty", "decision_makers", "potential"):
        assert out[f].isna().all()
    # absent columns -> no ratings at all
    assert out.sow.isna().all() and out.growth.isna().all() and out.competition.isna().all()


def test_quantile_classes_put_on_the_five_point_scale():
    c = pd.DataFrame({"client_id": list("abc"), "margin": [0.1, 0.2, 0.3]})
    out = auto_ratings(c, Settings(bcg_quantile_k=3))
    # terciles 1, 2, 3 -> 1 + (s-1)*4/2 = 1, 3, 5
    assert out.margin.tolist() == [1, 3, 5]


# --------------------------------------------------------------------------- merge

def test_merge_overrides_and_reports_bad_ratings():
    auto = auto_ratings(pd.DataFrame({"client_id": ["1001", "1002", "1003"],
                                      "sow": [0.3, 0.05, 0.8]}))       # sow 3, 1, 5
    manual = pd.DataFrame({
        "Клиент": [1001, 1002, 9999, 1003, 1001],
        "Контакты с ЛПР": [5, None, 4, "abc", ""],
        "Наша доля в клиенте": [None, 4, 2, 6, None],           # 6 is out of range
        "Client growth": ["3", 2.5, 1, 0, 4],                   # 2.5 and 0 are bad
        "Comment": ["x", "", "", "", ""],
    })
    merged, rep = merge_ratings(auto, manual, sheet="Ratings")
    m = merged.set_index("client_id")
    assert m.loc["1001", "decision_makers"] == 5
    assert m.loc["1001", "sow"] == 3                     # blank manual keeps the automatic rating
    assert m.loc["1002", "sow"] == 4                     # manual overrides automatic 1
    assert m.loc["1003", "sow"] == 5                     # 6 rejected -> automatic 5 stays
    assert m.loc["1001", "growth"] == 4                  # listed twice: the later rating wins
    assert math.isnan(m.loc["1002", "growth"])           # 2.5 rejected
    assert math.isnan(m.loc["1003", "growth"])           # 0 rejected
    assert math.isnan(m.loc["1003", "decision_makers"])  # "abc" rejected
    assert list(merged.columns) == ["client_id", *FACTORS]
    assert merged.attrs["cuts"]["sow"] == [0.10, 0.25, 0.50, 0.75]

    got = {(p.severity, p.row, p.column, str(p.value)) for p in rep}
    assert (WARNING, None, "Comment", "None") in got
    assert (ERROR, 4, "Клиент", "9999") in got                      # Excel row 4 = 3rd data row
    assert (WARNING, 6, "Клиент", "1001") in got
    assert (ERROR, 5, "Контакты с ЛПР", "abc") in got
    assert (ERROR, 5, "Наша доля в клиенте", "6.0") in got         # the column is float (it has blanks)
    assert (ERROR, 3, "Client growth", "2.5") in got
    assert (ERROR, 5, "Client growth", "0") in got
    assert len(rep) == 7                                    # the unknown client's ratings are not checked
    assert all(p.sheet == "Ratings" for p in rep)
    assert all(not isinstance(p.value, np.generic) for p in rep)    # plain Python values


def test_merge_uses_row_column_and_needs_an_id_column():
    auto = auto_ratings(pd.DataFrame({"client_id": ["a"]}))
    manual = pd.DataFrame({"client_id": ["a"], "loyalty": [7], "row": [12]})
    merged, rep = merge_ratings(auto, manual)
    assert math.isnan(merged.loyalty[0])
    assert [p.row for p in rep] == [12]
    with pytest.raises(InputError):
        merge_ratings(auto, pd.DataFrame({"name": ["a"], "loyalty": [3]}))
    merged, rep = merge_ratings(auto, None)
    assert len(rep) == 0 and merged.client_id.tolist() == ["a"]


# --------------------------------------------------------------------------- BANT

def test_bant_vectorised():
    budget = ["yes", "да", 1, True, "yes", "maybe"]
    account = ["yes", "Да", "1", "no", "yes", "yes"]
    need = pd.Series(["y", "нет", 1, True, " YES ", "yes"], index=list("uvwxyz"))
    time = True
    score, qualified = bant(budget, account, need, time)
    # u: 4 yes -> qualified; v: да, Да, нет, yes -> 3; w: 1, "1", 1, yes -> 4;
    # x: True, no, True, yes -> 3; y: 4; z: "maybe" -> unknown -> NaN, not qualified
    assert list(score.index) == list("uvwxyz")
    assert score.tolist()[:5] == [4, 3, 4, 3, 4] and math.isnan(score["z"])
    assert qualified.tolist() == [True, False, True, False, True, False]
    s3, q3 = bant(budget, account, need, time, threshold=3)
    assert q3.tolist() == [True, True, True, True, True, False]


def test_bant_scalars_and_yes_no():
    assert bant("yes", "yes", "yes", "yes") == (4.0, True)
    assert bant("no", "yes", "yes", "yes") == (3.0, False)
    s, q = bant(np.array([1, 0]), 1, 1, 1)
    assert s.tolist() == [4, 3] and q.tolist() == [True, False]
    v = yes_no(["нет", "No", 0, 0.0, False, 2, "", None, np.nan, "ok"])
    assert v[:5].tolist() == [0, 0, 0, 0, 0]
    assert np.isnan(v[5:]).all()
