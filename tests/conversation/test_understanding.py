"""Unit tests for bot.conversation.understanding: exact values against fixed dates, month ends,
DST, None cases."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.understanding.amounts import parse_amount
from bot.conversation.understanding.dates import parse_pay_date
from bot.conversation.understanding.digits import parse_digits
from bot.conversation.understanding.dob import parse_dob
from bot.conversation.understanding.months import parse_months

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
    "text", ["", "march 1985", "feb 30 1990", "tomorrow", "1985", "march 3", "12/25/10"]
)
def test_parse_dob_none(text):
    # 12/25/10: born 2010 is a child, 1910 is 116 years old; neither is a customer.
    assert parse_dob(text, today=FRIDAY) is None


def test_parse_dob_two_digit_year_is_the_adult_century():
    # Issue #14: M/D/YY is the most common US short form (this test once expected None).
    assert parse_dob("3/3/85", today=FRIDAY) == date(1985, 3, 3)
    assert parse_dob("12/25/05", today=FRIDAY) == date(2005, 12, 25)
