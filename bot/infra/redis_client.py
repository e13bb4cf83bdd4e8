"""Redis connections, made on first use."""

from __future__ import annotations

from functools import lru_cache

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
