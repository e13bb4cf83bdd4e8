"""Spreading the balance: an instalment plan (the products that allow one, auto-approved or sent
for approval) or, for a business loan, an extension request to the relationship manager."""

from __future__ import annotations

import uuid

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import ASK_AT_MOST, Run
from bot.conversation.messages import text
from bot.conversation.plans import allowed_months, instalment_plan
from bot.conversation.understanding.months import parse_months


def offer_instalments(run: Run) -> None:
    if not allowed_months(run.account.product, run.ctx.policy):
        extension(run)
        return
    run.ask(Awaiting.INSTALMENT_OFFER)


def instalments(run: Run) -> None:
    acct, policy = run.account, run.ctx.policy
    options = allowed_months(acct.product, policy)
    if not options:
        product = say.product_name(acct.product, run.lang)
        run.say(text("instalment.not_available", run.lang, product=product))
        run.ask(Awaiting.EXTENSION_PLAN)
        return
    months = parse_months(run.entity_or_text("months"), lang=run.lang)
    if months is None or months not in options:
        if months is not None and run.times_asked(Awaiting.INSTALMENT_MONTHS) < ASK_AT_MOST:
            # Not on the third asking: that one lists the choices itself.
            listed = say.either(options, run.lang)
            run.say(text("instalment.months_available", run.lang, options=listed))
        run.ask(Awaiting.INSTALMENT_MONTHS)
        return
    plan = instalment_plan(balance=acct.balance, months=months, today=run.ctx.today, policy=policy)
    run.state["pending"]["plan"] = say.plan_to_state(plan)
    run.ask(Awaiting.INSTALMENT_CONFIRM)


def record_plan(run: Run) -> None:
    acct, plan = run.account, run.state["pending"].pop("plan")
    status = "approved" if plan["auto_approved"] else "pending_approval"
    run.record(
        "instalment",
        id=uuid.uuid4().hex,
        months=plan["months"],
        monthly_amount=plan["monthly_amount"],
        fee=plan["fee"],
        currency=acct.currency,
        first_due_date=plan["first_due_date"],
        status=status,
    )
    monthly, lang = run.money(plan["monthly_amount"]), run.lang
    words = text("captured.instalment", lang, months=plan["months"], amount=monthly)
    run.outcome("instalment_request", words)
    if plan["auto_approved"]:
        first_due = run.day(plan["first_due_date"])
        run.say(
            text("instalment.approved", lang, months=plan["months"], amount=monthly, date=first_due)
        )
    else:
        run.escalate("instalment_approval", f"Instalment plan needs approval: {words}.")
        run.say(text("instalment.submitted", lang))
    run.ask(Awaiting.ANYTHING_ELSE)


def extension(run: Run) -> None:
    if run.account.product != "business_loan":
        run.say(text("extension.instalments_instead", run.lang))
        run.ask(Awaiting.INSTALMENT_OFFER)
        return
    run.say(text("extension.offered", run.lang))
    run.ask(Awaiting.EXTENSION_PLAN)


def extension_plan(run: Run) -> None:
    run.outcome("extension_request", text("captured.extension", run.lang))
    run.escalate("extension_request", f"Extension requested. Proposed plan: {run.turn.text[:500]}")
    run.say(text("extension.recorded", run.lang))
    run.ask(Awaiting.ANYTHING_ELSE)
