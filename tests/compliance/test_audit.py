"""The audit chain catches every kind of tampering, survives a retention purge, never forks."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.compliance import audit
from bot.ledger.db import engine_for, session_scope

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def write(url: str, n: int, *, start: datetime = T0) -> None:
    for i in range(n):
        with session_scope(url) as session:
            audit.append(
                session,
                kind="promise",
                account_id=f"CC-{1000 + i}",
                actor="test",
                data={"promise_id": f"p{i}", "amount": "50.00", "n": i},
                at=start + timedelta(days=i),
            )


def verdict(url: str) -> audit.AuditVerdict:
    with session_scope(url) as session:
        return audit.verify(session)


def sql(url: str, statement: str, **params) -> list:
    with engine_for(url).begin() as conn:
        result = conn.execute(text(statement), params)
        return result.fetchall() if result.returns_rows else []


def test_an_untouched_chain_verifies(ledger_url):
    assert verdict(ledger_url).ok and verdict(ledger_url).checked == 0
    write(ledger_url, 5)
    result = verdict(ledger_url)
    assert result.ok and result.checked == 5 and result.first_bad_seq is None
    assert result.head_seq == 5


def test_altered_data_is_caught(ledger_url):
    write(ledger_url, 5)
    sql(ledger_url, "UPDATE audit_log SET data = :d WHERE seq = 3", d='{"amount":"5.00"}')
    result = verdict(ledger_url)
    assert (result.ok, result.first_bad_seq, result.problem, result.checked) == (
        False,
        3,
        "altered",
        2,
    )


def test_a_forged_row_slipped_into_the_middle_is_caught(ledger_url):
    write(ledger_url, 5)
    # The forger makes room at seq 3, writes a row that chains correctly to seq 2 with a
    # correct hash of its own, and moves the head along.
    for seq in (5, 4, 3):
        sql(ledger_url, "UPDATE audit_log SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    (prev,) = sql(ledger_url, "SELECT hash FROM audit_log WHERE seq = 2")
    at = T0 + timedelta(days=1, hours=1)
    data = '{"amount":"0.01","promise_id":"forged"}'
    digest = audit.entry_hash(
        seq=3,
        at=at,
        kind="promise",
        account_id="CC-1",
        actor="x",
        data_json=data,
        prev_hash=prev[0],
    )
    sql(
        ledger_url,
        "INSERT INTO audit_log (seq, at, kind, account_id, actor, data, prev_hash, hash) "
        "VALUES (3, :at, 'promise', 'CC-1', 'x', :data, :prev, :hash)",
        at=at.replace(tzinfo=None),
        data=data,
        prev=prev[0],
        hash=digest,
    )
    sql(ledger_url, "UPDATE audit_head SET seq = seq + 1")
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem) == (3, "inserted")


def test_a_forged_row_beyond_the_head_is_caught(ledger_url):
    write(ledger_url, 3)
    (last,) = sql(ledger_url, "SELECT hash FROM audit_log WHERE seq = 3")
    data = "{}"
    digest = audit.entry_hash(
        seq=4, at=T0, kind="payment", account_id=None, actor="x", data_json=data, prev_hash=last[0]
    )
    sql(
        ledger_url,
        "INSERT INTO audit_log (seq, at, kind, actor, data, prev_hash, hash) "
        "VALUES (4, :at, 'payment', 'x', :data, :prev, :hash)",
        at=T0.replace(tzinfo=None),
        data=data,
        prev=last[0],
        hash=digest,
    )
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem) == (4, "inserted")


def test_a_row_that_does_not_chain_is_caught(ledger_url):
    write(ledger_url, 4)
    sql(ledger_url, "UPDATE audit_log SET prev_hash = :h WHERE seq = 2", h="f" * 64)
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem) == (2, "inserted")


def test_a_deleted_middle_row_is_caught(ledger_url):
    write(ledger_url, 5)
    sql(ledger_url, "DELETE FROM audit_log WHERE seq = 2")
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem, result.checked) == (2, "deleted", 1)


def test_deleting_the_newest_row_is_caught_by_the_head(ledger_url):
    write(ledger_url, 5)
    sql(ledger_url, "DELETE FROM audit_log WHERE seq = 5")
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem, result.checked) == (5, "deleted", 4)


def test_purge_keeps_the_rest_verifiable_and_tampering_is_still_caught(ledger_url):
    write(ledger_url, 6)  # one a day from T0
    with session_scope(ledger_url) as session:
        assert audit.purge(session, before=T0 + timedelta(days=3)) == 3
    result = verdict(ledger_url)
    assert result.ok and result.checked == 4  # seq 4..6 and the purge record
    (first,) = sql(ledger_url, "SELECT min(seq) FROM audit_log")
    assert first[0] == 4
    with session_scope(ledger_url) as session:  # nothing older left: a second purge is a no-op
        assert audit.purge(session, before=T0 + timedelta(days=3)) == 0
    write(ledger_url, 1, start=T0 + timedelta(days=30))
    assert verdict(ledger_url).ok

    sql(ledger_url, "UPDATE audit_log SET actor = 'someone' WHERE seq = 5")
    result = verdict(ledger_url)
    assert (result.first_bad_seq, result.problem) == (5, "altered")


def test_after_purge_deleting_the_oldest_survivor_is_caught(ledger_url):
    write(ledger_url, 6)
    with session_scope(ledger_url) as session:
        audit.purge(session, before=T0 + timedelta(days=3))
    sql(ledger_url, "DELETE FROM audit_log WHERE seq = 4")
    assert (verdict(ledger_url).first_bad_seq, verdict(ledger_url).problem) == (4, "deleted")
    # Moving the anchor forward to hide it does not help: the chain recorded the real anchor.
    (row,) = sql(ledger_url, "SELECT hash FROM audit_log WHERE seq = 5")
    (h4,) = sql(ledger_url, "SELECT prev_hash FROM audit_log WHERE seq = 5")
    sql(ledger_url, "UPDATE audit_anchor SET seq = 4, hash = :h", h=h4[0])
    result = verdict(ledger_url)
    assert not result.ok and result.problem == "deleted"
    assert row  # the survivor is still there


def test_secrets_never_enter_the_trail(ledger_url):
    with session_scope(ledger_url) as session:
        with pytest.raises(ValueError, match="dob"):
            audit.append(session, kind="verification", account_id="A", actor="t", data={"dob": 1})
        with pytest.raises(ValueError, match="card or account number"):
            audit.append(
                session, kind="payment", account_id="A", actor="t", data={"ref": "4111111111111111"}
            )
        with pytest.raises(ValueError, match="unknown audit kind"):
            audit.append(session, kind="gossip", account_id="A", actor="t", data={})


def test_concurrent_appends_keep_one_chain(ledger_url):
    threads, per_thread = 4, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with session_scope(ledger_url) as session:
                    audit.append(
                        session,
                        kind="contact_attempt",
                        account_id=f"A{n}",
                        actor=f"worker-{n}",
                        data={"i": i},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors
    result = verdict(ledger_url)
    assert result.ok and result.checked == threads * per_thread
    seqs = [r[0] for r in sql(ledger_url, "SELECT seq FROM audit_log ORDER BY seq")]
    assert seqs == list(range(1, threads * per_thread + 1))


def test_a_deleted_head_is_reported_and_the_chain_is_not_restarted(ledger_url):
    write(ledger_url, 3)
    sql(ledger_url, "DELETE FROM audit_log WHERE seq = 3")
    sql(ledger_url, "DELETE FROM audit_head")
    result = verdict(ledger_url)
    assert (result.ok, result.problem) == (False, "deleted")
    with session_scope(ledger_url) as session, pytest.raises(audit.AuditTampered):
        audit.append(session, kind="payment", account_id="A", actor="t", data={})


def test_purge_refuses_a_broken_chain(ledger_url):
    write(ledger_url, 4)
    sql(ledger_url, "DELETE FROM audit_log WHERE seq = 2")
    with session_scope(ledger_url) as session, pytest.raises(audit.AuditTampered, match="deleted"):
        audit.purge(session, before=T0 + timedelta(days=10))
    assert verdict(ledger_url).first_bad_seq == 2  # the evidence is still there


def test_verify_while_others_append(ledger_url):
    write(ledger_url, 2)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with session_scope(ledger_url) as session:
                    audit.append(
                        session, kind="gate_decision", account_id=None, actor=f"w{n}", data={"i": i}
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in pool:
        thread.start()
    verdicts = []
    while any(t.is_alive() for t in pool) or not verdicts:
        verdicts.append(verdict(ledger_url))
    for thread in pool:
        thread.join()
    assert not errors
    assert all(v.ok for v in verdicts), [v for v in verdicts if not v.ok][:1]
    assert verdict(ledger_url).checked == 47
