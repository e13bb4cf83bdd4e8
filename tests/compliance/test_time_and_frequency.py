"""Issue #12, time and frequency: the window in every plausible zone (across DST), the cooldown
after any right-party conversation, and the Massachusetts overlay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from bot.campaign.planner import Accounts, History, plan
from bot.campaign.strategy import parse_strategy
from bot.campaign.windows import next_window_open_everywhere
from bot.compliance.gate import ContactFacts, check_contact, decide
from bot.compliance.location import plausible_zones, state_of
from bot.compliance.profiles import load_profiles, with_overlay
from bot.compliance.rules import text_validity_s
from bot.ledger import models as m
from bot.ledger.db import session_scope
from bot.settings import ROOT
from tests.factories import account

PROFILES = load_profiles(ROOT / "bot" / "policy.yml")
US = PROFILES["US"]
UTC = timezone.utc


def test_area_codes_and_countries_give_the_plausible_zones():
    assert plausible_zones("America/New_York", "+14155550101") == (
        "America/New_York",
        "America/Los_Angeles",
    )
    assert plausible_zones("America/New_York", "+12125550102") == ("America/New_York",)
    assert plausible_zones("America/New_York", "+8613800138000") == (
        "America/New_York",
        "Asia/Shanghai",
    )
    assert plausible_zones("America/New_York", "+15550000000") == ("America/New_York",)
    assert state_of("+16175550106") == "MA" and state_of("+12125550102") is None
    assert state_of("+12125550102", state="ma") == "MA"  # an account's own state wins


def _phoenix_account_la_number(at: datetime) -> str:
    facts = ContactFacts(
        "voice",
        "America/Phoenix",
        True,
        other_zones=plausible_zones("America/Phoenix", "+14155550101")[1:],
    )
    decision = decide(facts, US, at)
    return decision.reason if decision.allowed else f"{decision.reason} {decision.detail}"


def test_the_window_must_be_open_in_every_zone_across_dst():
    """Phoenix keeps MST; Los Angeles is an hour behind it in winter and level in summer."""
    # Sat 7 March 2026 (PST): 15:00 UTC is 08:00 in Phoenix but 07:00 in Los Angeles
    assert _phoenix_account_la_number(datetime(2026, 3, 7, 15, 0, tzinfo=UTC)) == (
        "outside_window 07:00 America/Los_Angeles"
    )
    # Sun 8 March, Los Angeles on PDT: 15:00 UTC is 08:00 in both
    assert _phoenix_account_la_number(datetime(2026, 3, 8, 15, 0, tzinfo=UTC)) == "allowed"
    # the evening edge in winter: 21:00 Phoenix is 20:00 Los Angeles, closed by Phoenix
    assert _phoenix_account_la_number(datetime(2026, 3, 7, 4, 0, tzinfo=UTC)).startswith(
        "outside_window 21:00 America/Phoenix"
    )
    assert _phoenix_account_la_number(datetime(2026, 3, 7, 3, 59, 59, tzinfo=UTC)) == "allowed"
    # the next opening in both zones: 08:00 Los Angeles on the Saturday, 08:00 both on the Sunday
    zones = ("America/Phoenix", "America/Los_Angeles")
    sat = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    assert next_window_open_everywhere(sat, zones, US) == datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    sun = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    assert next_window_open_everywhere(sun, zones, US) == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)


def test_the_planner_defers_to_the_opening_in_every_zone():
    now = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 07:00 Phoenix, 06:00 Los Angeles
    accounts = Accounts(
        ids=["AZ-local", "AZ-la-number", "NY-cn-number"],
        products=["credit_card"] * 3,
        dpd=[10] * 3,
        zones=["America/Phoenix", "America/Phoenix", "America/New_York"],
        jurisdictions=["US"] * 3,
        phones=["+16025550001", "+14155550002", "+8613800000003"],
        consent_voice=[True] * 3,
        consent_sms=[True] * 3,
        paused=[None] * 3,
    )
    strategy = parse_strategy({"default": {"steps": [{"channel": "sms", "from_day": 0}]}})
    result = plan(accounts, now=now, strategy=strategy, profiles=PROFILES, history=History())
    due = {accounts.ids[i]: us for i, _c, us, *_ in result.contacts()}
    assert due["AZ-local"] == int(datetime(2026, 3, 7, 15, 0, tzinfo=UTC).timestamp() * 1e6)
    assert due["AZ-la-number"] == int(datetime(2026, 3, 7, 16, 0, tzinfo=UTC).timestamp() * 1e6)
    # New York and Shanghai windows overlap only from 08:00 Shanghai (00:00 UTC) to 21:00 New York
    assert due["NY-cn-number"] == int(datetime(2026, 3, 8, 0, 0, tzinfo=UTC).timestamp() * 1e6)


def test_a_massachusetts_accounts_third_contact_in_7_days_is_refused(ledger_url):
    now = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 12:00 Boston
    with session_scope(ledger_url) as s:
        s.add(account("MA-1", phone="+16175550106"))
        s.add(account("NY-1", phone="+12125550107"))
        s.flush()
        for account_id in ("MA-1", "NY-1"):
            s.add(m.ContactAttempt(account_id=account_id, channel="voice",
                                   started_at=now - timedelta(days=6)))  # fmt: skip
    with session_scope(ledger_url) as s:
        assert check_contact(s, "MA-1", "sms", now=now).allowed  # the second communication
        s.add(m.ContactAttempt(account_id="MA-1", channel="sms", started_at=now))
        s.add(m.ContactAttempt(account_id="NY-1", channel="sms", started_at=now))
    later = now + timedelta(hours=2)
    with session_scope(ledger_url) as s:
        third = check_contact(s, "MA-1", "voice", now=later)
        assert (third.reason, third.detail) == (
            "state_frequency_cap",
            "2 communications in 7 days (MA)",
        )
        assert check_contact(s, "MA-1", "sms", now=later).reason == "state_frequency_cap"
        assert check_contact(s, "NY-1", "voice", now=later).allowed  # no overlay in New York
    # the first call drops out of the 7 days: a contact is allowed again
    with session_scope(ledger_url) as s:
        assert check_contact(s, "MA-1", "voice", now=now + timedelta(days=1, hours=1)).allowed


def test_the_overlay_is_data_and_only_for_its_jurisdiction():
    ma = with_overlay(US, "MA")
    assert (ma.state, ma.max_communications_in_7_days, ma.name_creditor_to_others) == (
        "MA",
        2,
        False,
    )
    assert with_overlay(PROFILES["CN"], "MA") is PROFILES["CN"]
    assert with_overlay(US, "ZZ", {"ZZ": {"max_communications_in_7_days": 1}}).state == "ZZ"


def _conversation(account_id: str, *, verified: bool, phase: str | None, at: datetime):
    state = None if phase is None else json.dumps({"phase": phase}, sort_keys=True)
    return m.Conversation(account_id=account_id, channel="voice", verified=verified,
                          dialogue_state=state, started_at=at)  # fmt: skip


def test_the_cooldown_starts_after_any_right_party_conversation(ledger_url):
    """Reg F §1006.14(b)(2)(i)(B): the customer confirmed who they are, verified or not."""
    now = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    yesterday = now - timedelta(days=1)
    cases = {
        "confirmed-unverified": ("verifying", False, "cooldown_after_conversation"),
        "verified": ("verified", True, "cooldown_after_conversation"),
        "third-party": ("identity", False, "allowed"),
        "no-state": (None, False, "allowed"),
    }
    with session_scope(ledger_url) as s:
        for i, account_id in enumerate(cases):
            s.add(account(account_id, phone=f"+1212555010{i}"))
        s.flush()
        for account_id, (phase, verified, _) in cases.items():
            s.add(_conversation(account_id, verified=verified, phase=phase, at=yesterday))
    with session_scope(ledger_url) as s:
        for account_id, (_, _, expected) in cases.items():
            assert check_contact(s, account_id, "voice", now=now).reason == expected, account_id
        # texts are not governed by the call cooldown
        assert check_contact(s, "confirmed-unverified", "sms", now=now).allowed


def test_a_texts_validity_period_ends_when_the_window_closes_in_every_zone():
    # An Eastern account on a Los Angeles number, 20:00 in New York (17:00 in LA): the window
    # closes first in New York, in an hour.
    zones = plausible_zones("America/New_York", "+14155550101")
    at = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # 20:00 EST
    assert text_validity_s(at, zones, US) == 3600
    # One second before 21:00 in New York: one second (never 0, which Twilio refuses).
    assert text_validity_s(datetime(2026, 3, 6, 1, 59, 59, tzinfo=UTC), zones, US) == 1
    # Across the spring-forward night, the close is 21:00 EDT (01:00 UTC), not EST.
    assert text_validity_s(datetime(2026, 3, 9, 0, 0, tzinfo=UTC), zones, US) == 3600
    # Early in the day the carrier is allowed its longest queue, no more.
    assert text_validity_s(datetime(2026, 3, 6, 14, 0, tzinfo=UTC), zones, US) == 14_400
    # A CN number of a US account: Shanghai's 21:00 comes first.
    zones = plausible_zones("America/New_York", "+8613800138000")
    at = datetime(2026, 3, 6, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai, 07:30 in New York
    assert text_validity_s(at, zones, US) == 1800
