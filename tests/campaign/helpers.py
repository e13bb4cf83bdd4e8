"""Builders shared by the campaign tests, and the test-only stand-ins for the dispatch's real
gate and executor: `allow_all` and `RedisRecordingExecutor`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import redis

from bot.campaign.contacts import DueContact, dispatch_key
from bot.campaign.dispatch.queue import as_str
from bot.compliance.gate import GateDecision
from bot.ledger.models import Account
from tests import factories

DAY = "20261127"


def contact(i: int, *, channel: str = "voice", due: float | None = None, **kw) -> DueContact:
    account_id = kw.pop("account_id", f"A{i:04d}")
    return DueContact(
        key=dispatch_key(account_id, channel, DAY, "s0"),
        account_id=account_id,
        channel=channel,
        due=time.time() - 1 if due is None else due,
        day=DAY,
        segment=kw.pop("segment", "credit_card:1-30:low"),
        zone=kw.pop("zone", "America/New_York"),
        jurisdiction=kw.pop("jurisdiction", "US"),
        **kw,
    )


def cleanup(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def account(account_id: str, **overrides) -> Account:
    return factories.account(account_id, **overrides)


def allow_all(account_id: str, channel: str, now: datetime) -> GateDecision:
    """A gate that allows everything: for tests and dry runs only."""
    return GateDecision(True, "allowed")


class RedisRecordingExecutor:
    """Records each attempt in Redis instead of contacting anyone: a list of attempts
    (`{prefix}:attempts`, entries `key|label`) and the outcome per key, in one MULTI, so a
    recorded attempt and a performed one are the same thing. For tests and rehearsals.

    `outcomes` decides the outcome: a callable (account_id, channel, key) -> str, or None for
    "answered" (voice) / "sent" (sms). `delay_s` is how long the "contact" lasts after it is
    recorded (a call's duration)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "campaign:rehearsal",
        label: str = "",
        outcomes: Callable[[str, str, str], str] | None = None,
        delay_s: float = 0.0,
    ):
        self.redis = client
        self.attempts_key = f"{prefix}:attempts"
        self.records_key = f"{prefix}:records"
        self.inflight_key = f"{prefix}:inflight"
        self.peak_key = f"{prefix}:peak"
        self.label = label
        self.outcomes = outcomes
        self.delay_s = delay_s
        self._peak = client.register_script(
            "local n = redis.call('INCR', KEYS[1]) "
            "if n > tonumber(redis.call('GET', KEYS[2]) or '0') then "
            "redis.call('SET', KEYS[2], n) end return n"
        )

    def __call__(self, account_id: str, channel: str, dispatch_key: str) -> str:
        if self.outcomes is not None:
            outcome = self.outcomes(account_id, channel, dispatch_key)
        else:
            outcome = "answered" if channel == "voice" else "sent"
        self._peak(keys=[self.inflight_key, self.peak_key])
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.rpush(self.attempts_key, f"{dispatch_key}|{self.label}")
            pipe.hset(self.records_key, dispatch_key, outcome)
            pipe.execute()
            if self.delay_s:
                time.sleep(self.delay_s)
        finally:
            self.redis.decr(self.inflight_key)
        return outcome

    def recorded_outcome(self, dispatch_key: str) -> str | None:
        value = self.redis.hget(self.records_key, dispatch_key)
        return None if value is None else as_str(value)

    def attempts(self) -> list[str]:
        return [as_str(v).rsplit("|", 1)[0] for v in self.redis.lrange(self.attempts_key, 0, -1)]

    def attempts_by(self) -> list[tuple[str, str]]:
        return [
            tuple(as_str(v).rsplit("|", 1))  # type: ignore[misc]
            for v in self.redis.lrange(self.attempts_key, 0, -1)
        ]

    def peak_concurrency(self) -> int:
        return int(self.redis.get(self.peak_key) or 0)
