"""A date of birth in any common order and separator: 3/3/85, 03-03-1985, 1985-03-03,
3 March 1985, March 3rd, 1985, "march third nineteen eighty five" (no relative parsing)."""

from __future__ import annotations

import re
from datetime import date

from bot.conversation.understanding.spelling import correct_spelling
from bot.conversation.understanding.words import (
    DAY,
    MONTH,
    NUMBER_PHRASE,
    NUMBER_WORD,
    chinese,
    clean,
    day_number,
    month_number,
    safe_date,
    spoken_number,
)

ADULT_AGE, OLDEST_AGE = 18, 110

_YEAR_WORDS = rf"(?:nineteen|twenty|two\s+thousand)(?:[\s-]+(?:and\s+)?(?:oh|o\b|{NUMBER_WORD}))*\b"
_YEAR = rf"(?P<year>(?:19|20)\d{{2}}|'?\d{{2}}|{_YEAR_WORDS}|{NUMBER_PHRASE})"
_SEP = r"[-/.]"
_DOB_RULES = [
    (re.compile(pattern), named_month)
    for pattern, named_month in [
        (
            rf"\b(?P<year>(?:19|20)\d{{2}}){_SEP}(?P<month>\d{{1,2}}){_SEP}(?P<day>\d{{1,2}})\b",
            False,
        ),
        (
            rf"\b(?P<month>\d{{1,2}})(?P<sep>{_SEP}|\s+)(?P<day>\d{{1,2}})(?P=sep)"
            r"(?P<year>(?:19|20)\d{2}|\d{2})\b",
            False,
        ),
        (r"\b(?P<month>[01]\d)(?P<day>[0-3]\d)(?P<year>(?:19|20)\d{2})\b", False),  # 03031985
        (r"\b(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)\b", False),  # 19850303
        (rf"{MONTH}[\s-]+(?:the\s+)?{DAY},?[\s-]+(?:of\s+|in\s+)?{_YEAR}", True),
        (rf"\b(?:the\s+)?{DAY}[\s-]+(?:of\s+)?{MONTH},?[\s-]+(?:of\s+|in\s+)?{_YEAR}", True),
        (rf"\b(?P<year>(?:19|20)\d{{2}}),?\s+{MONTH}\s+(?:the\s+)?{DAY}", True),  # 1985 march 3
    ]
]


def _year(token: str, today: date) -> int | None:
    """A four-digit year as it is; two digits ("85", "'05") in the century that makes the
    customer an adult of a believable age today; spoken ("nineteen eighty five") read."""
    token = token.lstrip("'")
    if token.isdigit() and len(token) == 4:
        return int(token)
    if token.isdigit():
        fits = [
            y
            for y in (1900 + int(token), 2000 + int(token))
            if ADULT_AGE <= today.year - y <= OLDEST_AGE
        ]
        return fits[0] if len(fits) == 1 else None
    value = spoken_number(re.sub(r"\b(?:oh|o)\b", "zero", token))
    if value is not None and value < 100 and value == int(value):
        return _year(f"{int(value):02d}", today)  # "seventy two"
    return int(value) if value is not None and 1900 <= value <= today.year else None


def parse_dob(text: str, *, today: date | None = None, lang: str = "en") -> date | None:
    """A date of birth with its year, or None.

    Numeric dates are month/day/year; only when the first number cannot be a month (25/12/1985)
    is it read as day/month. A two-digit year is put in the century that makes the customer
    between 18 and 110 years old on ``today`` (the customer's local date), else None.
    ``lang`` "zh…" reads Chinese forms ("19850303", "八五年三月三号").
    """
    today = today or date.today()
    if chinese(lang):
        from bot.conversation.understanding.zh.dob import parse_dob as chinese_dob

        return chinese_dob(text, today=today)
    s = correct_spelling(clean(text))
    for pattern, named_month in _DOB_RULES:
        m = pattern.search(s)
        if not m:
            continue
        year = _year(m["year"], today)
        if year is None:
            return None
        if named_month:
            return safe_date(year, month_number(m["month"]), day_number(m["day"]))
        month, day = int(m["month"]), int(m["day"])
        if month > 12 >= day:
            month, day = day, month
        return safe_date(year, month, day)
    return None
