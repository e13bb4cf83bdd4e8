"""Idempotency for webhooks that Twilio retries: the first delivery claims the key, a retry gets
the first answer back and changes nothing."""

from __future__ import annotations

import json
import time

from sqlalchemy.exc import IntegrityError

from bot.ledger.db import session_scope
from bot.ledger.repo import events


def claim(kind: str, key: str) -> bool:
    """True for the first delivery of (kind, key); False for a repeat."""
    try:
        with session_scope() as session:
            events.add_event(session, kind, key[:128])
        return True
    except IntegrityError:
        return False


def remember(kind: str, key: str, response) -> None:
    with session_scope() as session:
        events.set_response(session, kind, key[:128], json.dumps(response))


def forget(kind: str, key: str) -> None:
    """Release a claim whose processing failed, so Twilio's retry is processed afresh."""
    with session_scope() as session:
        events.delete_event(session, kind, key[:128])


def first_response(kind: str, key: str, *, wait_s: float = 15.0):
    """The answer given to the first delivery (waiting while it is still being worked out)."""
    deadline = time.monotonic() + wait_s
    while True:
        with session_scope() as session:
            row = events.event(session, kind, key[:128])
            if row is not None and row.response is not None:
                return json.loads(row.response)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
