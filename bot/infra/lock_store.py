"""Rasa's per-conversation lock as one atomic Redis key (bot/infra/rasa_endpoints.yml).

Rasa's RedisLockStore keeps a queue of tickets in one JSON value and reads and writes it seven
times a message (issue a ticket: get, set; wait: get; finish: get, set, get, delete). Its
read-then-write is not atomic, so two Rasa replicas taking one conversation at the same moment
could both take ticket 0. Here a message's lock is `SET key token NX PX lifetime`: one round
trip to take it (atomic), one to give it back (a compare-and-delete script, so an expired lock
taken over by another server is not released by the first). A waiting message polls every
50 ms. Like a ticket, the lock of a server that died holding it expires with its lifetime.
Waiters are not served in arrival order: one customer's messages come one after another (each
waits for its reply), so the order a ticket queue kept is not needed.
Tested in tests/infra/test_lock_store.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_S = 0.05
# Deletes the key only if it still holds this message's token.
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self._release = self.red.register_script(RELEASE)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        key, token = self.key_prefix + conversation_id, uuid.uuid4().hex
        lifetime_ms = int(lock_lifetime * 1000)
        waited = 0.0
        # A conversation's lock is never held longer than its lifetime: past twice that, the
        # holder is stuck and Rasa's own error (a 500, the gateway's safe reply) is the answer.
        while not self.red.set(key, token, nx=True, px=lifetime_ms):
            if waited > 2 * lock_lifetime:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(POLL_S)
            waited += POLL_S
        try:
            yield TicketLock(conversation_id)
        finally:
            self._release(keys=[key], args=[token])
