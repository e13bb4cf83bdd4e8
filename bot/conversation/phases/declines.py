"""A declined offer is heard as a decline (issue #14): the bot moves on to the next option and
never offers the same thing again unchanged. The options, in order: the minimum today, an amount
and a date of the customer's own, an instalment plan; then, for a customer in hardship, a
specialist; for anyone else, a person, or a polite note that nothing was agreed."""

from __future__ import annotations

from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.plans import allowed_months

# What was on offer while each question was awaited.
OFFERED = {
    Awaiting.OFFER: "minimum_today",
    Awaiting.PROMISE_DETAILS: "promise",
    Awaiting.PROMISE_AMOUNT: "promise",
    Awaiting.PROMISE_DATE: "promise",
    Awaiting.COUNTER_OFFER: "promise",  # no date within the policy suits them
    Awaiting.INSTALMENT_OFFER: "instalment",
    Awaiting.INSTALMENT_MONTHS: "instalment",
}


def declined(run: Run) -> set[str]:
    return set(run.state.get("declined", []))


def note_decline(run: Run, offer: str) -> None:
    run.state["declined"] = sorted(declined(run) | {offer})
    run.state["pending"] = {}


def move_on(run: Run, offer: str | None = None) -> None:
    """The customer said no to `offer` (by default, what the awaited question offers)."""
    note_decline(run, offer or OFFERED.get(run.awaiting, "promise"))
    done = declined(run)
    plans = allowed_months(run.account.product, run.ctx.policy)
    if run.state.get("hardship") and ("instalment" in done or not plans):
        specialist(run)
    elif "promise" not in done:
        run.say(text("common.all_right", run.lang))
        run.ask(Awaiting.PROMISE_DETAILS)
    elif "instalment" not in done and plans:
        run.say(text("offer.plan_instead", run.lang))
        run.ask(Awaiting.INSTALMENT_OFFER)
    elif run.state.get("hardship"):
        specialist(run)
    else:
        run.state["human_reason"] = "customer_request"
        run.say(text("offer.nothing_fits", run.lang))
        run.ask(Awaiting.HUMAN_OFFER)


def specialist(run: Run) -> None:
    """A customer in hardship for whom no plan fits: a specialist calls them."""
    if "hardship" in run.state.get("outcomes", []):
        run.say(text("refusal.noted", run.lang, bank_phone=run.ctx.bank.phone))
        run.ask(Awaiting.ANYTHING_ELSE)
        return
    run.outcome("hardship")
    run.escalate("hardship", "Customer in hardship declined an instalment plan.")
    run.say(text("hardship.specialist", run.lang, days=run.ctx.policy.hardship_followup_days))
    run.ask(Awaiting.ANYTHING_ELSE)
