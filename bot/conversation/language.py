"""The language of a conversation: the account's to begin with (`en` | `zh`), then the
customer's own when they write in another one. The bot follows the customer: a Chinese message
to an English-speaking account gets Chinese replies from then on, and back.

The conversation's current language is kept in its state (`state["lang"]`, a Rasa-slot JSON
dict kept on the ledger row), so it lasts across turns and channels of that conversation; the
account's `language` is only where it starts."""

from __future__ import annotations

import re

# What the bot speaks; an account's code is normalised to one of these.
LANGUAGES = ("en", "zh")
DEFAULT = "en"
# Codes a portfolio may carry for these languages (BCP 47, case-insensitive).
ALIASES = {
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "zh": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "zh-hans-cn": "zh",
    "cmn": "zh",
}

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
# Latin words Chinese customers use inside Chinese ("ok", "TD" to opt out, "app"): they say
# nothing about the language the customer speaks.
NEUTRAL = {"ok", "okay", "td", "t", "app", "qq", "id", "vip", "pos", "atm", "cny", "rmb", "ps"}


def normalise(code: str | None) -> str:
    """The language the bot speaks for an account's code ("zh-CN" -> "zh"); English for an
    unknown or empty code (the import refuses those: bot/ledger/portfolio.py)."""
    return ALIASES.get((code or "").strip().lower().replace("_", "-"), DEFAULT)


def language_of(text: str) -> str | None:
    """The language a customer's message is written in, or None when it does not tell (digits,
    "ok", an empty message): "是我" -> zh, "yes it's me" -> en. A message mostly in Chinese
    characters is Chinese: one character says about as much as one English word."""
    chinese = len(CJK.findall(text))
    english = sum(1 for w in LATIN_WORD.findall(text) if w.lower() not in NEUTRAL)
    if chinese and chinese >= english:
        return "zh"
    if english:
        return "en"
    return None


def follow(state: dict, text: str, default: str) -> str:
    """The conversation's language after this message: the customer's, if it tells; else as
    it was (the account's at the start)."""
    current = state.get("lang") or default
    heard = language_of(text)
    return heard if heard in LANGUAGES else current
