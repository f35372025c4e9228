"""Labels for people: strategy names, tiers, factor names… in English and Russian.

Codes (``strengthen``, ``High``, ``P3_S2_C1``) are language-neutral; what a
person reads comes from the locale files ``xlb2b/locales/<lang>.toml`` and
``xlb2b/locales/<lang>.<part>.toml`` (one part per group of sheets; a section
may live in one file only).  Each file is a set of flat TOML tables
(sections); a label is looked up as
``"section.key"``::

    >>> label("strategy.invest", "ru")
    'Зона инвестиций'

A key missing from the requested language falls back to English, then to the
key itself, so a missing translation never breaks a report.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

#: languages shipped with the package; the first is the fallback
LANGUAGES: tuple[str, ...] = ("en", "ru")
FALLBACK = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@functools.cache
def _table(lang: str) -> dict[str, str]:
    """All labels of one language as ``{"section.key": text}`` ({} if unknown)."""
    if lang not in LANGUAGES:
        return {}
    folder = resources.files(__package__).joinpath("locales")
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.name == f"{lang}.toml" or (p.name.startswith(f"{lang}.") and p.name.endswith(".toml"))
    )
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        data = tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        for section in data:
            if section in seen:
                raise ValueError(f"locale section [{section}] is in both {seen[section]} and {name}")
            seen[section] = name
        out.update(_flatten(data))
    return out


def label(key: str, lang: str = "en") -> str:
    """The label of ``"section.key"`` in ``lang``; falls back to English, then
    to ``key`` itself."""
    for table in (_table(lang), _table(FALLBACK)):
        if key in table:
            return table[key]
    return key


def labels(prefix: str, lang: str = "en") -> dict[str, str]:
    """Every label of a section, keyed without the prefix:
    ``labels("strategy", "ru")["invest"] == "Зона инвестиций"``.  English
    fills the keys the language lacks."""
    p = prefix.rstrip(".") + "."
    out = {k[len(p) :]: v for k, v in _table(FALLBACK).items() if k.startswith(p)}
    out.update({k[len(p) :]: v for k, v in _table(lang).items() if k.startswith(p)})
    return out


def _norm(text) -> str:
    return " ".join(str(text).replace("ё", "е").replace("Ё", "Е").split()).casefold()


def find_key(text, prefix: str) -> str | None:
    """Reverse look-up: the key of section ``prefix`` whose code or label in
    any shipped language equals ``text`` (case, spacing and ё/е ignored);
    ``None`` if nothing matches.  ``find_key("Контакты с ЛПР", "bcg_factor")
    == "decision_makers"``."""
    t = _norm(text)
    p = prefix.rstrip(".") + "."
    for lang in LANGUAGES:
        for k, v in _table(lang).items():
            if k.startswith(p) and (t == _norm(k[len(p) :]) or t == _norm(v)):
                return k[len(p) :]
    return None
