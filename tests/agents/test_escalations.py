import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis

from bot.agents.escalations import GROUP, EscalationQueue, NotClaimable, UnknownReason
from bot.ledger.db import session_scope
from bot.ledger.models import Escalation
from tests import factories


@pytest.fixture
def queue(redis_url):
    client = redis.Redis.from_url(redis_url)
    stream = f"test-escalations-{uuid.uuid4().hex}"
    q = EscalationQueue(client, stream)
    q.ensure_group()
    yield q
    client.delete(stream)


@pytest.fixture
def ledger(ledger_url):
    with session_scope(ledger_url) as session:
        session.add(factories.account("A1"))
    return ledger_url


def enqueue(queue, ledger, reason="dispute", summary="s"):
    with session_scope(ledger) as session:
        return queue.enqueue(
            session,
            account_id="A1",
            conversation_id=None,
            reason=reason,
            priority=2,
            summary=summary,
        )


def test_enqueue_writes_ledger_row_and_stream_entry(queue, ledger):
    escalation_id = enqueue(queue, ledger, summary="customer disputes the fee")
    with session_scope(ledger) as session:
        row = session.get(Escalation, escalation_id)
        assert (row.reason, row.status, row.summary) == (
            "dispute",
            "open",
            "customer disputes the fee",
        )
    entries = queue.redis.xrange(queue.stream)
    assert len(entries) == 1
    assert entries[0][1][b"escalation_id"].decode() == escalation_id
    assert entries[0][0].decode() == row.stream_id


def test_unknown_reason_is_refused_and_nothing_written(queue, ledger):
    with pytest.raises(UnknownReason), session_scope(ledger) as session:
        queue.enqueue(
            session, account_id="A1", conversation_id=None, reason="angry", priority=1, summary="x"
        )
    with session_scope(ledger) as session:
        assert session.query(Escalation).count() == 0
    assert queue.redis.xlen(queue.stream) == 0


def test_a_rolled_back_escalation_never_reaches_the_stream(queue, ledger):
    """Issue #11 item 9: the stream entry is added only after the ledger row commits."""

    class Crash(Exception):
        pass

    with pytest.raises(Crash), session_scope(ledger) as session:
        queue.enqueue(
            session,
            account_id="A1",
            conversation_id=None,
            reason="verification_failed",
            priority=1,
            summary="rolled back",
        )
        assert queue.redis.xlen(queue.stream) == 0  # not before the commit either
        raise Crash
    with session_scope(ledger) as session:
        assert session.query(Escalation).count() == 0
    assert queue.redis.xlen(queue.stream) == 0
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "alice") is None


def test_a_failed_stream_write_keeps_the_row_and_the_sweeper_streams_it(queue, ledger):
    queue.redis.set(queue.stream + "-broken", "not a stream")
    broken = EscalationQueue(queue.redis, queue.stream + "-broken")
    with session_scope(ledger) as session:
        escalation_id = broken.enqueue(
            session,
            account_id="A1",
            conversation_id=None,
            reason="dispute",
            priority=1,
            summary="x",
        )
    queue.redis.delete(queue.stream + "-broken")
    with session_scope(ledger) as session:
        row = session.get(Escalation, escalation_id)
        assert (row.status, row.stream_id) == ("open", None)  # the console still lists it
        row.created_at -= timedelta(minutes=5)
    with session_scope(ledger) as session:
        assert queue.stream_unstreamed(session) == [escalation_id]
    with session_scope(ledger) as session:
        assert queue.stream_unstreamed(session) == []
        assert queue.claim_next(session, "alice").escalation_id == escalation_id


def test_two_consumers_each_entry_goes_to_exactly_one(queue, ledger):
    ids = {enqueue(queue, ledger) for _ in range(10)}
    got: dict[str, list[str]] = {"alice": [], "bob": []}

    def work(agent):
        while True:
            with session_scope(ledger) as session:
                claim = queue.claim_next(session, agent)
            if claim is None:
                return
            got[agent].append(claim.escalation_id)

    threads = [threading.Thread(target=work, args=(a,)) for a in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got["alice"] + got["bob"]) == sorted(ids)
    assert not set(got["alice"]) & set(got["bob"])


def test_an_unacknowledged_entry_comes_back_after_the_idle_timeout(queue, ledger):
    escalation_id = enqueue(queue, ledger)
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "alice").escalation_id == escalation_id
    with session_scope(ledger) as session:
        assert queue.reclaim_idle(session, "bob", idle_ms=60_000) == []  # not idle yet
    time.sleep(0.3)
    with session_scope(ledger) as session:
        back = queue.reclaim_idle(session, "bob", idle_ms=200)
    assert [c.escalation_id for c in back] == [escalation_id]
    with session_scope(ledger) as session:
        assert session.get(Escalation, escalation_id).claimed_by == "bob"
    pending = queue.redis.xpending_range(queue.stream, GROUP, "-", "+", 10)
    assert [p["consumer"].decode() for p in pending] == ["bob"]


def test_resolve_acknowledges_and_records(queue, ledger):
    escalation_id = enqueue(queue, ledger)
    with session_scope(ledger) as session:
        queue.claim_next(session, "alice")
    with pytest.raises(NotClaimable), session_scope(ledger) as session:
        queue.resolve(session, escalation_id, "bob", disposition="x", note="not mine")
    with session_scope(ledger) as session:
        queue.resolve(
            session,
            escalation_id,
            "alice",
            disposition="promise_taken",
            note="called back, will pay Friday",
        )
    assert queue.pending_count() == 0
    with session_scope(ledger) as session:
        row = session.get(Escalation, escalation_id)
        assert (row.status, row.disposition, row.note) == (
            "resolved",
            "promise_taken",
            "called back, will pay Friday",
        )
        assert row.resolved_at is not None


def test_a_named_claim_has_exactly_one_winner(queue, ledger):
    escalation_id = enqueue(queue, ledger)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def click(agent):
        barrier.wait()
        try:
            with session_scope(ledger) as session:
                queue.claim(session, escalation_id, agent)
            results[agent] = "won"
        except NotClaimable:
            results[agent] = "lost"

    threads = [threading.Thread(target=click, args=(a,)) for a in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["lost", "won"]
    # The stream no longer hands it out as new work.
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "carol") is None


def test_release_and_idle_claims_return_to_the_queue(queue, ledger):
    escalation_id = enqueue(queue, ledger)
    with session_scope(ledger) as session:
        queue.claim(session, escalation_id, "alice")
    with session_scope(ledger) as session:
        queue.release(session, escalation_id, "alice")
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "bob").escalation_id == escalation_id
    time.sleep(0.2)
    with session_scope(ledger) as session:
        assert queue.release_idle(session, idle_ms=100) == [escalation_id]
    with session_scope(ledger) as session:
        assert session.get(Escalation, escalation_id).status == "open"
        assert queue.claim_next(session, "carol").escalation_id == escalation_id


def test_claim_next_reads_past_cases_already_claimed_by_name(queue, ledger):
    """Cases clicked in the console before the stream handed them out sit ahead in the stream;
    the next open case behind them is still handed out (the queue never looks empty)."""
    clicked = [enqueue(queue, ledger) for _ in range(3)]
    waiting = enqueue(queue, ledger)
    with session_scope(ledger) as session:
        for escalation_id in clicked:
            queue.claim(session, escalation_id, "alice")
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "bob").escalation_id == waiting
    with session_scope(ledger) as session:
        assert queue.claim_next(session, "bob") is None
