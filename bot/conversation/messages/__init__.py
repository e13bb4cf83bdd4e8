"""Every sentence the bot sends, by key, one catalog file per language (`en.yml`, `zh.yml`
Mandarin; another file beside them with the same keys adds a language). A language is named by
its code; the portfolio's aliases ("zh-CN", "zh-Hans") name the same catalog.

A catalog file is nested YAML; a key is the dotted path to its text ("prompt.offer"). Texts
take `{placeholders}` filled by the caller: `text("prompt.offer", minimum="$85.00")`. An
unknown key, a missing value or an unexpected one is an error, never a half-filled sentence.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Formatter

import yaml

from bot.conversation.language import ALIASES

HERE = Path(__file__).resolve().parent
DEFAULT_LANGUAGE = "en"


class CatalogError(LookupError):
    """A key, a language or a placeholder value the catalog does not have."""


def languages() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yml"))


@lru_cache(maxsize=8)
def catalog(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The language's texts by dotted key."""
    lang = ALIASES.get(lang.lower(), lang)
    path = HERE / f"{lang}.yml"
    if not path.is_file():
        raise CatalogError(f"no message catalog for language {lang!r} ({path.name})")
    return _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, "", path.name)


def _flatten(tree: dict, prefix: str, source: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{key}.", source))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise CatalogError(f"{source}: {key} must be a text or a section, not {value!r}")
    return flat


def template(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The raw text of a key, placeholders unfilled."""
    try:
        return catalog(lang)[key]
    except KeyError:
        raise CatalogError(f"no message {key!r} in the {lang!r} catalog") from None


def configured(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The raw text of a key named in configuration rather than code: bot/policy.yml names the
    disclosure, voicemail and payment-option keys per jurisdiction. Read once, when the policy
    loads, so an unknown key fails at start-up; test_messages.py checks these keys too."""
    return template(key, lang)


def fields(key: str, lang: str = DEFAULT_LANGUAGE) -> set[str]:
    """The placeholder names a key's text needs."""
    return {name for _, name, _, _ in Formatter().parse(template(key, lang)) if name}


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The sentence for `key` in `lang`, its placeholders filled from `values`."""
    needed = fields(key, lang)
    missing, unexpected = needed - values.keys(), values.keys() - needed
    if missing or unexpected:
        raise CatalogError(
            f"message {key!r} ({lang}) needs {sorted(needed)}; missing {sorted(missing)}, "
            f"unexpected {sorted(unexpected)}"
        )
    return template(key, lang).format(**values)
