from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from bot.ledger.db import engine_for, migrate, session_scope
from bot.ledger.models import Account, Conversation, Promise
from tests import factories

TABLES = {
    "accounts",
    "conversations",
    "contact_attempts",
    "conversation_turns",
    "promises",
    "instalment_requests",
    "disputes",
    "already_paid_claims",
    "hardship_notes",
    "callback_requests",
    "opt_outs",
    "wrong_number_flags",
    "escalations",
    "processed_events",
}


def make_account(session, account_id="A1"):
    session.add(factories.account(account_id))


def test_migrations_create_every_table_and_are_idempotent(ledger_url):
    migrate(ledger_url)  # a second run changes nothing and does not fail
    names = set(inspect(engine_for(ledger_url)).get_table_names())
    assert names >= TABLES
    assert "alembic_version" in names


def test_money_is_exact_decimal_and_times_are_utc(ledger_url):
    local = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with session_scope(ledger_url) as session:
        make_account(session)
        session.add(Conversation(id="c1", account_id="A1", channel="chat", started_at=local))
        session.add(
            Promise(
                id="p1",
                account_id="A1",
                conversation_id="c1",
                amount=Decimal("0.10") + Decimal("0.20"),
                currency="USD",
                due_date=date(2026, 12, 4),
                channel="chat",
            )
        )
    with session_scope(ledger_url) as session:
        promise = session.get(Promise, "p1")
        assert promise.amount == Decimal("0.30") and str(promise.amount) == "0.30"
        assert promise.status == "pending"
        started = session.get(Conversation, "c1").started_at
        assert started == local and started.utcoffset() == timedelta(0)


def test_a_failed_transaction_keeps_nothing(ledger_url):
    with pytest.raises(RuntimeError), session_scope(ledger_url) as session:
        make_account(session, "A2")
        session.flush()
        raise RuntimeError("crash mid-transaction")
    with session_scope(ledger_url) as session:
        assert session.get(Account, "A2") is None


def test_naive_datetimes_are_refused(sqlite_url):
    migrate(sqlite_url)
    with pytest.raises(Exception, match="naive datetime"), session_scope(sqlite_url) as session:
        make_account(session)
        session.add(
            Conversation(id="c1", account_id="A1", channel="chat", started_at=datetime(2026, 1, 1))
        )
