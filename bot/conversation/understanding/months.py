"""How many monthly payments a customer asks for ("six months", "a year", "let's do 3")."""

from __future__ import annotations

import re

from bot.conversation.understanding.words import NUMBER_PHRASE, chinese, clean, number

_MAX_PLAN_MONTHS = 60  # longer "plans" are almost surely an amount, not a month count

_MONTH_COUNT = re.compile(
    rf"\b(?P<n>\d+|{NUMBER_PHRASE})\s*-?\s*(?:months?|mos?|(?:monthly\s+)?"
    r"(?:payments?|installments?|instalments?))\b"
)
_YEAR_COUNT = re.compile(rf"\b(?P<n>\d+|{NUMBER_PHRASE}|an?)\s*-?\s*(?:years?|yrs?)\b")
_HALF_YEAR = re.compile(r"\bhalf\s+a\s+year\b")
_BARE_COUNT = re.compile(rf"\b\d+(?:\.\d+)?\b|{NUMBER_PHRASE}")
_MONEY_HINT = re.compile(
    r"[$¥€£]|\b(?:dollars?|bucks?|usd|yuan|rmb)\b|\b(?:per|a)\s+month\b|/\s*mo\b"
)


def parse_months(text: str, *, explicit: bool = False, lang: str = "en") -> int | None:
    """How many monthly payments the customer wants (1-60), or None.

    "six months", "12 monthly payments", "over twelve months", "a year" (12) count directly.
    A lone number ("6", "let's do 3") counts only if it is the only number, has no money hint
    and is at most 60, so an amount such as "200" or "50 a month" is not taken for a plan length;
    `explicit` turns that off too, for messages that are not answers to "how many months?"
    ("i have 3 kids and no income"). ``lang`` "zh…" reads Chinese ("分六期", "半年").
    """
    if chinese(lang):
        from bot.conversation.understanding.zh.counts import parse_months as chinese_months

        return chinese_months(text, explicit=explicit)
    s = clean(text)
    if _HALF_YEAR.search(s):
        return 6
    for pattern, factor in ((_MONTH_COUNT, 1), (_YEAR_COUNT, 12)):
        m = pattern.search(s)
        if m:
            count = number(m["n"])
            return count * factor if count and count * factor <= _MAX_PLAN_MONTHS else None
    if explicit:
        return None
    numbers = _BARE_COUNT.findall(s)
    if len(numbers) != 1 or _MONEY_HINT.search(s):
        return None
    count = number(numbers[0])
    return count if count and count <= _MAX_PLAN_MONTHS else None
