"""What the bot says: which catalog message (bot/conversation/messages/) fits the moment, filled
with the account's values. The sentences themselves live in the catalog, not here.

Before verification nothing may mention the debt, a balance or collection;
`PRE_VERIFICATION_PROMPTS` is checked by the tests for exactly that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.conversation.awaiting import Awaiting
from bot.conversation.facts import AccountFacts
from bot.conversation.messages import template, text
from bot.conversation.plans import InstalmentPlan
from bot.conversation.policy import Policy
from bot.conversation.understanding.formatting import format_date, format_money


@dataclass(frozen=True)
class Bank:
    name: str
    phone: str
    payment_url: str


def money(account: AccountFacts, amount) -> str:
    # State keeps amounts as strings (it is JSON); Decimal(str) is exact.
    return format_money(Decimal(amount), account.currency)


def opening(account: AccountFacts, bank: Bank, channel: str) -> str:
    if channel == "voice":
        return text("opening.voice", bank=bank.name, name=account.customer_name)
    return text("opening.text", bank=bank.name, name=account.customer_name)


# The English templates of the questions asked before verification, for the tests' debt check.
PRE_VERIFICATION_PROMPTS = {
    Awaiting.IDENTITY: template("prompt.identity"),
    Awaiting.VERIFICATION: template("prompt.verification"),
    Awaiting.THIRD_PARTY_CALLBACK: template("prompt.third_party_callback"),
    Awaiting.CALLBACK_TIME: template("prompt.callback_time"),
    Awaiting.HUMAN_OFFER: template("prompt.human_offer"),
}


def disclosure(account: AccountFacts, bank: Bank, policy: Policy) -> str:
    # The disclosure is legal text per jurisdiction: bot/policy.yml names its catalog key.
    legal = policy.disclosures.get(account.jurisdiction) or policy.disclosures["US"]
    return " ".join(legal.format(bank=bank.name, product=account.product_name).split())


def account_facts(account: AccountFacts) -> str:
    return text(
        "account.facts_one" if account.days_past_due == 1 else "account.facts_other",
        product=account.product_name,
        balance=money(account, account.balance),
        minimum=money(account, account.minimum_due),
        due_date=format_date(account.due_date),
        days=account.days_past_due,
    )


def prompt(awaiting: Awaiting | None, state: dict, account: AccountFacts, policy: Policy) -> str:
    """The question the bot is waiting on, worded for re-asking after an interruption."""
    awaiting = Awaiting.read(awaiting)
    pending = state.get("pending", {})
    months = policy.instalment_months.get(account.product, ())
    if awaiting is Awaiting.IDENTITY:
        return text("prompt.identity", name=account.customer_name)
    if awaiting is Awaiting.VERIFICATION:
        return text("prompt.verification")
    if awaiting is Awaiting.THIRD_PARTY_CALLBACK:
        return text("prompt.third_party_callback", first=account.first_name)
    if awaiting is Awaiting.CALLBACK_TIME:
        return text("prompt.callback_time")
    if awaiting is Awaiting.HUMAN_OFFER:
        return text("prompt.human_offer")
    if awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" in pending:
        # An implausible amount, read back before it is taken (issue #14).
        check = pending["check_amount"]
        if Decimal(check) > account.balance:
            return text("prompt.amount_check_above", balance=money(account, account.balance))
        return text(
            "prompt.amount_check_below",
            amount=money(account, check),
            minimum=money(account, account.minimum_due),
        )
    if awaiting is Awaiting.PROMISE_AMOUNT:
        return text("prompt.promise_amount")
    if awaiting is Awaiting.PROMISE_DATE:
        return text("prompt.promise_date", amount=money(account, pending["amount"]))
    if awaiting in (Awaiting.PROMISE_CONFIRM, Awaiting.COUNTER_OFFER):
        return _promise_question(awaiting, pending, account, again=False)
    if awaiting is Awaiting.INSTALMENT_OFFER:
        return text("prompt.instalment_offer", months=list_of(months))
    if awaiting is Awaiting.INSTALMENT_MONTHS:
        return text("prompt.instalment_months", options=either(months))
    if awaiting is Awaiting.INSTALMENT_CONFIRM:
        return text("prompt.instalment_confirm", plan=plan_readback(account, pending["plan"]))
    if awaiting is Awaiting.ALREADY_PAID_DETAILS:
        return text("prompt.already_paid_details")
    if awaiting is Awaiting.EXTENSION_PLAN:
        return text("prompt.extension_plan")
    if awaiting is Awaiting.ANYTHING_ELSE:
        return text("prompt.anything_else")
    if awaiting is Awaiting.PROMISE_DETAILS:
        return text("prompt.promise_details")
    return text("prompt.offer", minimum=money(account, account.minimum_due))


def reprompt(awaiting: Awaiting, state: dict, account: AccountFacts, policy: Policy) -> str:
    """The awaited question asked another way, the third time: its choices or an example."""
    pending = state.get("pending", {})
    months = policy.instalment_months.get(account.product, ())
    if awaiting is Awaiting.IDENTITY:
        return text("reprompt.identity", name=account.customer_name)
    if awaiting is Awaiting.VERIFICATION:
        return text("reprompt.verification")
    if awaiting is Awaiting.THIRD_PARTY_CALLBACK:
        return text("reprompt.third_party_callback")
    if awaiting is Awaiting.CALLBACK_TIME:
        return text("reprompt.callback_time")
    if awaiting is Awaiting.HUMAN_OFFER:
        return text("reprompt.human_offer")
    if awaiting is Awaiting.OFFER:
        return text("reprompt.offer", minimum=money(account, account.minimum_due))
    if awaiting is Awaiting.PROMISE_DETAILS:
        return text("reprompt.promise_details")
    if awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" not in pending:
        return text("reprompt.promise_amount", minimum=money(account, account.minimum_due))
    if awaiting is Awaiting.PROMISE_DATE:
        return text(
            "reprompt.promise_date",
            days=policy.promise_max_days_ahead,
            amount=money(account, pending["amount"]),
        )
    if awaiting in (Awaiting.PROMISE_CONFIRM, Awaiting.COUNTER_OFFER):
        return _promise_question(awaiting, pending, account, again=True)
    if awaiting is Awaiting.INSTALMENT_OFFER:
        return text("reprompt.instalment_offer", months=list_of(months))
    if awaiting is Awaiting.INSTALMENT_MONTHS:
        return text("reprompt.instalment_months", options=either(months))
    if awaiting is Awaiting.INSTALMENT_CONFIRM:
        return text("reprompt.instalment_confirm")
    if awaiting is Awaiting.ANYTHING_ELSE:
        return text("reprompt.anything_else")
    return prompt(awaiting, state, account, policy)


def _promise_question(
    awaiting: Awaiting, pending: dict, account: AccountFacts, *, again: bool
) -> str:
    """The read-back of a pending promise (one part or two) or the counter-offer of a later
    date; `again` words it another way (the third time it is asked)."""
    if awaiting is Awaiting.PROMISE_CONFIRM and pending.get("second"):
        second = pending["second"]
        return text(
            "reprompt.promise_confirm_in_two_parts"
            if again
            else "prompt.promise_confirm_in_two_parts",
            amount=money(account, pending["amount"]),
            date=format_date(_date(pending["date"])),
            rest_amount=money(account, second["amount"]),
            rest_date=format_date(_date(second["date"])),
        )
    if awaiting is Awaiting.PROMISE_CONFIRM:
        return text(
            "reprompt.promise_confirm" if again else "prompt.promise_confirm",
            amount=money(account, pending["amount"]),
            date=format_date(_date(pending["date"])),
        )
    if rest_awaits_a_date(pending):
        return text(
            "reprompt.counter_offer_rest" if again else "prompt.counter_offer_rest",
            amount=money(account, pending["second"]["amount"]),
            date=format_date(_date(pending["latest"])),
        )
    return text(
        "reprompt.counter_offer" if again else "prompt.counter_offer",
        date=format_date(_date(pending["latest"])),
    )


def plan_readback(account: AccountFacts, plan: dict) -> str:
    return text(
        "instalment.readback",
        months=plan["months"],
        amount=money(account, plan["monthly_amount"]),
        fee=money(account, plan["fee"]),
        date=format_date(_date(plan["first_due_date"])),
    )


def plan_to_state(plan: InstalmentPlan) -> dict:
    return {
        "months": plan.months,
        "monthly_amount": str(plan.monthly_amount),
        "fee": str(plan.fee),
        "total": str(plan.total),
        "first_due_date": plan.first_due_date.isoformat(),
        "auto_approved": plan.auto_approved,
    }


def local_time(moment: datetime) -> str:
    clock = moment.strftime("%I:%M %p").lstrip("0")
    return text("common.at_time", date=format_date(moment.date()), time=clock)


def list_of(items) -> str:
    """ "3, 6, 12": a plain list."""
    return text("common.list_separator").join(str(i) for i in items)


def either(items) -> str:
    """ "3 or 6 or 12": a choice."""
    return text("common.or_separator").join(str(i) for i in items)


def joined(items: list[str]) -> str:
    """ "a, b and c": the things recorded, for a summary."""
    if len(items) == 1:
        return items[0]
    return text("common.and", items=list_of(items[:-1]), last=items[-1])


def channel_name(channel: str) -> str:
    """The channel as the customer calls it ("by text message")."""
    if channel == "voice":
        return text("channel.voice")
    if channel == "sms":
        return text("channel.sms")
    if channel == "chat":
        return text("channel.chat")
    return channel


def payment_options(bank: Bank, policy: Policy) -> str:
    options = [
        o.format(payment_url=bank.payment_url, bank_phone=bank.phone)
        for o in policy.payment_options
    ]
    first = text("common.option_separator").join(options[:-1])
    return text("question.how_to_pay", options=first, last=options[-1])


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def rest_awaits_a_date(pending: dict) -> bool:
    """A promise in two parts whose second date broke the policy (the first date stands): the
    counter-offer and the next date heard are the second part's."""
    return bool(pending.get("second")) and "date" not in pending["second"] and "date" in pending
