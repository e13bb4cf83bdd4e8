"""A promise to pay: an amount and a date, checked against the policy, read back, recorded with
a receipt. Or paying now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.plans import check_promise
from bot.conversation.understanding.amounts import read_amount
from bot.conversation.understanding.dates import read_pay_date
from bot.conversation.understanding.parts import Part, read_parts

# While one of these is awaited, a message with neither an amount nor a date is still an answer.
PROMISE_QUESTIONS = (
    Awaiting.PROMISE_AMOUNT,
    Awaiting.PROMISE_DATE,
    Awaiting.PROMISE_DETAILS,
    Awaiting.COUNTER_OFFER,
)


@dataclass(frozen=True)
class Heard:
    """The promise values one message holds."""

    amount: Decimal | None = None
    amount_unclear: bool = False  # a word of the number could not be read ("2 hndrd")
    date: date | None = None
    date_passed: date | None = None
    then: Part | None = None  # a second part: "... and the rest next month"

    @property
    def anything(self) -> bool:
        return bool(
            self.amount is not None
            or self.date
            or self.amount_unclear
            or self.date_passed
            or self.then
        )


def hear(run: Run) -> Heard:
    """The amount and the date in the customer's message (several values in one message are
    all taken: "i'll pay 100 friday"). For the date Rasa's entity is tried first."""
    acct, today, entities, lang = run.account, run.ctx.today, run.turn.entities, run.lang
    owed = {"balance": acct.balance, "minimum_due": acct.minimum_due}
    parts = read_parts(run.turn.text, today=today, **owed, lang=lang)
    if parts:
        # Each part from its own clause: Rasa's entities may come from either.
        first = read_amount(parts.first_text, **owed, lang=lang)
        first_date = read_pay_date(parts.first_text, today=today, lang=lang)
        return Heard(amount=first.value, date=first_date.value, then=parts.second)
    # The whole message first: Rasa's entity may be a fragment ("fifty" of "one hundred and
    # fifty"), and a fragment of a number must never be taken for it.
    amount = read_amount(run.turn.text, **owed, lang=lang)
    if amount is None and entities.get("amount"):
        amount = read_amount(entities["amount"], **owed, lang=lang)
    when = read_pay_date(run.entity_or_text("pay_date"), today=today, lang=lang)
    if (when is None or when.value is None) and entities.get("pay_date"):
        when = read_pay_date(run.turn.text, today=today, lang=lang) or when
    return Heard(
        amount=amount.value if amount else None,
        amount_unclear=bool(amount and amount.uncertain),
        date=when.value if when else None,
        date_passed=when.past if when else None,
    )


def implausible(run: Run, amount: Decimal) -> bool:
    """Far below the minimum or above the balance: read back before it is taken."""
    acct, share = run.account, run.ctx.policy.check_below_share_of_minimum
    return amount > acct.balance or amount < acct.minimum_due * share


def fill_promise(run: Run, heard: Heard | None = None) -> None:
    pending = run.state["pending"]
    heard = heard or hear(run)
    if not heard.anything and run.awaiting not in PROMISE_QUESTIONS:
        run.ask(Awaiting.PROMISE_DETAILS)
        return
    if heard.amount_unclear:
        pending.pop("amount", None)
        run.say(text("promise.amount_unclear", run.lang))
    if heard.date_passed and not heard.date:
        pending.pop("date", None)
        run.say(text("promise.date_passed", run.lang, date=run.day(heard.date_passed)))
    if heard.date is not None and heard.then is None and say.rest_awaits_a_date(pending):
        # The answer to "could you pay the rest by ...?": the second part's date.
        pending["second"] = {**pending["second"], "date": heard.date.isoformat()}
    elif heard.date is not None:
        pending["date"] = heard.date.isoformat()  # a correction: the first (pending) date
    if heard.then is not None:
        pending["second"] = {
            "amount": heard.then.amount and str(heard.then.amount),
            "date": heard.then.date.isoformat(),
            "rest": heard.then.rest,
        }
    if heard.amount is not None and implausible(run, heard.amount):
        pending.pop("amount", None)
        pending["check_amount"] = str(heard.amount)
        run.ask(Awaiting.PROMISE_AMOUNT)
        return
    pending.pop("check_amount", None)
    if heard.amount is not None:
        pending["amount"] = str(heard.amount)
    advance_promise(run)


def checked_amount(run: Run, agreed: bool) -> None:
    """The answer to the read-back of an implausible amount."""
    pending = run.state["pending"]
    check = Decimal(pending.pop("check_amount"))
    if agreed:
        pending["amount"] = str(min(check, run.account.balance))
        advance_promise(run)
        return
    run.say(text("common.no_problem", run.lang))
    run.ask(Awaiting.PROMISE_AMOUNT)


def differs_from_pending(run: Run, heard: Heard) -> bool:
    """ "yes, but make it monday": a value other than the one read back."""
    pending = run.state["pending"]
    new_amount = heard.amount is not None and str(heard.amount) != pending.get("amount")
    new_date = heard.date is not None and heard.date.isoformat() != pending.get("date")
    new_second = heard.then is not None and heard.then.date.isoformat() != (
        pending.get("second") or {}
    ).get("date")
    return new_amount or new_date or new_second or heard.amount_unclear


def advance_promise(run: Run) -> None:
    acct, pending = run.account, run.state["pending"]
    if "amount" not in pending:
        run.ask(Awaiting.PROMISE_AMOUNT)
        return
    if "date" not in pending:
        run.ask(Awaiting.PROMISE_DATE)
        return
    check = check_promise(
        amount=Decimal(pending["amount"]),
        pay_date=date.fromisoformat(pending["date"]),
        today=run.ctx.today,
        balance=acct.balance,
        minimum_due=acct.minimum_due,
        policy=run.ctx.policy,
    )
    pending["amount"] = str(check.amount)
    pending["latest"] = check.latest_date.isoformat()
    minimum = run.money(acct.minimum_due)
    if check.problem == "too_late":
        pending.pop("date")
        run.say(text("promise.too_late", run.lang, days=run.ctx.policy.promise_max_days_ahead))
        run.ask(Awaiting.COUNTER_OFFER)
    elif check.problem == "below_minimum":
        pending.pop("amount")
        run.say(text("promise.below_minimum", run.lang, minimum=minimum))
        run.ask(Awaiting.PROMISE_AMOUNT)
    elif check.problem == "not_positive":
        pending.pop("amount")
        run.ask(Awaiting.PROMISE_AMOUNT)
    elif check.problem:
        pending.pop("date")
        run.ask(Awaiting.PROMISE_DATE)
    elif second_part_ok(run):
        second = pending.get("second")
        total = check.amount + (Decimal(second["amount"]) if second else 0)
        pending["partial"] = check.partial and total < acct.minimum_due
        if pending["partial"]:
            run.say(text("promise.partial", run.lang, minimum=minimum))
        run.ask(Awaiting.PROMISE_CONFIRM)


def second_part_ok(run: Run) -> bool:
    """The second part of a promise in two parts, checked like a single promise (the first is
    checked already). Its amount is at most what the first leaves of the balance; "the rest" is
    all of that. True when there is none or it passes; otherwise the bot has said why and asked."""
    acct, pending = run.account, run.state["pending"]
    second = pending.get("second")
    if not second:
        return True
    remaining = acct.balance - Decimal(pending["amount"])
    amount = remaining if second["rest"] else min(Decimal(second["amount"]), remaining)
    if amount <= 0:  # the first part pays it all: one promise
        pending.pop("second")
        return True
    pending["second"] = second = {**second, "amount": str(amount)}
    if "date" not in second:  # its date broke the policy: the counter-offer stands
        run.ask(Awaiting.COUNTER_OFFER)
        return False
    check = check_promise(
        amount=amount,
        pay_date=date.fromisoformat(second["date"]),
        today=run.ctx.today,
        balance=remaining,
        minimum_due=Decimal(0),  # the minimum is the first part's to meet, or the two together
        policy=run.ctx.policy,
    )
    if check.problem:  # too late: the only problem left once the parts are read
        pending["second"] = {k: v for k, v in second.items() if k != "date"}
        run.say(text("promise.too_late", run.lang, days=run.ctx.policy.promise_max_days_ahead))
        run.ask(Awaiting.COUNTER_OFFER)
        return False
    return True


def take_latest_date(run: Run) -> None:
    """A yes to "could you pay by <the latest date>?", for whichever part it was asked."""
    pending = run.state["pending"]
    if say.rest_awaits_a_date(pending):
        pending["second"] = {**pending["second"], "date": pending["latest"]}
    else:
        pending["date"] = pending["latest"]
    advance_promise(run)


def _record_one(run: Run, amount: Decimal, due: date, follow_up: date | None) -> str:
    promise_id = uuid.uuid4().hex
    run.record(
        "promise",
        id=promise_id,
        amount=str(amount),
        currency=run.account.currency,
        due_date=due.isoformat(),
        follow_up_on=follow_up and follow_up.isoformat(),
    )
    return promise_id[:8].upper()


def record_promise(run: Run) -> None:
    pending, lang = run.state["pending"], run.lang
    amount, due = Decimal(pending["amount"]), date.fromisoformat(pending["date"])
    second = pending.get("second")
    last_due = date.fromisoformat(second["date"]) if second else due
    follow_up = (
        last_due + timedelta(days=run.ctx.policy.follow_up_days_after_partial)
        if pending.get("partial")
        else None
    )
    if second:
        # Two promise rows, one a part: each is kept and followed up like a single promise.
        rest, rest_due = Decimal(second["amount"]), date.fromisoformat(second["date"])
        reference = _record_one(run, amount, due, None)
        rest_reference = _record_one(run, rest, rest_due, follow_up)
        words = text(
            "captured.promise_in_two_parts",
            lang,
            amount=run.money(amount),
            date=run.day(due),
            rest_amount=run.money(rest),
            rest_date=run.day(rest_due),
        )
        receipt = text(
            "promise.receipt_in_two_parts",
            lang,
            amount=run.money(amount),
            rest_amount=run.money(rest),
            due_date=due.isoformat(),
            rest_due_date=rest_due.isoformat(),
            reference=reference,
            rest_reference=rest_reference,
        )
    else:
        reference = _record_one(run, amount, due, follow_up)
        words = text("captured.promise", lang, amount=run.money(amount), date=run.day(due))
        receipt = text(
            "promise.receipt",
            lang,
            amount=run.money(amount),
            due_date=due.isoformat(),
            reference=reference,
        )
    run.outcome("promise_to_pay", words)
    run.state["pending"] = {}
    run.say(text("promise.recorded", lang, captured=words))
    run.say(receipt)
    if follow_up:
        run.say(text("promise.follow_up", lang, date=run.day(follow_up)))
    run.ask(Awaiting.ANYTHING_ELSE)


def pay_now(run: Run) -> None:
    run.outcome("pay_now", text("captured.pay_now", run.lang))
    run.say(say.payment_options(run.ctx.bank, run.ctx.policy, run.lang))
    run.ask(Awaiting.ANYTHING_ELSE)
