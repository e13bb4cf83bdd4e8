"""Escalation latency: from the bot enqueuing an escalation to it appearing in a connected
console, under a steady stream of escalations.

    .venv/bin/python -m bench.escalation_latency --rate 10 --count 300

A logged-in console is connected to /console/ws; escalations are enqueued through the same
producer the action server uses (ledger row + stream entry + live event) at a steady rate. For
each one it measures (1) the live event arriving in the console and (2) the console's queue
refresh (GET /console/api/queue) that shows it, which is what an agent sees. Prints p50 / p95.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from bot.agents.escalations import EscalationQueue
from bot.agents.logins import add_agent
from bot.infra.launcher import start_stack, stop_stack
from bot.infra.redis_client import redis_for
from bot.ledger.db import session_scope

PASSWORD = "bench-password-123"  # noqa: S105


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def login(base: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.Client(base_url=base)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    client.post("/console/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
    token = client.cookies.get("rb_session")
    return httpx.AsyncClient(base_url=base, cookies={"rb_session": token}), token


async def measure(running, rate: float, count: int) -> tuple[list[float], list[float]]:
    base = running.settings.gateway_url
    http, token = login(base)
    queue = EscalationQueue(
        redis_for(running.settings.effective_redis_url), running.settings.escalation_stream
    )
    sent: dict[str, float] = {}
    event_ms: list[float] = []
    visible_ms: list[float] = []
    done = asyncio.Event()

    async def console():
        ws_url = base.replace("http://", "ws://") + "/console/ws"
        async with websockets.connect(
            ws_url, extra_headers={"Cookie": f"rb_session={token}"}
        ) as ws:
            ready.set()
            while len(visible_ms) < count:
                message = await ws.recv()
                arrived = time.perf_counter()
                escalation_id = re.search(r'"escalation_id":\s*"(\w+)"', message).group(1)
                if escalation_id not in sent:
                    continue
                event_ms.append((arrived - sent[escalation_id]) * 1000)
                ids = {
                    e["id"] for e in (await http.get("/console/api/queue")).json()["escalations"]
                }
                if escalation_id in ids:
                    visible_ms.append((time.perf_counter() - sent[escalation_id]) * 1000)
        done.set()

    def enqueue() -> None:
        # The clock starts when the producer has written the entry, before its commit and the
        # live event, so it is noted before the console can possibly hear about it.
        with session_scope(running.sql_url) as session:
            escalation_id = queue.enqueue(
                session,
                account_id="CC-1001",
                conversation_id=None,
                reason="customer_request",
                priority=1,
                summary="benchmark",
            )
            sent[escalation_id] = time.perf_counter()

    ready = asyncio.Event()
    task = asyncio.create_task(console())
    await ready.wait()
    for _ in range(count):
        await asyncio.to_thread(enqueue)
        await asyncio.sleep(1 / rate)
    try:
        await asyncio.wait_for(done.wait(), 60)
    except asyncio.TimeoutError:
        raise SystemExit(
            f"only {len(event_ms)} events and {len(visible_ms)} queue views of "
            f"{count} escalations arrived"
        ) from None
    task.cancel()
    await http.aclose()
    return event_ms, visible_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=10.0, help="escalations per second")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    running = start_stack(Path(tempfile.mkdtemp(prefix="bench-esc-")))
    try:
        add_agent("bench", PASSWORD, display_name="Bench", url=running.sql_url)
        event_ms, visible_ms = asyncio.run(measure(running, args.rate, args.count))
    finally:
        stop_stack(running)
    print(f"{args.count} escalations at {args.rate:g}/s into one connected console")
    print(
        f"live event      p50 {statistics.median(event_ms):7.1f} ms  "
        f"p95 {pct(event_ms, .95):7.1f} ms"
    )
    print(
        f"shown in queue  p50 {statistics.median(visible_ms):7.1f} ms  "
        f"p95 {pct(visible_ms, .95):7.1f} ms  (goal p95 <= 1000 ms)"
    )


if __name__ == "__main__":
    main()
