"""The contact gate's rules at their edges, across time zones and DST changes (pure)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.compliance.gate import ContactFacts, decide
from bot.compliance.profiles import load_profiles
from bot.settings import ROOT

PROFILES = load_profiles(ROOT / "bot" / "policy.yml")
US, CN = PROFILES["US"], PROFILES["CN"]
NY, LA, SH = "America/New_York", "America/Los_Angeles", "Asia/Shanghai"


def at(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def facts(**kw) -> ContactFacts:
    return ContactFacts(**{"channel": "voice", "timezone": NY, "consent": True, **kw})


@pytest.mark.parametrize(
    ("local", "allowed"),
    [((7, 59, 59), False), ((8, 0, 0), True), ((20, 59, 59), True), ((21, 0, 0), False)],
)
def test_calling_window_edges_in_the_customers_zone(local, allowed):
    now = at(NY, 2026, 11, 27, *local)
    assert decide(facts(), US, now).allowed is allowed
    if not allowed:
        assert decide(facts(), US, now).reason == "outside_window"


def test_the_same_instant_is_allowed_in_one_zone_and_not_another():
    now = at(NY, 2026, 11, 27, 9, 0)  # 06:00 in Los Angeles, 22:00 in Shanghai
    assert decide(facts(timezone=NY), US, now).allowed
    assert decide(facts(timezone=LA), US, now).reason == "outside_window"
    assert decide(facts(timezone=SH), CN, now).reason == "outside_window"


def test_window_follows_dst_changes():
    # 2026-11-01 New York falls back at 02:00: 12:30 UTC is 07:30 EST (it was 08:30 EDT the
    # day before at the same UTC time).
    assert decide(facts(), US, datetime(2026, 10, 31, 12, 30, tzinfo=timezone.utc)).allowed
    after = decide(facts(), US, datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc))
    assert after.reason == "outside_window"
    # 2026-03-08 springs forward: 12:30 UTC is 07:30 EST on the 7th and 08:30 EDT on the 8th.
    assert not decide(facts(), US, datetime(2026, 3, 7, 12, 30, tzinfo=timezone.utc)).allowed
    assert decide(facts(), US, datetime(2026, 3, 8, 12, 30, tzinfo=timezone.utc)).allowed


def test_seven_calls_in_seven_days():
    now = at(NY, 2026, 11, 27, 12, 0)
    assert decide(facts(calls_last_7_days=6), US, now).allowed
    denied = decide(facts(calls_last_7_days=7), US, now)
    assert (denied.allowed, denied.reason) == (False, "frequency_cap")
    # The cap is about calls: a text message is not a call.
    assert decide(facts(channel="sms", calls_last_7_days=7), US, now).allowed


def test_cooldown_after_a_conversation_at_its_edge():
    now = at(NY, 2026, 11, 27, 12, 0)
    just_inside = facts(last_conversation_at=now - timedelta(days=7) + timedelta(seconds=1))
    just_outside = facts(last_conversation_at=now - timedelta(days=7))
    assert decide(just_inside, US, now).reason == "cooldown_after_conversation"
    assert decide(just_outside, US, now).allowed
    # The CN profile has no such cooldown.
    assert decide(
        facts(timezone=SH, last_conversation_at=now - timedelta(hours=1)),
        CN,
        at(SH, 2026, 11, 27, 12, 0),
    ).allowed


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"opted_out": True}, "opted_out"),
        ({"dispute_open": True}, "dispute_open"),
        ({"paused_reason": "already_paid"}, "paused"),
        ({"wrong_number": True}, "wrong_number"),
        ({"consent": False}, "no_consent"),
        ({"attempts_today_to_number": 3}, "daily_cap"),
        ({"channel": "fax"}, "unknown_channel"),
    ],
)
def test_each_denial_reason(kw, reason):
    decision = decide(facts(**kw), US, at(NY, 2026, 11, 27, 12, 0))
    assert (decision.allowed, decision.reason) == (False, reason)


def test_a_customers_wishes_come_before_timing():
    night = at(NY, 2026, 11, 27, 23, 0)
    assert decide(facts(opted_out=True), US, night).reason == "opted_out"


def test_sms_daily_cap_is_its_own():
    now = at(NY, 2026, 11, 27, 12, 0)
    assert decide(facts(channel="sms", attempts_today_to_number=1), US, now).allowed
    assert decide(facts(channel="sms", attempts_today_to_number=2), US, now).reason == "daily_cap"
