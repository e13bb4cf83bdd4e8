"""What the bot says: which catalog message (bot/conversation/messages/) fits the moment, filled
with the account's values, in the conversation's language (`lang`, "en" or "zh"; every function
takes it, English by default). The sentences themselves live in the catalog, not here.

Before verification nothing may mention the debt, a balance or collection;
`PRE_VERIFICATION_PROMPTS` is checked by the tests for exactly that."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # The bank's name in other languages ({"zh": "浦发银行"}); `name` where none is given.
    names: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def called(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.name


def money(account: AccountFacts, amount, lang: str = "en") -> str:
    # State keeps amounts as strings (it is JSON); Decimal(str) is exact.
    return format_money(Decimal(amount), account.currency, lang=lang)


def day(value, lang: str = "en") -> str:
    """A date as the customer reads it ("Friday, December 4"), from a date or its ISO text."""
    return format_date(_date(value), lang=lang)


def opening(account: AccountFacts, bank: Bank, channel: str, lang: str = "en") -> str:
    if channel == "voice":
        return text("opening.voice", lang, bank=bank.called(lang), name=account.customer_name)
    return text("opening.text", lang, bank=bank.called(lang), name=account.customer_name)


def product_name(product: str, lang: str = "en") -> str:
    """The product as the customer calls it ("credit card", "信用卡")."""
    if product == "credit_card":
        return text("product.credit_card", lang)
    if product == "personal_loan":
        return text("product.personal_loan", lang)
    if product == "business_loan":
        return text("product.business_loan", lang)
    return product


# The English templates of the questions asked before verification, for the tests' debt check.
PRE_VERIFICATION_PROMPTS = {
    Awaiting.IDENTITY: template("prompt.identity"),
    Awaiting.VERIFICATION: template("prompt.verification"),
    Awaiting.THIRD_PARTY_CALLBACK: template("prompt.third_party_callback"),
    Awaiting.CALLBACK_TIME: template("prompt.callback_time"),
    Awaiting.HUMAN_OFFER: template("prompt.human_offer"),
}


def disclosure(account: AccountFacts, bank: Bank, policy: Policy, lang: str = "en") -> str:
    # The disclosure is legal text per jurisdiction: bot/policy.yml names its catalog key.
    legal = policy.disclosure(account.jurisdiction, lang)
    filled = legal.format(bank=bank.called(lang), product=product_name(account.product, lang))
    return " ".join(filled.split())


def account_facts(account: AccountFacts, lang: str = "en") -> str:
    return text(
        "account.facts_one" if account.days_past_due == 1 else "account.facts_other",
        lang,
        product=product_name(account.product, lang),
        balance=money(account, account.balance, lang),
        minimum=money(account, account.minimum_due, lang),
        due_date=day(account.due_date, lang),
        days=account.days_past_due,
    )


def prompt(
    awaiting: Awaiting | None,
    state: dict,
    account: AccountFacts,
    policy: Policy,
    lang: str = "en",
) -> str:
    """The question the bot is waiting on, worded for re-asking after an interruption."""
    awaiting = Awaiting.read(awaiting)
    pending = state.get("pending", {})
    months = policy.instalment_months.get(account.product, ())
    if awaiting is Awaiting.IDENTITY:
        return text("prompt.identity", lang, name=account.customer_name)
    if awaiting is Awaiting.VERIFICATION:
        return text("prompt.verification", lang)
    if awaiting is Awaiting.THIRD_PARTY_CALLBACK:
        return text("prompt.third_party_callback", lang, first=account.first_name)
    if awaiting is Awaiting.CALLBACK_TIME:
        return text("prompt.callback_time", lang)
    if awaiting is Awaiting.HUMAN_OFFER:
        return text("prompt.human_offer", lang)
    if awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" in pending:
        # An implausible amount, read back before it is taken (issue #14).
        check = pending["check_amount"]
        if Decimal(check) > account.balance:
            return text(
                "prompt.amount_check_above", lang, balance=money(account, account.balance, lang)
            )
        return text(
            "prompt.amount_check_below",
            lang,
            amount=money(account, check, lang),
            minimum=money(account, account.minimum_due, lang),
        )
    if awaiting is Awaiting.PROMISE_AMOUNT:
        return text("prompt.promise_amount", lang)
    if awaiting is Awaiting.PROMISE_DATE:
        return text("prompt.promise_date", lang, amount=money(account, pending["amount"], lang))
    if awaiting in (Awaiting.PROMISE_CONFIRM, Awaiting.COUNTER_OFFER):
        return _promise_question(awaiting, pending, account, again=False, lang=lang)
    if awaiting is Awaiting.INSTALMENT_OFFER:
        return text("prompt.instalment_offer", lang, months=list_of(months, lang))
    if awaiting is Awaiting.INSTALMENT_MONTHS:
        return text("prompt.instalment_months", lang, options=either(months, lang))
    if awaiting is Awaiting.INSTALMENT_CONFIRM:
        return text(
            "prompt.instalment_confirm", lang, plan=plan_readback(account, pending["plan"], lang)
        )
    if awaiting is Awaiting.ALREADY_PAID_DETAILS:
        return text("prompt.already_paid_details", lang)
    if awaiting is Awaiting.EXTENSION_PLAN:
        return text("prompt.extension_plan", lang)
    if awaiting is Awaiting.ANYTHING_ELSE:
        return text("prompt.anything_else", lang)
    if awaiting is Awaiting.PROMISE_DETAILS:
        return text("prompt.promise_details", lang)
    return text("prompt.offer", lang, minimum=money(account, account.minimum_due, lang))


def reprompt(
    awaiting: Awaiting, state: dict, account: AccountFacts, policy: Policy, lang: str = "en"
) -> str:
    """The awaited question asked another way, the third time: its choices or an example."""
    pending = state.get("pending", {})
    months = policy.instalment_months.get(account.product, ())
    if awaiting is Awaiting.IDENTITY:
        return text("reprompt.identity", lang, name=account.customer_name)
    if awaiting is Awaiting.VERIFICATION:
        return text("reprompt.verification", lang)
    if awaiting is Awaiting.THIRD_PARTY_CALLBACK:
        return text("reprompt.third_party_callback", lang)
    if awaiting is Awaiting.CALLBACK_TIME:
        return text("reprompt.callback_time", lang)
    if awaiting is Awaiting.HUMAN_OFFER:
        return text("reprompt.human_offer", lang)
    if awaiting is Awaiting.OFFER:
        return text("reprompt.offer", lang, minimum=money(account, account.minimum_due, lang))
    if awaiting is Awaiting.PROMISE_DETAILS:
        return text("reprompt.promise_details", lang)
    if awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" not in pending:
        return text(
            "reprompt.promise_amount", lang, minimum=money(account, account.minimum_due, lang)
        )
    if awaiting is Awaiting.PROMISE_DATE:
        return text(
            "reprompt.promise_date",
            lang,
            days=policy.promise_max_days_ahead,
            amount=money(account, pending["amount"], lang),
        )
    if awaiting in (Awaiting.PROMISE_CONFIRM, Awaiting.COUNTER_OFFER):
        return _promise_question(awaiting, pending, account, again=True, lang=lang)
    if awaiting is Awaiting.INSTALMENT_OFFER:
        return text("reprompt.instalment_offer", lang, months=list_of(months, lang))
    if awaiting is Awaiting.INSTALMENT_MONTHS:
        return text("reprompt.instalment_months", lang, options=either(months, lang))
    if awaiting is Awaiting.INSTALMENT_CONFIRM:
        return text("reprompt.instalment_confirm", lang)
    if awaiting is Awaiting.ANYTHING_ELSE:
        return text("reprompt.anything_else", lang)
    return prompt(awaiting, state, account, policy, lang)


def _promise_question(
    awaiting: Awaiting, pending: dict, account: AccountFacts, *, again: bool, lang: str
) -> str:
    """The read-back of a pending promise (one part or two) or the counter-offer of a later
    date; `again` words it another way (the third time it is asked)."""
    if awaiting is Awaiting.PROMISE_CONFIRM and pending.get("second"):
        second = pending["second"]
        return text(
            "reprompt.promise_confirm_in_two_parts"
            if again
            else "prompt.promise_confirm_in_two_parts",
            lang,
            amount=money(account, pending["amount"], lang),
            date=day(pending["date"], lang),
            rest_amount=money(account, second["amount"], lang),
            rest_date=day(second["date"], lang),
        )
    if awaiting is Awaiting.PROMISE_CONFIRM:
        return text(
            "reprompt.promise_confirm" if again else "prompt.promise_confirm",
            lang,
            amount=money(account, pending["amount"], lang),
            date=day(pending["date"], lang),
        )
    if rest_awaits_a_date(pending):
        return text(
            "reprompt.counter_offer_rest" if again else "prompt.counter_offer_rest",
            lang,
            amount=money(account, pending["second"]["amount"], lang),
            date=day(pending["latest"], lang),
        )
    return text(
        "reprompt.counter_offer" if again else "prompt.counter_offer",
        lang,
        date=day(pending["latest"], lang),
    )


def plan_readback(account: AccountFacts, plan: dict, lang: str = "en") -> str:
    return text(
        "instalment.readback",
        lang,
        months=plan["months"],
        amount=money(account, plan["monthly_amount"], lang),
        fee=money(account, plan["fee"], lang),
        date=day(plan["first_due_date"], lang),
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


def local_time(moment: datetime, lang: str = "en") -> str:
    """ "Monday, November 30 at 9:00 AM"; "11月30日（周一）上午9:00"."""
    clock = f"{moment.hour % 12 or 12}:{moment.minute:02d}"
    if moment.hour < 12:
        said = text("common.clock_am", lang, clock=clock)
    elif moment.hour < 18:
        said = text("common.clock_pm", lang, clock=clock)
    else:
        said = text("common.clock_evening", lang, clock=clock)
    return text("common.at_time", lang, date=day(moment.date(), lang), time=said)


def list_of(items, lang: str = "en") -> str:
    """ "3, 6, 12": a plain list."""
    return text("common.list_separator", lang).join(str(i) for i in items)


def either(items, lang: str = "en") -> str:
    """ "3 or 6 or 12": a choice."""
    return text("common.or_separator", lang).join(str(i) for i in items)


def joined(items: list[str], lang: str = "en") -> str:
    """ "a, b and c": the things recorded, for a summary."""
    if len(items) == 1:
        return items[0]
    return text("common.and", lang, items=list_of(items[:-1], lang), last=items[-1])


def channel_name(channel: str, lang: str = "en") -> str:
    """The channel as the customer calls it ("by text message")."""
    if channel == "voice":
        return text("channel.voice", lang)
    if channel == "sms":
        return text("channel.sms", lang)
    if channel == "chat":
        return text("channel.chat", lang)
    return channel


def payment_options(bank: Bank, policy: Policy, lang: str = "en") -> str:
    options = [
        o.format(payment_url=bank.payment_url, bank_phone=bank.phone)
        for o in policy.payment_options_for(lang)
    ]
    first = text("common.option_separator", lang).join(options[:-1])
    return text("question.how_to_pay", lang, options=first, last=options[-1])


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def rest_awaits_a_date(pending: dict) -> bool:
    """A promise in two parts whose second date broke the policy (the first date stands): the
    counter-offer and the next date heard are the second part's."""
    return bool(pending.get("second")) and "date" not in pending["second"] and "date" in pending
