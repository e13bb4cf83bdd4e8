"""The gateway's side of an outage: a net under every route for the ledger or Redis down
(Twilio never gets a 5xx, a customer never gets a stack trace; the channels answer safely
themselves first, this is what catches the paths they do not) and the task that replays the
spool the channels keep while the ledger is down (bot/channels/outage.py).

Replay runs on a timer, not on "the next successful write": an opt-out kept during the outage
must reach the ledger as soon as it is back even if no customer writes again (the gate reads
the ledger before the next campaign contact), and a customer's turn must not pay for someone
else's replay. The timer is cheap while there is nothing to replay (a stat of one file)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from bot.channels import outage
from bot.channels.outage import REDIS_DOWN
from bot.channels.turns import SAFE_REPLY
from bot.ledger.db import LEDGER_DOWN
from telephony import twiml

log = logging.getLogger(__name__)
REPLAY_EVERY_S = 5.0


def add_net(app: FastAPI) -> None:
    for kind in (*LEDGER_DOWN, *REDIS_DOWN):
        app.add_exception_handler(kind, _part_down)


async def _part_down(request: Request, exc: Exception) -> Response:
    path = request.url.path
    log.error("a part is down (%s) on %s", type(exc).__name__, path)
    if path == "/twilio/voice":  # a call being answered: the safe message, then goodbye
        return _xml(twiml.say_and_hangup(SAFE_REPLY))
    if path == "/twilio/sms":  # kept by the SMS channel itself; this is only the net
        return _xml(twiml.messages([SAFE_REPLY]))
    if path.startswith("/twilio/"):  # status callbacks: nothing to say, and no retry storm
        return _xml(twiml.empty())
    # The bank's own systems (the text API, the console): nothing was taken, so the caller may
    # retry; a customer-facing route answers safely itself (the chat page, its socket, Twilio).
    return JSONResponse(
        {"detail": "a part is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": str(int(REPLAY_EVERY_S))},
    )


def _xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


async def replay_kept_messages(queue) -> None:
    while True:
        await asyncio.sleep(REPLAY_EVERY_S)
        try:
            await asyncio.to_thread(outage.replay, queue)
        except Exception as exc:  # noqa: BLE001 - the replayer must keep running
            log.warning("replaying kept messages failed: %s", exc)
