"""Rasa's Redis tracker store, with the customer's verification answers taken out.

A tracker keeps every raw message of a conversation; a verification answer (the last 4 digits, a
date of birth) must never be stored in clear (issue #11 item 5). The action marks the turn whose
customer text is a verification answer (`meta.redact` in its JSON message, the same flag the
gateway uses to redact the transcript); before every save, the user message of each marked turn
is replaced by one that says "[redacted]" and keeps only the intent. The events are replaced in
the tracker itself, so the copy Rasa holds in memory and the stored one stay equal.

Saving is a plain write. Rasa's Redis store reads the stored tracker back on every save,
deserialises it, replays it and merges it into the one in memory, for trackers of several
sessions whose older ones the processor never loaded: ~14 % of a Rasa server's CPU per turn
(docs/performance.md). Our conversations never start a second session (the domain's
`session_expiration_time: 0`, checked by tests/infra/test_tracker_store.py), and the store hands
Rasa the whole tracker, so the one in memory already holds everything the merge would keep.
"""

from __future__ import annotations

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.infra import rasa_server

rasa_server.install()  # Rasa imports this module from the endpoints file (see rasa_server)

REDACTED = "[redacted]"


def _marks_redaction(event) -> bool:
    if not isinstance(event, BotUttered):
        return False
    meta = ((event.data or {}).get("custom") or {}).get("meta") or {}
    return bool(meta.get("redact"))


def _redacted(event: UserUttered) -> UserUttered:
    intent = {k: v for k, v in (event.intent or {}).items() if k in ("name", "confidence")}
    return UserUttered(
        text=REDACTED,
        intent=intent,
        entities=[],
        parse_data={"text": REDACTED, "intent": intent, "entities": []},
        timestamp=event.timestamp,
        input_channel=event.input_channel,
        message_id=event.message_id,
        metadata={},
    )


def redact_answers(tracker: DialogueStateTracker) -> int:
    """Replace, in place, every user message a later bot message marks as a verification answer;
    returns how many were replaced."""
    events = tracker.events
    last_user = None
    replaced = 0
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            last_user = index
        elif _marks_redaction(event) and last_user is not None:
            if events[last_user].text != REDACTED:
                events[last_user] = _redacted(events[last_user])
                replaced += 1
            last_user = None
    return replaced


class RedactingRedisTrackerStore(RedisTrackerStore):
    """`type: bot.infra.tracker_store.RedactingRedisTrackerStore` in the endpoints file."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        # Every session, not just the last: what save writes back whole (the module's docstring).
        return await self.retrieve_full_tracker(sender_id)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        redact_answers(tracker)
        await self.stream_events(tracker)  # nothing unless an event broker is configured
        expiry = timeout or self.record_exp
        self.red.set(
            self.key_prefix + tracker.sender_id, self.serialise_tracker(tracker), ex=expiry
        )
