"""Builders for hand-made ledger rows shared by the test suites."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.ledger.models import Account


def account(account_id: str = "A1", **overrides) -> Account:
    """A US credit-card account; only the hashes stand in for the verification secrets."""
    values = dict(
        account_id=account_id,
        customer_name="Jane Doe",
        # a New York number for a New York account: the calling window is checked in the number's
        # area-code zone too (bot/compliance/location.py)
        phone="+12125550101",
        timezone="America/New_York",
        language="en",
        product="credit_card",
        currency="USD",
        balance=Decimal("1000.00"),
        minimum_due=Decimal("100.00"),
        due_date=date(2026, 11, 1),
        days_past_due=20,
        dob_hash="x",
        last4_hash="y",
        consent_voice=True,
        consent_sms=True,
        jurisdiction="US",
    )
    values.update(overrides)
    return Account(**values)
