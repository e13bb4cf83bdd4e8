"""From the ledger: the planner's bulk facts equal what the gate gathers per account (SQLite and
PostgreSQL), and follow-ups become scheduled contacts exactly once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis
import yaml

from bot.campaign.dispatch import CampaignQueue, LedgerGate, Worker
from bot.campaign.followups import schedule_follow_ups
from bot.campaign.planner import load_accounts, plan
from bot.campaign.strategy import SIGNALS, parse_strategy
from bot.compliance.gate import decide, gather_facts
from bot.compliance.profiles import load_profiles
from bot.ledger import models as m
from bot.ledger.db import session_scope
from bot.settings import ROOT
from tests.campaign.helpers import RedisRecordingExecutor, account, allow_all, cleanup, contact

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # 10:00 New York, 23:00 Shanghai
PROFILES = load_profiles(ROOT / "bot" / "policy.yml")
STRATEGY = parse_strategy(
    yaml.safe_load(
        """
default:
  steps: [{channel: sms, from_day: 0}]
segments:
  credit_card:*: {steps: [{channel: voice, from_day: 0}]}
"""
    )
)


def ago(**kw) -> datetime:
    return NOW - timedelta(**kw)


@pytest.fixture
def ledger(ledger_url):
    card = {"product": "credit_card"}
    loan = {"product": "personal_loan"}
    with session_scope(ledger_url) as s:
        for account_id, extra in [
            ("A-fine", card),
            ("B-opted-voice", {**card, "phone": "+1000000002"}),
            ("C-revoked", {**card, "phone": "+1000000003"}),
            ("D-dispute", {**card, "phone": "+1000000004"}),
            ("E-closed-dispute", {**card, "phone": "+1000000005"}),
            ("F-wrong", {**card, "phone": "+1000000006"}),
            ("G-old-wrong", {**card, "phone": "+1000000007"}),
            ("H-seven-calls", {**card, "phone": "+1000000008"}),
            ("I-talked", {**card, "phone": "+1000000009"}),
            ("J-unverified", {**card, "phone": "+1000000010"}),
            ("K-shares", {**loan, "phone": "+1000000011"}),
            ("L-shares", {**loan, "phone": "+1000000011"}),
            ("M-paused", {**card, "phone": "+1000000013", "paused_reason": "dispute"}),
            ("N-no-consent", {**card, "phone": "+1000000014", "consent_voice": False}),
            (
                "O-shanghai",
                {
                    **card,
                    "phone": "+8613800000000",
                    "timezone": "Asia/Shanghai",
                    "jurisdiction": "CN",
                },
            ),  # fmt: skip
            ("P-hardship", {**loan, "phone": "+1000000016"}),
            ("Q-refused", {**card, "phone": "+1000000017", "days_past_due": 120}),
            ("R-broken", {**loan, "phone": "+1000000018"}),
            ("S-called-today", {**card, "phone": "+1000000019"}),
            ("T-current", {**card, "phone": "+1000000020", "days_past_due": 0}),
        ]:
            s.add(account(account_id, **extra))
        s.flush()
        s.add(m.OptOut(account_id="B-opted-voice", channel="voice"))
        s.add(m.OptOut(account_id="C-revoked", channel="all", revoked_at=ago(days=1)))
        s.add(m.Dispute(account_id="D-dispute", text="not mine"))
        s.add(m.Dispute(account_id="E-closed-dispute", text="x", status="resolved"))
        s.add(m.WrongNumberFlag(account_id="F-wrong", phone="+1000000006"))
        s.add(m.WrongNumberFlag(account_id="G-old-wrong", phone="+1999"))
        for day in range(7):
            s.add(m.ContactAttempt(account_id="H-seven-calls", channel="voice",
                                   started_at=ago(days=day, hours=1)))  # fmt: skip
        s.add(m.ContactAttempt(account_id="C-revoked", channel="voice", started_at=ago(days=8)))
        s.add(m.Conversation(account_id="I-talked", channel="voice", verified=True,
                             started_at=ago(days=3)))  # fmt: skip
        s.add(m.Conversation(account_id="J-unverified", channel="voice", verified=False,
                             started_at=ago(days=1)))  # fmt: skip
        for minutes in (30, 90):  # both after midnight in New York: the shared number is capped
            s.add(m.ContactAttempt(account_id="L-shares", channel="sms",
                                   started_at=ago(minutes=minutes)))  # fmt: skip
        s.add(m.ContactAttempt(account_id="K-shares", channel="sms", started_at=ago(hours=20)))
        s.add(m.ContactAttempt(account_id="S-called-today", channel="voice",
                               started_at=ago(hours=1)))  # fmt: skip
        s.add(m.ContactAttempt(account_id="A-fine", channel="voice", direction="inbound",
                               started_at=ago(hours=1)))  # fmt: skip
        s.add(m.HardshipNote(account_id="P-hardship", text="lost my job"))
        s.add(m.Conversation(account_id="Q-refused", channel="voice", disposition="refusal",
                             started_at=ago(days=20)))  # fmt: skip
        s.add(m.Promise(account_id="R-broken", amount="10", currency="USD",
                        due_date=ago(days=10).date(), channel="voice", status="broken",
                        created_at=ago(days=15)))  # fmt: skip
    return ledger_url


def test_bulk_facts_from_the_ledger_match_the_gates_own(ledger):
    with session_scope(ledger) as s:
        accounts, history = load_accounts(s, NOW)
        result = plan(accounts, now=NOW, strategy=STRATEGY, profiles=PROFILES, history=history)
        seen = set()
        for i, account_id in enumerate(accounts.ids):
            row = s.get(m.Account, account_id)
            if row.days_past_due == 0:
                assert result.reason(i) == "not_overdue"
                continue
            channel = "voice" if row.product == "credit_card" else "sms"
            decision = decide(gather_facts(s, row, channel, NOW), PROFILES[row.jurisdiction], NOW)
            expected = decision.reason
            if decision.allowed and account_id == "S-called-today":
                expected = "cadence"  # one planned call a day; retries come from the worker
            assert result.reason(i) == expected, account_id
            seen.add(expected)
    assert {"allowed", "opted_out", "dispute_open", "wrong_number", "frequency_cap",
            "cooldown_after_conversation", "daily_cap", "paused", "no_consent",
            "outside_window", "cadence"} <= seen  # fmt: skip
    assert history.signals == {
        "P-hardship": SIGNALS["hardship"],
        "Q-refused": SIGNALS["refusal"],
        "R-broken": SIGNALS["broken_promise"],
    }
    assert history.opt_outs == {"B-opted-voice": 1}
    assert history.calls_7d == {"H-seven-calls": 7, "S-called-today": 1}


def test_follow_ups_are_scheduled_once_and_marked_done(ledger, embedded_redis_url):
    client = redis.Redis.from_url(embedded_redis_url)
    prefix = f"test-followups-{uuid.uuid4().hex[:10]}"
    queue = CampaignQueue(client, prefix)
    with session_scope(ledger) as s:
        rows = {
            "due": m.FollowUp(id="f-due", account_id="A-fine", due_at=ago(hours=1),
                              channel="sms", reason="broken_promise"),
            "soon": m.FollowUp(id="f-soon", account_id="R-broken", due_at=ago(hours=-3),
                               channel="voice", reason="broken_promise"),
            "later": m.FollowUp(id="f-later", account_id="A-fine", due_at=ago(days=-3),
                                reason="broken_promise"),
            "cancelled": m.FollowUp(id="f-cancelled", account_id="A-fine", due_at=ago(hours=2),
                                    reason="broken_promise", status="cancelled"),
        }  # fmt: skip
        s.add_all(rows.values())
    try:
        with session_scope(ledger) as s:
            assert schedule_follow_ups(s, queue, now=NOW) == 2
        with session_scope(ledger) as s:
            status = {f.id: f.status for f in s.query(m.FollowUp)}
            assert status == {"f-due": "done", "f-soon": "done", "f-later": "scheduled",
                              "f-cancelled": "cancelled"}  # fmt: skip
            assert schedule_follow_ups(s, queue, now=NOW) == 0
        scheduled = dict(client.zrange(queue.schedule_key, 0, -1, withscores=True))
        assert sorted(scheduled.values()) == [NOW.timestamp(), ago(hours=-3).timestamp()]

        executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
        worker = Worker("w", executor, client, prefix=prefix, gate=allow_all, strategy=STRATEGY,
                        clock=NOW.timestamp)  # fmt: skip
        assert worker.run_once() == 1  # only the one due now
        assert executor.attempts() == ["A-fine|sms|20261127|fu-f-due"]
    finally:
        cleanup(client, prefix)


def test_the_worker_asks_the_ledgers_gate_right_before_contacting(ledger, embedded_redis_url):
    client = redis.Redis.from_url(embedded_redis_url)
    prefix = f"test-gate-{uuid.uuid4().hex[:10]}"
    queue = CampaignQueue(client, prefix)
    fine = contact(0, account_id="A-fine", due=NOW.timestamp())
    later_opt_out = contact(0, account_id="C-revoked", due=NOW.timestamp())
    queue.schedule([fine, later_opt_out])
    with session_scope(ledger) as s:  # the customer opts out after the plan was made
        s.add(m.OptOut(account_id="C-revoked", channel="all"))
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    worker = Worker("w", executor, client, prefix=prefix, strategy=STRATEGY,
                    gate=LedgerGate(ledger, actor="campaign:w"), clock=NOW.timestamp)  # fmt: skip
    try:
        assert worker.run_once() == 2
        assert executor.attempts() == [fine.key]
        assert queue.state(later_opt_out) == "done|denied:opted_out"
        with session_scope(ledger) as s:
            audited = s.query(m.AuditEntry).filter_by(kind="gate_decision", actor="campaign:w")
            assert sorted(e.account_id for e in audited) == ["A-fine", "C-revoked"]
    finally:
        cleanup(client, prefix)
