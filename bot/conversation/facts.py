"""What the conversation may know about an account (never the verification secrets' values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.conversation.language import normalise
from bot.ledger.models import Account

PRODUCT_NAMES = {
    "credit_card": "credit card",
    "personal_loan": "personal loan",
    "business_loan": "business loan",
}


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    customer_name: str
    phone: str
    timezone: str
    product: str
    currency: str
    balance: Decimal
    minimum_due: Decimal
    due_date: date
    days_past_due: int
    jurisdiction: str
    dob_hash: str
    last4_hash: str
    paused_reason: str | None = None
    # The portfolio's language code; the conversation starts in it (see `lang`).
    language: str = "en"

    @classmethod
    def from_account(cls, account: Account) -> AccountFacts:
        return cls(**{f: getattr(account, f) for f in cls.__dataclass_fields__})

    @property
    def first_name(self) -> str:
        return self.customer_name.split()[0]

    @property
    def lang(self) -> str:
        """The language the bot speaks to this customer first ("en" or "zh"); a ledger written
        before the import normalised codes may still say "zh-CN"."""
        return normalise(self.language)

    @property
    def product_name(self) -> str:
        return PRODUCT_NAMES.get(self.product, self.product)

    def local_now(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))
