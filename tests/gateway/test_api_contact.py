"""Attacks on the contact API: a retry with the Idempotency-Key of a request still in flight
(it must not contact the customer a second time), and an API caller naming someone else as the
agent who claims or resolves a case (the authenticated caller is recorded, not the name)."""

import asyncio
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.outreach import ContactUncertain
from bot.gateway import api, deps
from bot.gateway.api import _contact
from bot.infra import webhook_events
from bot.ledger.db import migrate
from bot.settings import get_settings


@pytest.fixture
def ledger(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    yield
    get_settings.cache_clear()


def test_a_retry_while_the_first_is_in_flight_is_409_and_contacts_nobody(ledger):
    contacts = []

    async def send():
        await asyncio.sleep(0.3)
        contacts.append(1)
        return {"call_sid": "CA1", "status": "queued"}

    async def race():
        first = asyncio.create_task(_contact("A1", "voice", "job-1", send))
        await asyncio.sleep(0.1)  # the first has claimed the key and is with the carrier
        retry = await _contact("A1", "voice", "job-1", send)
        return await first, retry

    first, retry = asyncio.run(race())
    assert (first.status_code, retry.status_code) == (201, 409)
    assert b"in_progress" in retry.body
    assert contacts == [1]
    again = asyncio.run(_contact("A1", "voice", "job-1", send))
    assert (again.status_code, again.body) == (201, first.body)
    assert contacts == [1]


def test_a_first_request_that_died_after_the_carrier_keeps_its_key(ledger):
    """Killed mid-request: the key stays claimed with no answer, so every retry is refused."""
    assert webhook_events.claim("api_sms", "A1:job-2")
    touched = []

    async def send():
        touched.append(1)
        return {}

    assert asyncio.run(_contact("A1", "sms", "job-2", send)).status_code == 409
    assert touched == []


def test_an_unrecorded_contact_is_answered_the_same_to_every_retry(ledger):
    calls = []

    async def send():
        calls.append(1)
        raise ContactUncertain("CA9")

    first = asyncio.run(_contact("A1", "voice", "job-3", send))
    again = asyncio.run(_contact("A1", "voice", "job-3", send))
    assert first.status_code == again.status_code == 502
    assert calls == [1]


class RecordingQueue:
    def __init__(self):
        self.consumers = []

    def claim(self, session, escalation_id, consumer):
        self.consumers.append(("claim", consumer))

    def release(self, session, escalation_id, consumer):
        self.consumers.append(("release", consumer))

    def resolve(self, session, escalation_id, consumer, *, disposition, note):
        self.consumers.append(("resolve", consumer))

    def claim_next(self, session, consumer):
        self.consumers.append(("claim-next", consumer))


class DirectLedger:
    async def run(self, work, *args):
        return work(None, *args)


def test_escalation_actions_record_the_authenticated_caller(monkeypatch):
    queue = RecordingQueue()
    monkeypatch.setattr(api.escalations, "escalation", lambda session, eid: SimpleNamespace())
    monkeypatch.setattr(api, "escalation_json", lambda row: {"id": "E1"})
    app = FastAPI()
    app.include_router(api.router)
    app.state.api_token = "t0k"  # noqa: S105 - a test's API token
    app.dependency_overrides[deps.queue] = lambda: queue
    app.dependency_overrides[deps.ledger] = lambda: DirectLedger()

    async def go():
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": "Bearer t0k"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gw", headers=headers
        ) as c:
            forged = {"agent": "supervisor-bob"}
            statuses = [
                (await c.post("/api/escalations/E1/claim", json=forged)).status_code,
                (await c.post("/api/escalations/E1/release")).status_code,
                (await c.post("/api/escalations/claim-next", json=forged)).status_code,
                (
                    await c.post(
                        "/api/escalations/E1/resolve",
                        json={**forged, "disposition": "called_back"},
                    )
                ).status_code,
            ]
            return statuses

    statuses = asyncio.run(go())
    assert statuses == [200, 200, 404, 200]  # claim-next: the stub queue is empty
    assert queue.consumers == [
        ("claim", "api"),
        ("release", "api"),
        ("claim-next", "api"),
        ("resolve", "api"),
    ]
