"""The planner's input from the ledger: the facts `bot.compliance.gate.gather_facts` reads per
contact, for every account at once. The queries are `bot.ledger.repo.contact_history`'s (one per
kind of fact, never one per account); this module only shapes their rows into columns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from bot.campaign.planner.inputs import OPT_OUT_BITS, Accounts, History
from bot.campaign.strategy import SIGNALS
from bot.campaign.windows import to_us
from bot.compliance.rules import CHANNELS
from bot.ledger.repo import contact_history

RECENT_WINDOW = timedelta(hours=26)  # covers any local day (25 h on a DST fall-back day)


def load_accounts(
    session,
    now: datetime,
    *,
    scores: Mapping[str, float] | None = None,
    lookback_days: int = 90,
) -> tuple[Accounts, History]:
    """Accounts and History from the ledger session at `now`."""
    rows = contact_history.portfolio_rows(session)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(9)]
    accounts = Accounts(
        ids=list(columns[0]),
        products=list(columns[1]),
        dpd=list(columns[2]),
        zones=list(columns[3]),
        jurisdictions=list(columns[4]),
        phones=list(columns[5]),
        consent_voice=[bool(v) for v in columns[6]],
        consent_sms=[bool(v) for v in columns[7]],
        paused=list(columns[8]),
        scores=[scores.get(i) for i in columns[0]] if scores is not None else None,
    )
    history = History()
    for account_id, channel in contact_history.open_opt_outs(session, OPT_OUT_BITS):
        history.opt_outs[account_id] = history.opt_outs.get(account_id, 0) | OPT_OUT_BITS[channel]
    history.disputes = contact_history.accounts_with_open_dispute(session)
    history.wrong_numbers = contact_history.accounts_with_wrong_number(session)
    history.calls_7d = contact_history.calls_by_account_since(session, now - timedelta(days=7))
    history.communications_7d = contact_history.communications_by_account_since(
        session, now - timedelta(days=7)
    )
    history.last_conversation_us = {
        account_id: to_us(_aware(at))
        for account_id, at in contact_history.last_conversations(session)
        if at is not None
    }
    recent: dict[str, dict[str, list[int]]] = {ch: {} for ch in CHANNELS}
    for phone, channel, at in contact_history.attempts_to_numbers_since(
        session, CHANNELS, now - RECENT_WINDOW
    ):
        recent[channel].setdefault(phone, []).append(to_us(_aware(at)))
    for per_phone in recent.values():
        for times in per_phone.values():
            times.sort()
    history.recent_attempts_us = recent
    last: dict[str, dict[str, int]] = {ch: {} for ch in CHANNELS}
    for account_id, channel, at in contact_history.last_attempts_since(
        session, CHANNELS, now - timedelta(days=lookback_days)
    ):
        if at is not None:
            last[channel][account_id] = to_us(_aware(at))
    history.last_attempt_us = last
    history.signals = _signals(session, now - timedelta(days=lookback_days))
    return accounts, history


def _signals(session, since: datetime) -> dict[str, int]:
    found: dict[str, int] = {}
    for name, accounts in contact_history.signal_accounts(session, since).items():
        for account_id in accounts:
            found[account_id] = found.get(account_id, 0) | SIGNALS[name]
    return found


def _aware(moment: datetime) -> datetime:
    # func.max() keeps the column type on both engines; a driver returning a naive UTC value
    # (an aggregate over SQLite text) is still UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
