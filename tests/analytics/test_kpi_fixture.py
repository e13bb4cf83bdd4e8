"""Every KPI on the fixture ledger (tests/analytics/kpi_fixture.py), on SQLite and PostgreSQL,
against figures computed by hand from the records' comments there."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from bot.agents import console_data
from bot.analytics import kpi
from bot.ledger.db import session_scope
from tests.analytics.kpi_fixture import CC, CURRENT, D1, D2, LOAN, build

USD, EUR = "USD", "EUR"


@pytest.fixture
def rows(ledger_url):
    build(ledger_url)
    with session_scope(ledger_url) as session:
        return kpi.kpis(session, start=D1, end=D2)


def test_the_groups(rows):
    assert [(r.day, r.channel, r.segment) for r in rows] == [
        (D1, "sms", CC),
        (D1, "voice", CC),
        (D1, "voice", CURRENT),
        (D1, "voice", LOAN),
        (D2, "chat", CURRENT),
        (D2, "sms", LOAN),
        (D2, "unknown", CC),
        (D2, "voice", CC),
    ]


def by(rows, day, channel, segment) -> kpi.KpiRow:
    return next(r for r in rows if (r.day, r.channel, r.segment) == (day, channel, segment))


def test_voice_attempts_contacts_and_their_shares(rows):
    voice = by(rows, D1, "voice", CC)
    # c1, c2, c3, the unanswered call and c6; the refused call and the inbound one are no attempts.
    assert voice.attempts == 5
    assert voice.outbound_contacts == 3  # c1 and c2 (a human answered), c6 (the customer spoke)
    assert voice.inbound_contacts == 1  # c7, the customer called in
    assert (voice.contacts, voice.rpc, voice.rpc_promised) == (4, 2, 1)  # RPC: c1, c6
    shares = voice.shares()
    assert str(shares["contact_rate"]) == "3/5 (60.0%)"
    assert str(shares["rpc_rate"]) == "2/4 (50.0%)"
    assert str(shares["promise_rate"]) == "1/2 (50.0%)"  # c1 made two promises: one RPC
    assert (voice.promises, voice.kept, voice.broken) == (2, 1, 1)
    assert voice.promise_kept_rate == 0.5
    assert voice.promised == {USD: Decimal("80.00")} and voice.collected == {USD: Decimal("50.00")}
    assert (voice.handled, voice.avg_handle_seconds) == (3, pytest.approx(160 / 3, abs=0.05))


def test_sms_a_reminder_in_three_texts_is_one_attempt_and_no_share_passes_100(rows):
    sms = by(rows, D1, "sms", CC)
    # cs1 (three texts, one reminder) and cs2; counting rows and conversations gave 5/4 = 125 %.
    assert sms.attempts == 2
    assert (sms.outbound_contacts, sms.inbound_contacts, sms.contacts) == (1, 2, 3)
    assert (sms.rpc, sms.rpc_promised) == (2, 1)  # cs1 and ci1; cs1's promise
    assert str(sms.shares()["contact_rate"]) == "1/2 (50.0%)"
    assert str(sms.shares()["rpc_rate"]) == "2/3 (66.7%)"
    assert str(sms.shares()["promise_rate"]) == "1/2 (50.0%)"
    assert (sms.promises, sms.kept, sms.broken, sms.promise_kept_rate) == (1, 0, 0, None)
    assert sms.promised == {USD: Decimal("20.00")} and sms.collected == {USD: Decimal("0.00")}
    assert (sms.handled, sms.avg_handle_seconds) == (1, 600.0)


def test_across_midnight_the_record_counts_on_its_own_day(rows):
    loan = by(rows, D1, "voice", LOAN)
    assert (loan.attempts, loan.outbound_contacts, loan.rpc, loan.rpc_promised) == (1, 1, 1, 1)
    assert (loan.promises, loan.broken, loan.promise_kept_rate) == (1, 1, 0.0)
    assert loan.promised == {USD: Decimal("80.00")} and loan.collected == {USD: Decimal("0.00")}
    assert (loan.instalment_requests, loan.opt_outs) == (1, 1)
    assert loan.escalations == {"hardship": 1}
    assert (loan.escalations_claimed, loan.avg_claim_wait_seconds) == (1, 300.0)
    assert loan.avg_handle_seconds == 180.0  # ended the next day, counted on D1
    assert by(rows, D2, "voice", CC).attempts == 1  # the call at 00:00:00 of D2


def test_a_wrong_party_is_a_contact_not_an_rpc_and_a_waiting_case_has_no_wait(rows):
    current = by(rows, D1, "voice", CURRENT)
    assert (current.attempts, current.contacts, current.rpc) == (1, 1, 0)
    assert current.rpc_rate == 0.0 and current.promise_rate is None
    assert current.escalations == {"customer_request": 1}
    assert (current.escalations_claimed, current.avg_claim_wait_seconds) == (0, None)


def test_inbound_chat_escalation_without_conversation_and_opt_out_of_its_own_channel(rows):
    chat = by(rows, D2, "chat", CURRENT)
    assert (chat.attempts, chat.contacts, chat.rpc, chat.rpc_promised) == (0, 1, 1, 1)
    assert chat.contact_rate is None  # no attempt: no contact rate
    assert chat.promised == {EUR: Decimal("15.00")} and chat.collected == {EUR: Decimal("15.00")}
    unknown = by(rows, D2, "unknown", CC)
    assert unknown.escalations == {"customer_request": 1}
    assert unknown.avg_claim_wait_seconds == 120.0
    assert by(rows, D2, "sms", LOAN).opt_outs == 1


def test_the_totals(rows):
    total = kpi.totals(rows)
    assert (total.attempts, total.outbound_contacts, total.inbound_contacts) == (10, 6, 4)
    assert (total.contacts, total.rpc, total.rpc_promised) == (10, 6, 4)
    assert {name: str(share) for name, share in total.shares().items()} == {
        "contact_rate": "6/10 (60.0%)",
        "rpc_rate": "6/10 (60.0%)",
        "promise_rate": "4/6 (66.7%)",
        "promise_kept_rate": "2/4 (50.0%)",
    }
    assert (total.promises, total.kept, total.broken) == (5, 2, 2)
    assert total.promised == {EUR: Decimal("15.00"), USD: Decimal("180.00")}
    assert total.collected == {EUR: Decimal("15.00"), USD: Decimal("50.00")}
    assert (total.instalment_requests, total.opt_outs) == (1, 2)
    assert total.escalations == {"customer_request": 2, "hardship": 1}
    assert (total.escalations_total, total.escalations_claimed) == (3, 2)
    assert total.avg_claim_wait_seconds == 210.0  # (300 + 120) / 2 claimed; the open one aside
    assert (total.handled, total.avg_handle_seconds) == (5, 188.0)  # 940 s / 5 ended


def test_no_share_is_ever_above_100_percent(rows):
    for r in [*rows, kpi.totals(rows)]:
        for name, share in r.shares().items():
            assert share.part <= share.whole, (r, name)
            assert share.value is None or 0 <= share.value <= 1


def test_a_share_over_100_percent_is_refused():
    with pytest.raises(ValueError, match="a share of 3 out of 2"):
        kpi.Share(3, 2)


def test_the_supervisor_wait_to_claim_counts_claimed_cases_only(ledger_url):
    build(ledger_url)
    now = datetime(2026, 3, 5, tzinfo=timezone.utc)
    with session_scope(ledger_url) as session:
        stats = console_data.supervisor(session, now=now)
    # Claimed after 300 s and 120 s; the open case's days in the queue are its own figure.
    assert stats["claim_wait"]["claimed"] == 2
    assert stats["claim_wait"]["p50"] in (120, 300) and stats["claim_wait"]["p95"] == 300
    assert stats["claim_wait"]["mean"] == 210.0
    assert stats["open_cases"] == {
        "count": 1,
        "oldest_s": int((now - now.replace(day=2, hour=12, minute=5)).total_seconds()),
    }


def test_no_claimed_case_no_wait(sqlite_url):
    from bot.ledger.db import migrate
    from bot.ledger.models import Escalation
    from tests.analytics.helpers import account, utc

    migrate(sqlite_url)
    with session_scope(sqlite_url) as s:
        s.add(account("A1"))
        s.flush()
        s.add(
            Escalation(
                account_id="A1", reason="x", priority=1, summary="x", created_at=utc(2026, 3, 2)
            )
        )
    with session_scope(sqlite_url) as session:
        stats = console_data.supervisor(session, now=utc(2026, 3, 3))
    assert stats["claim_wait"] == {
        "claimed": 0,
        "mean": None,
        "p50": None,
        "p90": None,
        "p95": None,
    }
    assert stats["open_cases"] == {"count": 1, "oldest_s": 86400}
