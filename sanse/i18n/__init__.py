"""Every string the dashboard shows, one catalogue per language (中文 default, English): the
catalogues are zh.toml and en.toml beside this file, read once at import, with the labels of
the report's counts and of the tiers taken from where `sanse.facts` defines them."""

from __future__ import annotations

import tomllib
from importlib.resources import files

from sanse.facts.report import COUNTS
from sanse.facts.tiers import TIERS

LANGUAGES = {"zh": "中文", "en": "English"}


def _catalogue(lang: str) -> dict[str, str | tuple[str, ...]]:
    """One language's catalogue; an array (the parts of a phrase) as a tuple."""
    entries = tomllib.loads(files(__name__).joinpath(f"{lang}.toml").read_text(encoding="utf-8"))
    return {key: tuple(text) if isinstance(text, list) else text for key, text in entries.items()} | _facts(lang)


def _facts(lang: str) -> dict[str, str]:
    """Each count's column heading and headline word, and each tier's word, in `lang`."""
    zh = lang == "zh"
    return {
        **{f"col.{c.key}": c.header if zh else c.english for c in COUNTS},
        **{f"metric.{c.key}": c.short if zh else c.english for c in COUNTS},
        **{f"tier.{t.key}": t.word if zh else t.english for t in TIERS},
        **{f"tier.{t.key}.long": f"{t.word}色" if zh else t.english.lower() for t in TIERS},
    }


CATALOGUES = {lang: _catalogue(lang) for lang in LANGUAGES}
ZH, EN = CATALOGUES["zh"], CATALOGUES["en"]


def translate(lang: str, key: str, **values) -> str:
    text = CATALOGUES.get(lang, ZH).get(key) or ZH.get(key, key)
    return text.format(**values) if values and isinstance(text, str) else text


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one catalogue and not the other (tested to be empty)."""
    return {"en": set(ZH) - set(EN), "zh": set(EN) - set(ZH)}
