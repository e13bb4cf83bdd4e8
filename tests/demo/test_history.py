"""The synthetic history is deterministic, varied and refuses to be generated twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.analytics.segments import dpd_bucket
from bot.demo import history
from bot.ledger import models as m
from bot.ledger.db import migrate, session_scope

START = date(2026, 1, 1)


def fingerprint(url: str) -> tuple:
    with session_scope(url) as s:
        return (
            s.execute(
                select(m.Promise.id, m.Promise.amount, m.Promise.status).order_by(m.Promise.id)
            ).all(),
            s.execute(select(m.Account.account_id, m.Account.balance).order_by("account_id")).all(),
            s.execute(select(func.count()).select_from(m.ContactAttempt)).scalar_one(),
        )


def test_same_seed_same_history_on_both_engines(ledger_url, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    migrate(other)
    with session_scope(ledger_url) as s:
        first = history.generate(s, accounts=300, days=20, seed=11, start=START)
    with session_scope(other) as s:
        second = history.generate(s, accounts=300, days=20, seed=11, start=START)
    assert first == second
    assert fingerprint(ledger_url) == fingerprint(other)
    third = f"sqlite:///{tmp_path / 'third.sqlite3'}"
    migrate(third)
    with session_scope(third) as s:
        assert history.generate(s, accounts=300, days=20, seed=12, start=START) != first


def test_the_history_is_a_plausible_portfolio(ledger_url):
    with session_scope(ledger_url) as s:
        summary = history.generate(s, accounts=400, days=30, seed=5, start=START)
    assert summary.accounts == 400 and summary.attempts > summary.conversations > 0
    assert min(summary.promises, summary.payments, summary.escalations, summary.opt_outs) > 0
    with session_scope(ledger_url) as s:
        ids = s.scalars(select(m.Account.account_id).order_by("account_id")).all()
        assert ids[0] == "SYN-00001" and ids[-1] == "SYN-00400"
        assert set(s.scalars(select(m.Account.currency).distinct())) == {"USD", "CNY"}
        assert set(s.scalars(select(m.Account.product).distinct())) == {
            "credit_card",
            "personal_loan",
            "business_loan",
        }
        dpd = s.scalars(select(m.Account.days_past_due)).all()
        assert {"1-30", "31-60", "61-90", "90+"} <= {dpd_bucket(d) for d in dpd}
        statuses = set(s.scalars(select(m.ContactAttempt.status).distinct()))
        assert statuses == {"completed", "no-answer", "busy", "failed"}
        assert set(s.scalars(select(m.Promise.status).distinct())) >= {"kept", "broken"}
        # Every payment starts from the balance the previous one left.
        for account_id in s.scalars(select(m.Payment.account_id).distinct().limit(20)):
            payments = s.scalars(
                select(m.Payment).where(m.Payment.account_id == account_id).order_by(m.Payment.id)
            ).all()
            for before, after in zip(payments, payments[1:], strict=False):
                assert after.balance_before == before.balance_before - before.amount
            account = s.get(m.Account, account_id)
            assert account.balance == payments[-1].balance_before - payments[-1].amount
        paid_off = s.scalars(select(m.Account).where(m.Account.paused_reason == "paid_in_full"))
        assert all(a.balance == 0 for a in paid_off)
    with session_scope(ledger_url) as s, pytest.raises(ValueError, match="already"):
        history.generate(s, accounts=1, days=1, seed=5, start=START)
