"""Engine and sessions, created on first use (never at import), and schema migrations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.infra.metrics import timed_generator

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The ledger cannot be reached or written (refused, dropped, locked, read-only): an outage, which
# the channels answer safely and survive (bot/channels/outage.py), unlike a bug such as an
# IntegrityError, which must stay loud.
LEDGER_DOWN = (OperationalError, InterfaceError, DisconnectionError)
IDLE_CHECK_S = 2.0  # a pooled connection idle longer is checked before use


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the gateway read while the action server writes; FKs are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_engine(url, future=True)

    # A pooled connection can be dead (the server restarted, a failover, a firewall's idle
    # cut): one idle for a while is checked with a round trip before use, and replaced if dead.
    # pool_pre_ping checked every one: a round trip more per transaction, ~7 a chat message
    # (py-spy: ~11 % of an action server's samples). A connection used within IDLE_CHECK_S is
    # trusted; if it died in that time the turn fails safe (LEDGER_DOWN), which invalidates the
    # whole pool, so the next turn connects afresh.
    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_conn, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_S:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:  # noqa: BLE001 - any failure: the pool connects afresh
            raise DisconnectionError(f"a pooled connection was dead: {exc}") from exc

    return engine


def default_url() -> str:
    from bot.settings import get_settings

    return get_settings().sql_url


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
@timed_generator("ledger")
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    session = _session_factory(url or default_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(url: str) -> bool:
    """The database answers (the gateway's health check)."""
    with engine_for(url).connect() as conn:
        conn.execute(text("SELECT 1"))
    return True


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection_url"] = url or default_url()
    engine = engine_for(cfg.attributes["connection_url"])
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
