"""A failure of ours inside a button: the message says where, in the user's language, without the library's text."""

from live_harness import S, run, sample_sheets

from xlb2b import sample


def _boom(*args, **kwargs):
    raise TypeError('"value" parameter must be a scalar, dict or Series, but you passed a "ndarray"')


def test_an_internal_error_names_its_place_and_hides_the_library_text(monkeypatch, capsys):
    monkeypatch.setattr(S, "analyze", _boom)
    sheets = sample_sheets(sample.generate(60, seed=3))
    r = run(sheets, "analyze_client_base", selection="A2")
    (text,) = r.alerts()
    # our last frame: the script that called the failing function
    assert text.startswith("xlb2b stopped on an internal error (TypeError, scripts.py:")
    assert "not a problem of your data" in text
    assert "parameter must be" not in text and "ndarray" not in text
    # the whole traceback goes to the log instead
    assert "parameter must be a scalar" in capsys.readouterr().err
    # nothing but the message was written
    assert [a["func"] for a in r.actions] == ["alert"]
