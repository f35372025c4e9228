"""`xlb2b settings init` and the commented TOML writer."""
import datetime as dt
import re
import tomllib
from dataclasses import fields

import pytest

from xlb2b import Settings
from xlb2b.cli import main
from xlb2b.settings_toml import commented_toml


def _key_line(lines, name):
    """Index of the line that sets ``name`` (or shows it commented out)."""
    pat = re.compile(rf"^(# )?({re.escape(name)} =|\[{re.escape(name)}\]|\[\[{re.escape(name)}\]\])")
    for i, line in enumerate(lines):
        if pat.match(line):
            return i
    raise AssertionError(f"{name} not in the file")


def test_init_writes_a_commented_file_that_loads_back_to_the_defaults(tmp_path, capsys):
    path = tmp_path / "s.toml"
    assert main(["settings", "init", str(path)]) == 0
    assert str(path) in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for f in fields(Settings):
        i = _key_line(lines, f.name)
        assert lines[i - 1].startswith("#"), f"no comment above {f.name}"
        # the comment block above the key says what the default is
        block = []
        j = i - 1
        while j >= 0 and lines[j].startswith("#") and not lines[j].startswith("# ----"):
            block.append(lines[j])
            j -= 1
        assert "Default:" in " ".join(block), f.name
    assert all(line.isascii() for line in lines if line.startswith("#"))   # comments in English
    assert Settings.load(path) == Settings()


def test_init_explains_the_rule_table_and_shows_defaults():
    text = commented_toml()
    prose = " ".join(line[1:].strip() for line in text.splitlines() if line.startswith("#"))
    assert "the FIRST rule a client matches gives its group" in prose
    assert "Bounds are inclusive" in prose and "p_min" in prose and "tenure_max" in prose
    assert text.count("[[psc_groups]]") == len(Settings().psc_groups)
    assert "abc_cuts = [0.8, 0.95]" in text and "Default: [0.8, 0.95]" in text
    assert "# R5" in text and "# R1" in text                       # the RFM grid, row by row
    data = tomllib.loads(text)
    assert data["rfm_grid"] == Settings().rfm_grid
    assert "window_start" not in data                               # shown commented out only


def test_default_file_name_and_no_overwrite_without_force(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["settings", "init"]) == 0
    path = tmp_path / "xlb2b-settings.toml"
    assert path.exists()
    path.write_bytes(b"abc_cuts = [0.5, 0.9]\n")
    capsys.readouterr()
    assert main(["settings", "init"]) == 1
    err = capsys.readouterr().err
    assert "exists; use --force to overwrite" in err and "Traceback" not in err
    assert path.read_bytes() == b"abc_cuts = [0.5, 0.9]\n"
    assert main(["settings", "init", "--force"]) == 0
    assert Settings.load(path) == Settings()


def test_non_default_settings_round_trip():
    s = Settings(window="explicit", window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 12, 31),
                 abc_cuts=(0.7, 0.9), our_supplier='ООО "Наша компания" \\ 1', locale="ru",
                 psc_groups=[{"group": "Новые", "tenure_max": 6}, {"group": "Прочие"}],
                 quantile_k=4, spl_overdue_days=45.5)
    s.bcg_weights["sow"] = 2.5
    s.bcg_policies["harvest"] = "line one\nline two\t\"quoted\""
    s.rfm_grid[0][0] = "Новички"
    text = commented_toml(s)
    assert Settings.from_dict(tomllib.loads(text)) == s
    assert "window_start = 2024-01-01" in text


def test_empty_rule_table_round_trips():
    s = Settings(psc_groups=[])
    assert Settings.from_dict(tomllib.loads(commented_toml(s))) == s


@pytest.mark.parametrize("edit, column", [
    (("abc_cuts = [0.8, 0.95]", "abc_cuts = [0.95, 0.8]"), "abc_cuts"),
    (('locale = "en"', 'locale = "de"'), "locale"),
])
def test_a_wrong_edit_is_reported_by_analyze_with_the_setting_named(tmp_path, capsys, edit, column):
    path = tmp_path / "s.toml"
    assert main(["settings", "init", str(path)]) == 0
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    tx = tmp_path / "t.csv"
    tx.write_text("Client,Date,Amount\nK1,2025-03-03,45\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["analyze", str(tx), "--settings", str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert column in err and "s.toml" in err and "Traceback" not in err
    assert not (tmp_path / "t-analysis.xlsx").exists()
