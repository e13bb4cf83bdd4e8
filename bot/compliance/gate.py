"""The contact gate: the one function that decides whether the bank may contact a customer now,
on this channel. Every outbound call and SMS (API, CLI, dialer, voice, SMS) asks it first, and
every denial is logged with its reason.

`decide` is pure (facts in, decision out) so each rule is tested at its edges; the rules
themselves live in `bot.compliance.rules`, shared with the campaign planner. `check_contact`
gathers the facts from the ledger (`bot.ledger.repo.contact_history`) and records the decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.compliance.location import plausible_zones, state_of
from bot.compliance.profiles import Profile, profile_for
from bot.compliance.rules import CHANNELS, NEVER, RULES, limits, to_us, window_open_everywhere
from bot.infra.metrics import gate_decision
from bot.ledger import models as m
from bot.ledger.repo import accounts as account_repo
from bot.ledger.repo import contact_history as history

log = logging.getLogger(__name__)

__all__ = ["CHANNELS", "ContactFacts", "GateDecision", "check_contact", "decide", "gather_facts"]

WEEK = timedelta(days=7)
# RULES in their order, those governing each channel (the cooldown and the call cap: calls only)
_RULES_FOR = {channel: tuple(r for r in RULES if channel in r.channels) for channel in CHANNELS}


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
    # The number's area-code zone when it differs from the account's (location.plausible_zones)
    other_zones: tuple[str, ...] = ()
    communications_last_7_days: int = 0  # outbound calls and texts (a state overlay's cap)


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    reason: str  # "allowed" or why not
    detail: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _deny(reason: str, detail: str = "") -> GateDecision:
    return GateDecision(False, reason, detail)


class _OneContact:
    """The rules' inputs for one contact, as scalars (see `bot.compliance.rules`). The local
    time is worked out only when the window rule asks: an earlier refusal never needs the zone.
    (Plain properties, not cached_property: each is read once or twice, and Python 3.10's
    cached_property takes a lock on every first read.)"""

    __slots__ = (
        "profile",
        "zones",
        "now",
        "opted_out",
        "dispute_open",
        "paused_reason",
        "paused",
        "wrong_number",
        "consent",
        "consent_required",
        "cooldown_us",
        "max_calls",
        "daily_cap",
        "calls_7d",
        "attempts_today",
        "last_conversation_at",
        "max_communications",
        "communications_7d",
        "_closed_zone",
    )

    def __init__(self, facts: ContactFacts, profile: Profile, now: datetime):
        rule_limits = limits(profile, facts.channel)
        self.profile = profile
        self.zones = (facts.timezone, *facts.other_zones)
        self.now = now
        self.opted_out = bool(facts.opted_out)
        self.dispute_open = bool(facts.dispute_open)
        self.paused_reason = facts.paused_reason
        self.paused = bool(facts.paused_reason)
        self.wrong_number = bool(facts.wrong_number)
        self.consent = bool(facts.consent)
        self.consent_required = bool(rule_limits.consent_required)
        self.cooldown_us = rule_limits.cooldown_us
        self.max_calls = rule_limits.max_calls
        self.daily_cap = rule_limits.daily_cap
        self.calls_7d = facts.calls_last_7_days
        self.attempts_today = facts.attempts_today_to_number
        self.last_conversation_at = facts.last_conversation_at
        self.max_communications = rule_limits.max_communications
        self.communications_7d = facts.communications_last_7_days
        self._closed_zone = None

    @property
    def timezone(self) -> str:
        """The zone the window was found closed in (the account's when open everywhere)."""
        return self._closed_zone or self.zones[0]

    @property
    def local(self) -> datetime:
        return self.now.astimezone(ZoneInfo(self.timezone))

    @property
    def window_open(self) -> bool:
        # open in every plausible zone (Reg F §1006.6(b)(1)(i), comment 6(b)(1)(i)-4)
        self._closed_zone = window_open_everywhere(self.now, self.zones, self.profile)
        return self._closed_zone is None

    @property
    def at_us(self) -> int:
        return to_us(self.now)

    @property
    def last_conversation_us(self) -> int:
        at = self.last_conversation_at
        return NEVER if at is None else to_us(at)


def decide(facts: ContactFacts, profile: Profile, now: datetime) -> GateDecision:
    """Apply the profile's rules in `rules.RULES` order (a customer's own wishes, then the law's
    timing rules), and answer with the first that refuses."""
    if facts.channel not in CHANNELS:
        return _deny("unknown_channel", facts.channel)
    contact = _OneContact(facts, profile, now)
    for rule in _RULES_FOR[facts.channel]:
        if rule.refuses(contact):
            return _deny(rule.reason, rule.detail(contact))
    return GateDecision(True, "allowed")


def gather_facts(session: Session, account: m.Account, channel: str, now: datetime) -> ContactFacts:
    tz = ZoneInfo(account.timezone)
    local_midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return ContactFacts(
        channel=channel,
        timezone=account.timezone,
        consent=account.consent_voice if channel == "voice" else account.consent_sms,
        paused_reason=account.paused_reason,
        opted_out=history.opted_out(session, account.account_id, channel),
        dispute_open=history.dispute_open(session, account.account_id),
        wrong_number=history.wrong_number(session, account.account_id, account.phone),
        calls_last_7_days=history.calls_since(session, account.account_id, now - WEEK),
        last_conversation_at=history.last_conversation_at(session, account.account_id),
        attempts_today_to_number=history.attempts_to_number_since(
            session, account.phone, channel, local_midnight.astimezone(timezone.utc)
        ),
        other_zones=plausible_zones(account.timezone, account.phone)[1:],
        communications_last_7_days=history.communications_since(
            session, account.account_id, now - WEEK
        ),
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
    account = account_repo.account(session, account_id)
    if account is None:
        return _deny("unknown_account", account_id)
    # the state overlay from the area code: the accounts carry no state column (location.py)
    profile = profile_for(account.jurisdiction, state_of(account.phone))
    decision = decide(gather_facts(session, account, channel, now), profile, now)
    if not decision.allowed:
        log.info(
            "contact denied: account=%s channel=%s reason=%s %s",
            account_id,
            channel,
            decision.reason,
            decision.detail,
        )
    gate_decision(channel, decision.allowed, decision.reason)
    _audit(session, account_id, channel, decision, actor)
    return decision


def recheck_window(
    session: Session, account_id: str, *, stage: str, now: datetime | None = None, actor: str
) -> GateDecision:
    """The calling window once more, for a call already under way: when the carrier dials and
    when it is answered, so a call queued past 21:00 is not made (Reg F §1006.6(b)(1)(i), in
    every plausible zone). Only the window: the caps already count this very contact. A
    refusal is audited like any gate decision, with the stage it was found at."""
    now = now or datetime.now(timezone.utc)
    account = account_repo.account(session, account_id)
    profile = profile_for(account.jurisdiction, state_of(account.phone))
    closed = window_open_everywhere(now, plausible_zones(account.timezone, account.phone), profile)
    if closed is None:
        return GateDecision(True, "allowed")
    decision = _deny("outside_window", f"{stage}; closed in {closed}")
    _audit(session, account_id, "voice", decision, actor)
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
