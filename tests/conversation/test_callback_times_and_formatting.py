"""Unit tests for bot.conversation.understanding: callback times (DST, fixed and pytz zones,
None cases) and how money and dates are written back."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.understanding.formatting import format_date, format_money
from bot.conversation.understanding.times import parse_callback_time

NY = ZoneInfo("America/New_York")


# --- parse_callback_time ----------------------------------------------------------------------


def _same_instant_and_wall_clock(result: datetime | None, expected: datetime) -> None:
    """Aware datetimes with one tzinfo compare by wall clock only, so check offset and UTC too."""
    assert result is not None
    assert result.tzinfo is expected.tzinfo
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)
    assert result.utcoffset() == expected.utcoffset()
    assert result.astimezone(timezone.utc) == expected.astimezone(timezone.utc)


MORNING = datetime(2026, 11, 27, 10, 0, tzinfo=NY)  # Friday 10:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow after 6", datetime(2026, 11, 28, 18, 0)),
        ("in an hour", datetime(2026, 11, 27, 11, 0)),
        ("in 2 hours", datetime(2026, 11, 27, 12, 0)),
        ("in 30 minutes", datetime(2026, 11, 27, 10, 30)),
        ("monday morning", datetime(2026, 11, 30, 9, 0)),
        ("this evening", datetime(2026, 11, 27, 18, 0)),
        ("tonight", datetime(2026, 11, 27, 18, 0)),
        ("tomorrow", datetime(2026, 11, 28, 10, 0)),
        ("at 3pm", datetime(2026, 11, 27, 15, 0)),
        ("at 3", datetime(2026, 11, 27, 15, 0)),
        ("at 9", datetime(2026, 11, 28, 9, 0)),  # 9 am is past: tomorrow
        ("7 in the evening", datetime(2026, 11, 27, 19, 0)),
        ("friday at 5", datetime(2026, 12, 4, 17, 0)),
        ("tomorrow morning at 8", datetime(2026, 11, 28, 8, 0)),
        ("noon", datetime(2026, 11, 27, 12, 0)),
        ("call me on the 5th after 6:30", datetime(2026, 12, 5, 18, 30)),
    ],
)
def test_parse_callback_time(text, expected):
    result = parse_callback_time(text, now=MORNING)
    _same_instant_and_wall_clock(result, expected.replace(tzinfo=NY))


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (datetime(2026, 11, 27, 16, 0), "at 3pm", datetime(2026, 11, 28, 15, 0)),
        (datetime(2026, 11, 27, 15, 20), "today", datetime(2026, 11, 27, 16, 0)),
        (datetime(2026, 11, 27, 19, 20), "tonight", datetime(2026, 11, 27, 20, 0)),
        (datetime(2026, 11, 27, 11, 0), "morning", datetime(2026, 11, 28, 9, 0)),
    ],
)
def test_parse_callback_time_already_past(now, text, expected):
    result = parse_callback_time(text, now=now.replace(tzinfo=NY))
    _same_instant_and_wall_clock(result, expected.replace(tzinfo=NY))


def test_parse_callback_time_tomorrow_is_after_dst_end():
    result = parse_callback_time("tomorrow after 6", now=datetime(2026, 10, 31, 12, tzinfo=NY))
    _same_instant_and_wall_clock(result, datetime(2026, 11, 1, 18, tzinfo=NY))
    assert result.utcoffset() == timedelta(hours=-5)  # EST, while now was EDT


def test_parse_callback_time_hours_are_elapsed_across_dst_end():
    result = parse_callback_time("in 2 hours", now=datetime(2026, 11, 1, 0, 30, tzinfo=NY))
    assert result.astimezone(timezone.utc) == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)
    assert result.replace(tzinfo=None) == datetime(2026, 11, 1, 1, 30)
    assert result.utcoffset() == timedelta(hours=-5)


def test_parse_callback_time_in_an_hour_inside_repeated_hour():
    now = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # first 01:30, EDT
    result = parse_callback_time("in an hour", now=now)
    assert result.replace(tzinfo=None) == datetime(2026, 11, 1, 1, 30)  # second 01:30, EST
    assert result.utcoffset() == timedelta(hours=-5)
    assert result.astimezone(timezone.utc) - now.astimezone(timezone.utc) == timedelta(hours=1)


def test_parse_callback_time_skips_spring_forward_gap():
    result = parse_callback_time("tomorrow at 2:30am", now=datetime(2026, 3, 7, 12, tzinfo=NY))
    assert result.astimezone(timezone.utc) == datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)
    assert result.replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)


def test_parse_callback_time_fixed_offset_zone():
    shanghai = timezone(timedelta(hours=8))
    result = parse_callback_time(
        "tomorrow after 6", now=datetime(2026, 10, 31, 12, tzinfo=shanghai)
    )
    assert result == datetime(2026, 11, 1, 18, tzinfo=shanghai)
    assert result.utcoffset() == timedelta(hours=8)


def test_parse_callback_time_pytz_zone_gets_real_offset():
    import pytz  # dateparser's own dependency, so always installed

    zone = pytz.timezone("America/New_York")
    result = parse_callback_time("tomorrow after 6", now=zone.localize(datetime(2026, 10, 31, 12)))
    assert result.utcoffset() == timedelta(hours=-5)
    assert result.astimezone(timezone.utc) == datetime(2026, 11, 1, 23, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (MORNING, ""),
        (MORNING, "i can pay 200"),
        (MORNING, "no thanks"),
        (MORNING, "call me later"),
        (MORNING, "today at 9am"),  # named day, already past
        (datetime(2026, 11, 27, 23, 20, tzinfo=NY), "tonight"),  # no full hour left today
    ],
)
def test_parse_callback_time_none(now, text):
    assert parse_callback_time(text, now=now) is None


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal("1234.5"), "usd", "$1,234.50"),
        (Decimal("1234.5"), "CNY", "¥1,234.50"),
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("1234.5"), "GBP", "£1,234.50"),
        (Decimal("1234.5"), "JPY", "1,234.50 JPY"),
        (Decimal("1234567"), "USD", "$1,234,567.00"),
        (Decimal("0.005"), "USD", "$0.01"),  # half-up, not banker's rounding
        (Decimal("-5"), "GBP", "-£5.00"),
        (Decimal("-0.001"), "USD", "$0.00"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 27), "Friday, November 27"),
        (date(2026, 12, 5), "Saturday, December 5"),
        (date(2028, 2, 29), "Tuesday, February 29"),
    ],
)
def test_format_date(d, expected):
    assert format_date(d) == expected
