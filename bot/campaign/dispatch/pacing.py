"""Pacing shared by all workers, kept in Redis so it holds across processes: a token bucket
(contacts per second) and a global semaphore (contacts in flight), whose slots are leases the
heartbeat renews, so a dead worker's slots come back by themselves."""

from __future__ import annotations

import time
import uuid

from bot.campaign.dispatch.queue import CampaignQueue
from bot.infra.metrics import timed_wait


@timed_wait("token")
def wait_for_token(
    queue: CampaignQueue, *, rate: float, burst: float, bucket: str | None = None
) -> None:
    """Block until the bucket gives this worker a token."""
    while True:
        wait_ms = queue.take_token(rate=rate, burst=burst, bucket=bucket)
        if wait_ms <= 0:
            return
        time.sleep(min(wait_ms, 1000) / 1000)


@timed_wait("slot")
def acquire_slot(queue: CampaignQueue, instance: str, *, limit: int, lease_ms: int) -> str:
    """Block until a slot is free; the slot's token (release it with `queue.release_slot`)."""
    token = f"{instance}:{uuid.uuid4().hex[:8]}"
    while not queue.acquire_slot(token, limit=limit, lease_ms=lease_ms):
        time.sleep(0.01)
    return token
