"""A date of birth as Chinese customers say it: "19850303" (八位, yyyymmdd), "850303" (六位,
yymmdd), "1985年3月3日", "八五年三月三号", "一九八五年三月三日", "1985-03-03", and the digits said
one by one ("一九八五零三零三"). Chinese order is always year, month, day."""

from __future__ import annotations

import re
from datetime import date

from bot.conversation.understanding.dob import _year
from bot.conversation.understanding.words import safe_date
from bot.conversation.understanding.zh.numbers import (
    DIGIT_CHARS,
    NUMBER,
    digit_string,
    integer,
    normalize,
)

_SAID_DIGIT = rf"[{DIGIT_CHARS}幺洞]"
_YEAR = rf"(?P<year>\d{{2}}|\d{{4}}|{_SAID_DIGIT}{{2}}|{_SAID_DIGIT}{{4}})"
_RULES = [
    re.compile(
        rf"{_YEAR}\s*年\s*(?:的|出生的?|生的?)?[,\s]*"
        rf"(?P<month>{NUMBER})\s*月\s*(?P<day>{NUMBER})\s*[日号]?"
    ),
    re.compile(
        r"(?<!\d)(?P<year>\d{4}|\d{2})\s*[-/.]\s*(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})"
    ),
    re.compile(r"(?<!\d)(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?!\d)"),  # 八位
    re.compile(r"(?<!\d)(?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2})(?!\d)"),  # 六位
]
_SAID_RUN = re.compile(rf"{_SAID_DIGIT}(?:[\s,]*{_SAID_DIGIT})*")


def _digits_said(s: str) -> str:
    """ "一九八五零三零三" → "19850303": a run of six or eight digits said one by one."""

    def arabic(m: re.Match) -> str:
        digits = digit_string(re.sub(r"[\s,]", "", m.group()))
        return digits if digits and len(digits) in (6, 8) else m.group()

    return _SAID_RUN.sub(arabic, s)


def parse_dob(text: str, *, today: date) -> date | None:
    """The date of birth the Chinese text names, or None (an impossible date is None). A
    two-digit year ("八五年", "850303") is put in the century that makes the customer between 18
    and 110 years old on ``today``, as the English reader does."""
    s = _digits_said(normalize(text))
    for pattern in _RULES:
        m = pattern.search(s)
        if not m:
            continue
        year_digits = m["year"] if m["year"].isdigit() else digit_string(m["year"])
        year = _year(year_digits, today) if year_digits else None
        month, day = integer(m["month"]), integer(m["day"])
        if year is None or month is None or day is None:
            return None
        born = safe_date(year, month, day)
        return born if born and born <= today else None
    return None
