"""Small builders for hand-made ledgers."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from bot.ledger.models import Account, Promise
from tests import factories


def account(account_id: str, **overrides) -> Account:
    return factories.account(
        account_id, **{"due_date": date(2026, 2, 1), "days_past_due": 28, **overrides}
    )


def promise(promise_id: str, account_id: str, amount: str, due: date, made: datetime) -> Promise:
    return Promise(
        id=promise_id,
        account_id=account_id,
        amount=Decimal(amount),
        currency="USD",
        due_date=due,
        channel="voice",
        created_at=made,
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
