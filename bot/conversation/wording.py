"""What the bot says. Before verification nothing here may mention the debt, a balance or
collection; `PRE_VERIFICATION_PROMPTS` is checked by the tests for exactly that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.conversation.facts import AccountFacts
from bot.conversation.plans import InstalmentPlan
from bot.conversation.policy import Policy
from bot.conversation.understanding.parse import format_date, format_money


@dataclass(frozen=True)
class Bank:
    name: str
    phone: str
    payment_url: str


def money(account: AccountFacts, amount) -> str:
    # State keeps amounts as strings (it is JSON); Decimal(str) is exact.
    return format_money(Decimal(amount), account.currency)


def opening(account: AccountFacts, bank: Bank, channel: str) -> str:
    verb = "speaking" if channel == "voice" else "chatting"
    return (
        f"Hello, this is the automated assistant of {bank.name}. "
        f"Am I {verb} with {account.customer_name}?"
    )


PRE_VERIFICATION_PROMPTS = {
    "identity": "Am I speaking with {name}?",
    "verification": (
        "For your security, please tell me the last 4 digits of your account number, "
        "or your date of birth."
    ),
    "third_party_callback": (
        "When would be a good time to reach {first}? You can also tell me if this is the "
        "wrong number."
    ),
    "callback_time": "When would be a good time to call you back?",
    "human_offer": "Would you like a member of our team to contact you?",
}


def disclosure(account: AccountFacts, bank: Bank, policy: Policy) -> str:
    template = policy.disclosures.get(account.jurisdiction) or policy.disclosures["US"]
    return " ".join(template.format(bank=bank.name, product=account.product_name).split())


def account_facts(account: AccountFacts) -> str:
    days = "day" if account.days_past_due == 1 else "days"
    return (
        f"Your {account.product_name} has an overdue balance of "
        f"{money(account, account.balance)}. The minimum payment of "
        f"{money(account, account.minimum_due)} was due on {format_date(account.due_date)}, "
        f"and the account is {account.days_past_due} {days} past due."
    )


def prompt(awaiting: str | None, state: dict, account: AccountFacts, policy: Policy) -> str:
    """The question the bot is waiting on, worded for re-asking after an interruption."""
    pending = state.get("pending", {})
    if awaiting in PRE_VERIFICATION_PROMPTS:
        return PRE_VERIFICATION_PROMPTS[awaiting].format(
            name=account.customer_name, first=account.first_name
        )
    if awaiting == "promise_amount":
        return "How much can you pay?"
    if awaiting == "promise_date":
        return f"On what date can you pay {money(account, pending['amount'])}?"
    if awaiting == "promise_confirm":
        return (
            f"Just to confirm: you'll pay {money(account, pending['amount'])} on "
            f"{format_date(_date(pending['date']))}. Is that right?"
        )
    if awaiting == "counter_offer":
        return (
            f"Could you pay by {format_date(_date(pending['latest']))}? "
            "If not, I can offer an instalment plan."
        )
    if awaiting == "instalment_offer":
        months = ", ".join(str(m) for m in policy.instalment_months.get(account.product, ()))
        return f"Would an instalment plan help? I can spread the balance over {months} months."
    if awaiting == "instalment_months":
        options = " or ".join(str(m) for m in policy.instalment_months.get(account.product, ()))
        return f"Over how many months would you like to pay: {options}?"
    if awaiting == "instalment_confirm":
        return plan_readback(account, pending["plan"]) + " Shall I submit this request?"
    if awaiting == "already_paid_details":
        return "When and how did you make the payment?"
    if awaiting == "extension_plan":
        return "Briefly, what repayment plan do you propose with the extension?"
    if awaiting == "anything_else":
        return "Is there anything else I can help you with?"
    if awaiting == "promise_details":
        return "What amount can you pay, and on what date?"
    return (
        f"Can you pay the minimum of {money(account, account.minimum_due)} today? You can also "
        "tell me an amount and a date, or ask about an instalment plan."
    )


def plan_readback(account: AccountFacts, plan: dict) -> str:
    return (
        f"A {plan['months']}-month plan: {plan['months']} monthly payments of "
        f"{money(account, plan['monthly_amount'])}, including a fee of "
        f"{money(account, plan['fee'])} in total, the first on "
        f"{format_date(_date(plan['first_due_date']))}."
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
    return f"{format_date(moment.date())} at {moment.strftime('%I:%M %p').lstrip('0')}"


def _date(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(value)
