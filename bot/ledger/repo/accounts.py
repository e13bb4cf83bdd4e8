"""The accounts table: one customer's debt, contact consents and pause."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.models import Account


def account(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def exists(session: Session, account_id: str) -> bool:
    return account(session, account_id) is not None


def account_id_by_phone(session: Session, phone: str) -> str | None:
    """The account a number belongs to; where several share it, the lowest account id."""
    row = (
        session.query(Account.account_id)
        .filter(Account.phone == phone)
        .order_by(Account.account_id)
        .first()
    )
    return row[0] if row else None


def save(session: Session, values: dict) -> bool:
    """Create the account or overwrite its fields from an import; True if it was new."""
    existing = account(session, values["account_id"])
    if existing is None:
        session.add(Account(**values))
        return True
    for key, value in values.items():
        setattr(existing, key, value)
    return False


def pause(session: Session, account_id: str, reason: str) -> None:
    """Stop contacting the account until an agent reviews it (a dispute, a paid claim)."""
    account(session, account_id).paused_reason = reason


def accounts_by_id(session: Session, ids: Iterable[str]) -> dict[str, Account]:
    """The accounts with these ids, in one query; an unknown id is absent."""
    return {
        a.account_id: a for a in session.scalars(select(Account).where(Account.account_id.in_(ids)))
    }


def currencies(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Each known account's currency, in one query."""
    return dict(
        session.execute(
            select(Account.account_id, Account.currency).where(Account.account_id.in_(ids))
        ).all()
    )


def any_id_starting(session: Session, prefix: str) -> bool:
    """Whether some account id starts with `prefix` (the synthetic history's SYN-)."""
    return (
        session.execute(
            select(Account.account_id).where(Account.account_id.like(f"{prefix}%")).limit(1)
        ).first()
        is not None
    )


def all_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Account.account_id)))


def unpaused_ids(session: Session) -> list[str]:
    """The accounts the campaign still works (no dispute, claim or payment in full pausing them)."""
    return list(session.scalars(select(Account.account_id).where(Account.paused_reason.is_(None))))
