"""KPIs on a small hand-built history, every figure computed by hand."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest

from bot.analytics import kpi
from bot.ledger import models as m
from bot.ledger.db import session_scope
from tests.analytics.helpers import account, promise, utc

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def attempt(aid, channel, at, conv=None):
    return m.ContactAttempt(account_id=aid, channel=channel, started_at=at, conversation_id=conv)


def conversation(cid, aid, channel, started, seconds, verified):
    ended = None if seconds is None else started + timedelta(seconds=seconds)
    return m.Conversation(
        id=cid,
        account_id=aid,
        channel=channel,
        started_at=started,
        ended_at=ended,
        verified=verified,
    )


def build(url: str) -> None:
    with session_scope(url) as s:
        s.add_all(
            [
                account("A1", days_past_due=10),  # credit_card:1-30
                account("A2", product="personal_loan", days_past_due=45),  # personal_loan:31-60
                account("A3", days_past_due=0),  # credit_card:current
            ]
        )
        s.flush()
        s.add_all(
            [
                conversation("c1", "A1", "voice", utc(2026, 3, 2, 14), 120, True),
                conversation("c2", "A1", "voice", utc(2026, 3, 2, 15), 90, False),
                conversation("c3", "A1", "sms", utc(2026, 3, 2, 17), 600, True),
                # Starts just before midnight UTC, ends the next day: counts on the day it started.
                conversation("c4", "A2", "voice", utc(2026, 3, 2, 23, 59), 120, True),
                conversation("c5", "A1", "chat", utc(2026, 3, 3, 9), None, False),  # still open
                conversation("c0", "A1", "voice", utc(2026, 3, 1, 12), 60, True),  # before start
            ]
        )
        s.flush()
        s.add_all(
            [
                attempt("A1", "voice", utc(2026, 3, 2, 14), "c1"),
                attempt("A1", "voice", utc(2026, 3, 2, 15), "c2"),
                attempt("A1", "voice", utc(2026, 3, 2, 16)),
                attempt("A1", "sms", utc(2026, 3, 2, 17), "c3"),
                attempt("A2", "voice", utc(2026, 3, 2, 23, 58), "c4"),
                attempt("A2", "voice", utc(2026, 3, 2, 20)),
                attempt("A3", "voice", utc(2026, 3, 2, 12)),
                attempt("A1", "voice", utc(2026, 3, 3, 0)),  # midnight: the second day
                attempt("A1", "voice", utc(2026, 3, 1, 23, 59, 59)),  # before start
                attempt("A1", "voice", utc(2026, 3, 4, 0)),  # after end
                m.ContactAttempt(  # inbound: not an attempt
                    account_id="A1",
                    channel="voice",
                    direction="inbound",
                    started_at=utc(2026, 3, 2, 18),
                ),
            ]
        )
        made = utc(2026, 3, 2, 14, 1)
        p1 = promise("p1", "A1", "50.00", D2, made)
        p1.conversation_id, p1.status = "c1", "kept"
        p2 = promise("p2", "A1", "50.00", D2, made)
        p2.conversation_id, p2.status = "c1", "broken"
        p3 = promise("p3", "A1", "20.00", D2, utc(2026, 3, 2, 17, 5))
        p3.conversation_id, p3.channel = "c3", "sms"
        p4 = promise("p4", "A2", "80.00", D2, utc(2026, 3, 2, 23, 59, 30))
        p4.conversation_id, p4.status = "c4", "broken"
        s.add_all([p1, p2, p3, p4])
        s.add_all(
            [
                m.InstalmentRequest(
                    account_id="A2",
                    conversation_id="c4",
                    months=6,
                    monthly_amount=100,
                    fee=6,
                    currency="USD",
                    first_due_date=D2,
                    status="approved",
                    created_at=utc(2026, 3, 2, 23, 59, 40),
                ),
                m.Escalation(
                    account_id="A2",
                    conversation_id="c4",
                    reason="hardship",
                    priority=2,
                    summary="x",
                    created_at=utc(2026, 3, 2, 23, 59, 50),
                ),
                m.Escalation(
                    account_id="A1",
                    reason="customer_request",
                    priority=1,
                    summary="x",
                    created_at=utc(2026, 3, 3, 10),
                ),
                m.OptOut(
                    account_id="A2",
                    conversation_id="c4",
                    channel="all",
                    created_at=utc(2026, 3, 2, 23, 59, 55),
                ),
                m.OptOut(account_id="A2", channel="sms", created_at=utc(2026, 3, 3, 11)),
            ]
        )


def test_kpis_per_day_channel_and_segment(ledger_url):
    build(ledger_url)
    with session_scope(ledger_url) as session:
        rows = kpi.kpis(session, start=D1, end=D2)
    by_key = {(r.day, r.channel, r.segment): r for r in rows}
    assert sorted(by_key) == sorted(
        [
            (D1, "sms", "credit_card:1-30"),
            (D1, "voice", "credit_card:1-30"),
            (D1, "voice", "credit_card:current"),
            (D1, "voice", "personal_loan:31-60"),
            (D2, "chat", "credit_card:1-30"),
            (D2, "sms", "personal_loan:31-60"),
            (D2, "unknown", "credit_card:1-30"),
            (D2, "voice", "credit_card:1-30"),
        ]
    )
    voice = by_key[(D1, "voice", "credit_card:1-30")]
    assert (voice.attempts, voice.contacts, voice.rpc, voice.promises) == (3, 2, 1, 2)
    assert (voice.kept, voice.broken, voice.handled) == (1, 1, 2)
    assert voice.contact_rate == pytest.approx(2 / 3)
    assert (voice.rpc_rate, voice.promise_rate, voice.promise_kept_rate) == (0.5, 2.0, 0.5)
    assert voice.avg_handle_seconds == pytest.approx(105.0)

    sms = by_key[(D1, "sms", "credit_card:1-30")]
    assert (sms.attempts, sms.contacts, sms.rpc, sms.promises, sms.kept, sms.broken) == (
        1,
        1,
        1,
        1,
        0,
        0,
    )
    assert sms.promise_kept_rate is None and sms.avg_handle_seconds == pytest.approx(600.0)

    loan = by_key[(D1, "voice", "personal_loan:31-60")]
    assert (loan.attempts, loan.contacts, loan.rpc, loan.promises, loan.broken) == (2, 1, 1, 1, 1)
    assert (loan.instalment_requests, loan.escalations, loan.opt_outs) == (1, {"hardship": 1}, 1)
    assert loan.promise_kept_rate == 0.0 and loan.avg_handle_seconds == pytest.approx(120.0)

    assert by_key[(D1, "voice", "credit_card:current")].attempts == 1
    chat = by_key[(D2, "chat", "credit_card:1-30")]
    assert (chat.attempts, chat.contacts, chat.handled) == (0, 1, 0)
    assert chat.contact_rate is None and chat.avg_handle_seconds is None
    assert by_key[(D2, "unknown", "credit_card:1-30")].escalations == {"customer_request": 1}
    assert by_key[(D2, "sms", "personal_loan:31-60")].opt_outs == 1
    assert by_key[(D2, "voice", "credit_card:1-30")].attempts == 1

    total = kpi.totals(rows)
    assert (total.attempts, total.contacts, total.rpc, total.promises) == (8, 5, 3, 4)
    assert (total.kept, total.broken, total.instalment_requests, total.opt_outs) == (1, 2, 1, 2)
    assert total.escalations == {"customer_request": 1, "hardship": 1}
    assert total.escalations_total == 2
    assert total.contact_rate == pytest.approx(5 / 8)
    assert total.rpc_rate == pytest.approx(3 / 5)
    assert total.promise_rate == pytest.approx(4 / 3)
    assert total.promise_kept_rate == pytest.approx(1 / 3)
    assert total.avg_handle_seconds == pytest.approx((120 + 90 + 600 + 120) / 4)


def test_one_day_and_the_csv(ledger_url, tmp_path):
    build(ledger_url)
    with session_scope(ledger_url) as session:
        rows = kpi.kpis(session, start=D2, end=D2)
    assert {r.day for r in rows} == {D2}
    assert kpi.totals(rows).attempts == 1
    path = tmp_path / "kpi.csv"
    kpi.write_csv(rows, path)
    lines = list(csv.DictReader(path.open()))
    assert len(lines) == len(rows) + 1 and lines[-1]["day"] == "total"
    assert lines[-1]["escalations_customer_request"] == "1"
    assert lines[-1]["contacts"] == "1" and lines[-1]["contact_rate"] == "1.0"
