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
from bot.conversation.understanding.formatting import format_date

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

    @property
    def anything(self) -> bool:
        return bool(self.amount is not None or self.date or self.amount_unclear or self.date_passed)


def hear(run: Run) -> Heard:
    """The amount and the date in the customer's message (several values in one message are
    all taken: "i'll pay 100 friday"). Rasa's entity is tried first, then the whole text."""
    acct, today, entities = run.account, run.ctx.today, run.turn.entities
    amount = read_amount(
        run.entity_or_text("amount"), balance=acct.balance, minimum_due=acct.minimum_due
    )
    if (amount is None or amount.uncertain) and entities.get("amount"):
        amount = read_amount(run.turn.text, balance=acct.balance, minimum_due=acct.minimum_due)
    when = read_pay_date(run.entity_or_text("pay_date"), today=today)
    if (when is None or when.value is None) and entities.get("pay_date"):
        when = read_pay_date(run.turn.text, today=today) or when
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
        run.say(text("promise.amount_unclear"))
    if heard.date_passed and not heard.date:
        pending.pop("date", None)
        run.say(text("promise.date_passed", date=format_date(heard.date_passed)))
    if heard.date is not None:
        pending["date"] = heard.date.isoformat()
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
    run.say(text("common.no_problem"))
    run.ask(Awaiting.PROMISE_AMOUNT)


def differs_from_pending(run: Run, heard: Heard) -> bool:
    """ "yes, but make it monday": a value other than the one read back."""
    pending = run.state["pending"]
    new_amount = heard.amount is not None and str(heard.amount) != pending.get("amount")
    new_date = heard.date is not None and heard.date.isoformat() != pending.get("date")
    return new_amount or new_date or heard.amount_unclear


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
    minimum = say.money(acct, acct.minimum_due)
    if check.problem == "too_late":
        pending.pop("date")
        run.say(text("promise.too_late", days=run.ctx.policy.promise_max_days_ahead))
        run.ask(Awaiting.COUNTER_OFFER)
    elif check.problem == "below_minimum":
        pending.pop("amount")
        run.say(text("promise.below_minimum", minimum=minimum))
        run.ask(Awaiting.PROMISE_AMOUNT)
    elif check.problem == "not_positive":
        pending.pop("amount")
        run.ask(Awaiting.PROMISE_AMOUNT)
    elif check.problem:
        pending.pop("date")
        run.ask(Awaiting.PROMISE_DATE)
    else:
        pending["partial"] = check.partial
        if check.partial:
            run.say(text("promise.partial", minimum=minimum))
        run.ask(Awaiting.PROMISE_CONFIRM)


def record_promise(run: Run) -> None:
    acct, pending = run.account, run.state["pending"]
    amount, due = Decimal(pending["amount"]), date.fromisoformat(pending["date"])
    promise_id = uuid.uuid4().hex
    follow_up = (
        due + timedelta(days=run.ctx.policy.follow_up_days_after_partial)
        if pending.get("partial")
        else None
    )
    run.record(
        "promise",
        id=promise_id,
        amount=str(amount),
        currency=acct.currency,
        due_date=due.isoformat(),
        follow_up_on=follow_up and follow_up.isoformat(),
    )
    words = text("captured.promise", amount=say.money(acct, amount), date=format_date(due))
    run.outcome("promise_to_pay", words)
    run.state["pending"] = {}
    run.say(text("promise.recorded", captured=words))
    run.say(
        text(
            "promise.receipt",
            amount=say.money(acct, amount),
            due_date=due.isoformat(),
            reference=promise_id[:8].upper(),
        )
    )
    if follow_up:
        run.say(text("promise.follow_up", date=format_date(follow_up)))
    run.ask(Awaiting.ANYTHING_ELSE)


def pay_now(run: Run) -> None:
    run.outcome("pay_now", text("captured.pay_now"))
    run.say(say.payment_options(run.ctx.bank, run.ctx.policy))
    run.ask(Awaiting.ANYTHING_ELSE)
