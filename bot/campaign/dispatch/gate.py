"""The gate a worker asks again just before each contact (conditions change between planning
and dialling): a callable (account_id, channel, now) -> GateDecision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.compliance.gate import GateDecision

Gate = Callable[[str, str, datetime], GateDecision]


class LedgerGate:
    """The real gate: `check_contact` on the ledger (facts gathered now, decision audited)."""

    def __init__(self, url: str | None = None, *, actor: str = "campaign"):
        self.url = url
        self.actor = actor

    def __call__(self, account_id: str, channel: str, now: datetime) -> GateDecision:
        from bot.compliance.gate import check_contact
        from bot.ledger.db import session_scope

        with session_scope(self.url) as session:
            return check_contact(session, account_id, channel, now=now, actor=self.actor)
