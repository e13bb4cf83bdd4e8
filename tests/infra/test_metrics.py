"""The metrics move when the instrumented code really runs (a turn with Rasa down, the gate, a
refused Twilio signature, the dialer, a call's turns), add up across processes, stay free of
personal data, and are served only to a bearer of METRICS_TOKEN. The dashboard uses only names
that exist; the JSON logs carry the ids and none of what a customer said."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import redis
from fastapi import Depends, FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.agents.escalations import EscalationQueue
from bot.campaign.dispatch import CampaignQueue, Worker
from bot.channels.turns import Conversations
from bot.compliance.gate import check_contact
from bot.conversation import service
from bot.gateway import deps
from bot.gateway.metrics_route import router as metrics_router
from bot.gateway.twilio_auth import twilio_form
from bot.infra import logs, metrics
from bot.infra.launcher import free_port
from bot.infra.rasa_client import RasaClient
from bot.ledger.db import migrate, session_scope
from bot.settings import SANDBOX_TWILIO_AUTH_TOKEN, Settings, get_settings
from telephony.call import TurnTiming
from telephony.signatures import SIGNATURE_HEADER, sign
from tests import factories
from tests.campaign.helpers import RedisRecordingExecutor, allow_all, cleanup, contact

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+12125550101"
DASHBOARD = ROOT / "docs" / "grafana-dashboard.json"


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def ledger(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    with session_scope() as s:
        s.add(factories.account("A1", phone=PHONE))
    yield sqlite_url
    get_settings.cache_clear()


@pytest.fixture
def queue(embedded_redis_url):
    return EscalationQueue(redis.Redis.from_url(embedded_redis_url))


def rasa_down() -> RasaClient:
    """A real client to a Rasa that is not there (nothing listens on the port)."""
    return RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)


# -- a turn ----------------------------------------------------------------------------------------


def test_a_turn_counts_by_channel_result_and_stage(ledger, queue):
    before = {
        "turn": value("reminderbot_turns_total", channel="sms", result="safe_reply"),
        "gateway": value("reminderbot_turn_stage_seconds_count", channel="sms", stage="gateway"),
        "rasa": value("reminderbot_turn_stage_seconds_count", channel="sms", stage="rasa"),
        "ledger": value("reminderbot_turn_stage_seconds_count", channel="sms", stage="ledger"),
        "escalation": value("reminderbot_escalations_total", reason="technical_failure"),
    }
    conversations = Conversations(rasa_down(), queue)
    reply = asyncio.run(conversations.start("A1", "sms"))
    assert reply.failed  # Rasa is down: the safe reply, and the case queued
    assert (
        value("reminderbot_turns_total", channel="sms", result="safe_reply") == before["turn"] + 1
    )
    for stage in ("gateway", "rasa"):
        count = value("reminderbot_turn_stage_seconds_count", channel="sms", stage=stage)
        assert count == before[stage] + 1, stage
    # The turn's transactions (the failure's record among them) are timed under its channel.
    ledger_count = value("reminderbot_turn_stage_seconds_count", channel="sms", stage="ledger")
    assert ledger_count >= before["ledger"] + 1
    escalated = value("reminderbot_escalations_total", reason="technical_failure")
    assert escalated == before["escalation"] + 1


def test_a_turn_on_an_unknown_conversation_counts_as_not_found(ledger, queue):
    before = value("reminderbot_turns_total", channel="none", result="not_found")
    with pytest.raises(LookupError):
        asyncio.run(Conversations(rasa_down(), queue).send("no-such-conversation", "hello"))
    assert value("reminderbot_turns_total", channel="none", result="not_found") == before + 1


def test_the_action_stage_is_timed_under_the_conversations_channel(ledger):
    before = value("reminderbot_turn_stage_seconds_count", channel="voice", stage="action")
    service.open_conversation(conversation_id=uuid.uuid4().hex, account_id="A1", channel="voice")
    after = value("reminderbot_turn_stage_seconds_count", channel="voice", stage="action")
    assert after == before + 1


# -- the gate, the webhooks, the dialer, the calls ------------------------------------------------


def test_gate_decisions_count_by_channel_decision_and_reason(ledger):
    with session_scope() as s:
        s.add(factories.account("NOSMS", phone="+12125550177", consent_sms=False))
    with session_scope() as s:
        decision = check_contact(s, "NOSMS", "sms")
    assert not decision.allowed
    labels = {"channel": "sms", "decision": "denied", "reason": decision.reason}
    before = value("reminderbot_gate_decisions_total", **labels)
    with session_scope() as s:
        check_contact(s, "NOSMS", "sms")
    assert value("reminderbot_gate_decisions_total", **labels) == before + 1


def _twilio_app(settings: Settings) -> FastAPI:
    app = FastAPI()

    @app.post("/twilio/hook")
    async def hook(params: Annotated[dict, Depends(twilio_form)]):
        return params

    app.dependency_overrides[deps.settings] = lambda: settings
    return app


def test_a_forged_twilio_signature_is_counted_by_route():
    settings = Settings(gateway_host="127.0.0.1")
    url = settings.effective_public_base_url + "/twilio/hook"
    params = {"From": PHONE, "Body": "STOP"}

    async def post(token: str) -> int:
        transport = httpx.ASGITransport(app=_twilio_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            headers = {SIGNATURE_HEADER: sign(url, params, token)}
            return (await c.post("/twilio/hook", data=params, headers=headers)).status_code

    before = value("reminderbot_webhook_signature_failures_total", route="twilio_hook")
    assert asyncio.run(post(SANDBOX_TWILIO_AUTH_TOKEN)) == 200
    assert value("reminderbot_webhook_signature_failures_total", route="twilio_hook") == before
    assert asyncio.run(post("a-forger-s-guess")) == 403
    after = value("reminderbot_webhook_signature_failures_total", route="twilio_hook")
    assert after == before + 1


def test_the_dialer_counts_results_outcomes_and_pacing(embedded_redis_url):
    client = redis.Redis.from_url(embedded_redis_url)
    prefix = f"test-metrics-{uuid.uuid4().hex[:8]}"
    try:
        CampaignQueue(client, prefix).schedule([contact(i, channel="sms") for i in range(3)])
        executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
        worker = Worker("m", executor, client, prefix=prefix, gate=allow_all, rate=1000.0)
        before = (
            value("reminderbot_dialer_handled_total", result="done"),
            value("reminderbot_dialer_outcomes_total", channel="sms", outcome="sent"),
            value("reminderbot_dialer_pacing_wait_seconds_count", kind="token"),
        )
        assert worker.run_once() == 3
        assert value("reminderbot_dialer_handled_total", result="done") == before[0] + 3
        sent = value("reminderbot_dialer_outcomes_total", channel="sms", outcome="sent")
        assert sent == before[1] + 3
        waits = value("reminderbot_dialer_pacing_wait_seconds_count", kind="token")
        assert waits == before[2] + 3
    finally:
        cleanup(client, prefix)


def test_a_calls_turns_are_observed():
    before = value("reminderbot_voice_to_voice_seconds_count", kind="grammar")
    before_sum = value("reminderbot_voice_to_voice_seconds_sum", kind="grammar")
    answered = TurnTiming(
        end_of_turn_at=10.0, last_voice_at=9.5, first_audio_at=10.4, kind="grammar", wait_ms=500
    )
    unanswered = TurnTiming(end_of_turn_at=20.0, last_voice_at=19.5, kind="grammar", wait_ms=250)
    metrics.voice_turns([answered, unanswered])
    assert value("reminderbot_voice_to_voice_seconds_count", kind="grammar") == before + 1
    added = value("reminderbot_voice_to_voice_seconds_sum", kind="grammar") - before_sum
    assert added == pytest.approx(0.9)
    assert value("reminderbot_voice_end_of_turn_wait_seconds_count", kind="grammar") >= 2


# -- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [PHONE, "12125550101", "Jane Doe", "1980-01-01", "A1 said 1234", "x" * 80, ""]
)
def test_a_label_is_a_word_of_the_code_or_other(raw):
    assert metrics.bounded(raw) == "other"
    metrics.signature_failure(raw)
    metrics.escalation(raw)
    exposed = REGISTRY.get_sample_value("reminderbot_escalations_total", {"reason": raw})
    assert exposed is None


def test_no_exposed_label_looks_like_personal_data():
    from prometheus_client import generate_latest

    text = generate_latest(REGISTRY).decode()
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("reminderbot_"):
            continue
        for sample in family.samples:
            for key, label in sample.labels.items():
                if key == "le":
                    continue
                assert metrics.bounded(label) == label, (key, label)


# -- several processes ----------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from bot.infra import metrics
    from bot.ledger.db import migrate, session_scope
    migrate(sys.argv[1])
    metrics.in_turn("chat")
    with session_scope(sys.argv[1]):
        pass
    metrics.escalation("hardship")
    metrics.parts_up({"redis": True})
    """
)


def _child(tmp_path: Path, mp_dir: Path, n: int) -> subprocess.Popen:
    env = {**os.environ, metrics.MULTIPROC_ENV: str(mp_dir), "PYTHONPATH": str(ROOT)}
    url = f"sqlite:///{tmp_path / f'ledger{n}.sqlite3'}"
    return subprocess.Popen([sys.executable, "-c", CHILD, url], env=env, cwd=ROOT)


def _scrape(registry) -> dict[tuple, float]:
    from prometheus_client import generate_latest

    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_two_processes_values_add_up(tmp_path):
    mp_dir = metrics.fresh_dir(tmp_path / "metrics")
    children = [_child(tmp_path, mp_dir, n) for n in range(2)]
    assert [c.wait(120) for c in children] == [0, 0]
    found = _scrape(metrics.registry(str(mp_dir)))
    assert found[("reminderbot_escalations_total", (("reason", "hardship"),))] == 2
    ledger_key = (
        "reminderbot_turn_stage_seconds_count",
        (("channel", "chat"), ("stage", "ledger")),
    )
    assert found[ledger_key] == 2
    assert found[("reminderbot_part_up", (("part", "redis"),))] == 1
    # A fresh run starts from nothing.
    metrics.fresh_dir(mp_dir)
    assert ("reminderbot_escalations_total", (("reason", "hardship"),)) not in _scrape(
        metrics.registry(str(mp_dir))
    )


# -- the route ------------------------------------------------------------------------------------


def _metrics_app(settings: Settings, queue: EscalationQueue) -> FastAPI:
    app = FastAPI()
    app.include_router(metrics_router)
    app.dependency_overrides[deps.settings] = lambda: settings
    app.dependency_overrides[deps.queue] = lambda: queue
    return app


def _get(app: FastAPI, headers: dict | None = None) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get("/metrics", headers=headers or {})

    return asyncio.run(go())


def test_metrics_answer_only_the_bearer_of_the_metrics_token(ledger, queue):
    app = _metrics_app(Settings(database_url=ledger, metrics_token="scrape-secret"), queue)
    assert _get(app).status_code == 401
    assert _get(app, {"Authorization": "Bearer a-guess"}).status_code == 401
    assert _get(app, {"Authorization": "Basic scrape-secret"}).status_code == 401
    refused = _get(app, {"Authorization": "Bearer a-guess"})
    assert "reminderbot_" not in refused.text
    ok = _get(app, {"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(ok.text)}
    up = {s.labels["part"]: s.value for s in families["reminderbot_part_up"].samples}
    assert up["redis"] == 1 and up["database"] == 1
    assert "reminderbot_escalation_queue_depth" in families


def test_metrics_are_off_without_a_token(ledger, queue):
    app = _metrics_app(Settings(database_url=ledger, metrics_token=None), queue)
    response = _get(app, {"Authorization": "Bearer "})
    assert response.status_code == 403 and "METRICS_TOKEN" in response.text


def test_a_down_redis_is_reported_down(ledger):
    gone = EscalationQueue(redis.Redis(port=free_port(), socket_connect_timeout=0.5))
    app = _metrics_app(Settings(database_url=ledger, metrics_token="t"), gone)
    ok = _get(app, {"Authorization": "Bearer t"})
    assert ok.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(ok.text)}
    up = {s.labels["part"]: s.value for s in families["reminderbot_part_up"].samples}
    assert up["redis"] == 0 and up["database"] == 1


def test_the_route_adds_up_every_processs_files(ledger, queue, tmp_path, monkeypatch):
    mp_dir = metrics.fresh_dir(tmp_path / "metrics")
    children = [_child(tmp_path, mp_dir, n) for n in range(2)]
    assert [c.wait(120) for c in children] == [0, 0]
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(mp_dir))
    app = _metrics_app(Settings(database_url=ledger, metrics_token="t"), queue)
    families = {
        f.name: f
        for f in text_string_to_metric_families(_get(app, {"Authorization": "Bearer t"}).text)
    }
    hardship = [
        s.value
        for s in families["reminderbot_escalations"].samples
        if s.name == "reminderbot_escalations_total" and s.labels["reason"] == "hardship"
    ]
    assert hardship == [2]


# -- the dashboard --------------------------------------------------------------------------------


def test_every_dashboard_expression_uses_defined_metrics_and_every_metric_is_shown():
    import re

    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs
    used = {name for e in exprs for name in re.findall(r"\breminderbot_[a-z0-9_]+", e)}
    assert used and used <= metrics.names(), used - metrics.names()
    for metric in metrics.ALL:
        assert any(name.startswith(metric._name) for name in used), metric._name
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"], panel


# -- JSON logs ------------------------------------------------------------------------------------


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_json_logs_of_a_real_turn_carry_the_ids_and_no_personal_data(ledger, queue, json_log):
    conversations = Conversations(rasa_down(), queue)
    opened = asyncio.run(conversations.start("A1", "sms"))
    call = logs.CALL.set("CA" + "f" * 32)
    said = f"my date of birth is 1980-01-31, last four 1234, call me on {PHONE}"
    asyncio.run(conversations.send(opened.conversation_id, said))
    # What a careless log line would leak, scrubbed on the way out.
    logging.getLogger("careless").warning(
        "customer %s said %r with Authorization: Bearer sk_live_abcdef and token=tok-123 "
        "link /chat/signed.link.token dob 31/01/1980",
        PHONE,
        said,
    )
    logs.CALL.reset(call)
    lines = json_log()
    assert lines
    text = json.dumps(lines)
    for secret in (PHONE, "2125550101", "1980-01-31", "31/01/1980", "1234", "sk_live_abcdef"):
        assert secret not in text, secret
    assert "tok-123" not in text and "signed.link.token" not in text
    turns = [line for line in lines if line["message"].startswith("turn channel=sms")]
    assert len(turns) == 2
    assert all(line["conversation_id"] == opened.conversation_id for line in turns)
    assert all(line["result"] == "safe_reply" and line["ms"] > 0 for line in turns)
    assert lines[-1]["call_id"] == "CA" + "f" * 32 and lines[-1]["level"] == "warning"


def test_ids_and_ordinary_text_survive_the_scrubber():
    conversation_id = uuid.uuid4().hex
    line = f"rasa unavailable for conversation {conversation_id}: connection refused"
    assert logs.scrub(line) == line
    assert logs.scrub("released 3 idle claims") == "released 3 idle claims"
    assert "[number]" in logs.scrub("from +1 212 555 0101")
    # Our own parts' addresses stay readable; a date of birth written with dots does not.
    down = "GET http://127.0.0.1:54321/health failed"
    assert logs.scrub(down) == down
    assert "31.01.1980" not in logs.scrub("dob 31.01.1980")


def test_text_logs_are_left_as_they_are():
    root = logging.getLogger()
    handlers = list(root.handlers)
    logs.configure("text")
    assert root.handlers == handlers
