"""The escalation queue: a Redis Stream with one consumer group, mirrored in the ledger.

The ledger row is the record (what an agent sees, what reports count); the stream distributes the
work: each entry goes to exactly one consumer (XREADGROUP), is acknowledged only when resolved
(XACK), and a claim left idle too long goes back to work (XAUTOCLAIM).

A stream entry is added only once its ledger row has committed: a rolled-back escalation never
reaches an agent or leaves its summary in Redis. If Redis fails at that moment the row stays
open with no stream id, the console still lists it, and `stream_unstreamed` (the gateway's
sweeper) adds the entry later.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.infra import metrics
from bot.infra.redis_client import ensure_group
from bot.ledger.models import Escalation, new_id, utcnow
from bot.ledger.repo import escalations

REASONS = frozenset(
    {
        "customer_request",
        "hardship",
        "dispute",
        "already_paid",
        "verification_failed",
        "refusal",
        "extension_request",
        "instalment_approval",
        "not_understood",
        "technical_failure",
        "cease_request",  # a written request to stop all contact (Reg F §1006.6(c))
    }
)
GROUP = "agents"
MAXLEN = 100_000
UNSTREAMED_GRACE_S = 30  # an entry younger than this may still be on its way to the stream
log = logging.getLogger(__name__)


class UnknownReason(ValueError):
    pass


class NotClaimable(Exception):
    """The escalation is already claimed by someone else, resolved, or unknown."""


@dataclass(frozen=True)
class Claim:
    escalation_id: str
    stream_id: str
    reason: str
    account_id: str


class EscalationQueue:
    def __init__(self, client: redis.Redis, stream: str = "escalations"):
        self.redis = client
        self.stream = stream

    def ensure_group(self) -> None:
        ensure_group(self.redis, self.stream, GROUP)

    def enqueue(
        self,
        session: Session,
        *,
        account_id: str,
        conversation_id: str | None,
        reason: str,
        priority: int,
        summary: str,
    ) -> str:
        """Write the ledger row inside the caller's transaction; its stream entry follows once
        that transaction commits (never for a rolled-back one)."""
        if reason not in REASONS:
            raise UnknownReason(reason)
        metrics.escalation(reason)
        escalation_id = new_id()
        row = escalations.add(
            session,
            Escalation(
                id=escalation_id,
                account_id=account_id,
                conversation_id=conversation_id,
                reason=reason,
                priority=priority,
                summary=summary,
                status="open",
            ),
        )
        self._stream_after_commit(session, row)
        self.announce(session, escalation_id)
        return escalation_id

    def _stream_after_commit(self, session: Session, row: Escalation, *, settle: str = ""):
        """Add the row's stream entry once the caller's transaction has committed, and record
        its id in a short transaction of its own (the committed session can run no SQL).
        `settle`: an earlier entry of the row to acknowledge first, so it cannot come back."""
        fields = _fields(row)
        escalation_id = row.id
        bind = session.get_bind()

        def add_entry(_session) -> None:
            try:
                if settle:
                    self.redis.xack(self.stream, GROUP, settle)
                stream_id = _text(
                    self.redis.xadd(self.stream, fields, maxlen=MAXLEN, approximate=True)
                )
            except redis.RedisError as exc:
                log.warning(
                    "escalation %s not streamed yet (%s); retried later", escalation_id, exc
                )
                return
            with Session(bind=bind, future=True) as recording, recording.begin():
                escalations.set_stream_id(recording, escalation_id, stream_id)

        event.listen(session, "after_commit", add_entry, once=True)

    def stream_unstreamed(self, session: Session) -> list[str]:
        """Stream the open escalations whose entry never made it (Redis was down after their
        commit). A duplicate entry is harmless: whoever reads it finds the row claimed."""
        cutoff = utcnow() - timedelta(seconds=UNSTREAMED_GRACE_S)
        rows = escalations.open_unstreamed(session, cutoff)
        for row in rows:
            stream_id = _text(
                self.redis.xadd(self.stream, _fields(row), maxlen=MAXLEN, approximate=True)
            )
            escalations.set_stream_id(session, row.id, stream_id)
        return [row.id for row in rows]

    def announce(self, session: Session, escalation_id: str) -> None:
        """Tell connected consoles that this escalation changed, once the change is committed
        (a console that reloads on the event must find it). Best effort: the ledger and the
        stream are the record, this only drives the live view."""

        def publish(_session) -> None:
            with contextlib.suppress(redis.RedisError):
                self.redis.publish(f"{self.stream}:events", escalation_id)

        event.listen(session, "after_commit", publish, once=True)

    def claim_next(
        self, session: Session, consumer: str, *, block_ms: int | None = None
    ) -> Claim | None:
        """Give the consumer the oldest unclaimed entry (stale claims first)."""
        self.ensure_group()
        reclaimed = self.reclaim_stale(session, consumer, count=1)
        if reclaimed:
            return reclaimed[0]
        # An entry whose case was already claimed by name (a click in the console) or resolved
        # is dropped by _take; read on until an open case or the end of the stream, so such
        # entries never make a queue with open cases look empty.
        while True:
            reply = self.redis.xreadgroup(
                GROUP, consumer, {self.stream: ">"}, count=1, block=block_ms
            )
            entries = [entry for _stream, found in reply or [] for entry in found]
            if not entries:
                return None
            for stream_id, fields in entries:
                claim = self._take(session, consumer, _text(stream_id), fields)
                if claim:
                    return claim

    def claim(self, session: Session, escalation_id: str, consumer: str) -> Claim:
        """Claim one named escalation (an agent's click); exactly one of two concurrent callers
        wins, because the ledger update is conditional on the row still being open."""
        if not escalations.mark_claimed(session, escalation_id, consumer, from_status=("open",)):
            raise NotClaimable(escalation_id)
        row = escalations.escalation(session, escalation_id)
        # If the entry was already delivered to a consumer, settle it; if not, whoever reads it
        # later finds the row claimed and drops it.
        if row.stream_id:
            self.redis.xack(self.stream, GROUP, row.stream_id)
        _audit(session, row, consumer, "claim")
        self.announce(session, escalation_id)
        return Claim(escalation_id, row.stream_id or "", row.reason, row.account_id)

    def release_idle(self, session: Session, *, idle_ms: int) -> list[str]:
        """Claims held longer than the timeout without being resolved go back to the queue."""
        cutoff = utcnow() - timedelta(milliseconds=idle_ms)
        rows = escalations.claimed_before(session, cutoff)
        for row in rows:
            self.release(session, row.id, row.claimed_by)
        return [row.id for row in rows]

    def reclaim_stale(self, session: Session, consumer: str, *, count: int = 10) -> list[Claim]:
        from bot.settings import get_settings

        idle = get_settings().escalation_claim_idle_ms
        return self.reclaim_idle(session, consumer, idle_ms=idle, count=count)

    def reclaim_idle(
        self, session: Session, consumer: str, *, idle_ms: int, count: int = 10
    ) -> list[Claim]:
        self.ensure_group()
        _next, entries, *_ = self.redis.xautoclaim(
            self.stream, GROUP, consumer, min_idle_time=idle_ms, start_id="0-0", count=count
        )
        claims = []
        for stream_id, fields in entries:
            if fields is None:
                continue
            claim = self._take(session, consumer, _text(stream_id), fields, reclaim=True)
            if claim:
                claims.append(claim)
        return claims

    def _take(self, session, consumer, stream_id, fields, reclaim=False) -> Claim | None:
        fields = {_text(k): _text(v) for k, v in fields.items()}
        escalation_id = fields.get("escalation_id", "")
        # A reclaimed entry was claimed through the stream by a consumer that went idle.
        allowed = ("open", "claimed") if reclaim else ("open",)
        claimed = escalations.mark_claimed(
            session, escalation_id, consumer, from_status=allowed, stream_id=stream_id
        )
        if not claimed:
            # Rolled back, resolved, or claimed by name from the console: not stream work.
            self.redis.xack(self.stream, GROUP, stream_id)
            return None
        row = escalations.escalation(session, escalation_id)
        return Claim(row.id, stream_id, row.reason, row.account_id)

    def resolve(
        self, session: Session, escalation_id: str, consumer: str, *, disposition: str, note: str
    ) -> None:
        row = escalations.escalation(session, escalation_id)
        if row is None or row.status != "claimed" or row.claimed_by != consumer:
            raise NotClaimable(escalation_id)
        row.status, row.disposition, row.note, row.resolved_at = (
            "resolved",
            disposition,
            note,
            utcnow(),
        )
        session.flush()
        if row.stream_id:
            self.redis.xack(self.stream, GROUP, row.stream_id)
        _audit(session, row, consumer, "resolve", disposition=disposition)
        self.announce(session, escalation_id)

    def release(self, session: Session, escalation_id: str, consumer: str) -> None:
        """Hand a claimed escalation back to the queue for another agent."""
        row = escalations.escalation(session, escalation_id)
        if row is None or row.status != "claimed" or row.claimed_by != consumer:
            raise NotClaimable(escalation_id)
        # Re-queued as a new entry once this commits; the old pending one is acknowledged then,
        # so it cannot come back.
        old_stream_id = row.stream_id or ""
        row.status, row.claimed_by, row.claimed_at, row.stream_id = "open", None, None, None
        session.flush()
        self._stream_after_commit(session, row, settle=old_stream_id)
        _audit(session, row, consumer, "release")
        self.announce(session, escalation_id)

    def pending_count(self) -> int:
        self.ensure_group()
        return int(self.redis.xpending(self.stream, GROUP)["pending"])


def _audit(session: Session, row: Escalation, agent: str, action: str, **extra) -> None:
    from bot.compliance import audit

    audit.append(
        session,
        kind="agent_action",
        account_id=row.account_id,
        actor=agent,
        data={"escalation_id": row.id, "action": action, "reason": row.reason, **extra},
    )


def _fields(row: Escalation) -> dict[str, str]:
    return {
        "escalation_id": row.id,
        "reason": row.reason,
        "priority": str(row.priority),
        "account_id": row.account_id,
        "conversation_id": row.conversation_id or "",
        "summary": row.summary,
    }


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value
