"""Issue #12, sessions: a verified SMS or chat conversation left idle goes back to identity.
Days later, whoever holds the phone asking "how much do I owe" is in a new, unverified
conversation (no later disclosure, the engine asks who they are); a fresh one carries on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.channels.turns import ConversationEnded
from bot.ledger import models as m
from bot.ledger.db import session_scope
from bot.ledger.models import utcnow
from bot.ledger.repo import conversations
from tests.channels.conftest import PHONE, ended, open_conversation


def last_said(conversation_id: str, ago: timedelta) -> None:
    with session_scope() as s:
        s.get(m.Conversation, conversation_id).started_at = utcnow() - ago
        s.add(m.Turn(conversation_id=conversation_id, speaker="bot", text="...", at=utcnow() - ago))


def open_sms() -> tuple[str, bool] | None:
    with session_scope() as s:
        row = conversations.open_sms_conversation_for_phone(s, PHONE)
        return (row.id, row.verified) if row else None


def test_an_idle_verified_sms_thread_asked_for_the_balance_starts_over(sms, rasa):
    old = open_conversation("A1", "sms", verified=True)
    last_said(old, timedelta(days=2))
    replies = asyncio.run(sms._reply(PHONE, "how much do I owe"))
    assert ended(old) == "idle_timeout"
    new, verified = open_sms()
    assert new != old and not verified
    assert rasa.sent[0].startswith("/start_conversation") and rasa.sent[-1] == "how much do I owe"
    assert "debt collector" not in " ".join(replies)  # not a verified conversation any more


def test_a_verified_sms_thread_inside_the_idle_time_carries_on(sms, rasa):
    current = open_conversation("A1", "sms", verified=True)
    last_said(current, timedelta(minutes=29))
    replies = asyncio.run(sms._reply(PHONE, "how much do I owe"))
    assert ended(current) is None and rasa.sent == ["how much do I owe"]
    assert replies[0].startswith("This is SPD Bank, a debt collector.")


def test_an_unverified_thread_is_not_expired(sms, rasa):
    waiting = open_conversation("A1", "sms")  # the outreach text, answered the next day
    last_said(waiting, timedelta(days=1))
    asyncio.run(sms._reply(PHONE, "yes this is jane"))
    assert ended(waiting) is None and rasa.sent == ["yes this is jane"]


def test_an_idle_verified_chat_is_ended_before_rasa_sees_the_message(turns, rasa):
    chat = open_conversation("A1", "chat", verified=True)
    last_said(chat, timedelta(minutes=31))
    with pytest.raises(ConversationEnded):
        asyncio.run(turns.send(chat, "how much do I owe"))
    assert ended(chat) == "idle_timeout" and rasa.sent == []
