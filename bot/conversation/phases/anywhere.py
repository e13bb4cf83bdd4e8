"""What a customer may say at any point of the conversation: stop contacting me, a person please,
call me later, a question, hello, goodbye; and what the bot does when it does not understand."""

from __future__ import annotations

import re

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.understanding.times import parse_callback_time

# Chinese opt-outs name the channel in words, not by word stems: 打电话/来电 (calls), 短信/发信息
# (texts), 联系/任何/所有 (everything). "不要再打/发" is the usual short form.
ZH_ALL = re.compile(r"所有|任何|一切|全部|都不要|别再联系|不要再联系|不要联系|骚扰")
ZH_VOICE = re.compile(r"电话|来电|致电|打给我|(?:别|不要)再?打(?!扰)|语音")
ZH_SMS = re.compile(r"短信|信息|消息|别发|不要再发|不要发")

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


def opt_out_channel(said: str, current: str) -> str:
    """Which channel an opt-out closes: the one it names, all of them, or the one it came on."""
    words = set(re.findall(r"[a-z]+", said.lower()))
    if words & ALL_CHANNEL_WORDS or ZH_ALL.search(said):
        return "all"
    if any(w.startswith(("call", "phon", "ring")) for w in words) or ZH_VOICE.search(said):
        return "voice"
    if any(w.startswith(("text", "sms", "messag")) for w in words) or ZH_SMS.search(said):
        return "sms"
    return current


def opt_out(run: Run) -> None:
    channel = opt_out_channel(run.turn.text, run.state.get("channel", "all"))
    run.record("opt_out", channel=channel, text=run.turn.text[:500])
    run.outcome("opted_out")
    if channel == "all":
        run.end(text("opt_out.all", run.lang))
    else:
        run.end(text("opt_out.channel", run.lang, channel=say.channel_name(channel, run.lang)))


def human(run: Run) -> None:
    run.escalate("customer_request", "The customer asked to speak with a person.")
    run.end(text("human.passed_on", run.lang, bank_phone=run.ctx.bank.phone))


def callback(run: Run) -> None:
    when = parse_callback_time(
        run.entity_or_text("callback_time"), now=run.account.local_now(run.ctx.now), lang=run.lang
    )
    if when is None:
        run.ask(Awaiting.CALLBACK_TIME)
        return
    run.record("callback", callback_at=when.isoformat(), text=run.turn.text[:500])
    said = say.local_time(when, run.lang)
    run.outcome("callback", text("captured.callback", run.lang, when=said))
    run.end(text("callback.recorded", run.lang, when=said))


def answer_question(run: Run) -> None:
    intent = run.turn.intent or ""
    acct, lang = run.account, run.lang
    if intent == "bot_challenge":
        run.say(text("question.bot_challenge", lang, bank=run.bank_name))
    elif intent == "ask_who_calling":
        run.say(text("question.who_calling", lang, bank=run.bank_name))
    elif not run.verified:
        run.say(text("question.not_verified", lang, name=acct.customer_name))
    elif intent == "ask_amount":
        run.say(
            text(
                "question.amount",
                lang,
                balance=run.money(acct.balance),
                minimum=run.money(acct.minimum_due),
            )
        )
    elif intent == "ask_due_date":
        run.say(
            text(
                "question.due_date", lang, due_date=run.day(acct.due_date), days=acct.days_past_due
            )
        )
    elif intent == "ask_how_to_pay":
        run.say(say.payment_options(run.ctx.bank, run.ctx.policy, lang))
    elif intent == "ask_fees":
        run.say(" ".join(run.ctx.policy.fees_for(lang).split()))
    else:  # ask_why_calling
        run.say(
            text(
                "question.why_calling",
                lang,
                product=say.product_name(acct.product, lang),
                balance=run.money(acct.balance),
            )
        )
    run.reask()


def goodbye(run: Run) -> None:
    close(run)


def greet(run: Run) -> None:
    run.say(text("common.hello", run.lang))
    run.reask()


def close(run: Run) -> None:
    captured = run.state.get("captured", [])
    first = run.account.first_name
    if captured:
        summary = say.joined(captured, run.lang)
        run.end(text("conversation.close_with_summary", run.lang, captured=summary, first=first))
    else:
        run.end(text("conversation.close", run.lang, first=first))


def not_understood(run: Run) -> None:
    """Count the misunderstanding; the second in a row offers a person."""
    count = run.state.get("misunderstood", 0) + 1
    run.state["misunderstood"] = count
    run.state["_kept_misunderstood"] = True
    if count >= 2 and run.awaiting is not Awaiting.HUMAN_OFFER:
        run.offer_a_person(run.awaiting or Awaiting.OFFER)
        return
    run.say(text("conversation.not_understood", run.lang))
    run.ask_again()


def human_offer_answer(action: str, run: Run) -> None:
    """The answer to "would you like a member of our team to contact you?"."""
    reason = run.state.pop("human_reason", None) or "not_understood"
    if action == "action_confirm" and reason == "not_understood":
        run.escalate("not_understood", "The bot could not understand the customer twice.")
        run.end(text("human.after_not_understood", run.lang))
        return
    if action == "action_confirm":
        run.escalate(reason, "The customer declined every offer and asked for a call.")
        run.end(text("human.passed_on", run.lang, bank_phone=run.ctx.bank.phone))
        return
    run.state["misunderstood"] = 0
    resume = Awaiting.read(run.state.pop("resume", None))
    if reason != "not_understood":
        # Nothing offered fits and no person is wanted: noted, not offered again.
        run.say(text("refusal.noted", run.lang, bank_phone=run.ctx.bank.phone))
        run.ask(Awaiting.ANYTHING_ELSE)
        return
    run.say(text("conversation.try_again", run.lang))
    run.ask(resume or Awaiting.OFFER)


def wrong_number(run: Run) -> None:
    run.record("wrong_number")
    run.outcome("wrong_number")
    run.end(text("identity.wrong_number", run.lang))


GLOBAL = {
    "action_opt_out": opt_out,
    "action_human": human,
    "action_callback": callback,
    "action_answer_question": answer_question,
    "action_goodbye": goodbye,
    "action_greet": greet,
}
