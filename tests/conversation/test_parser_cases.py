"""The parser suite (issue #14): every phrasing in data/parser_cases.yml, read by its parser and
compared with the value it must be read as. More cases are a line of YAML, not code."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.conversation.understanding.amounts import read_amount
from bot.conversation.understanding.answers import is_decline
from bot.conversation.understanding.dates import parse_pay_date
from bot.conversation.understanding.dob import parse_dob
from bot.conversation.understanding.months import parse_months
from bot.conversation.understanding.parts import read_parts

CASES = yaml.safe_load((Path(__file__).parent / "data" / "parser_cases.yml").read_text("utf-8"))
TODAY = date(2026, 11, 27)  # a Friday
BALANCE, MINIMUM = Decimal("1240.50"), Decimal("85.00")


def cases(kind: str):
    return [
        pytest.param(text, expected, id=f"{kind}:{text}") for text, expected in CASES[kind].items()
    ]


def test_the_suite_has_at_least_500_phrasings():
    assert sum(len(v) for v in CASES.values()) >= 500


@pytest.mark.parametrize(("text", "expected"), cases("amounts"))
def test_amount(text, expected):
    reading = read_amount(text, balance=BALANCE, minimum_due=MINIMUM)
    if expected is None:
        assert reading is None
    elif expected == "uncertain":
        assert reading is not None and reading.uncertain and reading.value is None
    else:
        assert reading is not None and not reading.uncertain
        assert str(reading.value) == expected


@pytest.mark.parametrize(("text", "expected"), cases("dates"))
def test_pay_date(text, expected):
    found = parse_pay_date(text, today=TODAY)
    assert (found and found.isoformat()) == expected


@pytest.mark.parametrize(("text", "expected"), cases("dobs"))
def test_date_of_birth(text, expected):
    found = parse_dob(text, today=TODAY)
    assert (found and found.isoformat()) == expected


@pytest.mark.parametrize(("text", "expected"), cases("months"))
def test_plan_months(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize(("text", "expected"), cases("declines"))
def test_decline(text, expected):
    assert is_decline(text) is expected


@pytest.mark.parametrize(("text", "expected"), cases("splits"))
def test_promise_in_two_parts(text, expected):
    parts = read_parts(text, today=TODAY, balance=BALANCE, minimum_due=MINIMUM)
    if expected is None:
        assert parts is None
        return
    (amount, when), (rest_amount, rest_when) = expected
    first = read_amount(parts.first_text, balance=BALANCE, minimum_due=MINIMUM)
    assert str(first.value) == amount
    assert parse_pay_date(parts.first_text, today=TODAY).isoformat() == when
    second = parts.second
    assert ("rest" if second.rest else str(second.amount)) == rest_amount
    assert second.date.isoformat() == rest_when
