"""A fixture ledger for the KPIs: two UTC days, three accounts, every case a definition in
bot/analytics/kpi.py has to tell apart. The comments give each record's part in the figures that
tests/analytics/test_kpi_fixture.py checks, computed by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.ledger import models as m
from bot.ledger.db import session_scope
from tests.analytics.helpers import account, utc

D0, D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
CC, CURRENT, LOAN = "credit_card:1-30", "credit_card:current", "personal_loan:31-60"


def conversation(cid, aid, channel, started, *, seconds=None, verified=False, customer=True):
    """A conversation, its transcript (a customer's turn when `customer`), ended after
    `seconds` (None: still open)."""
    ended = None if seconds is None else started + timedelta(seconds=seconds)
    turns = [m.Turn(conversation_id=cid, speaker="bot", text="Hello", at=started)]
    if customer:
        turns.append(m.Turn(conversation_id=cid, speaker="customer", text="hi", at=started))
    row = m.Conversation(
        id=cid,
        account_id=aid,
        channel=channel,
        started_at=started,
        ended_at=ended,
        verified=verified,
    )
    return [row, *turns]


def attempt(aid, channel, at: datetime, conv=None, *, status="completed", answered_by=None, **kw):
    return m.ContactAttempt(
        account_id=aid,
        channel=channel,
        started_at=at,
        conversation_id=conv,
        status=status,
        answered_by=answered_by,
        **kw,
    )


def promise(pid, aid, conv, amount, made, *, status="pending", channel="voice", currency="USD"):
    return m.Promise(
        id=pid,
        account_id=aid,
        conversation_id=conv,
        amount=Decimal(amount),
        currency=currency,
        due_date=D3,
        channel=channel,
        status=status,
        created_at=made,
    )


def build(url: str) -> None:
    with session_scope(url) as s:
        s.add_all(
            [
                account("A1", days_past_due=10),  # credit_card:1-30
                account("A2", product="personal_loan", days_past_due=45),  # personal_loan:31-60
                account("A3", days_past_due=0, currency="EUR"),  # credit_card:current
            ]
        )
        s.flush()
        s.add_all(
            # D1, voice, credit_card:1-30 -------------------------------------------------------
            # c1: answered by a person who spoke, verified, two promises: attempt, contact, RPC,
            # RPC with a promise. c2: answered by a person who hung up at once: a contact (a
            # person reached), not an RPC. c3: a machine took it: an attempt only. c6: no AMD
            # answer, the customer spoke, verified, no promise. c7: the customer called in.
            conversation("c1", "A1", "voice", utc(2026, 3, 2, 14), seconds=120, verified=True)
            + conversation("c2", "A1", "voice", utc(2026, 3, 2, 15), seconds=10, customer=False)
            + conversation("c3", "A1", "voice", utc(2026, 3, 2, 16), seconds=30, customer=False)
            + conversation("c6", "A1", "voice", utc(2026, 3, 2, 17), verified=True)
            + conversation("c7", "A1", "voice", utc(2026, 3, 2, 18))
            # D1, SMS, credit_card:1-30 ---------------------------------------------------------
            # cs1: a reminder in three texts, replied to and verified, a promise: ONE attempt.
            # cs2: a reminder delivered, never answered. ci1, ci2: the customer texted first
            # (conversations no attempt opened; ci1 verified). ci3: opened, nobody wrote.
            + conversation("cs1", "A1", "sms", utc(2026, 3, 2, 9), seconds=600, verified=True)
            + conversation("cs2", "A1", "sms", utc(2026, 3, 2, 10), customer=False)
            + conversation("ci1", "A1", "sms", utc(2026, 3, 2, 11), verified=True)
            + conversation("ci2", "A1", "sms", utc(2026, 3, 2, 12))
            + conversation("ci3", "A1", "sms", utc(2026, 3, 2, 13), customer=False)
            # D1, voice, personal_loan:31-60: started just before midnight, ended the next day.
            + conversation(
                "c4", "A2", "voice", utc(2026, 3, 2, 23, 58, 30), seconds=180, verified=True
            )
            # D1, voice, credit_card:current: a person reached who did not pass verification.
            + conversation("c5", "A3", "voice", utc(2026, 3, 2, 12), customer=True)
            # D2, chat, credit_card:current: opened from a link, verified, a promise in EUR.
            + conversation("cc1", "A3", "chat", utc(2026, 3, 3, 9), verified=True)
            # Before the first day: counts nowhere.
            + conversation("c0", "A1", "voice", utc(2026, 3, 1, 12), seconds=60, verified=True)
        )
        s.flush()
        s.add_all(
            [
                attempt("A1", "voice", utc(2026, 3, 2, 14), "c1", answered_by="human"),
                attempt("A1", "voice", utc(2026, 3, 2, 15), "c2", answered_by="human"),
                attempt("A1", "voice", utc(2026, 3, 2, 16), "c3", answered_by="machine_end_beep"),
                attempt("A1", "voice", utc(2026, 3, 2, 16, 30), status="no-answer"),
                attempt("A1", "voice", utc(2026, 3, 2, 16, 45), status="failed"),  # refused
                attempt("A1", "voice", utc(2026, 3, 2, 17), "c6"),
                attempt("A1", "voice", utc(2026, 3, 2, 18), "c7", direction="inbound"),
                attempt("A1", "sms", utc(2026, 3, 2, 9), "cs1", status="delivered"),
                attempt("A1", "sms", utc(2026, 3, 2, 9, 0, 1), "cs1", status="delivered"),
                attempt("A1", "sms", utc(2026, 3, 2, 9, 0, 2), "cs1", status="delivered"),
                attempt("A1", "sms", utc(2026, 3, 2, 10), "cs2", status="delivered"),
                attempt("A2", "voice", utc(2026, 3, 2, 23, 58), "c4", answered_by="human"),
                attempt("A3", "voice", utc(2026, 3, 2, 12), "c5", answered_by="human"),
                attempt("A1", "voice", utc(2026, 3, 3, 0), status="busy"),  # midnight: D2
                attempt("A1", "voice", utc(2026, 3, 1, 23, 59, 59), "c0", answered_by="human"),
                attempt("A1", "voice", utc(2026, 3, 4, 0), status="busy"),  # after the end
            ]
        )
        s.add_all(
            [
                promise("p1", "A1", "c1", "50.00", utc(2026, 3, 2, 14, 1), status="kept"),
                promise("p2", "A1", "c1", "30.00", utc(2026, 3, 2, 14, 2), status="broken"),
                promise("p3", "A1", "cs1", "20.00", utc(2026, 3, 2, 9, 5), channel="sms"),
                promise("p4", "A2", "c4", "80.00", utc(2026, 3, 2, 23, 59, 30), status="broken"),
                promise(
                    "p5",
                    "A3",
                    "cc1",
                    "15.00",
                    utc(2026, 3, 3, 9, 5),
                    status="kept",
                    channel="chat",
                    currency="EUR",
                ),
                promise("p0", "A1", "c0", "99.00", utc(2026, 3, 1, 12, 1), status="kept"),
            ]
        )
        s.add_all(
            [
                m.InstalmentRequest(
                    account_id="A2",
                    conversation_id="c4",
                    months=6,
                    monthly_amount=100,
                    fee=6,
                    currency="USD",
                    first_due_date=D3,
                    status="approved",
                    created_at=utc(2026, 3, 2, 23, 59, 40),
                ),
                # Claimed 300 s after it was raised (the next day: it counts on D1).
                m.Escalation(
                    account_id="A2",
                    conversation_id="c4",
                    reason="hardship",
                    priority=2,
                    summary="x",
                    status="claimed",
                    claimed_by="alice",
                    claimed_at=utc(2026, 3, 3, 0, 4, 50),
                    created_at=utc(2026, 3, 2, 23, 59, 50),
                ),
                # Still waiting: an escalation, no wait to claim.
                m.Escalation(
                    account_id="A3",
                    conversation_id="c5",
                    reason="customer_request",
                    priority=1,
                    summary="x",
                    created_at=utc(2026, 3, 2, 12, 5),
                ),
                # No conversation: channel "unknown"; claimed after 120 s, then resolved.
                m.Escalation(
                    account_id="A1",
                    reason="customer_request",
                    priority=1,
                    summary="x",
                    status="resolved",
                    claimed_by="bob",
                    claimed_at=utc(2026, 3, 3, 10, 2),
                    resolved_at=utc(2026, 3, 3, 10, 30),
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
