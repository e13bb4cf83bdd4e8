"""The Redis side of dispatch: the schedule, the stream, the job records, the outcomes, and the
pacing primitives (the global semaphore and the token bucket). Keys in the package's docstring."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import redis

from bot.campaign.contacts import DueContact
from bot.campaign.dispatch.scripts import SCRIPTS
from bot.campaign.windows import parse_day_tag
from bot.infra.redis_client import ensure_group

PREFIX = "campaign"
GROUP = "dialers"
JOB_TTL_S = 8 * 86400
OUTCOMES_MAXLEN = 100_000


def as_str(value) -> str:
    """A Redis reply as str (bytes from a client without decode_responses)."""
    return value.decode() if isinstance(value, bytes) else value


class CampaignQueue:
    """The Redis side: schedule, stream, job records, outcomes."""

    def __init__(self, client: redis.Redis, prefix: str = PREFIX):
        self.redis = client
        self.prefix = prefix
        self.stream = f"{prefix}:dispatch"
        self.schedule_key = f"{prefix}:schedule"
        self.outcomes = f"{prefix}:outcomes"
        self.handoff_stream = f"{prefix}:handoffs"
        self.semaphore = f"{prefix}:inflight"
        self.bucket = f"{prefix}:bucket"
        self._schedule = client.register_script(SCRIPTS["schedule"])
        self._promote = client.register_script(SCRIPTS["promote"])
        self._cas = client.register_script(SCRIPTS["cas"])
        self._finish = client.register_script(SCRIPTS["finish"])
        self._reschedule = client.register_script(SCRIPTS["reschedule"])
        self._acquire = client.register_script(SCRIPTS["acquire"])
        self._renew = client.register_script(SCRIPTS["renew"])
        self._token = client.register_script(SCRIPTS["bucket"])

    def jobs(self, day: str) -> str:
        return f"{self.prefix}:jobs:{day}"

    def alive_key(self, instance: str) -> str:
        return f"{self.prefix}:alive:{instance}"

    def ensure_group(self) -> None:
        ensure_group(self.redis, self.stream, GROUP)

    # ---------------------------------------------------------------- scheduling

    def schedule(
        self,
        contacts: Iterable[DueContact],
        *,
        batch: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Put contacts on the schedule; a dispatch key already seen is skipped. Returns how
        many were new. `progress(n)` is called after each batch with the batch's size."""
        self.ensure_group()
        added = 0
        pending: dict[str, list] = {}
        size = 0

        def flush() -> int:
            count = 0
            for day, args in pending.items():
                count += int(
                    self._schedule(
                        keys=[self.jobs(day), self.schedule_key], args=[_ttl(day), *args]
                    )  # fmt: skip
                )
            return count

        for contact in contacts:
            pending.setdefault(contact.day, []).extend(
                (contact.key, repr(contact.due), contact.member())
            )
            size += 1
            if size >= batch:
                added += flush()
                if progress:
                    progress(size)
                pending, size = {}, 0
        if size:
            added += flush()
            if progress:
                progress(size)
        return added

    def promote_due(self, now: float | None = None, *, limit: int = 500) -> int:
        """Move the contacts due by `now` (epoch s) into the dispatch stream."""
        now = time.time() if now is None else now
        return int(self._promote(keys=[self.schedule_key, self.stream], args=[repr(now), limit]))

    def handoff(self, items: Iterable[tuple[str, str, str]], day: str) -> int:
        """Record accounts handed to a person (account_id, action, segment), once per day."""
        count = 0
        jobs = self.jobs(day)
        for account_id, action, segment in items:
            if self.redis.hsetnx(jobs, f"{account_id}|handoff|{action}", "done|handoff"):
                self.redis.xadd(
                    self.handoff_stream,
                    {"account_id": account_id, "action": action, "segment": segment, "day": day},
                    maxlen=OUTCOMES_MAXLEN,
                    approximate=True,
                )
                count += 1
        self.redis.expire(jobs, _ttl(day))
        return count

    # ---------------------------------------------------------------- records

    def state(self, contact: DueContact) -> str | None:
        value = self.redis.hget(self.jobs(contact.day), contact.key)
        return None if value is None else as_str(value)

    def cas(self, contact: DueContact, expected: str, new: str) -> bool:
        return bool(self._cas(keys=[self.jobs(contact.day)], args=[contact.key, expected, new]))

    def finish(
        self,
        contact: DueContact,
        outcome: str,
        *,
        entry_id: str,
        worker: str,
        retry: DueContact | None = None,
    ) -> None:
        args = [
            contact.key,
            outcome,
            GROUP,
            entry_id,
            worker,
            contact.account_id,
            contact.channel,
            repr(time.time()),
            retry.key if retry else "",
            repr(retry.due) if retry else "",
            retry.member() if retry else "",
            OUTCOMES_MAXLEN,
        ]
        keys = [
            self.jobs(contact.day),
            self.stream,
            self.outcomes,
            self.schedule_key,
            self.jobs(retry.day if retry else contact.day),
        ]
        self._finish(keys=keys, args=args)

    def reschedule(self, contact: DueContact, due: float, *, entry_id: str) -> None:
        """Back on the schedule under the same key (the window was closed at dispatch)."""
        moved = DueContact(**{**json.loads(contact.member()), "due": due})
        self._reschedule(
            keys=[self.jobs(contact.day), self.stream, self.schedule_key],
            args=[contact.key, GROUP, entry_id, repr(due), moved.member()],
        )

    def ack(self, entry_id: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, entry_id)
        pipe.xdel(self.stream, entry_id)
        pipe.execute()

    # ---------------------------------------------------------------- pacing

    def acquire_slot(self, token: str, *, limit: int, lease_ms: int) -> bool:
        return bool(self._acquire(keys=[self.semaphore], args=[limit, token, lease_ms]))

    def release_slot(self, token: str) -> None:
        self.redis.zrem(self.semaphore, token)

    def renew_slots(self, tokens: list[str], *, lease_ms: int) -> None:
        if tokens:
            self._renew(keys=[self.semaphore], args=[lease_ms, *tokens])

    def take_token(self, *, rate: float, burst: float, bucket: str | None = None) -> int:
        """0 if a token was taken, else the milliseconds to wait before asking again. `bucket`:
        another bucket than the dialer's own (the carrier's, for calls)."""
        key = self.bucket if bucket is None else f"{self.bucket}:{bucket}"
        return int(self._token(keys=[key], args=[repr(rate), repr(burst)]))

    # ---------------------------------------------------------------- looking

    def counts(self) -> dict[str, int]:
        self.ensure_group()
        return {
            "scheduled": int(self.redis.zcard(self.schedule_key)),
            "in_stream": int(self.redis.xlen(self.stream)),
            "pending": int(self.redis.xpending(self.stream, GROUP)["pending"]),
        }

    def outcome_log(self) -> list[dict[str, str]]:
        return [
            {as_str(k): as_str(v) for k, v in fields.items()}
            for _id, fields in self.redis.xrange(self.outcomes)
        ]


def _ttl(day: str) -> int:
    """Seconds until the day's records may go: 8 days after the day (at least a day)."""
    try:
        start = datetime.combine(parse_day_tag(day), datetime.min.time(), timezone.utc)
    except ValueError:
        return JOB_TTL_S
    return max(86400, int(start.timestamp() + JOB_TTL_S - time.time()))
