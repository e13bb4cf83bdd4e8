"""What a customer may say at any point of the conversation: stop contacting me, a person please,
call me later, a question, hello, goodbye; and what the bot does when it does not understand."""

from __future__ import annotations

import re

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.understanding.formatting import format_date
from bot.conversation.understanding.times import parse_callback_time

ALL_CHANNEL_WORDS = {
    "all",
    "any",
    "anything",
    "everything",
    "contact",
    "contacting",
    "cease",
    "everyone",
    "stopall",
}


def opt_out(run: Run) -> None:
    words = set(re.findall(r"[a-z]+", run.turn.text.lower()))
    if words & ALL_CHANNEL_WORDS:
        channel = "all"
    elif any(w.startswith(("call", "phon", "ring")) for w in words):
        channel = "voice"
    elif any(w.startswith(("text", "sms", "messag")) for w in words):
        channel = "sms"
    else:
        channel = run.state.get("channel", "all")
    run.record("opt_out", channel=channel, text=run.turn.text[:500])
    run.outcome("opted_out")
    if channel == "all":
        run.end(text("opt_out.all"))
    else:
        run.end(text("opt_out.channel", channel=say.channel_name(channel)))


def human(run: Run) -> None:
    run.escalate("customer_request", "The customer asked to speak with a person.")
    run.end(text("human.passed_on", bank_phone=run.ctx.bank.phone))


def callback(run: Run) -> None:
    when = parse_callback_time(
        run.entity_or_text("callback_time"), now=run.account.local_now(run.ctx.now)
    )
    if when is None:
        run.ask(Awaiting.CALLBACK_TIME)
        return
    run.record("callback", callback_at=when.isoformat(), text=run.turn.text[:500])
    run.outcome("callback", text("captured.callback", when=say.local_time(when)))
    run.end(text("callback.recorded", when=say.local_time(when)))


def answer_question(run: Run) -> None:
    intent = run.turn.intent or ""
    acct, bank = run.account, run.ctx.bank
    if intent == "bot_challenge":
        run.say(text("question.bot_challenge", bank=bank.name))
    elif intent == "ask_who_calling":
        run.say(text("question.who_calling", bank=bank.name))
    elif not run.verified:
        run.say(text("question.not_verified", name=acct.customer_name))
    elif intent == "ask_amount":
        run.say(
            text(
                "question.amount",
                balance=say.money(acct, acct.balance),
                minimum=say.money(acct, acct.minimum_due),
            )
        )
    elif intent == "ask_due_date":
        run.say(
            text(
                "question.due_date",
                due_date=format_date(acct.due_date),
                days=acct.days_past_due,
            )
        )
    elif intent == "ask_how_to_pay":
        run.say(say.payment_options(bank, run.ctx.policy))
    elif intent == "ask_fees":
        run.say(" ".join(run.ctx.policy.fees.split()))
    else:  # ask_why_calling
        run.say(
            text(
                "question.why_calling",
                product=acct.product_name,
                balance=say.money(acct, acct.balance),
            )
        )
    run.reask()


def goodbye(run: Run) -> None:
    close(run)


def greet(run: Run) -> None:
    run.say(text("common.hello"))
    run.reask()


def close(run: Run) -> None:
    captured = run.state.get("captured", [])
    first = run.account.first_name
    if captured:
        run.end(text("conversation.close_with_summary", captured=say.joined(captured), first=first))
    else:
        run.end(text("conversation.close", first=first))


def not_understood(run: Run) -> None:
    """Count the misunderstanding; the second in a row offers a person."""
    count = run.state.get("misunderstood", 0) + 1
    run.state["misunderstood"] = count
    run.state["_kept_misunderstood"] = True
    if count >= 2 and run.awaiting is not Awaiting.HUMAN_OFFER:
        run.offer_a_person(run.awaiting or Awaiting.OFFER)
        return
    run.say(text("conversation.not_understood"))
    run.ask_again()


def human_offer_answer(action: str, run: Run) -> None:
    """The answer to "would you like a member of our team to contact you?"."""
    reason = run.state.pop("human_reason", None) or "not_understood"
    if action == "action_confirm" and reason == "not_understood":
        run.escalate("not_understood", "The bot could not understand the customer twice.")
        run.end(text("human.after_not_understood"))
        return
    if action == "action_confirm":
        run.escalate(reason, "The customer declined every offer and asked for a call.")
        run.end(text("human.passed_on", bank_phone=run.ctx.bank.phone))
        return
    run.state["misunderstood"] = 0
    resume = Awaiting.read(run.state.pop("resume", None))
    if reason != "not_understood":
        # Nothing offered fits and no person is wanted: noted, not offered again.
        run.say(text("refusal.noted", bank_phone=run.ctx.bank.phone))
        run.ask(Awaiting.ANYTHING_ELSE)
        return
    run.say(text("conversation.try_again"))
    run.ask(resume or Awaiting.OFFER)


def wrong_number(run: Run) -> None:
    run.record("wrong_number")
    run.outcome("wrong_number")
    run.end(text("identity.wrong_number"))


GLOBAL = {
    "action_opt_out": opt_out,
    "action_human": human,
    "action_callback": callback,
    "action_answer_question": answer_question,
    "action_goodbye": goodbye,
    "action_greet": greet,
}
