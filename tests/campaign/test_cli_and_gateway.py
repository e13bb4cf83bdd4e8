"""`reminderbot campaign plan|run|worker` on a SQLite ledger and the embedded Redis, and the
gateway executor against a fake gateway (HTTP answers as the gateway gives them)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import redis
import typer
from typer.testing import CliRunner

from bot.campaign.dispatch import CampaignQueue, GatewayExecutor, GatewayUnavailable
from bot.cli.campaign import campaign_app
from bot.ledger.db import migrate
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, get_settings
from tests.campaign.helpers import cleanup

NOW = "2026-11-27T15:00:00+00:00"  # 10:00 New York, 23:00 Shanghai


@pytest.fixture
def app(sqlite_url, embedded_redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", embedded_redis_url)
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("REMINDERBOT_API_TOKEN", raising=False)
    get_settings.cache_clear()
    migrate(sqlite_url)
    import_accounts(ROOT / "bot" / "demo" / "portfolio.csv", sqlite_url)
    root = typer.Typer()
    root.add_typer(campaign_app, name="campaign")
    yield root
    get_settings.cache_clear()


def run(app, *args):
    return CliRunner().invoke(app, ["campaign", *args])


def test_plan_is_a_dry_run_with_tables_and_timing(app, embedded_redis_url):
    result = run(app, "plan", "--now", NOW)
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in ("Plan for 2026-11-27 15:00 UTC", "22 accounts", "accounts/s",
                     "Accounts per segment", "Planned contacts per channel",
                     "Not contacted now, by reason", "credit_card:", "outside_window"):  # fmt: skip
        assert expected in out, out


def test_run_queues_once_and_the_worker_needs_a_token(app, embedded_redis_url):
    prefix = f"test-cli-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(embedded_redis_url)
    try:
        first = run(app, "run", "--now", NOW, "--prefix", prefix)
        assert first.exit_code == 0, first.output
        queued = int(first.output.split("queued ")[1].split(" ")[0])
        assert queued > 0
        counts = CampaignQueue(client, prefix).counts()
        assert counts["scheduled"] == queued
        again = run(app, "run", "--now", NOW, "--prefix", prefix)
        assert again.exit_code == 0 and "queued 0 new contact(s)" in again.output
    finally:
        cleanup(client, prefix)
    no_token = run(app, "worker", "--name", "w1")
    assert no_token.exit_code == 2 and "REMINDERBOT_API_TOKEN" in no_token.output


def test_a_broken_strategy_file_is_reported(app, tmp_path):
    bad = tmp_path / "c.yml"
    bad.write_text("default: {steps: [{channel: pigeon}]}")
    result = run(app, "plan", "--now", NOW, "--strategy", str(bad))
    assert result.exit_code == 2
    assert "default.steps[0].channel: 'pigeon'" in result.output


def gateway(handler):
    return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://gw")


def test_gateway_executor_maps_answers_and_records_them(embedded_redis_url):
    client = redis.Redis.from_url(embedded_redis_url)
    prefix = f"test-gw-{uuid.uuid4().hex[:8]}"
    seen = []
    polls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.headers.get("Idempotency-Key")))
        path = request.url.path
        if path == "/api/accounts/OK/sms":
            return httpx.Response(201, json={"conversation_id": "c", "message_sids": ["SM1"]})
        if path == "/api/accounts/OK/calls":
            return httpx.Response(201, json={"call_sid": "CA1", "status": "queued"})
        if path == "/api/calls/CA1":
            polls["n"] += 1
            return httpx.Response(200, json={"status": "ringing" if polls["n"] < 2 else "busy"})
        if path == "/api/accounts/OPTED/sms":
            return httpx.Response(409, json={"detail": {"error": "contact not allowed",
                                                       "reason": "opted_out"}})  # fmt: skip
        if path == "/api/accounts/NOPE/sms":
            return httpx.Response(404, json={"detail": "unknown account NOPE"})
        return httpx.Response(503, json={"detail": "rasa down"})

    executor = GatewayExecutor("http://gw", "t0k", client=client, prefix=prefix,
                               http=gateway(handler), poll_s=0.0, call_wait_s=5)  # fmt: skip
    try:
        assert executor("OK", "sms", "k1") == "sent"
        assert executor("OK", "voice", "k2") == "busy"
        assert executor("OPTED", "sms", "k3") == "denied:opted_out"
        assert executor("NOPE", "sms", "k4") == "unknown_account"
        with pytest.raises(GatewayUnavailable):
            executor("DOWN", "sms", "k5")
        assert [executor.recorded_outcome(k) for k in ("k1", "k2", "k3", "k5")] == [
            "sent", "busy", "denied:opted_out", None
        ]  # fmt: skip
        assert ("POST", "/api/accounts/OK/sms", "k1") in seen
        assert ("POST", "/api/accounts/OK/calls", "k2") in seen
        assert polls["n"] == 2
    finally:
        cleanup(client, prefix)


def test_gateway_executor_sends_the_bearer_token():
    captured = {}

    def handler(request):
        captured.update(request.headers)
        return httpx.Response(201, content=json.dumps({}).encode())

    executor = GatewayExecutor("http://gw", "s3cret", call_wait_s=0)
    executor.http = httpx.Client(
        transport=httpx.MockTransport(handler), headers=executor.http.headers
    )
    assert executor("X", "voice", "k") == "placed"
    assert captured["authorization"] == "Bearer s3cret"
