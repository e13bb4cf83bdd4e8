"""/metrics on a real stack (bot/infra/launcher.py): every process writes to the supervisor's
multiprocess directory, and the gateway's /metrics adds them up. A chat turn and an SMS show
their turn counters and per-stage latency histograms (the action stage comes from the action
server, another process); a forged Twilio webhook is refused and counted; a scrape without the
token gets nothing. The stack logs JSON, with the conversation ids and no customer's data."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack.conftest import add_account, start_stack, stop_stack

METRICS_TOKEN = "stack-metrics-token"  # noqa: S105 - a throw-away stack's token
pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    running = start_stack(
        tmp_path_factory.mktemp("metrics-stack"), metrics_token=METRICS_TOKEN, log_format="json"
    )
    yield running
    stop_stack(running)


def scrape(running) -> dict[tuple, float]:
    response = httpx.get(
        running.settings.gateway_url + "/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def sample(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def stage_count(found: dict, channel: str, stage: str) -> float:
    return sample(found, "reminderbot_turn_stage_seconds_count", channel=channel, stage=stage)


def test_chat_and_sms_turns_show_per_channel_and_stage(running, tmp_path):
    before = scrape(running)
    chat = add_account(
        running, tmp_path, customer_name="Ines Ortega", dob="1971-03-14", verification_last4="7702"
    )
    opened = running.api.post(
        "/api/conversations", json={"account_id": chat["account_id"], "channel": "chat"}
    )
    assert opened.status_code == 201, opened.text
    conversation_id = opened.json()["conversation_id"]
    for said in ("yes this is ines", "7702"):
        reply = running.api.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": said}
        )
        assert reply.status_code == 200, reply.text
    texter = add_account(running, tmp_path, customer_name="Tom Baker", verification_last4="5813")
    replies = running.carrier.run(
        running.carrier.sim.inbound_sms(
            texter["phone"], running.settings.twilio_from_number, "hello, who is this"
        )
    )
    assert replies

    after = scrape(running)
    chat_ok = sample(after, "reminderbot_turns_total", channel="chat", result="ok")
    assert chat_ok == sample(before, "reminderbot_turns_total", channel="chat", result="ok") + 3
    sms_turns = sum(
        v - before.get(k, 0.0)
        for k, v in after.items()
        if k[0] == "reminderbot_turns_total" and ("channel", "sms") in k[1]
    )
    assert sms_turns >= 1
    for channel in ("chat", "sms"):
        for stage in ("gateway", "rasa", "action", "ledger"):
            grew = stage_count(after, channel, stage) - stage_count(before, channel, stage)
            assert grew >= 1, (channel, stage)
    # Each turn's stages nest: the gateway's time covers Rasa's, Rasa's the action's.
    sums = {
        stage: sample(after, "reminderbot_turn_stage_seconds_sum", channel="chat", stage=stage)
        for stage in ("gateway", "rasa", "action")
    }
    assert sums["gateway"] >= sums["rasa"] >= sums["action"] > 0
    bucket = sample(
        after, "reminderbot_turn_stage_seconds_bucket", channel="chat", stage="gateway", le="+Inf"
    )
    assert bucket == stage_count(after, "chat", "gateway")
    assert sample(after, "reminderbot_part_up", part="redis") == 1
    assert sample(after, "reminderbot_part_up", part="database") == 1

    # JSON logs: the turn's conversation id is there, the customer's data is not.
    log_dir = running.settings.var_dir / "logs"
    lines = []
    for name in ("gateway.log", "actions.log"):
        for line in (log_dir / name).read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    assert any(
        line.get("conversation_id") == conversation_id and line["message"].startswith("turn ")
        for line in lines
    )
    written = "\n".join(
        (log_dir / n).read_text(errors="replace") for n in ("gateway.log", "actions.log")
    )
    # Not in a line's timestamp either (its microseconds may hold any four digits).
    written = re.sub(r'"ts": "[^"]*"', "", written)
    for secret in (chat["phone"], texter["phone"], chat["phone"][2:], "1971-03-14", "7702", "5813"):
        assert secret not in written, secret


def test_a_forged_sms_webhook_is_refused_and_counted(running):
    before = scrape(running)
    forged = httpx.post(
        running.settings.gateway_url + "/twilio/sms",
        data={"From": "+12125550101", "To": running.settings.twilio_from_number, "Body": "STOP"},
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        timeout=30,
    )
    assert forged.status_code == 403
    after = scrape(running)
    name = "reminderbot_webhook_signature_failures_total"
    assert sample(after, name, route="twilio_sms") == sample(before, name, route="twilio_sms") + 1


def test_metrics_refuse_a_scrape_without_the_token(running):
    url = running.settings.gateway_url + "/metrics"
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic x"}):
        refused = httpx.get(url, headers=headers, timeout=30)
        assert refused.status_code == 401
        assert "reminderbot_" not in refused.text
    # The API token is not the metrics token.
    api = httpx.get(url, headers={"Authorization": "Bearer test-api-token"}, timeout=30)
    assert api.status_code == 401


def test_an_opening_under_a_key_counts_one_chat_turn_and_its_repeat_none(running, tmp_path):
    account = add_account(running, tmp_path)["account_id"]

    def chat_turns() -> float:
        return sample(scrape(running), "reminderbot_turns_total", channel="chat", result="ok")

    before = chat_turns()
    for _ in range(2):  # the first opens it; the repeat is answered from the transcript
        opened = running.api.post(
            "/api/conversations",
            json={"account_id": account, "channel": "chat"},
            headers={"Idempotency-Key": "metrics-open"},
        )
        assert opened.status_code == 201, opened.text
    assert chat_turns() == before + 1
