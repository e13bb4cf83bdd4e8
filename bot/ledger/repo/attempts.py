"""Contact attempts: every call and text placed or answered, found by the provider's SID.

An outbound contact is held as a `pending` attempt (no SID yet) in the transaction of the gate's
decision, before the carrier is called: the caps count it from that moment, so a second request
deciding meanwhile sees it, and a crash after the carrier accepted still leaves it counted. It
is then completed with the carrier's SID, or marked `failed` if the carrier refused."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.compliance import audit
from bot.ledger.models import ContactAttempt, utcnow
from bot.ledger.repo import conversations


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
    _audit_contact(session, account_id, channel, sid, actor=actor, audited=audited)


PENDING = "pending"


def hold(
    session: Session,
    *,
    account_id: str,
    channel: str,
    conversation_id: str | None = None,
) -> str:
    """A pending outbound attempt; its id. (The gate's decision is audited by the gate.)"""
    attempt = ContactAttempt(
        account_id=account_id,
        conversation_id=conversation_id,
        channel=channel,
        direction="outbound",
        status=PENDING,
    )
    session.add(attempt)
    session.flush()
    return attempt.id


def complete(
    session: Session,
    attempt_id: str,
    sid: str,
    *,
    actor: str,
    audited: dict,
    status: str = "queued",
    conversation_id: str | None = None,
) -> None:
    """The carrier accepted a held attempt: its SID, status and audit entry (as
    `record_attempt` writes them)."""
    attempt = session.get(ContactAttempt, attempt_id)
    attempt.provider_sid, attempt.status = sid, status
    if conversation_id:
        attempt.conversation_id = conversation_id
    _audit_contact(session, attempt.account_id, attempt.channel, sid, actor=actor, audited=audited)


def fail(session: Session, attempt_id: str, *, actor: str) -> None:
    """The carrier refused a held attempt: nothing reached the customer."""
    attempt = session.get(ContactAttempt, attempt_id)
    attempt.status, attempt.disposition, attempt.ended_at = "failed", "carrier_refused", utcnow()
    audit.append(
        session,
        kind="contact_attempt",
        account_id=attempt.account_id,
        actor=actor,
        data={"channel": attempt.channel, "status": "failed"},
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


def finish_call(session: Session, sid: str, conversation_id: str | None) -> None:
    """The call is over: its conversation ends if it had not (no response), and the attempt's
    disposition is the conversation's (promise, refusal...), unless one was set before it
    (voicemail, outside the window). Run at hang-up, or on replay after a ledger outage."""
    attempt = attempt_by_sid(session, sid)
    conversation = conversations.conversation(session, conversation_id) if conversation_id else None
    if conversation is not None and conversation.ended_at is None:
        conversations.end(conversation, conversation.disposition or "no_response")
    if attempt is not None and attempt.disposition is None:
        attempt.disposition = conversation.disposition if conversation else "no_conversation"


def set_disposition(session: Session, sid: str, disposition: str) -> None:
    attempt = attempt_by_sid(session, sid)
    if attempt:
        attempt.disposition = disposition


def _audit_contact(
    session: Session, account_id: str, channel: str, sid: str, *, actor: str, audited: dict
) -> None:
    """The audit entry of a contact the carrier has (one shape for recorded and held ones)."""
    audit.append(
        session,
        kind="contact_attempt",
        account_id=account_id,
        actor=actor,
        data={"channel": channel, "sid": sid, **audited},
    )
