"""When a customer wants a call back ("in 2 hours", "tomorrow after 6", "this evening"), as an
aware datetime in the customer's own time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from bot.conversation.understanding.dates import find_date
from bot.conversation.understanding.words import COUNT, chinese, clean, number

_DEFAULT_CALLBACK = time(10, 0)  # a day without a time: mid-morning, inside business hours

_IN_DURATION = re.compile(
    rf"\bin\s+(?:(?P<half>half\s+an?\s+hour)|{COUNT}\s+(?P<unit>hours?|hrs?|minutes?|mins?)\b)"
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
        hour = _hour24(number(m["h"]), m.groupdict().get("ap"), period) if m else None
        if hour is not None:
            return time(hour, int(m["mi"] or 0)), text[: m.start()] + " " + text[m.end() :]
    return None, text


def parse_callback_time(text: str, *, now: datetime, lang: str = "en") -> datetime | None:
    """When the customer wants a call back, as an aware datetime in ``now``'s time zone.

    "in 2 hours" / "in 30 minutes" is elapsed time, so it stays right across a DST change.
    Otherwise a day (parse_pay_date's rules, default today) plus a time: "6pm", "6:30",
    "at 6" / "after 6" (an hour 1-7 without am/pm means pm: nobody asks a bank to call at 6 am),
    "morning" 09:00, "noon" 12:00, "afternoon" 14:00, "evening"/"tonight" 18:00, and 10:00 for
    a day alone ("tomorrow"). Wall-clock times take that day's UTC offset. A time already past
    moves to tomorrow when no day was named; on a named day it gives None, except a vague
    "today"/"tonight"/"this evening", which becomes the next full hour. Nothing time-like -> None.
    ``lang`` "zh…" reads Chinese ("明天下午三点", "半小时后").
    """
    if chinese(lang):
        from bot.conversation.understanding.zh.times import parse_callback_time as chinese_time

        return chinese_time(text, now=now)
    s = clean(text)
    m = _IN_DURATION.search(s)
    if m:
        count = 30 if m["half"] else number(m["n"])
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
    day = find_date(s, today)
    named_day = day is not None or bool(period_match and period_match["this"])
    return callback_moment(day, clock, named_day=named_day, exact=exact, now=now)


def callback_moment(
    day: date | None, clock: time | None, *, named_day: bool, exact: bool, now: datetime
) -> datetime | None:
    """The instant a callback answer names, in either language: the day and clock heard (a day
    without a clock: mid-morning); a clock already past today without a named day is tomorrow;
    a vague "today" already past is the next whole hour, if today has one left."""
    if day is None and clock is None:
        return None
    today = now.date()
    moment = _local(day or today, clock or _DEFAULT_CALLBACK, now.tzinfo)
    if moment > now:
        return moment
    if not named_day:
        return _local(today + timedelta(1), clock, now.tzinfo)
    if day in (today, None) and not exact:
        next_hour = _after(now.replace(minute=0, second=0, microsecond=0), timedelta(hours=1))
        return next_hour if next_hour.date() == today else None
    return None
