"""The readers under the parsers: misspelling correction, spoken numbers, past dates, and the
scripted-conversation generator the stack suite plays."""

from datetime import date

import pytest

from bot.conversation.understanding.dates import read_pay_date
from bot.conversation.understanding.spelling import correct_spelling, corrected
from bot.conversation.understanding.words import spoken_number
from tests.conversation.scripts import STYLES, scripts

FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hundrd", "hundred"),
        ("thousnd", "thousand"),
        ("minimun", "minimum"),
        ("balence", "balance"),
        ("ninty", "ninety"),  # not "ninth": numbers win a tie
        ("nineth", "ninth"),  # but a word ending in -th is an ordinal
        ("wensday", "wednesday"),
        ("febuary", "february"),
        # everyday words and short words are never "corrected"
        ("there", "there"),
        ("these", "these"),
        ("thirsty", "thirsty"),
        ("fine", "fine"),
        ("for", "for"),
        ("hello", "hello"),
    ],
)
def test_corrected(word, expected):
    assert corrected(word) == expected


def test_correct_spelling_keeps_the_rest_of_the_text():
    assert (
        correct_spelling("i can pay 2 hundrd on fryday, ok?")
        == "i can pay 2 hundred on friday, ok?"
    )


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("two fifty", "250"),
        ("fifty five hundred", "5500"),
        ("nineteen eighty five", "1985"),
        ("two thousand and five", "2005"),
        ("2 thousand 500", "2500"),
        ("1.5 thousand", "1500.0"),
        ("a hundred and twenty", "120"),
        ("hundred", "100"),
        ("100 200", None),
        ("1 500", None),
        ("two blorp", None),
    ],
)
def test_spoken_number(words, expected):
    value = spoken_number(words)
    assert (None if value is None else str(value)) == expected


def test_a_past_date_is_kept_apart_from_a_future_one():
    assert read_pay_date("last friday", today=FRIDAY).past == date(2026, 11, 20)
    assert read_pay_date("yesterday", today=FRIDAY).value is None
    later = read_pay_date("i paid yesterday, i can pay again friday", today=FRIDAY)
    assert later.value == date(2026, 12, 4) and later.past is None
    assert read_pay_date("no date here", today=FRIDAY) is None


def test_the_generator_makes_at_least_150_distinct_conversations_of_every_style():
    made = scripts()
    assert len(made) >= 150 and len({s.id for s in made}) == len(made)
    assert {s.id.rsplit("-", 2)[-2] for s in made} == set(STYLES)
    assert all(s.messages for s in made)
