"""Failed verifications and verification locks (verification_failures, verification_locks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.ledger.models import VerificationFailure, VerificationLock, utcnow


def add_failure(
    session: Session, *, account_id: str, conversation_id: str | None, channel: str, at: datetime
) -> None:
    session.add(
        VerificationFailure(
            account_id=account_id, conversation_id=conversation_id, channel=channel, at=at
        )
    )
    session.flush()


def failures_since(session: Session, account_id: str, since: datetime) -> int:
    """Failed answers since `since` that a later successful verification has not cleared."""
    return (
        session.query(VerificationFailure)
        .filter(
            VerificationFailure.account_id == account_id,
            VerificationFailure.at >= since,
            VerificationFailure.cleared_at.is_(None),
        )
        .count()
    )


def clear_failures(session: Session, account_id: str, at: datetime) -> None:
    session.query(VerificationFailure).filter(
        VerificationFailure.account_id == account_id, VerificationFailure.cleared_at.is_(None)
    ).update({VerificationFailure.cleared_at: at}, synchronize_session=False)


def active_lock(session: Session, account_id: str, now: datetime) -> VerificationLock | None:
    return (
        session.query(VerificationLock)
        .filter(
            VerificationLock.account_id == account_id,
            VerificationLock.lifted_at.is_(None),
            VerificationLock.locked_until > now,
        )
        .order_by(VerificationLock.locked_at.desc())
        .first()
    )


def add_lock(
    session: Session, *, account_id: str, locked_at: datetime, locked_until: datetime
) -> VerificationLock:
    lock = VerificationLock(account_id=account_id, locked_at=locked_at, locked_until=locked_until)
    session.add(lock)
    session.flush()
    return lock


def lift_locks(session: Session, account_id: str, by: str) -> list[VerificationLock]:
    """Lift every lock of the account still in force; the lifted ones."""
    now = utcnow()
    locks = (
        session.query(VerificationLock)
        .filter(
            VerificationLock.account_id == account_id,
            VerificationLock.lifted_at.is_(None),
            VerificationLock.locked_until > now,
        )
        .all()
    )
    for lock in locks:
        lock.lifted_at, lock.lifted_by = now, by[:64]
    return locks
