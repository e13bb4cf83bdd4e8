"""Counts a Chinese-speaking customer says: how many monthly payments ("6期", "分六期",
"六个月", "半年", "一年") and verification digits said one by one ("四八二一", "幺九三四")."""

from __future__ import annotations

import re

from bot.conversation.understanding.zh.numbers import (
    DIGIT_CHARS,
    NUMBER,
    digit_string,
    integer,
    normalize,
)

_MAX_PLAN_MONTHS = 60  # as in English: a longer "plan" is almost surely an amount

_COUNT = rf"(?P<n>{NUMBER}|两)"
_MONTH_COUNTS = [
    re.compile(rf"(?<!每)(?:分\s*)?{_COUNT}\s*(?:期|个\s*月)"),
    re.compile(rf"分\s*{_COUNT}\s*月"),
]
_YEAR_COUNT = re.compile(rf"{_COUNT}\s*(?P<half>个半)?\s*年(?P<more>半)?")
_A_DATE = re.compile(rf"\d{{4}}\s*年|{NUMBER}\s*年\s*{NUMBER}\s*月")  # 1985年, 八五年三月
_HALF_YEAR = re.compile(r"半\s*年")
_BARE_COUNT = re.compile(NUMBER)
_MONEY_HINT = re.compile(r"[$¥]|块|元|rmb|人民币|万|千|百|每\s*个?\s*月|一个月\s*还|月供")


def parse_months(text: str, *, explicit: bool = False) -> int | None:
    """How many monthly payments the Chinese text asks for (1-60), or None: "6期", "分六期",
    "十二个月", "半年" (6), "一年" (12), "一年半" (18), "两年" (24). A lone number ("六吧") counts
    as in English: the only number, no money hint, at most 60, and not when ``explicit``."""
    s = normalize(text)
    for pattern in _MONTH_COUNTS:
        m = pattern.search(s)
        if m:
            count = 2 if m["n"] == "两" else integer(m["n"])
            if count == 1 and _MONEY_HINT.search(s):
                return None  # "一个月还五百": an amount a month, not a one-month plan
            return count if count and count <= _MAX_PLAN_MONTHS else None
    m = _YEAR_COUNT.search(s)
    if m and not _A_DATE.search(s):
        years = 2 if m["n"] == "两" else integer(m["n"])
        months = None if years is None else years * 12 + (6 if m["half"] or m["more"] else 0)
        return months if months and months <= _MAX_PLAN_MONTHS else None
    if _HALF_YEAR.search(s):
        return 6
    if explicit:
        return None
    numbers = _BARE_COUNT.findall(s)
    if len(numbers) != 1 or _MONEY_HINT.search(s):
        return None
    count = 2 if numbers[0] == "两" else integer(numbers[0])
    return count if count and count <= _MAX_PLAN_MONTHS else None


# "后四位", "尾号": the words that ask for the digits hold a 四 that is not one of them.
_ASKED = re.compile(r"(?:最?后|末|尾)\s*[四六4-6]\s*位(?:数字?|数|号码?)?|[四六4-6]\s*位数(?:字)?")
_DIGIT = rf"[\d{DIGIT_CHARS}幺洞]"
_FILLER = r"(?:[\s,.\-、]|嗯|呃|额|啊|那个|就是|是)*"
_RUN = re.compile(rf"{_DIGIT}(?:{_FILLER}{_DIGIT})*")


def parse_digits(text: str, *, length: int = 4) -> str | None:
    """A group of exactly ``length`` digits, typed or said one by one in Chinese ("四八二一",
    "幺九三四": 幺 is 1, 洞 and 零 are 0, "48二1"), with spaces and fillers between them. A
    number that is part of a date or an amount ("1985年", "4821块") is not such a group."""
    s = _ASKED.sub(" ", normalize(text))
    for m in _RUN.finditer(s):
        if re.match(r"\s*[年月日号块元万千百点]", s[m.end() :]):
            continue  # "1985年3月3日", "4821块": a date or an amount, not the digits asked for
        digits = digit_string(re.sub(rf"[^\d{DIGIT_CHARS}幺洞]", "", m.group()))
        if digits and len(digits) == length:
            return digits
    return None
