"""The contact gate: the one function that decides whether the bank may contact a customer now,
on this channel. Every outbound call and SMS (API, CLI, dialer, voice, SMS) asks it first, and
every denial is logged with its reason.

`decide` is pure (facts in, decision out) so each rule is tested at its edges; `check_contact`
gathers the facts from the ledger and records the decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlalchemy.orm import Session

from bot.compliance.profiles import Profile, profile_for
from bot.ledger import models as m

log = logging.getLogger(__name__)

CHANNELS = ("voice", "sms")
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ContactFacts:
    channel: str
    timezone: str
    consent: bool
    paused_reason: str | None = None
    opted_out: bool = False
    dispute_open: bool = False
    wrong_number: bool = False
    calls_last_7_days: int = 0  # outbound call attempts in the rolling 7 days before now
    last_conversation_at: datetime | None = None  # last phone conversation with the customer
    attempts_today_to_number: int = 0  # this channel, the customer's local day, any account


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: str  # "allowed" or why not
    detail: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _deny(reason: str, detail: str = "") -> GateDecision:
    return GateDecision(False, reason, detail)


def decide(facts: ContactFacts, profile: Profile, now: datetime) -> GateDecision:
    """Apply the profile's rules, most fundamental first (a customer's own wishes, then the
    law's timing rules), and answer with the first that refuses."""
    if facts.channel not in CHANNELS:
        return _deny("unknown_channel", facts.channel)
    if facts.opted_out:
        return _deny("opted_out")
    if facts.dispute_open:
        return _deny("dispute_open")
    if facts.paused_reason:
        return _deny("paused", facts.paused_reason)
    if facts.wrong_number:
        return _deny("wrong_number")
    if profile.consent_required.get(facts.channel, True) and not facts.consent:
        return _deny("no_consent")
    local = now.astimezone(ZoneInfo(facts.timezone))
    # The window is [start, end): 21:00:00 itself is already "after 9 p.m.".
    if not (profile.window_start <= local.time() < profile.window_end):
        return _deny("outside_window", f"{local:%H:%M} {facts.timezone}")
    if facts.channel == "voice":
        cooldown = timedelta(days=profile.cooldown_days_after_conversation)
        if cooldown and facts.last_conversation_at and now - facts.last_conversation_at < cooldown:
            return _deny("cooldown_after_conversation", facts.last_conversation_at.isoformat())
        if facts.calls_last_7_days >= profile.max_calls_in_7_days:
            return _deny("frequency_cap", f"{facts.calls_last_7_days} calls in 7 days")
    cap = profile.daily_cap_per_number.get(facts.channel)
    if cap is not None and facts.attempts_today_to_number >= cap:
        return _deny("daily_cap", f"{facts.attempts_today_to_number} today")
    return GateDecision(True, "allowed")


def gather_facts(session: Session, account: m.Account, channel: str, now: datetime) -> ContactFacts:
    opted_out = (
        session.query(m.OptOut.id)
        .filter(
            m.OptOut.account_id == account.account_id,
            m.OptOut.revoked_at.is_(None),
            or_(m.OptOut.channel == "all", m.OptOut.channel == channel),
        )
        .first()
        is not None
    )
    dispute_open = (
        session.query(m.Dispute.id)
        .filter(m.Dispute.account_id == account.account_id, m.Dispute.status == "open")
        .first()
        is not None
    )
    wrong_number = (
        session.query(m.WrongNumberFlag.id)
        .filter(
            m.WrongNumberFlag.account_id == account.account_id,
            m.WrongNumberFlag.phone == account.phone,
        )
        .first()
        is not None
    )
    calls = (
        session.query(func.count(m.ContactAttempt.id))
        .filter(
            m.ContactAttempt.account_id == account.account_id,
            m.ContactAttempt.channel == "voice",
            m.ContactAttempt.direction == "outbound",
            m.ContactAttempt.started_at > now - WEEK,
        )
        .scalar()
    )
    last_conversation = (
        session.query(func.max(m.Conversation.started_at))
        .filter(
            m.Conversation.account_id == account.account_id,
            m.Conversation.channel == "voice",
            m.Conversation.verified.is_(True),
        )
        .scalar()
    )
    tz = ZoneInfo(account.timezone)
    local_midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        session.query(func.count(m.ContactAttempt.id))
        .join(m.Account, m.Account.account_id == m.ContactAttempt.account_id)
        .filter(
            m.Account.phone == account.phone,
            m.ContactAttempt.channel == channel,
            m.ContactAttempt.direction == "outbound",
            m.ContactAttempt.started_at >= local_midnight.astimezone(timezone.utc),
        )
        .scalar()
    )
    return ContactFacts(
        channel=channel,
        timezone=account.timezone,
        consent=account.consent_voice if channel == "voice" else account.consent_sms,
        paused_reason=account.paused_reason,
        opted_out=opted_out,
        dispute_open=dispute_open,
        wrong_number=wrong_number,
        calls_last_7_days=calls,
        last_conversation_at=last_conversation,
        attempts_today_to_number=today,
    )


def check_contact(
    session: Session,
    account_id: str,
    channel: str,
    *,
    now: datetime | None = None,
    actor: str = "system",
) -> GateDecision:
    """Decide and record: the only way to learn whether a contact may be made."""
    now = now or datetime.now(timezone.utc)
    account = session.get(m.Account, account_id)
    if account is None:
        return _deny("unknown_account", account_id)
    decision = decide(
        gather_facts(session, account, channel, now), profile_for(account.jurisdiction), now
    )
    if not decision.allowed:
        log.info(
            "contact denied: account=%s channel=%s reason=%s %s",
            account_id,
            channel,
            decision.reason,
            decision.detail,
        )
    _audit(session, account_id, channel, decision, actor)
    return decision


def _audit(session, account_id, channel, decision, actor) -> None:
    from bot.compliance import audit

    audit.append(
        session,
        kind="gate_decision",
        account_id=account_id,
        actor=actor,
        data={
            "channel": channel,
            "allowed": decision.allowed,
            "reason": decision.reason,
            "detail": decision.detail,
        },
    )
