"""What a verified customer may tell instead of a promise: hardship, a dispute, a payment already
made, a refusal. Each is recorded, and most go to a person."""

from __future__ import annotations

from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.phases.declines import declined, move_on
from bot.conversation.phases.instalments import extension, extension_plan, instalments
from bot.conversation.plans import allowed_months
from bot.conversation.understanding.months import parse_months


def hardship(run: Run) -> None:
    if run.state.get("hardship") and (
        run.awaiting in (Awaiting.INSTALMENT_OFFER, Awaiting.INSTALMENT_MONTHS)
        or "instalment" in declined(run)
    ):
        # "i can't afford any plan" while a plan is on offer: a no to the plan, not news.
        move_on(run, "instalment")
        return
    run.record("hardship", text=run.turn.text[:1000])
    run.state["hardship"] = True
    run.say(text("hardship.sorry", run.lang))
    if parse_months(run.turn.text, explicit=True, lang=run.lang) and allowed_months(
        run.account.product, run.ctx.policy
    ):
        instalments(run)
        return
    if not allowed_months(run.account.product, run.ctx.policy):
        extension(run)
        return
    run.say(text("hardship.options", run.lang))
    run.ask(Awaiting.INSTALMENT_OFFER)


def dispute(run: Run) -> None:
    run.record("dispute", text=run.turn.text[:1000])
    run.record("pause", reason="dispute")
    run.outcome("dispute", text("captured.dispute", run.lang))
    run.escalate("dispute", "The customer disputes the debt.")
    run.say(text("dispute.recorded", run.lang))
    run.ask(Awaiting.ANYTHING_ELSE)


def already_paid(run: Run) -> None:
    run.ask(Awaiting.ALREADY_PAID_DETAILS)


def already_paid_details(run: Run) -> None:
    run.record("already_paid", details=run.turn.text[:1000])
    run.record("pause", reason="already_paid")
    run.outcome("already_paid", text("captured.already_paid", run.lang))
    run.escalate("already_paid", f"Customer says they already paid: {run.turn.text[:300]}")
    run.say(text("already_paid.recorded", run.lang))
    run.ask(Awaiting.ANYTHING_ELSE)


def refusal(run: Run) -> None:
    run.outcome("refusal")
    run.escalate("refusal", "The customer refused to pay.")
    run.say(text("refusal.noted", run.lang, bank_phone=run.ctx.bank.phone))
    run.ask(Awaiting.ANYTHING_ELSE)


# Questions answered in the customer's own words, whatever Rasa made of them.
FREE_TEXT = {
    Awaiting.ALREADY_PAID_DETAILS: already_paid_details,
    Awaiting.EXTENSION_PLAN: extension_plan,
}
