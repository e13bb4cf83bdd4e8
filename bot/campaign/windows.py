"""Calling windows and local days, computed once per time zone rather than once per account.

Times inside the campaign are integers: microseconds since the Unix epoch (UTC). Integer
arithmetic is exact, so a comparison made here gives the same answer as the gate's `datetime` and
`timedelta` comparisons, to the microsecond.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.compliance.profiles import Profile
from bot.compliance.rules import (
    DAY_US,
    EPOCH,
    ONE_US,
    to_us,
    window_open,
    window_opening,
    window_opens_later_today,
)

__all__ = [
    "DAY_US",
    "EPOCH",
    "ONE_US",
    "SECOND_US",
    "day_tag",
    "from_us",
    "in_window",
    "local_midnight",
    "next_window_open",
    "next_window_open_everywhere",
    "parse_day_tag",
    "to_us",
    "utc_day_tag",
]

SECOND_US = 1_000_000


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
    """The contact rules' calling window (`rules.window_open`) at `now` in the zone."""
    return window_open(now.astimezone(tz).time(), profile)


def next_window_open(now: datetime, tz: ZoneInfo, profile: Profile) -> datetime | None:
    """`now` if the calling window is open in the zone, otherwise the next opening (today's if it
    has not opened yet, tomorrow's if it has closed); None if the profile's window never opens."""
    if in_window(now, tz, profile):
        return now
    local = now.astimezone(tz)
    opens_today = window_opens_later_today(local.time(), profile)
    day = local.date() if opens_today else local.date() + timedelta(days=1)
    for _ in range(3):  # a DST change can swallow the opening time: take the next day's
        opening = window_opening(day, tz, profile)
        if opening >= now and in_window(opening, tz, profile):
            return opening
        day += timedelta(days=1)
    return None


def next_window_open_everywhere(now: datetime, zones, profile: Profile) -> datetime | None:
    """`next_window_open` in every zone at once (`rules.window_open_everywhere`: an ambiguous
    location must suit every plausible zone): the first instant at or after `now` when the window
    is open in all of them; None when it is not within a few days (windows that never meet)."""
    tzs = [ZoneInfo(zone) for zone in zones]
    candidate = now
    for _ in range(8):
        openings = [next_window_open(candidate, tz, profile) for tz in tzs]
        if any(opening is None for opening in openings):
            return None
        candidate = max(openings)
        if candidate - now > timedelta(days=3):
            return None
        if all(in_window(candidate, tz, profile) for tz in tzs):
            return candidate
    return None


def day_tag(moment: datetime, tz: ZoneInfo) -> str:
    """The customer's local date as YYYYMMDD: the day a planned contact belongs to."""
    return moment.astimezone(tz).strftime("%Y%m%d")


def utc_day_tag(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d")


def parse_day_tag(tag: str) -> date:
    return date(int(tag[:4]), int(tag[4:6]), int(tag[6:8]))
