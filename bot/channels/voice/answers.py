"""When a caller's words already form a whole answer to the awaited question, so the call can end
the turn after the short silence (telephony's `Prompt.is_complete`) instead of the long one.

A yes/no or digits turn is whole once its phrase or all its digits are heard (menu.py). Free
speech is whole when the conversation's own readers (bot/conversation/understanding) find in it
everything the question asks for: an amount and a date for "how much and when?" (and for the
offer, which invites one), a date of birth (or the four digits) for verification, a month count
for "over how many months?". The readers
run on the recogniser's partial text while the caller pauses; a caller who goes on speaking
after the pause resets the flag (telephony/vad.py), so a longer answer is never cut short by
its first half being whole already.

Only what a value is found matters here, not which value: the balance and today are
placeholders, since "the full amount" or "yesterday" is a whole answer whatever the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from bot.conversation.awaiting import Awaiting
from bot.conversation.understanding.amounts import read_amount
from bot.conversation.understanding.dates import read_pay_date
from bot.conversation.understanding.digits import parse_digits
from bot.conversation.understanding.dob import parse_dob
from bot.conversation.understanding.months import parse_months

Check = Callable[[str], bool]
_OWED = {"balance": Decimal("1000.00"), "minimum_due": Decimal("100.00")}


def has_amount(heard: str, lang: str = "en") -> bool:
    reading = read_amount(heard, **_OWED, lang=lang)
    return reading is not None and reading.value is not None


def has_date(heard: str, lang: str = "en") -> bool:
    reading = read_pay_date(heard, today=date.today(), lang=lang)
    return reading is not None and (reading.value is not None or reading.past is not None)


def has_dob(heard: str, lang: str = "en") -> bool:
    return parse_dob(heard, today=date.today(), lang=lang) is not None


def has_months(heard: str, lang: str = "en") -> bool:
    return parse_months(heard, lang=lang) is not None


def has_last_four(heard: str, lang: str = "en") -> bool:
    return parse_digits(heard, length=4, lang=lang) is not None


# What each question needs, all of it: the readers that must each find their value.
_NEEDS: dict[Awaiting, tuple[Callable[[str, str], bool], ...]] = {
    # "Can you pay the minimum today? You can also tell me an amount and a date...": a bare
    # "yes" may go on ("yes, but only 50 on Friday"), an amount and a date is the whole offer.
    Awaiting.OFFER: (has_amount, has_date),
    Awaiting.PROMISE_DETAILS: (has_amount, has_date),
    Awaiting.PROMISE_AMOUNT: (has_amount,),
    Awaiting.PROMISE_DATE: (has_date,),
    Awaiting.INSTALMENT_MONTHS: (has_months,),
}


def whole_answer(awaiting: Awaiting | None, lang: str = "en") -> Check | None:
    """The check for free speech answering `awaiting`, or None when no answer is whole before
    the caller falls silent (an open question: "how can I help?")."""
    if awaiting is Awaiting.VERIFICATION:
        # Four digits (typed into speech) or a date of birth: either verifies.
        return lambda heard: has_last_four(heard, lang) or has_dob(heard, lang)
    needs = _NEEDS.get(awaiting) if awaiting else None
    if not needs:
        return None
    return lambda heard: all(need(heard, lang) for need in needs)
