"""Calling windows and local days, computed once per time zone rather than once per account.

Times inside the campaign are integers: microseconds since the Unix epoch (UTC). Integer
arithmetic is exact, so a comparison made here gives the same answer as the gate's `datetime` and
`timedelta` comparisons, to the microsecond.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.compliance.profiles import Profile

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_US = timedelta(microseconds=1)
SECOND_US = 1_000_000
DAY_US = 86_400 * SECOND_US


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (an aware datetime)."""
    return (moment - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the customer's local day, computed exactly as the gate does."""
    return (
        now.astimezone(tz)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .astimezone(timezone.utc)
    )


def in_window(now: datetime, tz: ZoneInfo, profile: Profile) -> bool:
    return profile.window_start <= now.astimezone(tz).time() < profile.window_end


def next_window_open(now: datetime, tz: ZoneInfo, profile: Profile) -> datetime | None:
    """`now` if the calling window is open in the zone, otherwise the next opening (today's if it
    has not opened yet, tomorrow's if it has closed); None if the profile's window never opens."""
    if in_window(now, tz, profile):
        return now
    local = now.astimezone(tz)
    day = local.date() if local.time() < profile.window_start else local.date() + timedelta(days=1)
    for _ in range(3):  # a DST change can swallow the opening time: take the next day's
        opening = datetime.combine(day, profile.window_start, tz).astimezone(timezone.utc)
        if opening >= now and in_window(opening, tz, profile):
            return opening
        day += timedelta(days=1)
    return None


def day_tag(moment: datetime, tz: ZoneInfo) -> str:
    """The customer's local date as YYYYMMDD: the day a planned contact belongs to."""
    return moment.astimezone(tz).strftime("%Y%m%d")


def utc_day_tag(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d")


def parse_day_tag(tag: str) -> date:
    return date(int(tag[:4]), int(tag[4:6]), int(tag[6:8]))
