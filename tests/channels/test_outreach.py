"""Attacks on the contact caps: two contact requests at the same moment when the account has
room for one more contact, and a gateway that dies after the carrier accepted the call. The
gate's decision and a pending attempt are written under the account's lock before the carrier
is called, so exactly one request contacts the customer, and a crash still leaves the attempt
counted."""

import asyncio
import itertools
import time
from datetime import datetime, timezone

import pytest
import redis as redis_lib

from bot.channels import outreach
from bot.channels.outreach import CarrierRefused, ContactDenied, ContactUncertain
from bot.channels.voice.registry import CallRegistry
from bot.channels.voice.service import VoiceService
from bot.ledger.db import migrate, session_scope
from bot.ledger.models import ContactAttempt
from bot.settings import Settings, get_settings
from telephony import twilio_client
from tests import factories

VOICE_DAILY_CAP = 3  # bot/policy.yml, US: calls a day to one number


def midday_zone() -> str:
    """A zone where it is about noon now, so the calling-hours rule never refuses."""
    offset = 12 - datetime.now(timezone.utc).hour
    offset = max(-12, min(14, offset))
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


@pytest.fixture
def ledger(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    with session_scope() as session:
        # a 555 number has no area-code zone: only the midday zone's window counts
        session.add(factories.account("A1", timezone=midday_zone(), phone="+15555550101"))
    yield
    get_settings.cache_clear()


def calls_placed_today(n: int) -> None:
    with session_scope() as session:
        for i in range(n):
            session.add(
                ContactAttempt(
                    account_id="A1", channel="voice", direction="outbound", provider_sid=f"CAold{i}"
                )
            )


def attempts() -> list[tuple[str | None, str]]:
    with session_scope() as session:
        rows = session.query(ContactAttempt).order_by(ContactAttempt.started_at)
        return [
            (a.provider_sid, a.status)
            for a in rows
            if not (a.provider_sid or "").startswith("CAold")
        ]


@pytest.fixture
def carrier(monkeypatch):
    """Twilio's create_call: slow (the first request is still in flight when the second
    decides), each call counted."""
    placed: list[str] = []
    sids = (f"CA{n:032d}" for n in itertools.count(1))

    async def create_call(client, **kwargs):
        await asyncio.sleep(0.3)
        placed.append(next(sids))
        return placed[-1]

    monkeypatch.setattr(twilio_client, "create_call", create_call)
    return placed


@pytest.fixture
def voice(ledger, embedded_redis_url):
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    for key in redis.scan_iter("contact-lock:*"):
        redis.delete(key)
    return VoiceService(Settings(), conversations=None, registry=CallRegistry(redis), twilio=None)


def slow_gate(monkeypatch):
    """Widen the race: each decision takes a while after reading the counts."""
    real = outreach.check_contact

    def slow(*args, **kwargs):
        decision = real(*args, **kwargs)
        time.sleep(0.2)
        return decision

    monkeypatch.setattr(outreach, "check_contact", slow)


async def both(voice):
    return await asyncio.gather(
        voice.place_call("A1"), voice.place_call("A1"), return_exceptions=True
    )


def test_two_concurrent_requests_at_the_cap_contact_once(voice, carrier, monkeypatch):
    calls_placed_today(VOICE_DAILY_CAP - 1)
    slow_gate(monkeypatch)
    results = asyncio.run(both(voice))
    placed = [r for r in results if isinstance(r, str)]
    denied = [r for r in results if isinstance(r, ContactDenied)]
    assert len(carrier) == 1 and placed == carrier
    assert len(denied) == 1 and denied[0].decision.reason == "daily_cap"
    assert attempts() == [(carrier[0], "queued")]


def test_a_crash_after_the_carrier_accepted_leaves_a_counted_attempt(voice, carrier, monkeypatch):
    calls_placed_today(VOICE_DAILY_CAP - 1)

    def crash(*args):
        raise RuntimeError("the gateway died here")

    monkeypatch.setattr(outreach, "_complete", crash)
    with pytest.raises(ContactUncertain):
        asyncio.run(voice.place_call("A1"))
    assert len(carrier) == 1
    assert attempts() == [(None, "pending")]  # held before the carrier was called
    monkeypatch.undo()
    with pytest.raises(ContactDenied) as denied:
        asyncio.run(voice.place_call("A1"))
    assert denied.value.decision.reason == "daily_cap"
    assert len(carrier) == 1


def test_a_refused_carrier_call_marks_the_attempt_failed(voice, monkeypatch):
    async def refuse(client, **kwargs):
        raise OSError("carrier unreachable")

    monkeypatch.setattr(twilio_client, "create_call", refuse)
    with pytest.raises(CarrierRefused):
        asyncio.run(voice.place_call("A1"))
    assert attempts() == [(None, "failed")]


def test_a_placed_call_is_registered_before_its_attempt_completes(voice, carrier):
    sid = asyncio.run(voice.place_call("A1"))
    assert voice.registry.get(sid).account_id == "A1"
    assert attempts() == [(sid, "queued")]
