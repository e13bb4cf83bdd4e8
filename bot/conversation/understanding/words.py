"""The words customers use for numbers, weekdays, months and days of the month: the vocabulary
(as regex pieces) and the small readers every parser here shares.

Spoken numbers are read here rather than by word2number, which reads "two fifty" as 52 and
"fifty five hundred" as 350: customers say both, meaning 250 and 5500."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")

MONTHS = (
    "january february march april may june july august september october november december"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
MONTH_NAME = (
    r"(?:january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug"
    r"|september|sept|sep|october|oct|november|nov|december|dec)"
)
WEEKDAY_NAME = (
    r"(?:monday|mon|tuesday|tues|tue|wednesday|weds|wed|thursday|thurs|thur|thu"
    r"|friday|fri|saturday|sat|sunday|sun)"
)
ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth"
    " fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
ORDINAL_WORD = rf"(?:(?:twenty|thirty)[\s-]?)?(?:{'|'.join(ORDINALS)}|thirtieth)"
DAY_NAME = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{ORDINAL_WORD})\b"  # "5", "5th", "fifth"
MONTH = rf"\b(?P<month>{MONTH_NAME})\b\.?"
WEEKDAY = rf"\b(?P<weekday>{WEEKDAY_NAME})\b"
DAY = rf"(?P<day>{DAY_NAME})"
DAY_ORD = rf"(?P<day>\d{{1,2}}(?:st|nd|rd|th)\b|{ORDINAL_WORD}\b)"  # needs a suffix: "15th"
NUMBER_WORD = (
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million)\b"
)
NUMBER_PHRASE = rf"{NUMBER_WORD}(?:[\s-]+(?:and\s+)?{NUMBER_WORD})*"
COUNT = rf"(?P<n>\d+|{NUMBER_PHRASE}|an?)"
DURATION_UNIT = (
    r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|minutes?|mins?"
    r"|(?:monthly\s+)?(?:payments?|installments?|instalments?))\b"
)


def chinese(lang: str | None) -> bool:
    """ "zh", "zh-CN", "zh_Hans" are read by the Chinese readers (understanding/zh/); any other
    language by the English ones."""
    return (lang or "").lower().startswith("zh")


def clean(text: str) -> str:
    """Lower-case and collapse whitespace so the patterns can stay simple."""
    return " ".join(text.replace("\u2019", "'").lower().split())


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
SMALL_NUMBERS = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "million": 1_000_000}


def spoken_number(words: str) -> Decimal | None:
    """The value of a number in words, digits or both: "two hundred and fifty", "2 hundred",
    "1.5 thousand", "fifty five hundred" (5500), "two fifty" (250), "nineteen eighty five".

    Two numbers below a hundred in a row are read as people say prices and years ("two fifty",
    "nineteen eighty five"); a word that is not a number makes the whole phrase None.
    """
    total, current, seen = Decimal(0), Decimal(0), False
    tokens = re.split(r"[\s-]+", words.strip())
    for i, word in enumerate(tokens):
        if word == "and" and 0 < i < len(tokens) - 1:
            continue
        if word in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1] in SCALES:
            value: Decimal | None = Decimal(1)
        elif re.fullmatch(r"\d+(?:\.\d+)?", word):
            if seen and current % 100 and tokens[i - 1] not in SCALES:
                return None  # "100 200": two amounts, not one
            value = Decimal(word)
        else:
            value = Decimal(SMALL_NUMBERS[word]) if word in SMALL_NUMBERS else None
        if word in SCALES:
            scale = SCALES[word]  # alone, "hundred" is a hundred
            if scale == 100:
                current = (current or 1) * 100
            else:
                total, current = total + (current or 1) * scale, Decimal(0)
            seen = True
            continue
        if value is None:
            return None
        if not seen or (current == 0 and total):
            current = value
        elif current % 100 == 0 and value < 100:
            current += value  # "one hundred fifty"
        elif current % 10 == 0 and value < 10:
            current += value  # "twenty five"
        elif current < 100 and value < 100:
            current = current * 100 + value  # "two fifty", "nineteen eighty"
        else:
            return None
        seen = True
    return total + current if seen else None


def number(words: str) -> int | None:
    """Read "12", "twelve", "twenty-one" or "a" as an int."""
    words = words.strip()
    if words.isdigit():
        return int(words)
    if words in ("a", "an"):
        return 1
    value = spoken_number(words)
    return int(value) if value is not None and value == int(value) else None


def day_number(token: str) -> int:
    """Day number of "15th" (15) or "twenty-first" (21)."""
    if token[0].isdigit():
        return int(re.match(r"\d+", token).group())
    parts = re.split(r"[\s-]+", token)
    tens = {"twenty": 20, "thirty": 30}.get(parts[0], 0)
    last = parts[-1]
    return tens + (30 if last == "thirtieth" else ORDINALS.index(last) + 1)


def month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name[:3]) + 1


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
