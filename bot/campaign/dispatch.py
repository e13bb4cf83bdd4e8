"""Dispatch: planned contacts go through Redis to the workers that make them, each exactly once.

Keys (prefix `campaign`, so several campaigns or test runs can share a Redis):

- `campaign:schedule` — sorted set, score = due time (epoch s), member = the contact as JSON.
- `campaign:jobs:{day}` — hash, dispatch key -> `queued` | `started|<instance>|<ms>` |
  `done|<outcome>`: the idempotency record. Scheduling writes `queued` with HSETNX, so a key is
  enqueued once however often the plan is made; it expires 8 days after its day.
- `campaign:dispatch` — the stream the workers read, consumer group `dialers`. A Lua script moves
  due members from the schedule into it atomically (any worker may run it; none moves one twice).
- `campaign:outcomes` — a stream of every outcome (key, account, channel, outcome, worker).
- `campaign:alive:{instance}` — a worker's heartbeat (a key with a short TTL).
- `campaign:inflight` — the global semaphore: sorted set of slot tokens scored by lease expiry.
- `campaign:bucket` — the token bucket for contacts per second.
- `campaign:handoffs` — a stream of accounts handed to a person (legal review, relationship
  manager), once per account, action and day.

A worker takes an entry (XREADGROUP, or XAUTOCLAIM for one left idle by a dead worker), waits for a
token and a slot, asks the gate again (conditions change between planning and dialling), marks
the job `started` by itself (compare-and-set), calls the executor, and in one Lua script marks it
`done`, acknowledges and deletes the entry, logs the outcome and schedules the retry the strategy
asks for (no answer, busy).

Exactly once, and where it stops being exact:

- Two workers never both start a job: `started` is a compare-and-set on the job's record.
- A worker killed after its executor ran but before `done`: the job says `started` by an instance
  whose heartbeat has expired. Whoever reclaims the entry asks the executor's own record
  (`executor.recorded_outcome(key)`); if the contact was made it is finished with that outcome and
  not attempted again. If there is no record it was not made, and it is attempted.
- The remaining window is inside the executor: between the contact really happening (the gateway
  sending the text, the carrier placing the call) and the executor's record of it. For
  `RedisRecordingExecutor` the two are one MULTI, so there is no window. For `GatewayExecutor`
  the record is written when the gateway has answered: a worker killed while the request is in
  flight leaves no record, and the reclaimer sends the request again with the same
  `Idempotency-Key` header — exactly once only if the gateway honours that header (it should
  return the first answer for a key it has seen); otherwise a second text or call is possible,
  and only the gate's daily and weekly caps bound it. An executor without `recorded_outcome`
  gets the safe side: a job found `started` by a dead worker is finished as
  `unknown_after_crash`, never attempted twice (at most once).
- A live worker whose heartbeat stalls longer than its TTL (a frozen process) could be taken for
  dead while it is dialling; the record check still prevents a second attempt once the first
  has been recorded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import redis

from bot.campaign.contacts import DueContact
from bot.campaign.strategy import Strategy, load_strategy
from bot.campaign.windows import next_window_open, parse_day_tag
from bot.compliance.gate import GateDecision
from bot.infra.redis_client import ensure_group

log = logging.getLogger(__name__)

PREFIX = "campaign"
GROUP = "dialers"
JOB_TTL_S = 8 * 86400
OUTCOMES_MAXLEN = 100_000
DONE_OUTCOMES_NO_RETRY = ("sent", "answered", "placed")

Gate = Callable[[str, str, datetime], GateDecision]
Executor = Callable[[str, str, str], str]

# KEYS: jobs hash, schedule; ARGV: ttl, then (key, due, member) triples
_SCHEDULE = """
local n = 0
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'queued') == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    n = n + 1
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
"""
# KEYS: schedule, stream; ARGV: now, limit
_PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'c', member)
  redis.call('ZREM', KEYS[1], member)
end
return #due
"""
# KEYS: jobs hash; ARGV: key, expected state, new state -> 1 if swapped
_CAS = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == false then current = '' end
if current == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""
# KEYS: jobs hash, stream, outcomes, schedule, retry jobs hash
# ARGV: key, outcome, group, entry id, worker, account, channel, at, [retry key, due, member]
_FINISH = """
redis.call('HSET', KEYS[1], ARGV[1], 'done|' .. ARGV[2])
if ARGV[4] ~= '' then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[2], ARGV[4])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[12], '*', 'key', ARGV[1], 'outcome', ARGV[2],
  'worker', ARGV[5], 'account_id', ARGV[6], 'channel', ARGV[7], 'at', ARGV[8])
if ARGV[9] ~= '' then
  if redis.call('HSETNX', KEYS[5], ARGV[9], 'queued') == 1 then
    redis.call('ZADD', KEYS[4], ARGV[10], ARGV[11])
  end
end
return 1
"""
# KEYS: jobs hash, stream, schedule; ARGV: key, group, entry id, due, member
_RESCHEDULE = """
redis.call('HSET', KEYS[1], ARGV[1], 'queued')
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
return 1
"""
# KEYS: semaphore zset; ARGV: limit, token, lease ms -> 1 acquired, 0 full
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  return 1
end
return 0
"""
# KEYS: semaphore zset; ARGV: lease ms, tokens... (extend the leases still held)
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return 1
"""
# KEYS: bucket hash; ARGV: rate per s, burst -> ms to wait (0: a token was taken)
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 3600000)
return wait
"""


def _text(value) -> str:
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
        self._schedule = client.register_script(_SCHEDULE)
        self._promote = client.register_script(_PROMOTE)
        self._cas = client.register_script(_CAS)
        self._finish = client.register_script(_FINISH)
        self._reschedule = client.register_script(_RESCHEDULE)
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._token = client.register_script(_BUCKET)

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
        return None if value is None else _text(value)

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

    def take_token(self, *, rate: float, burst: float) -> int:
        """0 if a token was taken, else the milliseconds to wait before asking again."""
        return int(self._token(keys=[self.bucket], args=[repr(rate), repr(burst)]))

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
            {_text(k): _text(v) for k, v in fields.items()}
            for _id, fields in self.redis.xrange(self.outcomes)
        ]


def _ttl(day: str) -> int:
    """Seconds until the day's records may go: 8 days after the day (at least a day)."""
    try:
        start = datetime.combine(parse_day_tag(day), datetime.min.time(), timezone.utc)
    except ValueError:
        return JOB_TTL_S
    return max(86400, int(start.timestamp() + JOB_TTL_S - time.time()))


# ---------------------------------------------------------------------------- the gate


def allow_all(account_id: str, channel: str, now: datetime) -> GateDecision:
    """A gate that allows everything: for tests and dry runs only."""
    return GateDecision(True, "allowed")


class LedgerGate:
    """The real gate: `check_contact` on the ledger (facts gathered now, decision audited)."""

    def __init__(self, url: str | None = None, *, actor: str = "campaign"):
        self.url = url
        self.actor = actor

    def __call__(self, account_id: str, channel: str, now: datetime) -> GateDecision:
        from bot.compliance.gate import check_contact
        from bot.ledger.db import session_scope

        with session_scope(self.url) as session:
            return check_contact(session, account_id, channel, now=now, actor=self.actor)


# ---------------------------------------------------------------------------- executors


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
        return None if value is None else _text(value)

    def attempts(self) -> list[str]:
        return [_text(v).rsplit("|", 1)[0] for v in self.redis.lrange(self.attempts_key, 0, -1)]

    def attempts_by(self) -> list[tuple[str, str]]:
        return [
            tuple(_text(v).rsplit("|", 1))  # type: ignore[misc]
            for v in self.redis.lrange(self.attempts_key, 0, -1)
        ]

    def peak_concurrency(self) -> int:
        return int(self.redis.get(self.peak_key) or 0)


# Twilio call statuses -> campaign outcomes
_CALL_STATUS = {
    "completed": "answered",
    "in-progress": "answered",
    "answered": "answered",
    "no-answer": "no_answer",
    "no_answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "failed",
}
_CALL_FINAL = frozenset(_CALL_STATUS) - {"in-progress"}


class GatewayUnavailable(RuntimeError):
    """The gateway did not answer, or answered 5xx: the contact may or may not have happened."""


class GatewayExecutor:
    """Contacts through the running gateway:

    - `POST {gateway}/api/accounts/{id}/sms` and `POST {gateway}/api/accounts/{id}/calls`, with
      the bearer token and `Idempotency-Key: <dispatch key>`;
    - 201 -> "sent" (sms) or the call's outcome: the body's `status` mapped (completed ->
      answered, no-answer -> no_answer, busy, failed), and while it is not final and the body has
      a `call_sid`, `GET {gateway}/api/calls/{sid}` is polled for up to `call_wait_s` (a 404
      there ends the polling: "placed");
    - 409 -> "denied:<reason>" (the gateway's own gate refused), 404 -> "unknown_account";
    - anything else raises GatewayUnavailable (the worker retries the job later).

    The outcome is recorded in Redis (`{prefix}:gateway:{key}`, 8 days) as soon as the gateway
    has answered: `recorded_outcome` is how a worker that reclaims a crashed job learns the
    contact was already made."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        client: redis.Redis | None = None,
        prefix: str = PREFIX,
        timeout_s: float = 30.0,
        call_wait_s: float = 90.0,
        poll_s: float = 2.0,
        http=None,
    ):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.redis = client
        self.prefix = prefix
        self.call_wait_s = call_wait_s
        self.poll_s = poll_s
        self.http = http or httpx.Client(
            timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    def _record_key(self, dispatch_key: str) -> str:
        return f"{self.prefix}:gateway:{dispatch_key}"

    def recorded_outcome(self, dispatch_key: str) -> str | None:
        if self.redis is None:
            return None
        value = self.redis.get(self._record_key(dispatch_key))
        return None if value is None else _text(value)

    def __call__(self, account_id: str, channel: str, dispatch_key: str) -> str:
        import httpx

        path = "sms" if channel == "sms" else "calls"
        url = f"{self.base_url}/api/accounts/{account_id}/{path}"
        try:
            response = self.http.post(url, headers={"Idempotency-Key": dispatch_key})
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"{url}: {exc}") from exc
        if response.status_code == 201:
            body = _json(response)
            outcome = "sent" if channel == "sms" else self._call_outcome(body)
        elif response.status_code == 409:
            detail = _json(response).get("detail")
            reason = detail.get("reason") if isinstance(detail, dict) else None
            outcome = f"denied:{reason or 'conflict'}"
        elif response.status_code == 404:
            outcome = "unknown_account"
        else:
            raise GatewayUnavailable(f"{url}: HTTP {response.status_code} {response.text[:200]}")
        if self.redis is not None:
            self.redis.set(self._record_key(dispatch_key), outcome, ex=JOB_TTL_S)
        return outcome

    def _call_outcome(self, body: dict) -> str:
        status = str(body.get("status") or "")
        sid = body.get("call_sid") or body.get("sid")
        deadline = time.monotonic() + self.call_wait_s
        while status not in _CALL_FINAL and sid and time.monotonic() < deadline:
            time.sleep(self.poll_s)
            try:
                response = self.http.get(f"{self.base_url}/api/calls/{sid}")
            except Exception:  # noqa: BLE001 - the call was placed; its outcome is unknown
                break
            if response.status_code != 200:
                break
            status = str(_json(response).get("status") or status)
        return _CALL_STATUS.get(status, "placed")


def _json(response) -> dict:
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict):
            return body
    return {}


# ---------------------------------------------------------------------------- the worker


@dataclass
class _Entry:
    entry_id: str
    contact: DueContact | None
    reclaimed: bool


class Worker:
    """Takes due contacts from the stream and makes them, paced, each exactly once.

    - `concurrency`: contacts this worker makes at the same time (its thread pool);
      `prefetch`: entries it may hold beyond that, waiting for a thread.
    - `max_in_flight`: contacts in progress across all workers (a Redis semaphore with leases
      renewed by the heartbeat, so a dead worker's slots come back); None: no global limit.
    - `rate` (contacts/s, all workers together, a Redis token bucket) and `burst`.
    - `claim_idle_ms`: an entry left unacknowledged this long by a worker is taken over
      (XAUTOCLAIM); the heartbeat (every claim_idle_ms / 5) keeps a live worker's entries fresh
      and its `alive` key (TTL 3/5 of claim_idle_ms) present.
    - `clock`: epoch seconds (injectable for tests: retries and schedules follow it).
    """

    def __init__(
        self,
        name: str,
        executor: Executor,
        client: redis.Redis,
        *,
        prefix: str = PREFIX,
        strategy: Strategy | None = None,
        gate: Gate | None = None,
        profiles=None,
        concurrency: int = 4,
        prefetch: int = 0,
        max_in_flight: int | None = None,
        rate: float | None = None,
        burst: float | None = None,
        claim_idle_ms: int = 60_000,
        block_ms: int = 500,
        max_errors: int = 3,
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self.instance = f"{name}:{uuid.uuid4().hex[:8]}"
        self.executor = executor
        self.queue = CampaignQueue(client, prefix)
        self.redis = client
        self.strategy = strategy or load_strategy()
        self.gate = gate or LedgerGate(actor=f"campaign:{name}")
        self._profiles = profiles
        self.concurrency = max(1, concurrency)
        self.prefetch = max(0, prefetch)
        self.max_in_flight = max_in_flight
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate or 1.0)
        self.claim_idle_ms = claim_idle_ms
        self.heartbeat_ms = max(50, claim_idle_ms // 5)
        self.alive_ttl_ms = 3 * self.heartbeat_ms
        self.block_ms = block_ms
        self.max_errors = max_errors
        self.clock = clock
        self._held: dict[str, str] = {}  # entry id -> dispatch key, while this worker has it
        self._slots: set[str] = set()
        self._lock = threading.Lock()
        self._cursor = "0-0"
        self._errors: dict[str, int] = {}
        self.handled: dict[str, int] = {}

    # ---------------------------------------------------------------- the loop

    def run(self, stop: threading.Event | None = None, *, until_idle: bool = False) -> None:
        """Work until `stop` is set (or, with until_idle, until nothing is due or pending)."""
        stop = stop or threading.Event()
        self.queue.ensure_group()
        self._beat()
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(beating,), daemon=True)
        heart.start()
        futures: set[Future] = set()
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.name) as pool:
                while not stop.is_set():
                    self.queue.promote_due(self.clock())
                    room = self.concurrency + self.prefetch - len(futures)
                    entries = self.take(room, block=not futures) if room > 0 else []
                    for entry in entries:
                        futures.add(pool.submit(self._handle_safely, entry))
                    if futures:
                        _done, futures = wait(futures, timeout=0.05, return_when=FIRST_COMPLETED)
                        futures = set(futures)
                    elif until_idle and not entries and self._idle():
                        break
                wait(futures)
        finally:
            beating.set()
            heart.join(timeout=2)
            self.redis.delete(self.queue.alive_key(self.instance))

    def run_once(self, count: int = 100) -> int:
        """Promote, take up to `count` entries and handle them all (in this thread)."""
        self.queue.ensure_group()
        self._beat()
        self.queue.promote_due(self.clock())
        entries = self.take(count, block=False)
        for entry in entries:
            self._handle_safely(entry)
        return len(entries)

    def _idle(self) -> bool:
        counts = self.queue.counts()
        nothing_due = not self.redis.zcount(self.queue.schedule_key, "-inf", repr(self.clock()))
        return nothing_due and counts["in_stream"] == 0 and counts["pending"] == 0

    def take(self, count: int, *, block: bool = False) -> list[_Entry]:
        """Entries left idle by others first (XAUTOCLAIM), then new ones (XREADGROUP)."""
        entries = self._reclaim(count)
        if len(entries) < count:
            reply = self.redis.xreadgroup(
                GROUP,
                self.name,
                {self.queue.stream: ">"},
                count=count - len(entries),
                block=self.block_ms if block and not entries else None,
            )
            for _stream, items in reply or []:
                for entry_id, fields in items:
                    entries.append(self._entry(entry_id, fields, reclaimed=False))
        with self._lock:
            for e in entries:
                if e.contact is not None:
                    self._held[e.entry_id] = e.contact.key
        return entries

    def _reclaim(self, count: int) -> list[_Entry]:
        reply = self.redis.xautoclaim(
            self.queue.stream,
            GROUP,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id=self._cursor,
            count=count,
        )
        cursor, items = _text(reply[0]), reply[1]
        self._cursor = "0-0" if cursor in ("0-0", "0") else cursor
        entries = []
        for entry_id, fields in items:
            entry_id = _text(entry_id)
            with self._lock:
                if entry_id in self._held:
                    continue  # ours, still being worked on
            if fields is None:  # deleted while pending (Redis 6.2 still lists it)
                self.queue.ack(entry_id)
                continue
            entries.append(self._entry(entry_id, fields, reclaimed=True))
        return entries

    def _entry(self, entry_id, fields, *, reclaimed: bool) -> _Entry:
        entry_id = _text(entry_id)
        raw = fields.get(b"c", fields.get("c")) if fields else None
        try:
            contact = DueContact.from_member(raw) if raw is not None else None
        except (TypeError, ValueError):
            contact = None
        if contact is None:
            log.error("campaign: unreadable dispatch entry %s: %r", entry_id, fields)
            self.queue.ack(entry_id)
        return _Entry(entry_id, contact, reclaimed)

    # ---------------------------------------------------------------- one entry

    def _handle_safely(self, entry: _Entry) -> str:
        if entry.contact is None:
            return "unreadable"
        try:
            result = self.handle(entry)
        except Exception:  # noqa: BLE001 - left pending: reclaimed and retried after claim_idle
            log.exception("campaign: %s failed on %s", self.name, entry.contact.key)
            result = "error"
        finally:
            with self._lock:
                self._held.pop(entry.entry_id, None)
        with self._lock:
            self.handled[result] = self.handled.get(result, 0) + 1
        return result

    def handle(self, entry: _Entry) -> str:
        contact = entry.contact
        assert contact is not None
        q = self.queue
        state = q.state(contact)
        if state is None:
            expected = ""  # records expired or never written: treat as queued
        elif state == "queued":
            expected = "queued"
        elif state.startswith("done|"):
            q.ack(entry.entry_id)  # already made (a duplicate delivery): nothing to do
            return "already_done"
        else:  # started|<instance>|<ms>
            holder = state.split("|")[1]
            if holder != self.instance and self.redis.exists(q.alive_key(holder)):
                return "held_by_live_worker"  # it will acknowledge; leave it pending
            recorder = getattr(self.executor, "recorded_outcome", None)
            if recorder is None:
                self._finish(entry, "unknown_after_crash")
                return "unknown_after_crash"
            recorded = recorder(contact.key)
            if recorded is not None:
                self._finish(entry, recorded)  # made before the crash: not again
                return "recovered"
            expected = state  # started, never made: make it now

        self._wait_for_token()
        slot = self._acquire_slot()
        try:
            now = datetime.fromtimestamp(self.clock(), timezone.utc)
            decision = self.gate(contact.account_id, contact.channel, now)
            if not decision.allowed:
                if decision.reason == "outside_window":
                    opening = self._next_opening(contact, now)
                    if opening is not None and q.cas(contact, expected, "queued"):
                        q.reschedule(contact, opening.timestamp(), entry_id=entry.entry_id)
                        return "rescheduled"
                self._finish(entry, f"denied:{decision.reason}")
                return "denied"
            started = f"started|{self.instance}|{int(self.clock() * 1000)}"
            if not q.cas(contact, expected, started):
                return "lost_race"  # someone else started it; they acknowledge
            try:
                outcome = self.executor(contact.account_id, contact.channel, contact.key)
            except Exception:
                recorded = getattr(self.executor, "recorded_outcome", lambda _k: None)(contact.key)
                if recorded is not None:
                    self._finish(entry, recorded)
                    return "done"
                errors = self._errors.get(contact.key, 0) + 1
                self._errors[contact.key] = errors
                if errors >= self.max_errors:
                    self._finish(entry, "error")
                    return "error"
                q.cas(contact, started, "queued")  # not made: let it be picked up again
                raise
            self._finish(entry, outcome)
            return "done"
        finally:
            if slot:
                self._slots.discard(slot)
                q.release_slot(slot)

    def _finish(self, entry: _Entry, outcome: str) -> None:
        contact = entry.contact
        assert contact is not None
        self.queue.finish(
            contact,
            outcome,
            entry_id=entry.entry_id,
            worker=self.name,
            retry=self._retry_for(contact, outcome),
        )

    def _retry_for(self, contact: DueContact, outcome: str) -> DueContact | None:
        backoff = self.strategy.for_label(contact.segment).backoff(outcome)
        if backoff is None:
            return None
        number = contact.attempt + 1
        delay = backoff.delay(number)
        if delay is None:
            return None
        return contact.retry(number, self.clock() + delay)

    def _next_opening(self, contact: DueContact, now: datetime) -> datetime | None:
        from bot.compliance.profiles import load_profiles

        profiles = self._profiles or load_profiles()
        profile = profiles.get(contact.jurisdiction) or profiles["US"]
        try:
            tz = ZoneInfo(contact.zone)
        except Exception:  # noqa: BLE001 - an unknown zone: no opening to wait for
            return None
        opening = next_window_open(now, tz, profile)
        if opening is None or opening <= now:
            return None
        try:  # a contact is not carried from day to day for ever: two days past its own at most
            if (opening.astimezone(tz).date() - parse_day_tag(contact.day)).days > 2:
                return None
        except ValueError:
            return None
        return opening

    # ---------------------------------------------------------------- pacing

    def _wait_for_token(self) -> None:
        if not self.rate:
            return
        while True:
            wait_ms = self.queue.take_token(rate=self.rate, burst=self.burst)
            if wait_ms <= 0:
                return
            time.sleep(min(wait_ms, 1000) / 1000)

    def _acquire_slot(self) -> str | None:
        if not self.max_in_flight:
            return None
        token = f"{self.instance}:{uuid.uuid4().hex[:8]}"
        while not self.queue.acquire_slot(
            token, limit=self.max_in_flight, lease_ms=self.alive_ttl_ms
        ):
            time.sleep(0.01)
        self._slots.add(token)
        return token

    # ---------------------------------------------------------------- heartbeat

    def _beat(self) -> None:
        self.redis.set(self.queue.alive_key(self.instance), "1", px=self.alive_ttl_ms)

    def _heartbeat(self, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_ms / 1000):
            try:
                self._beat()
                with self._lock:
                    held = list(self._held)
                if held:
                    # reset the idle time of what we hold, so nobody takes it over
                    self.redis.xclaim(self.queue.stream, GROUP, self.name, 0, held, justid=True)
                self.queue.renew_slots(list(self._slots), lease_ms=self.alive_ttl_ms)
            except redis.RedisError:
                log.warning("campaign: %s heartbeat failed", self.name, exc_info=True)
