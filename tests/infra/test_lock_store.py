"""Rasa's per-conversation lock as one atomic Redis key (bot/infra/lock_store.py), on the
machine's Redis and built the way Rasa builds it from bot/infra/rasa_endpoints.yml."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.lock_store import LockError, _create_from_endpoint_config
from rasa.utils.endpoints import EndpointConfig

from bot.infra.lock_store import AtomicRedisLockStore


def store(url: str) -> AtomicRedisLockStore:
    where = urlparse(url)
    config = EndpointConfig(
        url=where.hostname,
        type="bot.infra.lock_store.AtomicRedisLockStore",
        port=where.port,
        db=int(where.path.strip("/") or 0),
        key_prefix="lock",
    )
    made = _create_from_endpoint_config(config)
    assert isinstance(made, AtomicRedisLockStore)
    return made


def conversation() -> str:
    return uuid.uuid4().hex


def test_one_message_of_a_conversation_at_a_time(server_redis_url):
    locks, cid, other = store(server_redis_url), conversation(), conversation()
    events = []

    async def turn(name: str, conversation_id: str, hold_s: float):
        async with locks.lock(conversation_id):
            events.append(f"{name} in")
            await asyncio.sleep(hold_s)
            events.append(f"{name} out")

    async def main():
        await asyncio.gather(turn("a", cid, 0.3), turn("b", cid, 0.0), turn("c", other, 0.0))

    asyncio.run(main())
    # b waited for a; c, another conversation, did not.
    assert events.index("b in") > events.index("a out")
    assert events.index("c out") < events.index("a out")
    assert not locks.red.exists(locks.key_prefix + cid)  # given back


def test_two_servers_never_hold_one_conversation_together(server_redis_url):
    cid, shared, lost = conversation(), {"n": 0}, []

    def server():
        locks = store(server_redis_url)

        async def turns():
            for _ in range(15):
                async with locks.lock(cid):
                    seen = shared["n"]
                    await asyncio.sleep(0.005)  # a read-modify-write that overlaps if unlocked
                    if shared["n"] != seen:
                        lost.append(seen)
                    shared["n"] = seen + 1

        asyncio.run(turns())

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert shared["n"] == 30 and not lost


def test_a_dead_holders_lock_expires_and_its_late_release_frees_nothing(server_redis_url):
    locks, cid = store(server_redis_url), conversation()
    key = locks.key_prefix + cid

    async def main():
        async with locks.lock(cid, lock_lifetime=0.2):
            await asyncio.sleep(0.4)  # past its lifetime: expired, as a dead server's would
            taker = asyncio.create_task(hold_after())
            await asyncio.sleep(0.15)
        # The first holder's release came after the second took the lock: it is still held.
        assert redis.Redis(connection_pool=locks.red.connection_pool).exists(key)
        await taker

    async def hold_after():
        async with locks.lock(cid, lock_lifetime=5):
            await asyncio.sleep(0.3)

    asyncio.run(main())
    assert not locks.red.exists(key)


def test_a_lock_held_past_twice_its_lifetime_is_an_error(server_redis_url):
    locks, cid = store(server_redis_url), conversation()
    locks.red.set(locks.key_prefix + cid, "stuck", px=5000)

    async def main():
        async with locks.lock(cid, lock_lifetime=0.1):
            pass

    began = time.monotonic()
    with pytest.raises(LockError):
        asyncio.run(main())
    assert time.monotonic() - began >= 0.2
    locks.red.delete(locks.key_prefix + cid)
