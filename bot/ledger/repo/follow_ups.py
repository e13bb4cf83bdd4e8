"""Follow-ups the ledger owes a customer (a broken promise's reminder): scheduled, due, taken by
the campaign, cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.ledger.models import Account, FollowUp


def schedule(session: Session, **fields) -> FollowUp:
    """Record a follow-up; flushed, so the caller can name its id in the audit entry."""
    follow_up = FollowUp(**fields)
    session.add(follow_up)
    session.flush()
    return follow_up


def cancel_scheduled(session: Session, account_id: str) -> int:
    """Cancel the account's follow-ups still scheduled (it paid in full); how many were."""
    cancelled = 0
    for follow_up in session.scalars(
        select(FollowUp).where(FollowUp.account_id == account_id, FollowUp.status == "scheduled")
    ):
        follow_up.status = "cancelled"
        cancelled += 1
    return cancelled


def due_before(session: Session, moment: datetime) -> list:
    """The follow-ups still scheduled and due before `moment`, oldest first, with what the campaign
    needs of their account: (id, account_id, channel, due_at, product, days_past_due, timezone,
    jurisdiction)."""
    f, a = FollowUp, Account
    return session.execute(
        select(
            f.id,
            f.account_id,
            f.channel,
            f.due_at,
            a.product,
            a.days_past_due,
            a.timezone,
            a.jurisdiction,
        )  # fmt: skip
        .join(a, a.account_id == f.account_id)
        .where(f.status == "scheduled", f.due_at <= moment)
        .order_by(f.due_at, f.id)
    ).all()


def mark_done(session: Session, ids: list[int]) -> None:
    """Mark follow-ups taken by the campaign (only those still scheduled), 500 ids a statement."""
    for start in range(0, len(ids), 500):
        session.execute(
            update(FollowUp)
            .where(FollowUp.id.in_(ids[start : start + 500]), FollowUp.status == "scheduled")
            .values(status="done")
            .execution_options(synchronize_session=False)
        )
