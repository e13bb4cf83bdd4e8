"""Issue #12: the calling window checked again when the carrier dials and when the call is
answered. A call placed at 20:59 that waits in the carrier's queue and rings or is answered
after 21:00 (every plausible zone) is cancelled or ended politely; the refusal is audited and the
attempt says why. Real ledger (SQLite), real Redis, the real voice service."""

import asyncio
import json
from datetime import datetime, timezone

import pytest
import redis as redis_lib

from bot.channels.voice.registry import CallRegistry
from bot.channels.voice.service import VoiceService
from bot.ledger.db import migrate, session_scope
from bot.ledger.models import AuditEntry, ContactAttempt
from bot.settings import Settings, get_settings
from telephony import twilio_client
from tests import factories

SID = "CA" + "7" * 32
BEFORE_NINE = datetime(2026, 12, 1, 1, 59, 30, tzinfo=timezone.utc)  # 20:59:30 in New York
AFTER_NINE = datetime(2026, 12, 1, 2, 0, 0, tzinfo=timezone.utc)  # 21:00:00 in New York


@pytest.fixture
def voice(sqlite_url, embedded_redis_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    with session_scope() as session:
        # A Los Angeles account on a New York number: New York's 21:00 comes first.
        session.add(factories.account("A1", timezone="America/Los_Angeles", phone="+12125550101"))
        session.add(
            ContactAttempt(account_id="A1", channel="voice", direction="outbound", provider_sid=SID)
        )
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    registry = CallRegistry(redis)
    registry.add(SID, "A1", "outbound")
    service = VoiceService(Settings(), conversations=None, registry=registry, twilio=None)
    yield service
    redis.delete(f"voice:call:{SID}")
    get_settings.cache_clear()


def refusals() -> list[dict]:
    with session_scope() as session:
        rows = session.query(AuditEntry).filter_by(kind="gate_decision").all()
        return [json.loads(r.data) for r in rows if not json.loads(r.data)["allowed"]]


def disposition() -> str | None:
    with session_scope() as session:
        return session.query(ContactAttempt).filter_by(provider_sid=SID).one().disposition


def test_a_call_answered_before_nine_connects_the_conversation(voice):
    voice.clock = lambda: BEFORE_NINE
    assert "<Stream" in voice.answer(SID, "+15550100000", "outbound-api")
    assert refusals() == [] and disposition() is None


def test_a_call_answered_at_nine_is_ended_politely_and_audited(voice):
    voice.clock = lambda: AFTER_NINE
    body = voice.answer(SID, "+15550100000", "outbound-api")
    assert "<Stream" not in body and "<Hangup" in body and "inconvenient time" in body
    [refusal] = refusals()
    assert refusal["reason"] == "outside_window" and "answered" in refusal["detail"]
    assert "America/New_York" in refusal["detail"]
    assert disposition() == "outside_window"
    # The media stream ending must not be taken for the bot hanging up on a conversation.
    assert voice.registry.redirected(SID)


def test_a_call_the_carrier_dials_after_nine_is_cancelled_once(voice, monkeypatch):
    cancelled: list[str] = []

    async def cancel_call(client, sid):
        cancelled.append(sid)
        return "canceled"

    monkeypatch.setattr(twilio_client, "cancel_call", cancel_call)
    voice.clock = lambda: AFTER_NINE
    for stage in ("initiated", "ringing"):
        if voice.window_closed(SID, stage):
            asyncio.run(voice.cancel(SID))
    assert cancelled == [SID, SID]  # asked again at ringing, in case the first was lost
    assert len(refusals()) == 1  # audited once, at the stage it was found
    assert disposition() == "outside_window"


def test_an_inbound_call_is_never_refused_by_the_window(voice):
    voice.registry.add(SID, "A1", "inbound")
    voice.clock = lambda: AFTER_NINE
    assert not voice.window_closed(SID, "answered")
