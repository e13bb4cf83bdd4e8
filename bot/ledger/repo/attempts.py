"""Contact attempts: every call and text placed or answered, found by the provider's SID."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.compliance import audit
from bot.ledger.models import ContactAttempt, utcnow


def record_attempt(
    session: Session,
    *,
    account_id: str,
    channel: str,
    direction: str,
    sid: str,
    actor: str,
    audited: dict,
    status: str = "queued",
    conversation_id: str | None = None,
) -> None:
    """Record the attempt and its audit entry in the same transaction: an attempt is never kept
    without its entry. `audited` adds what the channel's trail names besides channel and SID."""
    session.add(
        ContactAttempt(
            account_id=account_id,
            conversation_id=conversation_id,
            channel=channel,
            direction=direction,
            provider_sid=sid,
            status=status,
        )
    )
    session.flush()
    audit.append(
        session,
        kind="contact_attempt",
        account_id=account_id,
        actor=actor,
        data={"channel": channel, "sid": sid, **audited},
    )


def attempt_by_sid(session: Session, sid: str) -> ContactAttempt | None:
    return session.query(ContactAttempt).filter_by(provider_sid=sid).first()


def apply_status(
    session: Session,
    sid: str,
    status: str,
    *,
    answered_by: str | None = None,
    ended: bool = False,
) -> bool:
    """A provider's status callback; False if no attempt has this SID."""
    attempt = attempt_by_sid(session, sid)
    if attempt is None:
        return False
    attempt.status = status
    if answered_by:
        attempt.answered_by = answered_by
    if ended:
        attempt.ended_at = utcnow()
    return True


def link_conversation(session: Session, sid: str, conversation_id: str) -> None:
    attempt = attempt_by_sid(session, sid)
    if attempt:
        attempt.conversation_id = conversation_id


def set_disposition(session: Session, sid: str, disposition: str) -> None:
    attempt = attempt_by_sid(session, sid)
    if attempt:
        attempt.disposition = disposition
