"""Rasa custom actions. Each one is a thin adapter: read the tracker, call the conversation
service in bot/, dispatch its messages and keep its state in the `dialogue_state` slot."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import engine, service


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
                "escalations": [
                    e.data["reason"] for e in outcome.effects if e.kind == "escalation"
                ],
            }
        }
    )
    return [SlotSet("dialogue_state", outcome.state)]


class OpenConversation(Action):
    def name(self) -> str:
        return "action_open_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict]:
        found = _entities(tracker)
        if tracker.get_slot("dialogue_state") or "account_id" not in found:
            # Only the gateway opens a conversation, once; anything else that looks like an
            # opening ("start conversation" typed by a customer) is just not understood.
            return await NotUnderstood().run(dispatcher, tracker, domain)
        outcome = await asyncio.to_thread(
            service.open_conversation,
            conversation_id=tracker.sender_id,
            account_id=found["account_id"],
            channel=found.get("channel", "chat"),
        )
        return _dispatch(dispatcher, outcome)


class ConversationTurn(Action):
    """Base of every turn action; subclasses differ only by the action name Rasa predicts."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict]:
        state = tracker.get_slot("dialogue_state")
        if not state:
            dispatcher.utter_message(text="Sorry, this conversation has not been started.")
            return []
        message = tracker.latest_message
        turn = engine.Turn(
            text=message.get("text") or "",
            intent=(message.get("intent") or {}).get("name"),
            entities=_entities(tracker),
        )
        outcome = await asyncio.to_thread(
            service.take_turn, action=self.name(), turn=turn, state=state
        )
        return _dispatch(dispatcher, outcome)


def _camel(action_name: str) -> str:
    return "".join(part.title() for part in action_name.removeprefix("action_").split("_"))


class NotUnderstood(ConversationTurn):
    action_name = "action_not_understood"


# One Action class per turn action in the engine, so Rasa's stories name business steps.
for _name in engine.ACTIONS:
    if _name not in ("action_open_conversation", "action_not_understood"):
        globals()[_camel(_name)] = type(_camel(_name), (ConversationTurn,), {"action_name": _name})
