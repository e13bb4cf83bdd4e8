"""A promise in two parts in one Chinese message: "先还两千，剩下的月底还", "这周五还一千，
下个月15号再还一千".

The message is split at a clause break (a comma, "然后", where "剩下的"/"其余的" or a date
begins) when the second clause names a date of its own and either another amount or the rest,
the first clause names an amount and a date ("先还…" with no date is today), and the second date
comes after the first. Anything else is one promise, as in English (understanding/parts.py).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bot.conversation.understanding.parts import Part, TwoParts
from bot.conversation.understanding.zh.amounts import read_amount
from bot.conversation.understanding.zh.dates import DATE_RULES, read_pay_date
from bot.conversation.understanding.zh.numbers import normalize

_REST = r"剩下|剩余|余下|其余|其他的|尾款|余款|另外一半|另一半"
_JOIN = re.compile(rf"[,;.!?~]\s*(?:然后|之后|再)?|\s*(?:然后|之后)|(?={_REST})")
_REST_WORDS = re.compile(_REST)


def _cuts(s: str) -> list[tuple[int, int]]:
    """Where the second clause may begin: a clause break, or (speech has no commas) where a
    date begins, "周一还四百下个月5号还剩余的"."""
    cuts = {(m.start(), m.end()) for m in _JOIN.finditer(s)}
    cuts |= {(m.start(), m.start()) for pattern, _ in DATE_RULES for m in pattern.finditer(s)}
    return sorted(cuts)


def read_parts(
    text: str, *, today: date, balance: Decimal, minimum_due: Decimal
) -> TwoParts | None:
    """The two parts the Chinese message names, or None when it names one promise (or none)."""
    s = normalize(text)
    for start, end in _cuts(s):
        first, second = s[:start].strip(), s[end:].strip()
        if not first or not second:
            continue
        first_date = read_pay_date(first, today=today)
        second_date = read_pay_date(second, today=today)
        if not (first_date and first_date.value and second_date and second_date.value):
            continue
        if second_date.value <= first_date.value:
            continue
        first_amount = read_amount(first, balance=balance, minimum_due=minimum_due)
        if not (first_amount and first_amount.value is not None):
            continue
        reading = read_amount(second, balance=balance, minimum_due=minimum_due)
        rest = bool(_REST_WORDS.search(second)) and (reading is None or reading.value == balance)
        if "一半" in second and first_amount.value == (balance / 2).quantize(Decimal("0.01")):
            rest = True  # "先还一半，另一半下个月": the other half is the rest
        if rest:
            return TwoParts(first, Part(None, second_date.value, rest=True))
        if reading and reading.value is not None:
            return TwoParts(first, Part(reading.value, second_date.value))
    return None
