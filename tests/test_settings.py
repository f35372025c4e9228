"""Settings: METHODOLOGY defaults, validation, TOML round trip."""
import datetime as dt

import pytest

from xlb2b import InputError, Settings


def test_defaults_are_the_methodology_numbers():
    s = Settings()
    assert s.window == "default"
    assert s.quantile_k == 3 and s.rfm_k == 5
    assert s.psc_s_bounds == (0.40, 0.75)          # S2 >= 0.40, S3 >= 0.75
    assert s.kml_k_bounds == (2.0, 4.0)            # K1 = 1, K2 = 2-3, K3 >= 4
    assert s.kml_m_bounds == (0.35, 0.60)
    assert s.dsl_d_bounds == (2.0, 4.0)
    assert s.dsl_s_bounds == (0.50, 0.80)
    assert s.abc_cuts == (0.80, 0.95)              # seed 80 / 15 / 5
    assert s.xyz_cuts == (0.10, 0.25)
    assert s.bcg_tier_bounds == (7 / 3, 11 / 3)
    assert s.bcg_sow_bounds == (0.10, 0.25, 0.50, 0.75)
    assert set(s.bcg_weights.values()) == {1.0} and len(s.bcg_weights) == 10
    assert [r["group"] for r in s.psc_groups] == [
        "06 New", "01 Best", "05 Misers", "02 Unstable best", "03 Systematic expensive, but little", "04 Normal"]
    assert s.rfm_grid[0] == ["New customers", "Potential loyalists", "Loyal", "Champions", "Champions"]
    assert s.rfm_grid[4][4] == "Can't lose them"


def test_psc_rule_table_scalar_reference():
    s = Settings()
    assert s.psc_group_for(3, 3, 3, tenure=2) == "06 New"        # rule order: New first
    assert s.psc_group_for(2, 3, 3, tenure=12) == "01 Best"
    assert s.psc_group_for(1, 3, 3, tenure=12) == "05 Misers"     # P1 is not Best
    assert s.psc_group_for(3, 1, 2, tenure=12) == "02 Unstable best"
    assert s.psc_group_for(3, 2, 1, tenure=12) == "03 Systematic expensive, but little"
    assert s.psc_group_for(1, 1, 1, tenure=12) == "04 Normal"


def test_toml_round_trip(tmp_path):
    s = Settings(window="explicit", window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 12, 31),
                 abc_cuts=(0.7, 0.9), our_supplier="Our company", locale="ru")
    s.psc_groups[0]["tenure_max"] = 6
    s.bcg_weights["sow"] = 2.0
    p = tmp_path / "s.toml"
    s.save(p)
    t = Settings.load(p)
    assert t == s
    assert t.window_start == dt.date(2024, 1, 1) and t.abc_cuts == (0.7, 0.9)
    assert t.psc_groups[0] == {"group": "06 New", "tenure_max": 6}
    assert t.bcg_weights["sow"] == 2.0 and t.bcg_weights["loyalty"] == 1.0


@pytest.mark.parametrize("kwargs, column", [
    ({"abc_cuts": (0.95, 0.80)}, "abc_cuts"),
    ({"window": "explicit"}, "window"),
    ({"window": "explicit", "window_start": "2024-05-01", "window_end": "2024-01-31"}, "window_end"),
    ({"window_start": "31.12.2024"}, "window_start"),
    ({"locale": "de"}, "locale"),
    ({"bcg_weights": {"size": 1}}, "bcg_weights"),
    ({"rfm_grid": [["x"] * 5] * 4}, "rfm_grid"),
    ({"psc_groups": [{"group": "X", "q_min": 1}]}, "psc_groups"),
    ({"quantile_k": 1}, "quantile_k"),
])
def test_invalid_settings_are_refused_with_the_setting_named(kwargs, column):
    with pytest.raises(InputError) as e:
        Settings(**kwargs)
    assert column in {p.column for p in e.value.report}


def test_bad_toml_file_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("abc_cuts = [0.8,", encoding="utf-8")
    with pytest.raises(InputError, match="bad.toml"):
        Settings.load(p)
    p.write_text('colour = "red"\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        Settings.load(p)
    assert [x.column for x in e.value.report] == ["colour"]
