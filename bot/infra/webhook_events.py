"""Idempotency for webhooks that Twilio retries: the first delivery claims the key, a retry gets
the first answer back and changes nothing."""

from __future__ import annotations

import json
import time

from sqlalchemy.exc import IntegrityError

from bot.ledger.db import session_scope
from bot.ledger.models import ProcessedEvent


def claim(kind: str, key: str) -> bool:
    """True for the first delivery of (kind, key); False for a repeat."""
    try:
        with session_scope() as session:
            session.add(ProcessedEvent(kind=kind, key=key[:128]))
        return True
    except IntegrityError:
        return False


def remember(kind: str, key: str, response) -> None:
    with session_scope() as session:
        row = session.query(ProcessedEvent).filter_by(kind=kind, key=key[:128]).one()
        row.response = json.dumps(response)


def forget(kind: str, key: str) -> None:
    """Release a claim whose processing failed, so Twilio's retry is processed afresh."""
    with session_scope() as session:
        session.query(ProcessedEvent).filter_by(kind=kind, key=key[:128]).delete()


def first_response(kind: str, key: str, *, wait_s: float = 15.0):
    """The answer given to the first delivery (waiting while it is still being worked out)."""
    deadline = time.monotonic() + wait_s
    while True:
        with session_scope() as session:
            row = session.query(ProcessedEvent).filter_by(kind=kind, key=key[:128]).first()
            if row is not None and row.response is not None:
                return json.loads(row.response)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
