"""Misspelled words of numbers, money, dates and the conversation ("hundrd", "thousnd",
"minimun", "balence", "wensday", "febuary") put right before the parsers read the text.

Only words of five letters or more are corrected, and only towards the bot's own vocabulary, by
at most one edit (two for words of eight letters or more), a swap of neighbours counting as one.
Short words are left alone: "for", "to", "won", "fine" and "ten" are too close to each other
and to everyday English. A word nearly as close to two vocabulary words is left too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.conversation.understanding.words import MONTHS, WEEKDAYS

_NUMBERS = (
    "three seven eight eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen"
    " nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million"
).split()
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
    " thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
    " thirtieth"
).split()
_MONEY = "dollars dollar bucks cents grand yuan euros pounds".split()
_CONVERSATION = (
    "minimum balance payment payments instalment instalments installment installments"
    " amount tomorrow today weekend months weeks remainder"
).split()
# On a tie, the earlier group wins ("ninty" is ninety, not ninth).
_GROUPS = (_NUMBERS + _MONEY + _CONVERSATION, MONTHS + WEEKDAYS, _ORDINALS)
_RANK = {word: rank for rank, group in enumerate(_GROUPS) for word in group}
VOCABULARY = frozenset(_RANK)

# Everyday words one edit from a vocabulary word: never "corrected".
_KEEP = frozenset(
    "there these those where other seven sever never forth month mouth eight weight might night"
    " right light sight fight tight dirty thirst thirsty thirds minim minus maximum balanced"
    " payday paying weekly weekday monthly twenties thousands hundreds millions seconds mayday"
    " marched doable todays collars reminder reminders reminded remained".split()
)
_WORD = re.compile(r"[a-z]{5,}")


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with a swap of neighbours as one edit (optimal string alignment)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


@lru_cache(maxsize=4096)
def corrected(word: str) -> str:
    """The vocabulary word `word` is a misspelling of, or `word` itself."""
    if len(word) < 5 or word in VOCABULARY or word in _KEEP:
        return word
    limit = 2 if len(word) >= 7 else 1
    # "nineth" is ninth, not ninety: a word ending in -th ranks the ordinals first.
    ordinal = word.endswith("th")
    scored = sorted(
        (_distance(word, v, limit), -_RANK[v] if ordinal else _RANK[v], v) for v in VOCABULARY
    )
    distance, rank, best = scored[0]
    if distance > limit or scored[1][:2] == (distance, rank):
        return word  # nothing close, or as close to two words of a kind: do not guess
    return best


def correct_spelling(text: str) -> str:
    """`text` (already clean, lower-case) with misspelled vocabulary words put right."""
    return _WORD.sub(lambda m: corrected(m.group()), text)
