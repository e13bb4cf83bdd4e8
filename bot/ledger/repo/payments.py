"""Payments received, the promises they settle, and the audit entries of both.

An import and a settlement run in the caller's transaction: the payments, the balances, the
promise statuses and their audit entries commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.compliance import audit
from bot.ledger.models import Payment, Promise


def batch_imported(session: Session, digest: str) -> bool:
    """Whether a file with this SHA-256 was imported already."""
    return (
        session.execute(select(Payment.id).where(Payment.batch == digest).limit(1)).first()
        is not None
    )


def add_payment(session: Session, **fields) -> Payment:
    payment = Payment(**fields)
    session.add(payment)
    session.flush()  # the id is the order payments were applied in
    return payment


def payments_oldest_first(session: Session, ids: Iterable[str]) -> Iterable[Payment]:
    """The accounts' payments by date paid, then in the order they were applied."""
    return session.scalars(
        select(Payment).where(Payment.account_id.in_(ids)).order_by(Payment.paid_on, Payment.id)
    )


def promises_to_settle(session: Session) -> list[Promise]:
    """Every promise of an account with a pending one (pending, kept or broken: the settled ones
    still hold on to the money they took), per account in due-date order."""
    pending_accounts = select(Promise.account_id).where(Promise.status == "pending").distinct()
    return session.scalars(
        select(Promise)
        .where(
            Promise.account_id.in_(pending_accounts),
            Promise.status.in_(("pending", "kept", "broken")),
        )
        .order_by(Promise.account_id, Promise.due_date, Promise.created_at, Promise.id)
    ).all()


def write_journal(session: Session, kind: str, actor: str, entries: list[tuple[str, dict]]) -> None:
    """Audit entries go in last: the chain's lock is then held only until the commit that follows,
    and never while waiting for another row lock (so no deadlock with a conversation turn)."""
    for account_id, data in entries:
        audit.append(session, kind=kind, account_id=account_id, actor=actor, data=data)
