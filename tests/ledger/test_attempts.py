"""Contact attempts: one writer for every channel, each path's audit entry as it was."""

import json

from sqlalchemy import text

from bot.ledger.db import engine_for, session_scope
from bot.ledger.repo import accounts, attempts
from tests import factories


def audit_rows(url: str) -> list[tuple[str, str, dict]]:
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT kind, actor, data FROM audit_log ORDER BY seq")).all()
    return [(kind, actor, json.loads(data)) for kind, actor, data in rows]


def test_sms_and_voice_attempts_keep_their_audit_entries(ledger_url):
    with session_scope(ledger_url) as session:
        session.add(factories.account("A1"))
    with session_scope(ledger_url) as session:
        attempts.record_attempt(
            session,
            account_id="A1",
            channel="sms",
            direction="outbound",
            sid="SM1",
            actor="outreach",
            audited={"conversation_id": None},
        )
        attempts.record_attempt(
            session,
            account_id="A1",
            channel="voice",
            direction="inbound",
            sid="CA1",
            actor="voice",
            audited={"direction": "inbound"},
            status="in-progress",
        )
    assert audit_rows(ledger_url) == [
        ("contact_attempt", "outreach", {"channel": "sms", "sid": "SM1", "conversation_id": None}),
        ("contact_attempt", "voice", {"channel": "voice", "direction": "inbound", "sid": "CA1"}),
    ]
    with session_scope(ledger_url) as session:
        call = attempts.attempt_by_sid(session, "CA1")
        assert (call.channel, call.direction, call.status) == ("voice", "inbound", "in-progress")
        assert attempts.apply_status(session, "CA1", "completed", answered_by="human", ended=True)
        assert not attempts.apply_status(session, "CA-unknown", "completed")
    with session_scope(ledger_url) as session:
        call = attempts.attempt_by_sid(session, "CA1")
        assert (call.status, call.answered_by) == ("completed", "human")
        assert call.ended_at is not None


def test_the_account_by_phone_is_the_lowest_id(ledger_url):
    with session_scope(ledger_url) as session:
        session.add(factories.account("B2", phone="+14155550199"))
        session.add(factories.account("A9", phone="+14155550199"))
    with session_scope(ledger_url) as session:
        assert accounts.account_id_by_phone(session, "+14155550199") == "A9"
        assert accounts.account_id_by_phone(session, "+10000000000") is None
