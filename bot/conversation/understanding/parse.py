"""Turn what a customer says into values the collections bot can act on.

Customers answer reminders in free text ("i can do 200 on the 15th", "call me tomorrow after 6"),
by chat, SMS or speech transcript. Each parser pulls one kind of value out of such text and
returns None when it is absent, so the dialogue asks again instead of guessing.

Dates and times are resolved against the customer's own local date/time, which the caller
computes from the customer's time zone: "tomorrow" means the customer's tomorrow. Money is
always Decimal, never float, so cents are exact.

dateparser resolves relative offsets ("in 3 days", "in 2 weeks", "in 1 month", "day after
tomorrow") and word2number reads spelled-out numbers ("two hundred"). Small rules cover what
dateparser gets wrong or leaves open for this domain: weekdays, "the 15th" (dateparser returns a
past date), "end of the month", month-name and US numeric dates (dateparser pushes "december 5"
said on December 5 to next year), and telling an amount from a date inside one sentence.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal

import dateparser
from babel.numbers import format_currency, format_decimal
from word2number import w2n

__all__ = [
    "format_date",
    "format_money",
    "parse_amount",
    "parse_callback_time",
    "parse_digits",
    "parse_dob",
    "parse_months",
    "parse_pay_date",
]

_CENT = Decimal("0.01")
_MAX_PLAN_MONTHS = 60  # longer "plans" are almost surely an amount, not a month count
_DEFAULT_CALLBACK = time(10, 0)  # a day without a time: mid-morning, inside business hours

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTH_NAME = (
    r"(?:january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug"
    r"|september|sept|sep|october|oct|november|nov|december|dec)"
)
_WEEKDAY_NAME = (
    r"(?:monday|mon|tuesday|tues|tue|wednesday|weds|wed|thursday|thurs|thur|thu"
    r"|friday|fri|saturday|sat|sunday|sun)"
)
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth"
    " fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_ORDINAL_WORD = rf"(?:(?:twenty|thirty)[\s-]?)?(?:{'|'.join(_ORDINALS)}|thirtieth)"
_DAY_NAME = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD})\b"  # "5", "5th", "fifth"
_MONTH = rf"\b(?P<month>{_MONTH_NAME})\b\.?"
_WEEKDAY = rf"\b(?P<weekday>{_WEEKDAY_NAME})\b"
_DAY = rf"(?P<day>{_DAY_NAME})"
_DAY_ORD = rf"(?P<day>\d{{1,2}}(?:st|nd|rd|th)\b|{_ORDINAL_WORD}\b)"  # needs a suffix: "15th"
_NUMBER_WORD = (
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million)\b"
)
_NUMBER_PHRASE = rf"{_NUMBER_WORD}(?:[\s-]+(?:and\s+)?{_NUMBER_WORD})*"
_COUNT = rf"(?P<n>\d+|{_NUMBER_PHRASE}|an?)"
_DURATION_UNIT = (
    r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|minutes?|mins?"
    r"|(?:monthly\s+)?(?:payments?|installments?|instalments?))\b"
)


def _clean(text: str) -> str:
    """Lower-case and collapse whitespace so the patterns can stay simple."""
    return " ".join(text.replace("\u2019", "'").lower().split())


def _number(words: str) -> int | None:
    """Read "12", "twelve", "twenty-one" or "a" as an int, via word2number for the words."""
    words = words.strip()
    if words.isdigit():
        return int(words)
    if words in ("a", "an"):
        return 1
    try:
        value = w2n.word_to_num(words.replace("-", " "))
    except ValueError:
        return None
    return int(value) if value == int(value) else None


def _day_number(token: str) -> int:
    """Day number of "15th" (15) or "twenty-first" (21)."""
    if token[0].isdigit():
        return int(re.match(r"\d+", token).group())
    parts = re.split(r"[\s-]+", token)
    tens = {"twenty": 20, "thirty": 30}.get(parts[0], 0)
    last = parts[-1]
    return tens + (30 if last == "thirtieth" else _ORDINALS.index(last) + 1)


def _month_number(name: str) -> int:
    return [m[:3] for m in _MONTHS].index(name[:3]) + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


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
    weekday = [w[:3] for w in _WEEKDAYS].index(m["weekday"][:3])
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _day_of_month(m: re.Match, today: date) -> date | None:
    """This month's day if not yet past, else next month's; clamped to the month's length."""
    day = _day_number(m["day"])
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
        return _safe_date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    candidates = (_safe_date(y, month, day) for y in range(today.year, today.year + 5))
    return next((c for c in candidates if c is not None and c >= today), None)


def _offset(phrase: str, today: date) -> date | None:
    """dateparser resolves offsets well, including month ends ("in 1 month" on Jan 31)."""
    base = datetime.combine(today, time())
    parsed = dateparser.parse(phrase, languages=["en"], settings={"RELATIVE_BASE": base})
    return parsed.date() if parsed else None


def _in_count_units(m: re.Match, today: date) -> date | None:
    count = _number(m["n"])
    return None if count is None else _offset(f"in {count} {m['unit']}", today)


def _named_date(m: re.Match, today: date) -> date | None:
    return _month_day(_month_number(m["month"]), _day_number(m["day"]), m["year"], today)


_OFFSET_UNIT = r"(?P<unit>days?|weeks?|months?)\b"
_YEAR = r"(?:,?\s+(?P<year>\d{4})\b)?"
_DATE_RULES = [
    (re.compile(pattern), resolve)
    for pattern, resolve in [
        (
            r"\b(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw|tmr)\b",
            lambda m, t: _offset("day after tomorrow", t),
        ),
        (rf"\b(?:in|within)\s+{_COUNT}\s+{_OFFSET_UNIT}", _in_count_units),
        (rf"{_COUNT}\s+{_OFFSET_UNIT}\s+from\s+(?:now|today)\b", _in_count_units),
        (r"\b(?:today|tonight|right\s+now)\b", lambda m, t: t),
        (
            r"\b(?:tomorrow|tmrw|tmr|tmw|tomorow|tommorow|tommorrow)\b",
            lambda m, t: t + timedelta(1),
        ),
        (r"\bnext\s+week\b", lambda m, t: t + timedelta(7)),
        (
            r"\b(?:the\s+)?(?:end\s+of\s+(?:the\s+|this\s+|next\s+)?month|eom|month[\s-]end)\b",
            _end_of_month,
        ),
        (rf"{_WEEKDAY},?\s+(?:the\s+)?{_DAY_ORD}", _day_of_month),  # "friday the 5th"
        (rf"\b(?:(?:this|next|coming|on)\s+)?{_WEEKDAY}", _next_weekday),
        (rf"\b(?:(?:on|by|before|until|till)\s+)?(?:the\s+)?{_DAY_ORD}", _day_of_month),
        (r"\b(?:on|by|before|until|till)\s+the\s+(?P<day>\d{1,2})\b(?![.,:]\d)", _day_of_month),
        (rf"{_MONTH}\s+(?:the\s+)?{_DAY}{_YEAR}", _named_date),  # "december 5"
        (rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}", _named_date),  # "5 december"
        (
            r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b",
            lambda m, t: _safe_date(int(m["year"]), int(m["month"]), int(m["day"])),
        ),
        (
            r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?\b",  # US: 12/05
            lambda m, t: _month_day(int(m["month"]), int(m["day"]), m["year"], t),
        ),
    ]
]


def _find_date(text: str, today: date) -> date | None:
    best: tuple[tuple[int, int], date] | None = None
    for pattern, resolve in _DATE_RULES:
        for m in pattern.finditer(text):
            found = resolve(m, today)
            key = (m.start(), m.start() - m.end())
            if found is not None and found >= today and (best is None or key < best[0]):
                best = (key, found)
    return best[1] if best else None


def parse_pay_date(text: str, *, today: date) -> date | None:
    """The payment date the customer names, relative to their local ``today``.

    A weekday ("friday", "fri", "this friday", "next friday") is its next occurrence after
    today, never today itself: "next" is read the same as bare, because customers use it for
    "the coming one" as often as for "the one after". "the 15th" is this month if not past, else
    next month, clamped to the month's length. US numeric order (12/05 is December 5). If the text
    names several dates the first one wins. Dates before today and texts without a date -> None.
    """
    return _find_date(_clean(text), today)


# --- amounts -----------------------------------------------------------------------------------
# Numbers that belong to dates, times, durations or counts are blanked out before looking for an
# amount, so "200 on the 15th" is 200 and "in 3 days" has no amount.

_NOT_AMOUNTS = re.compile(
    "|".join(
        [
            rf"\b{_MONTH_NAME}\b\.?\s+(?:the\s+)?{_DAY_NAME}(?:,?\s+\d{{4}}\b)?",
            rf"\b{_DAY_NAME}\s+(?:of\s+)?{_MONTH_NAME}\b(?:,?\s+\d{{4}}\b)?",
            rf"\b{_WEEKDAY_NAME},?\s+the\s+\d{{1,2}}\b(?![.,]\d)",
            r"\b\d{1,2}(?:st|nd|rd|th)\b",
            r"\b(?:on|by|before|until|till|after)\s+the\s+\d{1,2}\b(?![.,]\d)",
            rf"\b(?:\d+|{_NUMBER_PHRASE}|an?)\s*-?\s*{_DURATION_UNIT}",
            r"\bhalf\s+an?\s+hour\b",
            r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\b\.?|o'?clock\b)",
            r"\b\d{1,2}:\d{2}\b",
            r"\b(?:at|after|before|till|until|til)\s+(?:1[0-2]|0?[1-9])\b"
            r"(?![.,]\d|\s*(?:dollars?|bucks?|usd))",
            r"\b\d{4}-\d{1,2}-\d{1,2}\b",
            r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
            r"\b\d+(?:\.\d+)?\s*(?:%|percent\b)",
        ]
    )
)
_MONEY_UNIT = r"\s*(?:[$¥€£]|(?:dollars?|bucks?|usd|yuan|rmb|cny|euros?|pounds?|quid)\b)"
_AMOUNT = re.compile(
    r"(?P<sign>[$¥€£]|\b(?:usd|rmb|cny|eur|gbp)\b)?\s*(?<![\w.,])"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]*\d)"
    rf"(?P<k>\s*k\b)?(?P<unit>{_MONEY_UNIT})?"
)
_WORD_AMOUNT = re.compile(rf"(?P<num>{_NUMBER_PHRASE})(?P<unit>{_MONEY_UNIT})?")
_HALF = re.compile(r"\bhalf\b")
_MINIMUM = re.compile(r"\bmin(?:imum)?\b")
_FULL = re.compile(
    r"\b(?:full|all\s+of\s+it|it\s+all|all\s+at\s+once|everything|whole|entire|total\s+balance)\b"
)


def parse_amount(text: str, *, balance: Decimal, minimum_due: Decimal) -> Decimal | None:
    """The amount the customer offers to pay, rounded to cents, or None.

    A number wins over a keyword ("not in full, just 200" -> 200). Among numbers, one with a
    currency sign or word wins, else the first. Spelled numbers below ten count only with a
    money word ("five bucks"), since "one" is too often not an amount ("in one go"). "half" is
    half the balance rounded half-up to cents; "min"/"minimum" is ``minimum_due``; "full",
    "all of it", "everything", "the whole balance" is ``balance``.
    """
    s = _NOT_AMOUNTS.sub(" ", _clean(text))
    numbers = list(_AMOUNT.finditer(s))
    if numbers:
        m = next((m for m in numbers if m["sign"] or m["unit"] or m["k"]), numbers[0])
        value = Decimal(m["num"].replace(",", "")) * (1000 if m["k"] else 1)
        return value.quantize(_CENT, ROUND_HALF_UP)
    for m in _WORD_AMOUNT.finditer(re.sub(r"\ban?\s+(?=hundred|thousand)", "one ", s)):
        value = _number(m["num"])
        if value is not None and (value >= 10 or m["unit"]):
            return Decimal(value).quantize(_CENT)
    if _HALF.search(s):
        return (balance / 2).quantize(_CENT, ROUND_HALF_UP)
    if _MINIMUM.search(s):
        return minimum_due
    if _FULL.search(s):
        return balance
    return None


# --- plan length, digits, date of birth --------------------------------------------------------

_MONTH_COUNT = re.compile(
    rf"\b(?P<n>\d+|{_NUMBER_PHRASE})\s*-?\s*(?:months?|mos?|(?:monthly\s+)?"
    r"(?:payments?|installments?|instalments?))\b"
)
_YEAR_COUNT = re.compile(rf"\b(?P<n>\d+|{_NUMBER_PHRASE}|an?)\s*-?\s*(?:years?|yrs?)\b")
_BARE_COUNT = re.compile(rf"\b\d+(?:\.\d+)?\b|{_NUMBER_PHRASE}")
_MONEY_HINT = re.compile(
    r"[$¥€£]|\b(?:dollars?|bucks?|usd|yuan|rmb)\b|\b(?:per|a)\s+month\b|/\s*mo\b"
)


def parse_months(text: str, *, explicit: bool = False) -> int | None:
    """How many monthly payments the customer wants (1-60), or None.

    "six months", "12 monthly payments", "over twelve months", "a year" (12) count directly.
    A lone number ("6", "let's do 3") counts only if it is the only number, has no money hint
    and is at most 60, so an amount such as "200" or "50 a month" is not taken for a plan length;
    `explicit` turns that off too, for messages that are not answers to "how many months?"
    ("i have 3 kids and no income").
    """
    s = _clean(text)
    for pattern, factor in ((_MONTH_COUNT, 1), (_YEAR_COUNT, 12)):
        m = pattern.search(s)
        if m:
            count = _number(m["n"])
            return count * factor if count and count * factor <= _MAX_PLAN_MONTHS else None
    if explicit:
        return None
    numbers = _BARE_COUNT.findall(s)
    if len(numbers) != 1 or _MONEY_HINT.search(s):
        return None
    count = _number(numbers[0])
    return count if count and count <= _MAX_PLAN_MONTHS else None


_DIGIT_WORDS = dict(
    zip(
        "zero oh o one two three four five six seven eight nine".split(),
        "000123456789",
        strict=True,
    )
)
_LAST_N = re.compile(
    r"\blast\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"(?:\s+(?:digits?|numbers?))?"
)


def parse_digits(text: str, *, length: int = 4) -> str | None:
    """A group of exactly ``length`` digits, typed or spoken ("1 2 3 4", "one two three four").

    Spaced single digits are joined; "oh"/"o" read as zero. "last four" is dropped first so its
    "four" is not taken as a digit. A token of exactly ``length`` digits wins over a joined run.
    """
    s = _LAST_N.sub(" ", _clean(text))
    runs: list[list[str]] = [[]]
    previous_end = 0
    for m in re.finditer(r"\d+|[a-z]+", s):
        digits = m.group() if m.group().isdigit() else _DIGIT_WORDS.get(m.group())
        if digits is None or not re.fullmatch(r"[\s\-.,]*", s[previous_end : m.start()]):
            runs.append([])
        if digits is not None:
            runs[-1].append(digits)
        previous_end = m.end()
    tokens = [t for run in runs for t in run]
    exact = [t for t in tokens if len(t) == length]
    exact += ["".join(run) for run in runs if len("".join(run)) == length]
    return exact[0] if exact else None


_DOB_RULES = [
    (re.compile(pattern), named_month)
    for pattern, named_month in [
        (r"\b(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b", False),
        (r"\b(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})[-/.](?P<year>(?:19|20)\d{2})\b", False),
        (rf"{_MONTH}\s+(?:the\s+)?{_DAY},?\s+(?:of\s+)?(?P<year>(?:19|20)\d{{2}})\b", True),
        (rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(?P<year>(?:19|20)\d{{2}})\b", True),
    ]
]


def parse_dob(text: str) -> date | None:
    """A date of birth with an explicit four-digit year, or None.

    No relative parsing: a birth date always names its year. Numeric dates are month/day/year;
    only when the first number cannot be a month (25/12/1985) is it read as day/month.
    """
    s = _clean(text)
    for pattern, named_month in _DOB_RULES:
        m = pattern.search(s)
        if not m:
            continue
        year = int(m["year"])
        if named_month:
            return _safe_date(year, _month_number(m["month"]), _day_number(m["day"]))
        month, day = int(m["month"]), int(m["day"])
        if month > 12 >= day:
            month, day = day, month
        return _safe_date(year, month, day)
    return None


# --- callback times ----------------------------------------------------------------------------

_IN_DURATION = re.compile(
    rf"\bin\s+(?:(?P<half>half\s+an?\s+hour)|{_COUNT}\s+(?P<unit>hours?|hrs?|minutes?|mins?)\b)"
)
_HOUR = r"(?P<h>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_CLOCKS = [
    re.compile(r"\b(?P<h>\d{1,2})(?::(?P<mi>[0-5]\d))?\s*(?P<ap>[ap])\.?m\b\.?"),
    re.compile(
        rf"\b(?:at|after|around|about|by|before|from)\s+{_HOUR}(?::(?P<mi>[0-5]\d))?"
        r"(?:\s*o'?clock)?\b(?!\s*(?:st|nd|rd|th|days?|weeks?|months?|hours?|hrs?|minutes?|mins?)"
        r"\b)"
    ),
    re.compile(rf"\b{_HOUR}(?::(?P<mi>[0-5]\d)|\s*o'?clock\b)"),
    re.compile(  # "7 in the evening", "8 tomorrow morning"
        rf"\b{_HOUR}(?P<mi>)\s+(?=(?:in\s+the|this|tomorrow|tonight)\b)"
    ),
]
_PERIOD = re.compile(
    r"\b(?P<this>this\s+)?(?P<period>morning|afternoon|evening|tonight|night|noon|midday|lunch)\b"
)
_PERIOD_HOUR = {"morning": 9, "noon": 12, "midday": 12, "lunch": 12, "afternoon": 14}
_PM_PERIODS = ("afternoon", "evening", "tonight", "night")


def _hour24(hour: int, ampm: str | None, period: str | None) -> int | None:
    """Business hours: with no am/pm and no "morning", 1-7 means afternoon/evening."""
    if ampm:
        return hour % 12 + (12 if ampm == "p" else 0) if 1 <= hour <= 12 else None
    if (period in _PM_PERIODS and hour < 12) or (period != "morning" and 1 <= hour <= 7):
        return hour + 12
    return hour if hour <= 23 else None


def _local(day: date, at: time, tz: tzinfo | None) -> datetime:
    """Wall-clock ``at`` on ``day`` in ``tz``; with zoneinfo the offset is that day's (DST)."""
    naive = datetime.combine(day, at)
    if hasattr(tz, "localize"):  # pytz zones need localize(); combine() would give LMT
        return tz.normalize(tz.localize(naive))
    # The UTC round trip moves a time inside a spring-forward gap to a real one.
    return naive.replace(tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


def _after(moment: datetime, delta: timedelta) -> datetime:
    """Elapsed-time arithmetic (aware + timedelta alone is wall-clock and wrong across DST)."""
    return (moment.astimezone(timezone.utc) + delta).astimezone(moment.tzinfo)


def _find_clock(text: str, period: str | None) -> tuple[time | None, str]:
    """The first explicit clock time, and the text without it (so "after 6" is not a date)."""
    for pattern in _CLOCKS:
        m = pattern.search(text)
        hour = _hour24(_number(m["h"]), m.groupdict().get("ap"), period) if m else None
        if hour is not None:
            return time(hour, int(m["mi"] or 0)), text[: m.start()] + " " + text[m.end() :]
    return None, text


def parse_callback_time(text: str, *, now: datetime) -> datetime | None:
    """When the customer wants a call back, as an aware datetime in ``now``'s time zone.

    "in 2 hours" / "in 30 minutes" is elapsed time, so it stays right across a DST change.
    Otherwise a day (parse_pay_date's rules, default today) plus a time: "6pm", "6:30",
    "at 6" / "after 6" (an hour 1-7 without am/pm means pm: nobody asks a bank to call at 6 am),
    "morning" 09:00, "noon" 12:00, "afternoon" 14:00, "evening"/"tonight" 18:00, and 10:00 for
    a day alone ("tomorrow"). Wall-clock times take that day's UTC offset. A time already past
    moves to tomorrow when no day was named; on a named day it gives None, except a vague
    "today"/"tonight"/"this evening", which becomes the next full hour. Nothing time-like -> None.
    """
    s = _clean(text)
    m = _IN_DURATION.search(s)
    if m:
        count = 30 if m["half"] else _number(m["n"])
        if count is None:
            return None
        minutes = count if m["half"] or m["unit"].startswith("m") else count * 60
        return _after(now, timedelta(minutes=minutes))

    period_match = _PERIOD.search(s)
    period = period_match["period"] if period_match else None
    clock, s = _find_clock(s, period)
    exact = clock is not None
    if clock is None and period:
        clock = time(_PERIOD_HOUR.get(period, 18))
    today = now.date()
    day = _find_date(s, today)
    named_day = day is not None or bool(period_match and period_match["this"])
    if day is None and clock is None:
        return None
    moment = _local(day or today, clock or _DEFAULT_CALLBACK, now.tzinfo)
    if moment > now:
        return moment
    if not named_day:
        return _local(today + timedelta(1), clock, now.tzinfo)
    if day in (today, None) and not exact:
        next_hour = _after(now.replace(minute=0, second=0, microsecond=0), timedelta(hours=1))
        return next_hour if next_hour.date() == today else None
    return None


# --- formatting --------------------------------------------------------------------------------

_MONEY_LOCALES = {"USD": "en_US", "CNY": "zh_CN", "EUR": "en_IE", "GBP": "en_GB"}


def format_money(amount: Decimal, currency: str) -> str:
    """Money as a customer expects to read it: "$1,234.50", "¥1,234.50", "€…", "£…".

    Any other currency code is written after the number: "1,234.50 JPY".

    Rounds half-up to cents first (babel alone would round half-even). The locale per currency
    is chosen so the bare symbol is used: CNY in en_US would print "CN¥".
    """
    code = currency.upper()
    cents = amount.quantize(_CENT, ROUND_HALF_UP) + 0  # + 0 turns -0.00 into 0.00
    locale = _MONEY_LOCALES.get(code)
    if locale:
        return format_currency(cents, code, locale=locale)
    return f"{format_decimal(cents, format='#,##0.00', locale='en_US')} {code}"


def format_date(d: date) -> str:
    """A due date as a person says it, "Friday, December 5", whatever the process locale."""
    return f"{_WEEKDAYS[d.weekday()].title()}, {_MONTHS[d.month - 1].title()} {d.day}"
