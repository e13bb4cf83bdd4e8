"""Builders shared by the campaign tests."""

from __future__ import annotations

import time

from bot.campaign.contacts import DueContact, dispatch_key
from bot.ledger.models import Account
from tests import factories

DAY = "20261127"


def contact(i: int, *, channel: str = "voice", due: float | None = None, **kw) -> DueContact:
    account_id = kw.pop("account_id", f"A{i:04d}")
    return DueContact(
        key=dispatch_key(account_id, channel, DAY, "s0"),
        account_id=account_id,
        channel=channel,
        due=time.time() - 1 if due is None else due,
        day=DAY,
        segment=kw.pop("segment", "credit_card:1-30:low"),
        zone=kw.pop("zone", "America/New_York"),
        jurisdiction=kw.pop("jurisdiction", "US"),
        **kw,
    )


def cleanup(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def account(account_id: str, **overrides) -> Account:
    return factories.account(account_id, **overrides)
