"""The dispatch worker: takes due contacts from the stream and makes them, paced, each exactly
once (how, and where exactness ends: the package's docstring)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import redis

from bot.campaign.contacts import DueContact
from bot.campaign.dispatch import pacing
from bot.campaign.dispatch.executors import Executor
from bot.campaign.dispatch.gate import Gate, LedgerGate
from bot.campaign.dispatch.heartbeat import Heartbeat
from bot.campaign.dispatch.queue import GROUP, PREFIX, CampaignQueue, as_str
from bot.campaign.strategy import Strategy, load_strategy
from bot.campaign.windows import next_window_open, parse_day_tag
from bot.infra import metrics

log = logging.getLogger(__name__)


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
        carrier_calls_per_second: float | None = None,
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
        self.carrier_calls_per_second = carrier_calls_per_second
        self.claim_idle_ms = claim_idle_ms
        self.heartbeat_ms = max(50, claim_idle_ms // 5)
        self.alive_ttl_ms = 3 * self.heartbeat_ms
        self.block_ms = block_ms
        self.max_errors = max_errors
        self.clock = clock
        # Touched from the loop, the pool's threads and the heartbeat: only under self._lock.
        self._lock = threading.Lock()
        self._held: dict[str, str] = {}  # entry id -> dispatch key, while this worker has it
        self._slots: set[str] = set()  # semaphore tokens this worker holds
        self._errors: dict[str, int] = {}  # dispatch key -> executor failures so far
        self.handled: dict[str, int] = {}  # result -> count
        self._cursor = "0-0"  # where XAUTOCLAIM goes on from
        self.heartbeat = Heartbeat(
            self.queue,
            name=name,
            instance=self.instance,
            interval_ms=self.heartbeat_ms,
            alive_ttl_ms=self.alive_ttl_ms,
            held=self._held_entries,
            slots=self._held_slots,
        )

    # ---------------------------------------------------------------- the loop

    def run(self, stop: threading.Event | None = None, *, until_idle: bool = False) -> None:
        """Work until `stop` is set (or, with until_idle, until nothing is due or pending)."""
        stop = stop or threading.Event()
        self.queue.ensure_group()
        self.heartbeat.beat()
        beating = threading.Event()
        heart = threading.Thread(target=self.heartbeat.run, args=(beating,), daemon=True)
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
            self.heartbeat.stop()

    def run_once(self, count: int = 100) -> int:
        """Promote, take up to `count` entries and handle them all (in this thread)."""
        self.queue.ensure_group()
        self.heartbeat.beat()
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
        with self._lock:
            start = self._cursor
        reply = self.redis.xautoclaim(
            self.queue.stream,
            GROUP,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id=start,
            count=count,
        )
        cursor, items = as_str(reply[0]), reply[1]
        with self._lock:
            self._cursor = "0-0" if cursor in ("0-0", "0") else cursor
        entries = []
        for entry_id, fields in items:
            entry_id = as_str(entry_id)
            with self._lock:
                if entry_id in self._held:
                    continue  # ours, still being worked on
            if fields is None:  # deleted while pending (Redis 6.2 still lists it)
                self.queue.ack(entry_id)
                continue
            entries.append(self._entry(entry_id, fields, reclaimed=True))
        return entries

    def _entry(self, entry_id, fields, *, reclaimed: bool) -> _Entry:
        entry_id = as_str(entry_id)
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
        metrics.dialer_handled(result)
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

        self._wait_for_token(contact.channel)
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
                with self._lock:
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
                self._release_slot(slot)

    def _finish(self, entry: _Entry, outcome: str) -> None:
        contact = entry.contact
        assert contact is not None
        metrics.dialer_outcome(contact.channel, outcome)
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

    def _wait_for_token(self, channel: str) -> None:
        if self.rate:
            pacing.wait_for_token(self.queue, rate=self.rate, burst=self.burst)
        if channel == "voice" and self.carrier_calls_per_second:
            # The carrier takes calls from one number at its own rate (Twilio: 1 a second by
            # default); faster, they would wait in its queue, past the gate's decision.
            rate = self.carrier_calls_per_second
            pacing.wait_for_token(self.queue, rate=rate, burst=1.0, bucket="carrier:voice")

    def _acquire_slot(self) -> str | None:
        if not self.max_in_flight:
            return None
        token = pacing.acquire_slot(
            self.queue, self.instance, limit=self.max_in_flight, lease_ms=self.alive_ttl_ms
        )
        with self._lock:
            self._slots.add(token)
        return token

    def _release_slot(self, token: str) -> None:
        with self._lock:
            self._slots.discard(token)
        self.queue.release_slot(token)

    # ---------------------------------------------------------------- heartbeat

    def _held_entries(self) -> list[str]:
        with self._lock:
            return list(self._held)

    def _held_slots(self) -> list[str]:
        with self._lock:
            return list(self._slots)
