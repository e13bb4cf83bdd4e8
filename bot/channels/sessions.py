"""Sessions: a verified SMS or chat conversation idle for `SESSION_IDLE_MINUTES` is ended, so the
next message starts over at identity. Days later, whoever holds the phone asking "how much do I
owe" gets no amount without verifying again (FDCPA §805(b) / Reg F §1006.6(d): no disclosure of
the debt to a third party). A call is a new conversation, verified again, every time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.ledger.db import session_scope
from bot.ledger.repo import conversations
from bot.settings import get_settings

IDLE_DISPOSITION = "idle_timeout"


def expire_if_idle(conversation_id: str, now: datetime | None = None) -> bool:
    """End the conversation if it is verified, still open and idle past the setting; True if
    it was (the caller forgets its Rasa tracker and starts over)."""
    with session_scope() as session:
        conversation = conversations.conversation(session, conversation_id)
        return conversation is not None and end_if_idle(session, conversation, now)


def end_if_idle(session, conversation, now: datetime | None = None) -> bool:
    """`expire_if_idle` in the caller's transaction, for a conversation it has loaded."""
    if conversation.ended_at is not None or not conversation.verified:
        return False
    now = now or datetime.now(timezone.utc)
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    last = conversations.last_activity(session, conversation.id)
    if last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    if now - last < idle:
        return False
    conversations.end(conversation, IDLE_DISPOSITION)
    return True
