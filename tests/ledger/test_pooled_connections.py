"""The PostgreSQL ledger's pool (bot/ledger/db.py): a connection idle for a while is checked
before use and replaced if the server ended it; one used a moment ago is trusted, and if it had
died, that one transaction fails as an outage does and the next connects afresh."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.ledger import db


def end_connections(url: str, application: str) -> int:
    """What a server restart does to the pool's connections."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": application},
            )
            return ended.scalar()
    finally:
        admin.dispose()


def query(url: str) -> int:
    with db.session_scope(url) as session:
        return session.execute(text("SELECT 1")).scalar()


@pytest.fixture
def pooled(postgres_url, monkeypatch):
    monkeypatch.setattr(db, "IDLE_CHECK_S", 0.3)
    application = f"pool-{uuid.uuid4().hex[:8]}"
    url = f"{postgres_url}?application_name={application}"  # its own engine and pool
    assert query(url) == 1
    yield url, application
    db.engine_for(url).dispose()


def test_an_idle_connection_the_server_ended_is_replaced(pooled, postgres_url):
    url, application = pooled
    assert end_connections(postgres_url, application) == 1
    time.sleep(0.4)
    assert query(url) == 1  # checked, found dead, replaced: no failed transaction


def test_a_connection_used_a_moment_ago_is_not_checked(pooled, postgres_url):
    url, application = pooled
    assert end_connections(postgres_url, application) == 1
    with pytest.raises(OperationalError):
        query(url)  # the trade-off: one transaction fails safe, as in an outage
    assert query(url) == 1  # the pool was invalidated: a new connection
