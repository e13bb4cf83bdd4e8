"""After verification: the answer to the awaited question (yes, no, an amount, a number of
months) and the action Rasa predicted, routed to the form it belongs to."""

from __future__ import annotations

from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.phases import anywhere, declines, forms, instalments, promise
from bot.conversation.phases.forms import FREE_TEXT
from bot.conversation.understanding.answers import is_decline
from bot.conversation.understanding.months import parse_months

# Questions whose yes or no may carry an amount or a date ("no, make it monday").
VALUE_QUESTIONS = (Awaiting.OFFER, Awaiting.PROMISE_CONFIRM, *promise.PROMISE_QUESTIONS)


def confirm(run: Run) -> None:
    awaiting = run.awaiting
    heard = promise.hear(run) if awaiting in VALUE_QUESTIONS else None
    if awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" in run.state["pending"]:
        if heard.amount is not None or heard.amount_unclear:
            promise.fill_promise(run, heard)  # "yes, 200": the new amount
        else:
            promise.checked_amount(run, agreed=True)
    elif awaiting is Awaiting.OFFER and heard.anything:
        promise.fill_promise(run, heard)  # "yes, 100 on friday"
    elif awaiting is Awaiting.PROMISE_CONFIRM and promise.differs_from_pending(run, heard):
        promise.fill_promise(run, heard)  # "yes but make it monday"
    elif awaiting is Awaiting.OFFER:
        run.state["pending"] = {
            "amount": str(run.account.minimum_due),
            "date": run.ctx.today.isoformat(),
        }
        run.ask(Awaiting.PROMISE_CONFIRM)
    elif awaiting is Awaiting.PROMISE_CONFIRM:
        promise.record_promise(run)
    elif awaiting is Awaiting.COUNTER_OFFER:
        promise.take_latest_date(run)
    elif awaiting is Awaiting.INSTALMENT_OFFER:
        instalments.instalments(run)
    elif awaiting is Awaiting.INSTALMENT_CONFIRM:
        instalments.record_plan(run)
    elif awaiting is Awaiting.HUMAN_OFFER:
        anywhere.human_offer_answer("action_confirm", run)
    elif awaiting is Awaiting.ANYTHING_ELSE:
        run.say(text("conversation.anything_else_yes", run.lang))
        run.state.update(awaiting=Awaiting.OFFER.value, asked=None)
    else:
        promise.fill_promise(run)


def decline(run: Run) -> None:
    """A no. A correction ("no, make it monday") is taken as one; a declined offer is not
    offered again (phases/declines.py)."""
    awaiting = run.awaiting
    heard = promise.hear(run) if awaiting in VALUE_QUESTIONS else None
    if heard and heard.anything and (awaiting is not Awaiting.OFFER or heard.amount is not None):
        promise.fill_promise(run, heard)  # "no, make it monday"; at the offer, "no, 50 friday"
    elif awaiting in (Awaiting.ANYTHING_ELSE, None):
        anywhere.close(run)
    elif awaiting is Awaiting.OFFER and "promise" not in declines.declined(run):
        declines.note_decline(run, "minimum_today")
        run.say(text("offer.declined", run.lang))
        run.ask(Awaiting.PROMISE_DETAILS)
    elif awaiting is Awaiting.PROMISE_AMOUNT and "check_amount" in run.state["pending"]:
        promise.checked_amount(run, agreed=False)
    elif awaiting is Awaiting.PROMISE_CONFIRM:
        run.state["pending"] = {}
        run.say(text("common.no_problem", run.lang))
        run.ask(Awaiting.PROMISE_DETAILS)
    elif awaiting is Awaiting.COUNTER_OFFER and "instalment" not in declines.declined(run):
        declines.note_decline(run, "promise")  # no date within the policy suits them
        instalments.offer_instalments(run)
    elif awaiting is Awaiting.INSTALMENT_CONFIRM:
        run.state["pending"].pop("plan", None)
        run.say(text("common.no_problem", run.lang))
        run.ask(Awaiting.INSTALMENT_MONTHS)
    elif awaiting is Awaiting.HUMAN_OFFER:
        anywhere.human_offer_answer("action_decline", run)
    elif awaiting in declines.OFFERED:
        declines.move_on(run)
    else:
        run.reask()


def inform(run: Run) -> None:
    awaiting = run.awaiting
    if awaiting in (
        Awaiting.INSTALMENT_MONTHS,
        Awaiting.INSTALMENT_CONFIRM,
        Awaiting.INSTALMENT_OFFER,
    ):
        instalments.instalments(run)
    elif awaiting is Awaiting.CALLBACK_TIME:
        anywhere.callback(run)
    elif awaiting in FREE_TEXT:
        FREE_TEXT[awaiting](run)
    else:
        promise.fill_promise(run)


def not_understood(run: Run) -> None:
    """Rasa did not understand, but the answer to the awaited question may still be in it
    ("2 hundrd on fryday", "six"): the values are read before it counts as a miss."""
    awaiting = run.awaiting
    if awaiting in VALUE_QUESTIONS:
        heard = promise.hear(run)
        if heard.anything and (
            awaiting is not Awaiting.PROMISE_CONFIRM or promise.differs_from_pending(run, heard)
        ):
            promise.fill_promise(run, heard)  # at the read-back, "no wait, make it tomorrow"
            return
    months = parse_months(run.turn.text, lang=run.lang)
    if awaiting is Awaiting.INSTALMENT_MONTHS and months is not None:
        instalments.instalments(run)
        return
    if awaiting in declines.OFFERED and is_decline(run.turn.text, lang=run.lang):
        decline(run)  # "no, I can't commit to anything"
        return
    anywhere.not_understood(run)


def wrong_number_late(run: Run) -> None:
    # Once verified, the customer is the right party: a "wrong number" is a slip.
    run.reask()


HANDLERS = {
    "action_confirm": confirm,
    "action_decline": decline,
    "action_inform": inform,
    "action_verify": inform,
    "action_take_promise": promise.fill_promise,
    "action_pay_now": promise.pay_now,
    "action_instalments": instalments.instalments,
    "action_hardship": forms.hardship,
    "action_dispute": forms.dispute,
    "action_already_paid": forms.already_paid,
    "action_refusal": forms.refusal,
    "action_extension": instalments.extension,
    "action_not_available": wrong_number_late,
    "action_wrong_number": wrong_number_late,
    "action_not_understood": not_understood,
}
