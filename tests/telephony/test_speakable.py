from __future__ import annotations

import pytest

from telephony.speakable import speakable


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("$1,240.50", "1,240 dollars and 50 cents"),
        ("¥5,420.30", "5,420 yuan and 30 cents"),
        ("€12", "12 euros"),
        ("€1.5", "1 euro and 50 cents"),
        ("£3.01", "3 pounds and 1 penny"),
        ("$0.99", "99 cents"),
        ("$1.00", "1 dollar"),
        ("You owe $1,240.50.", "You owe 1,240 dollars and 50 cents."),
    ],
)
def test_amounts(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2026-12-04", "December 4, 2026"),
        ("Due by 2026-01-31.", "Due by January 31, 2026."),
        ("Friday, December 4", "Friday, December 4"),
        ("2026-13-45", "2026-13-45"),  # not a date: left alone, and not read as a phone number
    ],
)
def test_dates(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("https://pay.example-bank.test", "pay dot example-bank dot test"),
        ("Pay at https://pay.example-bank.test.", "Pay at pay dot example-bank dot test."),
        ("https://pay.example-bank.test/r/?x=1", "pay dot example-bank dot test slash r"),
        ("www.example.test", "www dot example dot test"),
    ],
)
def test_urls(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("+1 800 555 0199", "1, 8 0 0, 5 5 5, 0 1 9 9"),
        ("Call 1-800-555-0199 today", "Call 1, 8 0 0, 5 5 5, 0 1 9 9 today"),
        ("(800) 555-0199", "8 0 0, 5 5 5, 0 1 9 9"),
        ("in 2026 we sent 3 letters", "in 2026 we sent 3 letters"),  # plain numbers stay
        ("12 34", "12 34"),  # too few digits for a phone number
    ],
)
def test_phone_numbers(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("6250A4F5", "6, 2, 5, 0, A, 4, F, 5"),
        ("Reference 6250A4F5, please.", "Reference 6, 2, 5, 0, A, 4, F, 5, please."),
        ("ABCD and 1234", "ABCD and 1234"),  # words and numbers are not codes
    ],
)
def test_reference_codes(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_everything_else_is_untouched() -> None:
    text = "금요일까지 5,420원을 내 주세요. Thank you!"
    assert speakable(text) == text


def test_a_whole_prompt() -> None:
    text = (
        "Your payment of $1,240.50 is due on 2026-12-04. Pay at https://pay.example-bank.test "
        "or call +1 800 555 0199 with reference 6250A4F5."
    )
    assert speakable(text) == (
        "Your payment of 1,240 dollars and 50 cents is due on December 4, 2026. Pay at pay dot "
        "example-bank dot test or call 1, 8 0 0, 5 5 5, 0 1 9 9 with reference "
        "6, 2, 5, 0, A, 4, F, 5."
    )
