"""Run the simulator (or any ASGI app) in-process on a free loopback port.

Tests and benchmarks share one event loop with the server: calls, streams and callbacks are
asyncio tasks next to the test's own code, so no threads or subprocesses are needed. Run as a
module for a standalone simulator (the demo)::

    python -m telephony.twilio_sim --webhook-base http://127.0.0.1:8000 --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from telephony.twilio_sim.server import Simulator, create_sim_app

LOOPBACK = "127.0.0.1"


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling (Ctrl-C) to its host process and stops as
    soon as asked (uvicorn polls every 0.1 s; tests start and stop servers many times)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), 0.1)
            if self.stop_requested.is_set():
                self.should_exit = True


@asynccontextmanager
async def serve_app(app: Any, *, host: str = LOOPBACK, port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` on this loop until the block exits; yields its base URL (``http://h:p``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", ws="websockets", timeout_graceful_shutdown=2
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # startup failed: raise its error
                raise RuntimeError("server stopped during startup")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        server.stop_requested.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@asynccontextmanager
async def running_simulator(
    *,
    account_sid: str,
    auth_token: str,
    webhook_base: str,
    host: str = LOOPBACK,
    port: int = 0,
    wss_to_ws: bool = True,
    duplicate_callbacks: bool = False,
) -> AsyncIterator[Simulator]:
    """``async with running_simulator(...) as sim:`` -- ``sim.base_url`` is the REST base."""
    app = create_sim_app(
        account_sid=account_sid,
        auth_token=auth_token,
        webhook_base=webhook_base,
        wss_to_ws=wss_to_ws,
        duplicate_callbacks=duplicate_callbacks,
    )
    sim: Simulator = app.state.sim
    async with serve_app(app, host=host, port=port) as base_url:
        sim.base_url = base_url
        yield sim


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio simulator (sandbox carrier)")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--webhook-base", default=os.environ.get("SIM_WEBHOOK_BASE", ""))
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID", ""))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN", ""))
    parser.add_argument("--keep-wss", action="store_true", help="do not open wss:// as ws://")
    parser.add_argument("--duplicate-callbacks", action="store_true")
    args = parser.parse_args()
    if not (args.webhook_base and args.account_sid and args.auth_token):
        parser.error("--webhook-base, --account-sid and --auth-token (or env) are required")
    app = create_sim_app(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        webhook_base=args.webhook_base,
        wss_to_ws=not args.keep_wss,
        duplicate_callbacks=args.duplicate_callbacks,
    )
    app.state.sim.base_url = f"http://{args.host}:{args.port}"
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
