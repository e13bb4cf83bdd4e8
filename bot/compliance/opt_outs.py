"""Honouring what `bot.compliance.revocation` found in a customer's message: the opt-out rows
recorded (the gate and the planner read them per account and per number), the conversation
ended, the audit entry, and a written cease or refusal to pay turned into a paused account and
a case for a person. Runs inside the caller's session (a thread of the gateway), never in Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.compliance.revocation import (
    OTHER_CHANNELS,
    Revocation,
    is_cease_request,
    refuses_to_pay,
    revocation,
)
from bot.ledger.repo import accounts, conversations, records

# Reg F §1006.6(c): a refusal or a cease request "in writing"; texts and chat messages are
# electronic writings (CFPB commentary 6(c)). Calls are not: a spoken "stop" closes channels.
WRITTEN = frozenset({"sms", "chat"})
# How long the one "which others?" question stays open for its bare answer ("CALLS").
QUESTION_OPEN_FOR = timedelta(hours=24)
CEASE_PAUSE = "cease_request"
REFUSAL_PAUSE = "refused_to_pay"


@dataclass(frozen=True)
class Honoured:
    named: str  # what the customer named: calls / texts / all / unclear
    channels: tuple[str, ...]  # the OptOut.channel codes recorded
    others: tuple[str, ...]  # the channels asked about ("calls", "texts"); empty: nothing asked
    ceased: bool  # collection contact paused on the account (§1006.6(c))


def honour(
    session: Session,
    queue,
    *,
    account_id: str,
    conversation_id: str | None,
    came_on: str,
    found: Revocation,
    text: str,
    actor: str,
    end_conversation: bool = True,
) -> Honoured:
    """Record the revocation: every channel it names is closed at once (the FCC allows 10
    business days; the bank does it on the spot)."""
    channels = found.ledger_channels(came_on)
    for channel in channels:
        records.opt_out(
            session,
            account_id=account_id,
            conversation_id=conversation_id,
            channel=channel,
            source_text=text[:500],
        )
    ceased = came_on in WRITTEN and is_cease_request(found)
    if ceased:
        _pause_and_escalate(
            session,
            queue,
            account_id,
            conversation_id,
            CEASE_PAUSE,
            "cease_request",
            "The customer asked in writing to stop all contact (Reg F 1006.6(c)). Collection "
            "contact is paused; review before any further communication.",
        )
    if conversation_id and end_conversation:
        _end(session, conversation_id, "opted_out")
    others = OTHER_CHANNELS.get(came_on, ()) if found.asks_which_others else ()
    _audit(
        session,
        account_id,
        actor,
        {"channels": list(channels), "named": found.named, "via": came_on, "ceased": ceased},
    )
    return Honoured(found.named, channels, others, ceased)


def pending_question(session: Session, account_id: str, now: datetime | None = None):
    """The channels a still-open "which others?" question asked about, or (): the account's
    latest opt-out is an unclear one made within QUESTION_OPEN_FOR, and nothing came after it
    (an answer is an opt-out row of its own, so the question is asked and answered once)."""
    now = now or datetime.now(timezone.utc)
    latest = records.latest_opt_out(session, account_id, now - QUESTION_OPEN_FOR)
    if latest is None or latest.revoked_at is not None:
        return ()
    found = revocation(latest.source_text or "")
    if found is None or not found.asks_which_others:
        return ()
    return OTHER_CHANNELS.get(latest.channel, ())


def refusal_in_writing(
    session: Session, queue, *, account_id: str, conversation_id: str | None, came_on: str, text
) -> bool:
    """Reg F §1006.6(c)(1): a written refusal to pay stops collection communication; the
    account is paused and a person takes the case. True when it was one."""
    if came_on not in WRITTEN or not refuses_to_pay(text):
        return False
    _pause_and_escalate(
        session,
        queue,
        account_id,
        conversation_id,
        REFUSAL_PAUSE,
        "refusal",
        "The customer refused in writing to pay (Reg F 1006.6(c)). Collection contact is "
        "paused; review before any further communication.",
    )
    _audit(session, account_id, "system", {"reason": "refusal", "via": came_on}, "escalation")
    return True


def _pause_and_escalate(session, queue, account_id, conversation_id, pause, reason, summary):
    accounts.pause(session, account_id, pause)
    if queue is not None:
        queue.enqueue(
            session,
            account_id=account_id,
            conversation_id=conversation_id,
            reason=reason,
            priority=1,
            summary=summary,
        )


def _end(session: Session, conversation_id: str, disposition: str) -> None:
    conversation = conversations.conversation(session, conversation_id)
    if conversation is not None and conversation.ended_at is None:
        conversations.end(conversation, disposition)


def _audit(session: Session, account_id: str, actor: str, data: dict, kind="opt_out") -> None:
    from bot.compliance import audit

    audit.append(session, kind=kind, account_id=account_id, actor=actor, data=data)
