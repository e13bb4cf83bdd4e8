"""The real action server (`python -m bot.infra.action_server`, as the supervisor runs it), attacked
the way issue #11 describes: a POST to /webhook without the secret is refused, and one with the
secret but a forged `dialogue_state` slot (phase "verified", any account) gets no balance and
writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from bot.infra.action_server import SECRET_HEADER
from bot.infra.launcher import free_port
from bot.infra.supervisor import process_commands
from bot.ledger.db import migrate, session_scope
from bot.ledger.models import Conversation, Escalation, OptOut, Promise, Turn
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, Settings

SECRET = "test-actions-secret"  # noqa: S105 - a throw-away server's secret
FORGED_STATE = {
    "conversation_id": "forged-1",
    "account_id": "CC-1001",
    "channel": "chat",
    "phase": "verified",
    "awaiting": "offer",
    "tries": 0,
    "misunderstood": 0,
    "pending": {},
    "captured": [],
    "outcomes": [],
}


def action_call(action: str, sender_id: str, text: str, intent: str) -> dict:
    return {
        "next_action": action,
        "sender_id": sender_id,
        "version": "3.6.0",
        "domain": {},
        "tracker": {
            "sender_id": sender_id,
            "slots": {"dialogue_state": {**FORGED_STATE, "conversation_id": sender_id}},
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "latest_event_time": time.time(),
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedded_redis_url):
    var = tmp_path_factory.mktemp("actions")
    settings = Settings(var_dir=var, actions_port=free_port(), redis_url=embedded_redis_url)
    migrate(settings.sql_url)
    import_accounts(
        ROOT / "bot" / "demo" / "portfolio.csv",
        settings.sql_url,
        key=settings.effective_verification_key,
    )
    env = {
        **os.environ,
        "REMINDERBOT_VAR_DIR": str(var),
        "DATABASE_URL": settings.sql_url,
        "REDIS_URL": embedded_redis_url,
        "ACTIONS_SECRET": SECRET,
        "PYTHONPATH": str(ROOT),
    }
    command = process_commands(settings)["actions"]
    assert command[:3] == [sys.executable, "-m", "bot.infra.action_server"]
    log = (var / "actions.log").open("wb")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{settings.actions_port}"
    for _ in range(600):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail((var / "actions.log").read_text())
    yield base, settings
    proc.terminate()
    proc.wait(10)
    log.close()


def ledger_rows(settings: Settings, conversation_id: str) -> int:
    with session_scope(settings.sql_url) as session:
        return (
            sum(
                session.query(model).filter_by(conversation_id=conversation_id).count()
                for model in (Turn, Promise, OptOut, Escalation)
            )
            + session.query(Conversation).filter_by(id=conversation_id).count()
        )


def test_it_listens_on_loopback_by_default():
    assert Settings().actions_host == "127.0.0.1"
    command = process_commands(Settings())["actions"]
    assert command[command.index("--host") + 1] == "127.0.0.1"


def test_a_request_without_the_secret_is_refused(server):
    base, settings = server
    call = action_call("action_answer_question", "forged-1", "how much do I owe", "ask_balance")
    for headers in ({}, {SECRET_HEADER: "wrong"}):
        answer = httpx.post(base + "/webhook", json=call, headers=headers, timeout=30)
        assert answer.status_code == 403
        assert "1,240.50" not in answer.text and "balance" not in answer.text.lower()
    assert httpx.get(base + "/actions", timeout=5).status_code == 403
    assert ledger_rows(settings, "forged-1") == 0


@pytest.mark.parametrize(
    ("action", "text", "intent"),
    [
        ("action_answer_question", "how much do I owe", "ask_balance"),
        ("action_take_promise", "i will pay 10 tomorrow", "promise"),
        ("action_opt_out", "stop contacting me", "opt_out"),
        ("action_human", "i want a person", "human"),
    ],
)
def test_a_forged_state_gets_no_balance_and_writes_nothing(server, action, text, intent):
    base, settings = server
    call = action_call(action, "forged-2", text, intent)
    answer = httpx.post(base + "/webhook", json=call, headers={SECRET_HEADER: SECRET}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert "1,240.50" not in answer.text and "overdue" not in answer.text.lower()
    assert ledger_rows(settings, "forged-2") == 0


def test_a_forged_verified_slot_on_a_real_conversation_does_not_skip_verification(server):
    base, settings = server
    headers = {SECRET_HEADER: SECRET}
    opening = action_call("action_open_conversation", "real-1", "/start_conversation", "start")
    opening["tracker"]["latest_message"]["entities"] = [
        {"entity": "account_id", "value": "CC-1001"},
        {"entity": "channel", "value": "chat"},
    ]
    assert httpx.post(base + "/webhook", json=opening, headers=headers, timeout=30).is_success
    # The slot says "verified": the server's own state says the customer was never verified.
    call = action_call("action_answer_question", "real-1", "how much do I owe", "ask_balance")
    answer = httpx.post(base + "/webhook", json=call, headers=headers, timeout=30)
    assert answer.status_code == 200
    assert "1,240.50" not in answer.text and "overdue" not in answer.text.lower()
    # Nor can the opening be replayed to switch the conversation to another account.
    opening["tracker"]["latest_message"]["entities"][0]["value"] = "CC-1002"
    replay = httpx.post(base + "/webhook", json=opening, headers=headers, timeout=30)
    assert "Marcus" not in replay.text
