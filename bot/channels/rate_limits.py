"""Rate limits in Redis (fixed windows): how many conversations a chat link or a calling number
may open, how many messages a chat link may send. With the per-account verification lockout
(bot/conversation/lockout.py) they keep an attacker from guessing a customer's code by opening
conversation after conversation, and from flooding the bot."""

from __future__ import annotations

import hashlib
import time

import redis as redis_lib


def allow(redis: redis_lib.Redis, name: str, limit: int, window_s: int) -> bool:
    """Count one more event of `name`; False once the window already holds `limit` of them."""
    bucket = int(time.time() // window_s)
    key = f"rate:{name}:{bucket}"
    with redis.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ = pipe.execute()
    return int(count) <= limit


def caller_key(channel: str, number: str) -> str:
    """A calling number's counter name; the number is hashed so Redis holds no phone number."""
    return f"caller:{channel}:{hashlib.sha256(number.encode()).hexdigest()[:24]}"


def conversation_allowed(redis: redis_lib.Redis, channel: str, number: str, per_hour: int) -> bool:
    """An inbound call or SMS from `number` may open one more conversation this hour."""
    try:
        return allow(redis, caller_key(channel, number), per_hour, 3600)
    except redis_lib.RedisError:
        return True  # Redis down: the per-account lockout in the ledger still holds
