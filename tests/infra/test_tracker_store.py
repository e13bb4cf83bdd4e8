"""The tracker store (bot/infra/tracker_store.py): its redaction of verification answers, and its
plain-write save against Rasa's own Redis store."""

from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import urlparse

import pytest
import yaml
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.infra.tracker_store import REDACTED, RedactingRedisTrackerStore, redact_answers
from bot.settings import ROOT


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


def test_conversations_never_start_a_second_session():
    """The premise of the plain-write save: one session per tracker."""
    config = yaml.safe_load((ROOT / "bot" / "domain" / "conversation.yml").read_text())
    assert config["session_config"]["session_expiration_time"] == 0


def _store(kind, url: str, prefix: str):
    where = urlparse(url)
    return kind(
        Domain.empty(),
        host=where.hostname,
        port=where.port,
        db=int(where.path.strip("/") or 0),
        password=where.password,
        key_prefix=prefix,
        record_exp=600,
    )


def _turns(tracker: DialogueStateTracker, words: list[str]) -> None:
    for said in words:
        tracker.update(user(said))
        tracker.update(ActionExecuted("action_turn"))
        tracker.update(bot(redact=said.isdigit()))
        tracker.update(ActionExecuted("action_listen"))


def _stored(store, sender: str) -> list[dict]:
    raw = store.red.get(store.key_prefix + sender)
    return [{k: v for k, v in e.items() if k != "timestamp"} for e in json.loads(raw)["events"]]


@pytest.mark.parametrize("sessions", [1, 2])
def test_a_plain_write_stores_what_rasas_merge_does(redis_url, sessions):
    """Turn after turn, as Rasa's processor does (retrieve, update, save), our store and Rasa's
    end with the same stored events; with a second session too, which ours keeps whole."""

    async def converse(store, sender):
        for turn in (["yes speaking", "4821"], ["how much do i owe"], ["i can pay 200"]):
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
            if sessions == 2 and turn == ["how much do i owe"]:
                tracker.update(ActionExecuted("action_session_start"))
                tracker.update(SessionStarted())
            _turns(tracker, turn)
            redact_answers(tracker)  # ours redacts on save; Rasa's store is given it done
            await store.save(tracker)

    sender = f"conversation-{uuid.uuid4().hex}"
    ours = _store(RedactingRedisTrackerStore, redis_url, "ours")
    rasas = _store(RedisTrackerStore, redis_url, "rasas")
    asyncio.run(converse(ours, sender))
    asyncio.run(converse(rasas, sender))
    assert _stored(ours, sender) == _stored(rasas, sender)
    texts = [e.get("text") for e in _stored(ours, sender) if e["event"] == "user"]
    assert texts == ["yes speaking", REDACTED, "how much do i owe", "i can pay 200"]
