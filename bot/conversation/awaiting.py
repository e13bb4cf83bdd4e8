"""The question the bot is waiting on. The engine asks it, the wording words it and the phone's
keypad menu offers keys for it, all by this one name.

The conversation state is JSON in a Rasa slot, so the state keeps the plain string (the enum's
value, unchanged since the names were bare strings): state saved by any earlier version loads.
"""

from __future__ import annotations

from enum import Enum


class Awaiting(str, Enum):
    # Before verification: nothing asked here may speak of the debt.
    IDENTITY = "identity"
    THIRD_PARTY_CALLBACK = "third_party_callback"
    VERIFICATION = "verification"
    CALLBACK_TIME = "callback_time"
    HUMAN_OFFER = "human_offer"
    # After verification.
    OFFER = "offer"
    PROMISE_DETAILS = "promise_details"
    PROMISE_AMOUNT = "promise_amount"
    PROMISE_DATE = "promise_date"
    PROMISE_CONFIRM = "promise_confirm"
    COUNTER_OFFER = "counter_offer"
    INSTALMENT_OFFER = "instalment_offer"
    INSTALMENT_MONTHS = "instalment_months"
    INSTALMENT_CONFIRM = "instalment_confirm"
    ALREADY_PAID_DETAILS = "already_paid_details"
    EXTENSION_PLAN = "extension_plan"
    ANYTHING_ELSE = "anything_else"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def read(cls, value: str | None) -> Awaiting | None:
        """The awaited question of a saved state (a plain string, or None once ended)."""
        return None if value is None else cls(value)


# Asked before the customer is verified; the tests check their wording holds no word of the debt.
PRE_VERIFICATION = (
    Awaiting.IDENTITY,
    Awaiting.VERIFICATION,
    Awaiting.THIRD_PARTY_CALLBACK,
    Awaiting.CALLBACK_TIME,
    Awaiting.HUMAN_OFFER,
)
