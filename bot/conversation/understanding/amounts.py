"""The amount a customer offers to pay, told apart from the dates and counts in one sentence.

Misspelled number and money words are put right first ("2 hundrd" is 200). A number next to a
word that looks like "hundred" or "thousand" but cannot be read ("2 hndrd") is uncertain: its
value is never the number without that word (2), and the dialogue asks again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.conversation.understanding.spelling import _distance, correct_spelling
from bot.conversation.understanding.words import (
    CENT,
    DAY_NAME,
    DURATION_UNIT,
    MONTH_NAME,
    NUMBER_PHRASE,
    NUMBER_WORD,
    ORDINAL_WORD,
    WEEKDAY_NAME,
    chinese,
    clean,
    spoken_number,
)

# Numbers that belong to dates, times, durations or counts are blanked out before looking for an
# amount, so "200 on the 15th" is 200 and "in 3 days" has no amount.

_NOT_AMOUNTS = re.compile(
    "|".join(
        [
            rf"\b{MONTH_NAME}\b\.?\s+(?:the\s+)?{DAY_NAME}(?:,?\s+\d{{4}}\b)?",
            rf"\b{DAY_NAME}\s+(?:of\s+)?{MONTH_NAME}\b(?:,?\s+\d{{4}}\b)?",
            rf"\b{WEEKDAY_NAME},?\s+the\s+\d{{1,2}}\b(?![.,]\d)",
            r"\b\d{1,2}(?:st|nd|rd|th)\b",
            rf"\b{ORDINAL_WORD}\b",
            r"\b(?:on|by|before|until|till|after)\s+the\s+\d{1,2}\b(?![.,]\d)",
            rf"\b(?:\d+|{NUMBER_PHRASE}|an?|a\s+couple\s+(?:of\s+)?|a\s+few)\s*-?\s*{DURATION_UNIT}",
            r"\bhalf\s+an?\s+hour\b",
            r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\b\.?|o'?clock\b)",
            r"\b\d{1,2}:\d{2}\b",
            r"\b(?:at|after|before|till|until|til)\s+(?:1[0-2]|0?[1-9])\b"
            r"(?![.,]\d|\s*(?:dollars?|bucks?|usd))",
            r"\b\d{4}-\d{1,2}-\d{1,2}\b",
            r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
            r"\b\d+(?:\.\d+)?\s*(?:%|percent\b)",
        ]
    )
)
_SIGN = r"(?P<sign>[$¥€£]|\b(?:usd|rmb|cny|eur|gbp)\b)?\s*"
_MONEY_UNIT = r"\s*(?:[$¥€£]|(?:dollars?|bucks?|usd|yuan|rmb|cny|euros?|pounds?|quid)\b)"
_DIGITS = r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]*\d)"
_PART = rf"(?:{_DIGITS}|{NUMBER_WORD}|\bgrand\b|\ban?(?=\s+(?:hundred|thousand|grand)\b))"
_AMOUNT = re.compile(
    rf"{_SIGN}(?P<num>{_PART}(?:[\s-]+(?:and\s+)?{_PART})*)(?P<k>\s*k\b)?(?P<unit>{_MONEY_UNIT})?"
)
_CENTS = re.compile(rf"\s*(?:\band\s+)?\b(?P<num>\d{{1,2}}|{NUMBER_PHRASE})\s*(?:cents?|c)\b")
_HALF = re.compile(r"\bhalf\b")
_MINIMUM = re.compile(r"\b(?:min(?:imum)?|the\s+least|the\s+lowest)\b")
_FULL = re.compile(
    r"\b(?:full|all\s+of\s+it|it\s+all|all\s+at\s+once|everything|whole|entire|total"
    r"|balance|the\s+rest|remaining|remainder)\b"
)
_SCALE_WORDS = ("hundred", "thousand", "million", "grand")
_SCALE_PREFIXES = ("hun", "thou", "mil", "gran")


@dataclass(frozen=True)
class AmountReading:
    """What the customer's amount was read as. `value` is None when `uncertain`: a word of the
    number could not be read. `corrected`: a misspelled word was read, so read it back."""

    value: Decimal | None
    uncertain: bool = False
    corrected: bool = False


def _looks_like_a_scale(word: str) -> bool:
    if word in _SCALE_WORDS:
        return False
    return word.startswith(_SCALE_PREFIXES) or any(
        word[:1] == scale[0] and _distance(word, scale, 3) <= 3 for scale in _SCALE_WORDS
    )


def _next_word(s: str, end: int) -> str:
    m = re.match(r"\s*(?:and\s+)?([a-z]+)", s[end:])
    return m.group(1) if m else ""


def _previous_word(s: str, start: int) -> str:
    m = re.search(r"([a-z]+)\s*$", s[:start])
    return m.group(1) if m else ""


def read_amount(
    text: str, *, balance: Decimal, minimum_due: Decimal, lang: str = "en"
) -> AmountReading | None:
    """The amount the customer offers to pay, or None when the text names none.

    A number wins over a keyword ("not in full, just 200" -> 200). Among numbers, one with a
    currency sign or word or "k" wins, then one with digits, else the first. Spelled numbers
    below ten count only with a money word ("five bucks"), since "one" is too often not an
    amount ("in one go"). "half" is half the balance rounded half-up to cents;
    "min"/"minimum"/"the least" is ``minimum_due``; "full", "the whole balance", "the rest",
    "everything" is ``balance``. ``lang`` "zh…" reads Chinese (understanding/zh/amounts.py).
    """
    if chinese(lang):
        from bot.conversation.understanding.zh.amounts import read_amount as read_chinese

        return read_chinese(text, balance=balance, minimum_due=minimum_due)
    plain = clean(text)
    s = correct_spelling(plain)
    corrected = s != plain
    s = re.sub(r"(?<=\d)(?=hundred|thousand|grand|million)", " ", s)  # "2hundred"
    s = _NOT_AMOUNTS.sub(
        " ", re.sub(r"\b(?:a\s+)?couple\s+(?:of\s+)?(?=hundred|thousand|grand)", "two ", s)
    )
    candidates = []
    for m in _AMOUNT.finditer(s):
        if _looks_like_a_scale(_next_word(s, m.end())) or _looks_like_a_scale(
            _previous_word(s, m.start())
        ):
            return AmountReading(None, uncertain=True, corrected=corrected)
        if re.match(r"\s*(?:cents?|c)\b", s[m.end() :]) and not m["unit"]:
            continue  # "50 cents": read below
        words = re.sub(r"(?<=\d),(?=\d{3})", "", m["num"])
        value = spoken_number(words)
        if value is None and re.search(r"\d", words):
            # "1 500", "100 200": never one part of it
            return AmountReading(None, uncertain=True, corrected=corrected)
        if value is None:
            continue
        has_digits = any(c.isdigit() for c in m["num"])
        value *= 1000 if m["k"] else 1
        cents = _CENTS.match(s, m.end())
        if m["unit"] and cents:
            value += (spoken_number(cents["num"]) or 0) / 100
        money = bool(m["sign"] or m["unit"] or m["k"])
        if money or has_digits or value >= 10:
            candidates.append((not money, not has_digits, m.start(), value))
    if candidates:
        value = min(candidates)[3]
        return AmountReading(value.quantize(CENT, ROUND_HALF_UP), corrected=corrected)
    cents_only = _CENTS.search(s)
    if cents_only and spoken_number(cents_only["num"]) is not None:
        return AmountReading((spoken_number(cents_only["num"]) / 100).quantize(CENT))
    if _HALF.search(s):
        return AmountReading((balance / 2).quantize(CENT, ROUND_HALF_UP), corrected=corrected)
    if _MINIMUM.search(s):
        return AmountReading(minimum_due, corrected=corrected)
    if _FULL.search(s):
        return AmountReading(balance, corrected=corrected)
    return None


def parse_amount(
    text: str, *, balance: Decimal, minimum_due: Decimal, lang: str = "en"
) -> Decimal | None:
    """The amount (see `read_amount`), or None when there is none or it is uncertain."""
    reading = read_amount(text, balance=balance, minimum_due=minimum_due, lang=lang)
    return reading.value if reading else None
