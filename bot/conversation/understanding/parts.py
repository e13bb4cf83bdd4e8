"""A promise in two parts in one message: "i'll pay 100 friday and the rest next month".

The message is split where a second clause begins ("and", "then", "plus", a comma) that names
a date of its own and either another amount or the rest of the balance. The first clause must
name an amount and a date, and the second date must come after the first: anything else is
one promise, read as before (a spoken "two hundred and fifty on friday" is never cut at its
"and").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.conversation.understanding.amounts import read_amount
from bot.conversation.understanding.dates import read_pay_date
from bot.conversation.understanding.spelling import correct_spelling
from bot.conversation.understanding.words import chinese, clean

_JOIN = re.compile(r"(?:[,;]\s*|\s+)(?:and\s+|then\s+|plus\s+)+|[,;]\s*")
_REST = re.compile(
    r"\b(?:the\s+)?(?:rest|remainder|remaining|balance|what'?s\s+left|whatever'?s\s+left"
    r"|everything\s+else|the\s+other\s+half)\b"
)


@dataclass(frozen=True)
class Part:
    """One part of a promise. `rest`: "the rest", its amount is the balance less what comes
    before it (worked out when the parts are checked, as the first amount may be corrected)."""

    amount: Decimal | None
    date: date
    rest: bool = False


@dataclass(frozen=True)
class TwoParts:
    first_text: str  # the first clause, read as a single promise
    second: Part


def read_parts(
    text: str, *, today: date, balance: Decimal, minimum_due: Decimal, lang: str = "en"
) -> TwoParts | None:
    """The two parts the message names, or None when it names one promise (or none).
    ``lang`` "zh…" reads Chinese clauses ("先还两千，剩下的月底还")."""
    if chinese(lang):
        from bot.conversation.understanding.zh.parts import read_parts as chinese_parts

        return chinese_parts(text, today=today, balance=balance, minimum_due=minimum_due)
    s = correct_spelling(clean(text))
    for join in _JOIN.finditer(s):
        first, second = s[: join.start()], s[join.end() :]
        first_date = read_pay_date(first, today=today)
        second_date = read_pay_date(second, today=today)
        if not (first_date and first_date.value and second_date and second_date.value):
            continue
        if second_date.value <= first_date.value:
            continue
        if not _names_an_amount(first, balance, minimum_due):
            continue
        reading = read_amount(second, balance=balance, minimum_due=minimum_due)
        rest = bool(_REST.search(second)) and (reading is None or reading.value == balance)
        if rest:
            return TwoParts(first, Part(None, second_date.value, rest=True))
        if reading and reading.value is not None:
            return TwoParts(first, Part(reading.value, second_date.value))
    return None


def _names_an_amount(clause: str, balance: Decimal, minimum_due: Decimal) -> bool:
    reading = read_amount(clause, balance=balance, minimum_due=minimum_due)
    return bool(reading and reading.value is not None)
