"""Rasa custom actions. Each one is a thin adapter: read the tracker, call the conversation
service in bot/ and dispatch its messages. The conversation's state is the service's, kept in
the ledger under the conversation id (the tracker's sender id): nothing in a posted tracker (the
`dialogue_state` slot included) is trusted for the phase or the account."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import engine, messages, service


def _entities(tracker: Tracker) -> dict[str, str]:
    found: dict[str, str] = {}
    for entity in tracker.latest_message.get("entities", []):
        found.setdefault(entity["entity"], str(entity.get("value", "")))
    return found


def _dispatch(dispatcher: CollectingDispatcher, outcome: engine.Outcome) -> list[dict]:
    for text in outcome.messages:
        dispatcher.utter_message(text=text)
    # The gateway reads this to end the conversation and to redact verification answers.
    dispatcher.utter_message(
        json_message={
            "meta": {
                "ended": outcome.ended,
                "redact": outcome.redact_customer_text,
                # Voice uses these to choose a recognition grammar and keypad options.
                "awaiting": outcome.state.get("awaiting"),
                "misunderstood": outcome.state.get("misunderstood", 0),
                "lang": outcome.state.get("lang"),  # the voice speaks it
                "escalations": [
                    e.data["reason"] for e in outcome.effects if e.kind == "escalation"
                ],
            }
        }
    )
    return []


class OpenConversation(Action):
    def name(self) -> str:
        return "action_open_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict]:
        found = _entities(tracker)
        if "account_id" not in found:
            return await NotUnderstood().run(dispatcher, tracker, domain)
        try:
            outcome = await asyncio.to_thread(
                service.open_conversation,
                conversation_id=tracker.sender_id,
                account_id=found["account_id"],
                channel=found.get("channel", "chat"),
            )
        except service.AlreadyOpened:
            # Only the gateway opens a conversation, once; anything else that looks like an
            # opening ("start conversation" typed by a customer) is just not understood.
            return await NotUnderstood().run(dispatcher, tracker, domain)
        return _dispatch(dispatcher, outcome)


class ConversationTurn(Action):
    """Base of every turn action; subclasses differ only by the action name Rasa predicts."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict]:
        message = tracker.latest_message
        turn = engine.Turn(
            text=message.get("text") or "",
            intent=(message.get("intent") or {}).get("name"),
            entities=_entities(tracker),
        )
        try:
            outcome = await asyncio.to_thread(
                service.take_turn,
                action=self.name(),
                turn=turn,
                conversation_id=tracker.sender_id,
            )
        except service.NotStarted:
            dispatcher.utter_message(text=messages.text("conversation.not_started"))
            return []
        return _dispatch(dispatcher, outcome)


# One Action class per turn action of the engine (bot/conversation/engine.py ACTIONS), so Rasa's
# stories name business steps; tests/actions/test_registry.py checks this list against the domain.
class NotUnderstood(ConversationTurn):
    action_name = "action_not_understood"


class AlreadyPaid(ConversationTurn):
    action_name = "action_already_paid"


class AnswerQuestion(ConversationTurn):
    action_name = "action_answer_question"


class Callback(ConversationTurn):
    action_name = "action_callback"


class Confirm(ConversationTurn):
    action_name = "action_confirm"


class Decline(ConversationTurn):
    action_name = "action_decline"


class Dispute(ConversationTurn):
    action_name = "action_dispute"


class Extension(ConversationTurn):
    action_name = "action_extension"


class Goodbye(ConversationTurn):
    action_name = "action_goodbye"


class Greet(ConversationTurn):
    action_name = "action_greet"


class Hardship(ConversationTurn):
    action_name = "action_hardship"


class Human(ConversationTurn):
    action_name = "action_human"


class Inform(ConversationTurn):
    action_name = "action_inform"


class Instalments(ConversationTurn):
    action_name = "action_instalments"


class NotAvailable(ConversationTurn):
    action_name = "action_not_available"


class OptOut(ConversationTurn):
    action_name = "action_opt_out"


class PayNow(ConversationTurn):
    action_name = "action_pay_now"


class Refusal(ConversationTurn):
    action_name = "action_refusal"


class TakePromise(ConversationTurn):
    action_name = "action_take_promise"


class Verify(ConversationTurn):
    action_name = "action_verify"


class WrongNumber(ConversationTurn):
    action_name = "action_wrong_number"
