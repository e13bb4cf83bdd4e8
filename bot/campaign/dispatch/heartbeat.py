"""A worker's sign of life, from its own thread: the `alive` key (a short TTL: whoever finds it
gone may take over the worker's started jobs), the idle time of the entries it holds reset (so
nobody reclaims them while it works), and its semaphore leases renewed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from bot.campaign.dispatch.queue import GROUP, CampaignQueue

log = logging.getLogger(__name__)


class Heartbeat:
    """`held` and `slots` return snapshots of what the worker holds (taken under its lock)."""

    def __init__(
        self,
        queue: CampaignQueue,
        *,
        name: str,
        instance: str,
        interval_ms: int,
        alive_ttl_ms: int,
        held: Callable[[], list[str]],
        slots: Callable[[], list[str]],
    ):
        self.queue = queue
        self.redis = queue.redis
        self.name = name
        self.alive_key = queue.alive_key(instance)
        self.interval_ms = interval_ms
        self.alive_ttl_ms = alive_ttl_ms
        self.held = held
        self.slots = slots

    def beat(self) -> None:
        self.redis.set(self.alive_key, "1", px=self.alive_ttl_ms)

    def run(self, stop: threading.Event) -> None:
        """Beat every interval until `stop` is set."""
        while not stop.wait(self.interval_ms / 1000):
            try:
                self.beat()
                held = self.held()
                if held:
                    # reset the idle time of what we hold, so nobody takes it over
                    self.redis.xclaim(self.queue.stream, GROUP, self.name, 0, held, justid=True)
                self.queue.renew_slots(self.slots(), lease_ms=self.alive_ttl_ms)
            except redis.RedisError:
                log.warning("campaign: %s heartbeat failed", self.name, exc_info=True)

    def stop(self) -> None:
        """The worker is leaving: its `alive` key goes at once."""
        self.redis.delete(self.alive_key)
