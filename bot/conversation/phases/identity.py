"""The right party: is this the customer? Nothing about the account is said to anyone else; a
third party may only say when the customer can be reached."""

from __future__ import annotations

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.phases.anywhere import human_offer_answer, not_understood, wrong_number
from bot.conversation.phases.verifying import try_verification, verification_turn
from bot.conversation.understanding.times import parse_callback_time


def identity_turn(action: str, run: Run) -> None:
    awaiting = run.awaiting
    if action == "action_wrong_number":
        wrong_number(run)
    elif awaiting is Awaiting.HUMAN_OFFER:
        human_offer_answer(action, run)
    elif awaiting is Awaiting.THIRD_PARTY_CALLBACK:
        third_party_answer(action, run)
    elif action == "action_confirm":
        run.state.update(phase="verifying", awaiting=Awaiting.VERIFICATION.value)
        # "yes it's me, 4821": the verification answer in the same message is taken too.
        if not try_verification(run):
            run.say(text("common.thank_you", run.lang))
            run.ask(Awaiting.VERIFICATION)
    elif action == "action_verify":
        run.state.update(phase="verifying", awaiting=Awaiting.VERIFICATION.value)
        verification_turn(action, run)
    elif action in ("action_decline", "action_not_available"):
        run.say(text("identity.third_party", run.lang, first=run.account.first_name))
        run.ask(Awaiting.THIRD_PARTY_CALLBACK)
    elif action == "action_not_understood":
        not_understood(run)
    else:
        run.say(text("identity.who_first", run.lang))
        run.ask_again()


def third_party_answer(action: str, run: Run) -> None:
    when = parse_callback_time(run.turn.text, now=run.account.local_now(run.ctx.now), lang=run.lang)
    if when is not None:
        run.record("callback", callback_at=when.isoformat(), text=run.turn.text[:500])
        run.outcome("callback")
        run.end(
            text("identity.third_party_callback", run.lang, when=say.local_time(when, run.lang))
        )
    elif action == "action_confirm":
        run.say(text("common.thank_you", run.lang))
        run.reask()
    else:
        run.end(text("identity.third_party_goodbye", run.lang))
