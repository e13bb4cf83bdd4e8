"""Small builders for hand-made ledgers."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from bot.ledger.models import Account, Promise


def account(account_id: str, **overrides) -> Account:
    values = dict(
        account_id=account_id,
        customer_name="Jane Doe",
        phone="+14155550101",
        timezone="America/New_York",
        language="en",
        product="credit_card",
        currency="USD",
        balance=Decimal("1000.00"),
        minimum_due=Decimal("100.00"),
        due_date=date(2026, 2, 1),
        days_past_due=28,
        dob_hash="x",
        last4_hash="y",
        consent_voice=True,
        consent_sms=True,
        jurisdiction="US",
    )
    values.update(overrides)
    return Account(**values)


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
