"""The reminder conversation as a state machine.

Rasa decides which action a customer's message calls for; this module decides what that action
means at this point of the conversation. It is pure: it returns the messages, the new state and
the records to write (`Effect`s), and never touches a database, so every path is unit-testable.

State is a JSON-able dict kept in a Rasa slot. `phase` moves identity -> verifying -> verified;
`awaiting` names the question the bot is waiting on (bot/conversation/awaiting.py), so a
question or an aside can be answered and the conversation resumed where it was.

This module is the dispatch; the handlers live in bot/conversation/phases/, one module per phase.
"""

from __future__ import annotations

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import (
    DISPOSITIONS,
    PRIORITY,
    Context,
    Effect,
    Outcome,
    Run,
    Turn,
    priority_for,
)
from bot.conversation.messages import text
from bot.conversation.phases.anywhere import ALL_CHANNEL_WORDS, GLOBAL
from bot.conversation.phases.ask import HANDLERS
from bot.conversation.phases.forms import FREE_TEXT
from bot.conversation.phases.identity import identity_turn
from bot.conversation.phases.verifying import DEBT_ACTIONS, verification_turn

__all__ = [
    "ACTIONS",
    "ALL_CHANNEL_WORDS",
    "DEBT_ACTIONS",
    "DISPOSITIONS",
    "PRIORITY",
    "Awaiting",
    "Context",
    "Effect",
    "Outcome",
    "Turn",
    "handle",
    "priority_for",
    "start",
]


def start(*, conversation_id: str, channel: str, ctx: Context) -> Outcome:
    state = {
        "conversation_id": conversation_id,
        "account_id": ctx.account.account_id,
        "channel": channel,
        "phase": "identity",
        "awaiting": Awaiting.IDENTITY.value,
        "tries": 0,
        "misunderstood": 0,
        "pending": {},
        "captured": [],
        "outcomes": [],
        # The conversation's language: the account's, until the customer writes in another.
        "lang": ctx.account.lang,
    }
    return Outcome([say.opening(ctx.account, ctx.bank, channel, ctx.account.lang)], state, [])


def handle(action: str, turn: Turn, state: dict, ctx: Context) -> Outcome:
    """Run one customer turn that Rasa mapped to `action`."""
    run = Run(state, turn, ctx)
    if run.state.get("ended"):
        run.say(text("conversation.ended", run.lang))
        return run.done()
    if action in GLOBAL:
        GLOBAL[action](run)
    elif run.state["phase"] == "identity":
        identity_turn(action, run)
    elif run.state["phase"] == "verifying":
        verification_turn(action, run)
    elif run.awaiting in FREE_TEXT:
        FREE_TEXT[run.awaiting](run)
    else:
        HANDLERS.get(action, HANDLERS["action_not_understood"])(run)
    if action != "action_not_understood" and not run.state.get("_kept_misunderstood"):
        run.state["misunderstood"] = 0
    run.state.pop("_kept_misunderstood", None)
    return run.done()


ACTIONS = sorted({*HANDLERS, *GLOBAL, "action_open_conversation"})
