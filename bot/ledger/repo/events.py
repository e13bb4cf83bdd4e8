"""Processed webhook events: the idempotency keys of deliveries a provider may retry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.ledger.models import ProcessedEvent


def add_event(session: Session, kind: str, key: str) -> None:
    """Claim (kind, key); the unique constraint refuses a second claim at flush."""
    session.add(ProcessedEvent(kind=kind, key=key))
    session.flush()


def event(session: Session, kind: str, key: str) -> ProcessedEvent | None:
    return session.query(ProcessedEvent).filter_by(kind=kind, key=key).first()


def delete_event(session: Session, kind: str, key: str) -> None:
    session.query(ProcessedEvent).filter_by(kind=kind, key=key).delete()


def set_response(session: Session, kind: str, key: str, response: str) -> None:
    """Keep the answer given to the claimed delivery (the claim must exist)."""
    session.query(ProcessedEvent).filter_by(kind=kind, key=key).one().response = response
