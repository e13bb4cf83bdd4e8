"""Payment dates: "friday", "the 15th", "in 2 weeks", "give me 10 days", "by the weekend",
"december 5", "12/05", "end of the month"; misspelled weekdays and months are read too.

dateparser resolves relative offsets ("in 3 days", "in 2 weeks", "in 1 month", "day after
tomorrow"). Small rules cover what dateparser gets wrong or leaves open for this domain:
weekdays, "the 15th" (dateparser returns a past date), "end of the month", month-name and US
numeric dates (dateparser pushes "december 5" said on December 5 to next year).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

from bot.conversation.understanding.spelling import correct_spelling
from bot.conversation.understanding.words import (
    COUNT,
    DAY,
    DAY_ORD,
    MONTH,
    NUMBER_PHRASE,
    WEEKDAY,
    WEEKDAY_NAME,
    WEEKDAYS,
    chinese,
    clean,
    day_number,
    month_number,
    number,
    safe_date,
)


def _clamped(year: int, month: int, day: int) -> date:
    """The given day, or the month's last day when the month is shorter ("the 31st" in April)."""
    return date(year, month, min(day, monthrange(year, month)[1]))


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


# --- pay dates ---------------------------------------------------------------------------------
# Each rule is a pattern and a resolver(match, today) -> date | None. The match that starts first
# in the text wins (the longer one on a tie), so "friday the 5th" beats "friday".


def _next_weekday(m: re.Match, today: date) -> date:
    """Bare, "this", "on" and "next" weekday all mean the next occurrence after today."""
    weekday = [w[:3] for w in WEEKDAYS].index(m["weekday"][:3])
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _day_of_month(m: re.Match, today: date) -> date | None:
    """This month's day if not yet past, else next month's; clamped to the month's length."""
    day = day_number(m["day"])
    if not 1 <= day <= 31:
        return None
    result = _clamped(today.year, today.month, day)
    return result if result >= today else _clamped(*_add_months(today, 1), day)


def _end_of_month(m: re.Match, today: date) -> date:
    """Last day of this month; next month's if today already is the last day."""
    result = _clamped(*_add_months(today, 1 if "next" in m.group() else 0), 31)
    return result if result > today else _clamped(*_add_months(today, 1), 31)


def _month_day(month: int, day: int, year: str | None, today: date) -> date | None:
    """An explicit year is kept; otherwise the next such date from today on (Feb 29 included)."""
    if year:
        return safe_date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    candidates = (safe_date(y, month, day) for y in range(today.year, today.year + 5))
    return next((c for c in candidates if c is not None and c >= today), None)


def _us_order(month: int, day: int) -> tuple[int, int]:
    """12/05 is December 5; only when the first number cannot be a month (30/11) is it the day."""
    return (day, month) if month > 12 >= day else (month, day)


def _offset(phrase: str, today: date) -> date | None:
    """dateparser resolves offsets well, including month ends ("in 1 month" on Jan 31)."""
    base = datetime.combine(today, time())
    parsed = dateparser.parse(phrase, languages=["en"], settings={"RELATIVE_BASE": base})
    return parsed.date() if parsed else None


_FEW = {"couple": 2, "few": 3}


def _in_count_units(m: re.Match, today: date) -> date | None:
    count = next((n for word, n in _FEW.items() if word in m["n"]), None) or number(m["n"])
    unit = {"wk": "week", "wks": "weeks"}.get(m["unit"], m["unit"])
    return None if count is None else _offset(f"in {count} {unit}", today)


def _weekend(m: re.Match, today: date) -> date:
    """The coming Saturday; today when today is the weekend (and not "next weekend")."""
    if today.weekday() >= 5 and "next" not in m.group():
        return today
    return today + timedelta(days=(5 - today.weekday() - 1) % 7 + 1)


def _end_of_week(m: re.Match, today: date) -> date:
    """Friday of this week (today if it is Friday), of next week with "next"; after Friday,
    the next one."""
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    return friday + timedelta(7) if "next" in m.group() else friday


def _last_weekday(m: re.Match, today: date) -> date:
    """ "last friday": the latest one before today (a date in the past)."""
    weekday = [w[:3] for w in WEEKDAYS].index(m["weekday"][:3])
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def _named_date(m: re.Match, today: date) -> date | None:
    return _month_day(month_number(m["month"]), day_number(m["day"]), m["year"], today)


_OFFSET_UNIT = r"(?P<unit>days?|weeks?|wks?|months?)\b"
# "a couple of days", "a few weeks", "another 10 days", "10 more days"
_SOME = rf"(?P<n>(?:a\s+)?(?:couple(?:\s+of)?|few)|\d+|{NUMBER_PHRASE}|an?)(?:\s+more)?"
_ABOUT = r"(?:about\s+|around\s+|like\s+|roughly\s+|maybe\s+)?"
_NOT_AHEAD = r"(?!\s+(?:ago|late|overdue|past|behind|in\s+arrears))"
_YEAR = r"(?:,?\s+(?P<year>\d{4})\b)?"
_DATE_RULES = [
    (re.compile(pattern), resolve)
    for pattern, resolve in [
        (
            r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw|tmr)\b",
            lambda m, t: _offset("day after tomorrow", t),
        ),
        (rf"\b(?:in|within)\s+{_ABOUT}{_SOME}\s+{_OFFSET_UNIT}", _in_count_units),
        (rf"{COUNT}\s+{_OFFSET_UNIT}\s+from\s+(?:now|today)\b", _in_count_units),
        (
            rf"\b(?:give\s+me|need|wait|another|after)\s+{_ABOUT}{_SOME}\s+{_OFFSET_UNIT}",
            _in_count_units,
        ),
        (rf"\b{_SOME}\s+(?P<unit>days?|weeks?|wks?)\b{_NOT_AHEAD}", _in_count_units),
        (r"\b(?:in\s+)?a\s+fortnight\b", lambda m, t: t + timedelta(14)),
        (
            r"\b(?:today|tonight|right\s+now|asap|right\s+away|straight\s+away|immediately)\b",
            lambda m, t: t,
        ),
        (r"\byesterday\b", lambda m, t: t - timedelta(1)),
        (rf"\blast\s+{WEEKDAY}", _last_weekday),
        (r"\bafter\s+the\s+week-?end\b", lambda m, t: t + timedelta(days=7 - t.weekday())),
        (r"\b(?:(?:this|next|the|by|on|over)\s+)*week-?end\b", _weekend),
        (
            r"\b(?:(?:the\s+)?(?:beginning|start)\s+of|early)\s+next\s+month\b",
            lambda m, t: date(*_add_months(t, 1), 1),
        ),
        # "the rest next month": read as "in a month", and read back to be corrected.
        (r"\bnext\s+month\b", lambda m, t: _clamped(*_add_months(t, 1), t.day)),
        (r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?week\b", _end_of_week),
        (
            r"\b(?:the\s+)?(?:middle\s+of\s+(?:the\s+)?month|mid[\s-]?month)\b",
            lambda m, t: _day_of_month({"day": "15"}, t),
        ),
        (
            r"\b(?:tomorrow|tmrw|tmr|tmw|tomorow|tommorow|tommorrow|2moro|2morrow|2mrw|2mro)\b",
            lambda m, t: t + timedelta(1),
        ),
        (r"\bnext\s+week\b", lambda m, t: t + timedelta(7)),
        (
            r"\b(?:the\s+)?(?:end\s+of\s+(?:the\s+|this\s+|next\s+)?month|eom|month[\s-]end)\b",
            _end_of_month,
        ),
        (rf"{WEEKDAY},?\s+(?:the\s+)?{DAY_ORD}", _day_of_month),  # "friday the 5th"
        (rf"\b(?:(?:this|next|coming|on)\s+)?{WEEKDAY}", _next_weekday),
        (rf"\b(?:(?:on|by|before|until|till)\s+)?(?:the\s+)?{DAY_ORD}", _day_of_month),
        (r"\b(?:on|by|before|until|till)\s+the\s+(?P<day>\d{1,2})\b(?![.,:]\d)", _day_of_month),
        (rf"{MONTH}\s+(?:the\s+)?{DAY}{_YEAR}", _named_date),  # "december 5"
        (rf"\b(?:the\s+)?{DAY}\s+(?:of\s+)?{MONTH}{_YEAR}", _named_date),  # "5 december"
        (
            r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b",
            lambda m, t: safe_date(int(m["year"]), int(m["month"]), int(m["day"])),
        ),
        (
            r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?\b",  # US: 12/05
            lambda m, t: _month_day(*_us_order(int(m["month"]), int(m["day"])), m["year"], t),
        ),
    ]
]


@dataclass(frozen=True)
class DateReading:
    """The date a text names from today on, or else the past date it names ("yesterday",
    "december 5 2025"), so the bot can say that date has passed. `vague`: the customer named
    a time but no date ("发工资那天", when I get paid): `value` and `past` are None and the
    bot asks for a concrete date (the English readers never set it)."""

    value: date | None
    past: date | None = None
    vague: bool = False


def read_date(text: str, today: date, *, lang: str = "en") -> DateReading | None:
    """The first date the (clean) text names; None when it names none. A past date loses to a
    later one from today on unless they overlap ("last friday" is past, not next Friday)."""
    if chinese(lang):
        from bot.conversation.understanding.zh.dates import read_date as read_chinese

        return read_chinese(text, today)
    found: list[tuple[tuple[int, int], int, date]] = []
    for pattern, resolve in _DATE_RULES:
        for m in pattern.finditer(text):
            when = resolve(m, today)
            if when is not None:
                found.append(((m.start(), m.start() - m.end()), m.end(), when))
    if not found:
        return None
    (start, _), end, first = min(found)
    if first >= today:
        return DateReading(first)
    ahead = [f for f in found if f[2] >= today and not (f[0][0] < end and f[1] > start)]
    return DateReading(min(ahead)[2]) if ahead else DateReading(None, past=first)


def find_date(text: str, today: date, *, lang: str = "en") -> date | None:
    reading = read_date(text, today, lang=lang)
    return reading.value if reading else None


# "not today, maybe friday": a day the customer rules out is not the date they name.
_RULED_OUT = re.compile(
    rf"\b(?:not|can'?t|cannot)\s+(?:do\s+|pay\s+)?(?:on\s+|by\s+|this\s+|next\s+)?"
    rf"(?:today|tonight|tomorrow|{WEEKDAY_NAME})\b"
)


def _spoken(text: str) -> str:
    return _RULED_OUT.sub(" ", correct_spelling(clean(text)))


def read_pay_date(text: str, *, today: date, lang: str = "en") -> DateReading | None:
    """Like `parse_pay_date`, but a named date before today is kept as `past`. ``lang`` "zh…"
    reads Chinese ("下周三", "月底", "15号"; "发工资那天" is a `vague` reading)."""
    if chinese(lang):
        from bot.conversation.understanding.zh.dates import read_pay_date as read_chinese

        return read_chinese(text, today=today)
    return read_date(_spoken(text), today)


def parse_pay_date(text: str, *, today: date, lang: str = "en") -> date | None:
    """The payment date the customer names, relative to their local ``today``.

    A weekday ("friday", "fri", "this friday", "next friday") is its next occurrence after
    today, never today itself: "next" is read the same as bare, because customers use it for
    "the coming one" as often as for "the one after". "the 15th" is this month if not past, else
    next month, clamped to the month's length. US numeric order (12/05 is December 5). If the text
    names several dates the first one wins. Dates before today and texts without a date -> None.
    """
    if chinese(lang):
        reading = read_pay_date(text, today=today, lang=lang)
        return reading.value if reading else None
    return find_date(_spoken(text), today)
