"""The tracker store's redaction of verification answers (bot/infra/tracker_store.py)."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.infra.tracker_store import REDACTED, redact_answers


def user(text: str) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": "inform", "confidence": 0.9},
        entities=[{"entity": "digits", "value": text}],
        parse_data={"text": text, "intent": {"name": "inform"}, "entities": []},
    )


def bot(redact: bool) -> BotUttered:
    return BotUttered(data={"custom": {"meta": {"redact": redact}}})


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c1", list(events))


def test_a_marked_answer_is_replaced_and_the_rest_kept():
    t = tracker(
        user("yes it's me"),
        ActionExecuted("action_confirm"),
        bot(False),
        user("4821"),
        ActionExecuted("action_verify"),
        bot(True),
    )
    assert redact_answers(t) == 1
    texts = [e.text for e in t.events if isinstance(e, UserUttered)]
    assert texts == ["yes it's me", REDACTED]
    answer = [e for e in t.events if isinstance(e, UserUttered)][1]
    assert answer.entities == [] and answer.intent["name"] == "inform"
    # Anywhere in what is stored but the event times (a timestamp may hold the same digits).
    stored = t.as_dialogue().as_dict()
    for event in stored["events"]:
        event.pop("timestamp", None)
    assert "4821" not in str(stored)


def test_redaction_is_idempotent_and_unmarked_turns_stay():
    t = tracker(user("4821"), bot(True), user("friday"), bot(False))
    redact_answers(t)
    assert redact_answers(t) == 0
    assert [e.text for e in t.events if isinstance(e, UserUttered)] == [REDACTED, "friday"]
