"""The Chinese readers (issue #13), through the public readers with ``lang="zh"``: every phrasing
in data/zh_parser_cases.yml read and compared with the value it must be read as, plus the
language switch and the Chinese formatting.

How the expectations were worked out (by hand, from the calendar): a bare weekday is its next
occurrence after today; "下周X" is day X of the next Monday-to-Sunday week; "15号" is this
month's 15th if not past, else next month's (clamped to the month's length); "月底" is the last
day of this month (next month's on the last day); "月初" the 1st of next month; "月中" the 15th;
"N天后" today + N; "一个月后" / "下个月" the same day next month. Amounts: a number wins over a
keyword, a money-marked one over a bare one; 一半 is half the balance rounded half-up; 全部 /
剩下的 the balance; 最低 the minimum due; an amount above the balance is kept as said.
"""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.conversation.understanding.amounts import parse_amount, read_amount
from bot.conversation.understanding.answers import is_decline
from bot.conversation.understanding.dates import (
    DateReading,
    find_date,
    parse_pay_date,
    read_date,
    read_pay_date,
)
from bot.conversation.understanding.digits import parse_digits
from bot.conversation.understanding.dob import parse_dob
from bot.conversation.understanding.formatting import format_date, format_money
from bot.conversation.understanding.months import parse_months
from bot.conversation.understanding.parts import read_parts
from bot.conversation.understanding.times import parse_callback_time

DATA = Path(__file__).parent / "data" / "zh_parser_cases.yml"
CASES = yaml.safe_load(DATA.read_text("utf-8"))
TODAY = date(2026, 11, 27)  # a Friday
BALANCE, MINIMUM = Decimal("1240.50"), Decimal("85.00")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


def cases(kind: str):
    return [
        pytest.param(str(text), expected, id=f"{kind}:{text}")
        for text, expected in CASES[kind].items()
    ]


def cases_from_other_days():
    return [
        pytest.param(date.fromisoformat(str(day)), str(text), expected, id=f"{day}:{text}")
        for day, table in CASES["dates_from"].items()
        for text, expected in table.items()
    ]


def test_the_suite_has_a_few_hundred_phrasings_and_no_repeats():
    raw = DATA.read_text("utf-8")
    count = sum(len(v) for k, v in CASES.items() if k != "dates_from")
    count += sum(len(v) for v in CASES["dates_from"].values())
    assert count >= 400
    # YAML keeps the last of two equal keys silently: every phrasing is in the file once per table.
    assert count == sum(1 for line in raw.splitlines() if line.startswith("  ") and ":" in line) - (
        len(CASES["dates_from"])
    )


@pytest.mark.parametrize(("text", "expected"), cases("amounts"))
def test_amount(text, expected):
    reading = read_amount(text, balance=BALANCE, minimum_due=MINIMUM, lang="zh")
    if expected is None:
        assert reading is None
    elif expected == "uncertain":
        assert reading is not None and reading.uncertain and reading.value is None
    else:
        assert reading is not None and not reading.uncertain
        assert str(reading.value) == expected
        assert parse_amount(text, balance=BALANCE, minimum_due=MINIMUM, lang="zh") == Decimal(
            expected
        )


def _read(text: str, today: date) -> str | None:
    reading = read_pay_date(text, today=today, lang="zh")
    if reading is not None and reading.vague:
        assert reading.value is None and reading.past is None
        return "ask"
    return reading.value.isoformat() if reading and reading.value else None


@pytest.mark.parametrize(("text", "expected"), cases("dates"))
def test_pay_date(text, expected):
    assert _read(text, TODAY) == expected
    found = parse_pay_date(text, today=TODAY, lang="zh")
    assert (found and found.isoformat()) == (None if expected == "ask" else expected)


@pytest.mark.parametrize(("today", "text", "expected"), cases_from_other_days())
def test_pay_date_at_the_calendar_edges(today, text, expected):
    assert _read(text, today) == expected


def test_a_past_date_is_kept_as_past_and_read_date_and_find_date_read_chinese():
    assert read_pay_date("昨天", today=TODAY, lang="zh") == DateReading(
        None, past=date(2026, 11, 26)
    )
    assert read_date("2026年11月20日", TODAY, lang="zh") == DateReading(
        None, past=date(2026, 11, 20)
    )
    assert find_date("下周三", TODAY, lang="zh") == date(2026, 12, 2)
    assert read_date("发工资那天", TODAY, lang="zh") == DateReading(None, vague=True)


@pytest.mark.parametrize(("text", "expected"), cases("dobs"))
def test_date_of_birth(text, expected):
    found = parse_dob(text, today=TODAY, lang="zh")
    assert (found and found.isoformat()) == expected


@pytest.mark.parametrize(("text", "expected"), cases("digits"))
def test_verification_digits(text, expected):
    assert parse_digits(text, lang="zh") == expected


def test_digits_of_another_length():
    assert parse_digits("一二三四五六", length=6, lang="zh") == "123456"
    assert parse_digits("一二三四五六", lang="zh") is None


@pytest.mark.parametrize(("text", "expected"), cases("months"))
def test_plan_months(text, expected):
    assert parse_months(text, lang="zh") == expected


def test_a_lone_number_is_no_plan_length_when_explicit():
    assert parse_months("六", lang="zh") == 6
    assert parse_months("六", explicit=True, lang="zh") is None
    assert parse_months("我有三个孩子", explicit=True, lang="zh") is None
    assert parse_months("分六期", explicit=True, lang="zh") == 6


@pytest.mark.parametrize(("text", "expected"), cases("callbacks"))
def test_callback_time(text, expected):
    found = parse_callback_time(text, now=NOW, lang="zh")
    if expected is None:
        assert found is None
        return
    assert found is not None and found.tzinfo is SHANGHAI
    assert found.replace(tzinfo=None) == datetime.fromisoformat(expected)


def test_a_callback_after_two_hours_is_elapsed_time_across_a_dst_change():
    new_york = ZoneInfo("America/New_York")
    before = datetime(2026, 11, 1, 0, 30, tzinfo=new_york)  # clocks go back at 02:00
    found = parse_callback_time("两个小时以后", now=before, lang="zh")
    assert found is not None and found.tzinfo is new_york
    assert found.timestamp() - before.timestamp() == 2 * 3600  # not three: wall clock 01:30 EST
    assert found.utcoffset() != before.utcoffset()


@pytest.mark.parametrize(("text", "expected"), cases("declines"))
def test_decline(text, expected):
    assert is_decline(text, lang="zh") is expected


@pytest.mark.parametrize(("text", "expected"), cases("splits"))
def test_promise_in_two_parts(text, expected):
    parts = read_parts(text, today=TODAY, balance=BALANCE, minimum_due=MINIMUM, lang="zh")
    if expected is None:
        assert parts is None
        return
    assert parts is not None
    (amount, when), (rest_amount, rest_when) = expected
    # The caller reads the first clause again with the same readers (phases/promise.py).
    first = read_amount(parts.first_text, balance=BALANCE, minimum_due=MINIMUM, lang="zh")
    assert str(first.value) == amount
    assert parse_pay_date(parts.first_text, today=TODAY, lang="zh").isoformat() == when
    assert ("rest" if parts.second.rest else str(parts.second.amount)) == rest_amount
    assert parts.second.date.isoformat() == rest_when


# --- the language switch -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "zh-CN", "zh_Hans", "ZH", "zh-TW"])
def test_every_zh_language_tag_reads_chinese(lang):
    assert parse_amount("两千", balance=BALANCE, minimum_due=MINIMUM, lang=lang) == Decimal(2000)
    assert parse_pay_date("下周三", today=TODAY, lang=lang) == date(2026, 12, 2)


@pytest.mark.parametrize("lang", ["en", "en-US", "fr", ""])
def test_any_other_language_reads_english_as_before(lang):
    kwargs = {"balance": BALANCE, "minimum_due": MINIMUM}
    assert parse_amount("两千", **kwargs, lang=lang) is None
    assert read_amount("i can do 200 on the 15th", **kwargs, lang=lang) == read_amount(
        "i can do 200 on the 15th", **kwargs
    )
    assert parse_pay_date("next friday", today=TODAY, lang=lang) == date(2026, 12, 4)
    assert read_pay_date("when i get paid", today=TODAY, lang=lang) is None
    assert parse_digits("one two three four", lang=lang) == "1234"
    assert parse_months("six months", lang=lang) == 6
    assert is_decline("no thanks", lang=lang) and not is_decline("不用了", lang=lang)
    assert format_money(BALANCE, "CNY", lang=lang) == "¥1,240.50"
    assert format_date(date(2026, 12, 15), lang=lang) == "Tuesday, December 15"


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1240.50", "CNY", "1,240.50元"),
        ("1240.5", "cny", "1,240.50元"),
        ("85", "CNY", "85.00元"),
        ("0.005", "CNY", "0.01元"),
        ("-0.001", "CNY", "0.00元"),
        ("1234567.891", "CNY", "1,234,567.89元"),
        ("1240.50", "USD", "$1,240.50"),
        ("1240.50", "JPY", "1,240.50 JPY"),
    ],
)
def test_chinese_money(amount, currency, expected):
    assert format_money(Decimal(amount), currency, lang="zh") == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 15), "12月15日（星期二）"),
        (date(2026, 12, 4), "12月4日（星期五）"),
        (date(2026, 11, 29), "11月29日（星期日）"),
        (date(2027, 1, 1), "1月1日（星期五）"),
    ],
)
def test_chinese_date(day, expected):
    assert format_date(day, lang="zh") == expected
