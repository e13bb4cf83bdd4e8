"""The production path: REDIS_URL pointing at the machine's Redis server (nothing embedded is
started) and DATABASE_URL at its PostgreSQL. One whole conversation and an escalation."""

import uuid

import pytest
import redis

from tests.stack.conftest import Conversation, start_stack, stop_stack


@pytest.fixture(scope="module")
def production(tmp_path_factory, server_redis_url, postgres_url):
    running = start_stack(
        tmp_path_factory.mktemp("prod"),
        redis_url=server_redis_url,
        database_url=postgres_url,
        escalation_stream=f"escalations-{uuid.uuid4().hex[:8]}",
    )
    yield running
    stop_stack(running)
    redis.Redis.from_url(server_redis_url).delete(running.settings.escalation_stream)


def test_no_embedded_redis_is_started(production):
    assert [p.name for p in production.stack.procs] == ["rasa", "actions", "gateway"]
    assert production.api.get("/health").json()["parts"]["redis"] == "up"


def test_promise_and_escalation_on_postgres_and_redis_server(production, server_redis_url):
    chat = Conversation(production.api, "CN-4001")
    chat.say("yes")
    assert "¥18,650.00" in chat.say("6021")
    chat.say("i can pay the minimum tomorrow")
    chat.say("yes")
    chat.say("i want to talk to someone")
    record = production.api.get("/api/accounts/CN-4001").json()
    [promise] = [p for p in record["promises"] if p["conversation_id"] == chat.id]
    assert (promise["amount"], promise["currency"]) == ("932.50", "CNY")
    [escalation] = [e for e in record["escalations"] if e["conversation_id"] == chat.id]
    assert escalation["reason"] == "customer_request"
    stream = redis.Redis.from_url(server_redis_url).xrange(production.settings.escalation_stream)
    assert [f[b"escalation_id"].decode() for _, f in stream] == [escalation["id"]]
    assert production.settings.sql_url.startswith("postgresql://")
