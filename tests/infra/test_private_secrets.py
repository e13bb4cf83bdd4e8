"""Issue #11 item 9: the secret key file is created 0600 atomically, and the embedded Redis has
a password that reaches every client (Rasa's stores, the gateway, the action server, the CLI)."""

from __future__ import annotations

import os
import stat
import threading
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.utils import AvailableEndpoints

from bot.infra.supervisor import (
    RASA_ENDPOINTS,
    child_env,
    process_commands,
    process_env,
    without_password,
)
from bot.settings import Settings, stored_secret
from bot.web.security import secret_key


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The most careless umask: every file would be world-readable by default."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_secret_key_is_never_readable_by_others_not_even_while_written(
    tmp_path, open_umask, monkeypatch
):
    seen_modes = []
    real_link = os.link

    def link(source, target):
        seen_modes.append(mode(source))  # the content is already there: how open is it?
        real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    key = secret_key.__wrapped__(tmp_path, None)
    assert seen_modes == [0o600]
    assert mode(tmp_path / "secret_key") == 0o600
    assert (tmp_path / "secret_key").read_text() == key and len(key) >= 48
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary left


def test_processes_starting_at_once_share_one_secret(tmp_path):
    path, got = tmp_path / "secret_key", []
    barrier = threading.Barrier(8)

    def start():
        barrier.wait()
        got.append(stored_secret(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 1 and got[0] == path.read_text()


def test_a_secret_file_left_readable_is_made_private(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("old-secret")
    path.chmod(0o644)
    assert stored_secret(path) == "old-secret"
    assert mode(path) == 0o600


def test_the_embedded_redis_refuses_a_client_without_the_password(embedded_redis_url):
    parts = urlparse(embedded_redis_url)
    assert parts.password
    anonymous = redis.Redis(host=parts.hostname, port=parts.port, socket_timeout=2)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("console:session:x")  # no session, no tracker, no queue to read
    assert redis.Redis.from_url(embedded_redis_url).ping()


def test_the_stack_starts_redis_with_a_password_that_never_shows_in_ps(tmp_path):
    settings = Settings(var_dir=tmp_path)
    command = process_commands(settings)["redis"]
    password = (tmp_path / "redis_password").read_text()
    assert mode(tmp_path / "redis_password") == 0o600
    assert not any(password in part for part in command)
    config = tmp_path / "redis" / "redis.conf"
    assert command[-1] == str(config) and mode(config) == 0o600
    assert f'requirepass "{password}"' in config.read_text()
    # Every child gets it: the gateway, the action server and the CLI through REDIS_URL...
    env = child_env(settings, "token")
    assert urlparse(env["REDIS_URL"]).password == password
    assert Settings(var_dir=tmp_path).effective_redis_url == env["REDIS_URL"]  # the CLI's
    # ... and Rasa's tracker and lock stores through the endpoints file.
    assert env["REDIS_PASSWORD"] == password
    assert without_password(env["REDIS_URL"]).count("***") == 1
    assert password not in without_password(env["REDIS_URL"])


def test_rasa_stores_get_the_password(tmp_path, monkeypatch):
    settings = Settings(var_dir=tmp_path)
    for name, value in child_env(settings, "token").items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(RASA_ENDPOINTS))
    password = settings.effective_redis_password
    assert endpoints.tracker_store.kwargs["password"] == password
    assert endpoints.lock_store.kwargs["password"] == password


def test_a_configured_redis_url_brings_its_own_password(tmp_path):
    settings = Settings(var_dir=tmp_path, redis_url="redis://:theirs@db.internal:6379/2")
    assert "redis" not in process_commands(settings)
    assert child_env(settings, "token")["REDIS_PASSWORD"] == "theirs"
    assert not (tmp_path / "redis_password").exists()


@pytest.mark.parametrize(
    ("asked", "rasa_gets"),
    [
        ("DEBUG", "INFO"),
        ("debug", "INFO"),
        (None, "INFO"),
        ("WARNING", "WARNING"),
        ("nonsense", "INFO"),
    ],
)
def test_rasa_never_logs_at_debug_where_it_writes_customer_messages(
    tmp_path, monkeypatch, asked, rasa_gets
):
    """Rasa's DEBUG log carries each message's text and entities (a date of birth)."""
    if asked is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", asked)
    env = child_env(Settings(var_dir=tmp_path), "token")
    assert env["LOG_LEVEL"] == rasa_gets
    assert process_env("rasa-2", env)["LOG_LEVEL"] == rasa_gets
