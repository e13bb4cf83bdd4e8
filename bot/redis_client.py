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
