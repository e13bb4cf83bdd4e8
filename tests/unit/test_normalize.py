"""Unit tests for bot.conversation.understanding: exact values against fixed dates, month ends,
DST, None cases."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.understanding.parse import (
    format_date,
    format_money,
    parse_amount,
    parse_callback_time,
    parse_digits,
    parse_dob,
    parse_months,
    parse_pay_date,
)

FRIDAY = date(2026, 11, 27)
NY = ZoneInfo("America/New_York")
BALANCE = Decimal("1234.65")  # half is 617.325: half-up gives .33, half-even would give .32
MINIMUM = Decimal("35.00")


def test_fixed_dates_are_the_weekdays_the_tests_assume():
    assert FRIDAY.weekday() == 4
    assert date(2026, 11, 30).weekday() == 0
    assert date(2028, 2, 29).weekday() == 1


# --- parse_amount -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200", "200.00"),
        ("$200", "200.00"),
        ("200.50", "200.50"),
        ("1,500", "1500.00"),
        ("200 dollars", "200.00"),
        ("150 bucks", "150.00"),
        ("¥300", "300.00"),
        ("i'll pay 1,234.56", "1234.56"),
        ("1.5k", "1500.00"),
        ("two hundred", "200.00"),
        ("two hundred and fifty dollars", "250.00"),
        ("a hundred bucks", "100.00"),
        ("five bucks", "5.00"),
        ("half", "617.33"),
        ("half of it", "617.33"),
        ("the minimum", "35.00"),
        ("minimum payment", "35.00"),
        ("min", "35.00"),
        ("full", "1234.65"),
        ("all of it", "1234.65"),
        ("everything", "1234.65"),
        ("the whole balance", "1234.65"),
        ("i can pay it in full", "1234.65"),
        ("i can pay 200 on the 15th", "200.00"),
        ("half by end of the month", "617.33"),
        ("not in full, just 200", "200.00"),
        ("150 on friday the 5th", "150.00"),
        ("300 on december 5", "300.00"),
        ("three hundred on dec 5th", "300.00"),
        ("75 tomorrow after 6", "75.00"),
        ("i can pay 75 after 6pm", "75.00"),
        ("pay 50 a month for 6 months", "50.00"),
        ("give me 2 payments of 100", "100.00"),
        ("i may pay 100 on may 5", "100.00"),
        ("pay 300 on 12/05", "300.00"),
    ],
)
def test_parse_amount(text, expected):
    result = parse_amount(text, balance=BALANCE, minimum_due=MINIMUM)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "pay in 3 days",
        "6 months",
        "friday the 5th",
        "december 5",
        "on the 15th",
        "tomorrow after 6",
        "call me in 30 min",
        "i can't pay right now",
        "in one go",
        "50%",
    ],
)
def test_parse_amount_none(text):
    assert parse_amount(text, balance=BALANCE, minimum_due=MINIMUM) is None


def test_parse_amount_half_rounds_half_up_to_cents():
    assert parse_amount("half", balance=Decimal("0.05"), minimum_due=MINIMUM) == Decimal("0.03")


# --- parse_pay_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 27)),
        ("tomorrow", date(2026, 11, 28)),
        ("tmrw", date(2026, 11, 28)),
        ("tmr", date(2026, 11, 28)),
        ("the day after tomorrow", date(2026, 11, 29)),
        ("friday", date(2026, 12, 4)),  # today is Friday: today itself is excluded
        ("fri", date(2026, 12, 4)),
        ("this friday", date(2026, 12, 4)),
        ("next friday", date(2026, 12, 4)),
        ("on monday", date(2026, 11, 30)),
        ("mon", date(2026, 11, 30)),
        ("thursday", date(2026, 12, 3)),
        ("next week", date(2026, 12, 4)),
        ("end of the month", date(2026, 11, 30)),
        ("by end of month", date(2026, 11, 30)),
        ("eom", date(2026, 11, 30)),
        ("the 15th", date(2026, 12, 15)),
        ("on the 15th", date(2026, 12, 15)),
        ("15th", date(2026, 12, 15)),
        ("by the 15", date(2026, 12, 15)),
        ("on the fifteenth", date(2026, 12, 15)),
        ("the 28th", date(2026, 11, 28)),
        ("the 27th", date(2026, 11, 27)),
        ("the 31st", date(2026, 11, 30)),
        ("in 3 days", date(2026, 11, 30)),
        ("in three days", date(2026, 11, 30)),
        ("in twenty one days", date(2026, 12, 18)),
        ("in 2 weeks", date(2026, 12, 11)),
        ("two weeks from now", date(2026, 12, 11)),
        ("december 5", date(2026, 12, 5)),
        ("dec 5", date(2026, 12, 5)),
        ("5 december", date(2026, 12, 5)),
        ("the 5th of december", date(2026, 12, 5)),
        ("november 27", date(2026, 11, 27)),
        ("november 26", date(2027, 11, 26)),
        ("2026-12-05", date(2026, 12, 5)),
        ("12/05", date(2026, 12, 5)),
        ("i can pay 200 on friday", date(2026, 12, 4)),
        ("friday the 5th", date(2026, 12, 5)),
        ("I can pay 200 on the 15th", date(2026, 12, 15)),
    ],
)
def test_parse_pay_date(text, expected):
    assert parse_pay_date(text, today=FRIDAY) == expected


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2026, 1, 31), "end of the month", date(2026, 2, 28)),
        (date(2026, 1, 30), "end of the month", date(2026, 1, 31)),
        (date(2028, 2, 10), "end of the month", date(2028, 2, 29)),
        (date(2028, 2, 29), "eom", date(2028, 3, 31)),
        (date(2026, 11, 10), "the 31st", date(2026, 11, 30)),
        (date(2026, 11, 30), "the 31st", date(2026, 11, 30)),
        (date(2028, 1, 31), "the 30th", date(2028, 2, 29)),
        (date(2026, 2, 10), "the 30th", date(2026, 2, 28)),
        (date(2026, 1, 31), "in 1 month", date(2026, 2, 28)),
        (date(2026, 12, 31), "tomorrow", date(2027, 1, 1)),
        (date(2026, 12, 31), "the 1st", date(2027, 1, 1)),
        (date(2026, 12, 31), "end of next month", date(2027, 1, 31)),
        (date(2027, 3, 1), "feb 29", date(2028, 2, 29)),
        (date(2026, 12, 20), "12/05", date(2027, 12, 5)),
    ],
)
def test_parse_pay_date_month_and_year_ends(today, text, expected):
    assert parse_pay_date(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    ["", "i can pay 200", "not sure", "december 5 2025", "12/05/2025", "2026-02-30", "the 32nd"],
)
def test_parse_pay_date_none(text):
    assert parse_pay_date(text, today=FRIDAY) is None


@pytest.mark.parametrize("today", [date(2026, 1, 31), date(2028, 2, 29), date(2026, 12, 31)])
@pytest.mark.parametrize("text", ["friday", "the 1st", "the 31st", "dec 5", "1/1", "eom"])
def test_parse_pay_date_never_before_today(today, text):
    result = parse_pay_date(text, today=today)
    assert result is not None
    assert result >= today


# --- parse_months -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", 6),
        ("3", 3),
        ("six months", 6),
        ("12 monthly payments", 12),
        ("over twelve months", 12),
        ("let's do 6", 6),
        ("24 months", 24),
        ("a year", 12),
        ("2 years", 24),
    ],
)
def test_parse_months(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize(
    "text", ["", "no", "200", "i can pay 200", "50 a month", "$6", "100 months", "0", "2.5"]
)
def test_parse_months_none(text):
    assert parse_months(text) is None


def test_parse_months_explicit_needs_the_word_month_or_year():
    assert parse_months("i have 3 kids", explicit=True) is None
    assert parse_months("could i pay over 3 months", explicit=True) == 3
    assert parse_months("a year", explicit=True) == 12


# --- parse_digits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("1234", 4, "1234"),
        ("it's 1 2 3 4", 4, "1234"),
        ("one two three four", 4, "1234"),
        ("last four is 5678", 4, "5678"),
        ("my last four digits are five oh one two", 4, "5012"),
        ("1-2-3-4", 4, "1234"),
        ("code 123456", 6, "123456"),
    ],
)
def test_parse_digits(text, length, expected):
    assert parse_digits(text, length=length) == expected


@pytest.mark.parametrize(
    ("text", "length"),
    [("", 4), ("123", 4), ("12345", 4), ("1 2 3 4 5", 4), ("no idea", 4), ("1234", 6)],
)
def test_parse_digits_none(text, length):
    assert parse_digits(text, length=length) is None


# --- parse_dob --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("march 3 1985", date(1985, 3, 3)),
        ("March 3rd, 1985", date(1985, 3, 3)),
        ("3 march 1985", date(1985, 3, 3)),
        ("1985-03-03", date(1985, 3, 3)),
        ("03/03/1985", date(1985, 3, 3)),
        ("04/05/1985", date(1985, 4, 5)),  # month/day/year
        ("25/12/1985", date(1985, 12, 25)),  # first number cannot be a month
        ("born 12 july 1979", date(1979, 7, 12)),
        ("the 1st of january 2000", date(2000, 1, 1)),
    ],
)
def test_parse_dob(text, expected):
    assert parse_dob(text) == expected


@pytest.mark.parametrize(
    "text", ["", "march 1985", "feb 30 1990", "3/3/85", "tomorrow", "1985", "march 3"]
)
def test_parse_dob_none(text):
    assert parse_dob(text) is None


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
