"""Escalations: the ledger side of the agents' queue (the Redis stream distributes the work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import Session

from bot.ledger.models import Account, Escalation, utcnow

LIST_LIMIT = 500


def escalation(session: Session, escalation_id: str) -> Escalation | None:
    return session.get(Escalation, escalation_id)


def add(session: Session, row: Escalation) -> Escalation:
    session.add(row)
    session.flush()
    return row


def mark_claimed(
    session: Session,
    escalation_id: str,
    agent: str,
    *,
    from_status: tuple[str, ...],
    stream_id: str | None = None,
) -> bool:
    """Claim the row only if it is still in one of `from_status`: of two agents clicking at
    once, exactly one gets it. `stream_id`: the stream entry it was claimed through."""
    values = {"status": "claimed", "claimed_by": agent, "claimed_at": utcnow()}
    if stream_id:
        values["stream_id"] = stream_id
    updated = (
        session.query(Escalation)
        .filter(Escalation.id == escalation_id, Escalation.status.in_(from_status))
        .update(values, synchronize_session=False)
    )
    session.expire_all()
    return updated == 1


def set_stream_id(session: Session, escalation_id: str, stream_id: str) -> None:
    """Record the row's stream entry, unless a consumer already recorded the one it read."""
    session.query(Escalation).filter(
        Escalation.id == escalation_id, Escalation.stream_id.is_(None)
    ).update({"stream_id": stream_id}, synchronize_session=False)


def open_unstreamed(session: Session, cutoff: datetime) -> list[Escalation]:
    """Open escalations created before `cutoff` that have no stream entry yet."""
    return (
        session.query(Escalation)
        .filter(
            Escalation.status == "open",
            Escalation.stream_id.is_(None),
            Escalation.created_at < cutoff,
        )
        .all()
    )


def claimed_before(session: Session, cutoff: datetime) -> list[Escalation]:
    """Claims taken before `cutoff` and still not resolved."""
    return (
        session.query(Escalation)
        .filter(Escalation.status == "claimed", Escalation.claimed_at < cutoff)
        .all()
    )


def by_status(session: Session, status: str) -> list[Escalation]:
    """Most urgent first, then oldest."""
    return (
        session.query(Escalation)
        .filter(Escalation.status == status)
        .order_by(Escalation.priority, Escalation.created_at)
        .limit(LIST_LIMIT)
        .all()
    )


def waiting_with_accounts(
    session: Session, *, claimed_by: str | None = None
) -> list[tuple[Escalation, Account]]:
    """Open and claimed escalations with their accounts, most urgent first, then oldest.
    `claimed_by`: of the claimed ones, only this agent's."""
    waiting = Escalation.status.in_(("open", "claimed"))
    if claimed_by is not None:
        waiting = or_(
            Escalation.status == "open",
            and_(Escalation.status == "claimed", Escalation.claimed_by == claimed_by),
        )
    return (
        session.query(Escalation, Account)
        .join(Account, Account.account_id == Escalation.account_id)
        .filter(waiting)
        .order_by(Escalation.priority, Escalation.created_at)
        .limit(LIST_LIMIT)
        .all()
    )


def for_account(session: Session, account_id: str) -> list[Escalation]:
    return (
        session.query(Escalation)
        .filter(Escalation.account_id == account_id)
        .order_by(Escalation.created_at)
        .all()
    )


def counts_by_reason_and_status(session: Session) -> list[tuple[str, str, int]]:
    return (
        session.query(Escalation.reason, Escalation.status, func.count(Escalation.id))
        .group_by(Escalation.reason, Escalation.status)
        .all()
    )


def every_escalation(session: Session) -> list[Escalation]:
    return session.query(Escalation).all()


def held_by(session: Session, agent: str) -> int:
    """How many cases the agent has claimed and not resolved."""
    return (
        session.query(func.count(Escalation.id))
        .filter(Escalation.claimed_by == agent, Escalation.status == "claimed")
        .scalar()
    )


def resolved_by_since(session: Session, agent: str, since: datetime) -> int:
    return (
        session.query(func.count(Escalation.id))
        .filter(
            Escalation.claimed_by == agent,
            Escalation.status == "resolved",
            Escalation.resolved_at >= since,
        )
        .scalar()
    )


def account_case_waiting(session: Session, account_id: str, reason: str) -> Escalation | None:
    """The account's case of this reason outside any conversation that no person has closed."""
    return (
        session.query(Escalation)
        .filter(
            Escalation.account_id == account_id,
            Escalation.conversation_id.is_(None),
            Escalation.reason == reason,
            Escalation.status.in_(("open", "claimed")),
        )
        .first()
    )


def case_waiting(session: Session, conversation_id: str, reason: str) -> bool:
    """A case of this reason for the conversation that no person has closed yet."""
    waiting = session.query(Escalation).filter(
        Escalation.conversation_id == conversation_id,
        Escalation.reason == reason,
        Escalation.status.in_(("open", "claimed")),
    )
    return session.query(waiting.exists()).scalar()
