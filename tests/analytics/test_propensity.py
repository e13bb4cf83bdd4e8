"""The propensity model learns from a generated history, without peeking past the reference."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import delete, func, select, update

from bot.analytics import propensity
from bot.demo import history
from bot.ledger import models as m
from bot.ledger.db import migrate, session_scope

START = date(2026, 1, 1)
REFERENCE = START + timedelta(days=30)
LATER = date(2026, 6, 1)


def generate(url: str, accounts: int) -> str:
    with session_scope(url) as s:
        history.generate(s, accounts=accounts, days=60, seed=21, start=START)
    return url


def test_held_out_auc_and_ranking(ledger_url, tmp_path):
    generated = generate(ledger_url, 1200)
    with session_scope(generated) as s:
        model = propensity.train(s, reference=REFERENCE, seed=3, today=LATER)
    print(f"held-out AUC {model.auc:.3f} on {model.n_test} accounts")
    assert model.auc > 0.65
    assert model.n_test == pytest.approx((model.n_train + model.n_test) * 0.25, abs=1)
    assert 0.05 < model.positive_rate < 0.6

    path = propensity.save(model, tmp_path / "m" / "propensity.joblib")
    loaded = propensity.load(path)
    assert loaded.auc == model.auc and loaded.features == propensity.FEATURES

    with session_scope(generated) as s:
        ids = s.scalars(select(m.Account.account_id).order_by("account_id")).all()
        scores = propensity.score(s, loaded, ids, as_of=REFERENCE)
        paid = propensity.labels(s, reference=REFERENCE, account_ids=list(scores))
        ranking = propensity.rank(s, loaded, ids[:300], as_of=REFERENCE)
    values = np.array(list(scores.values()))
    assert ((values > 0) & (values < 1)).all()
    # Those who went on to pay were scored higher than those who did not.
    assert values[paid == 1].mean() > values[paid == 0].mean() + 0.05
    for items in ranking.values():
        assert [p for _, p in items] == sorted((p for _, p in items), reverse=True)
    assert sum(len(items) for items in ranking.values()) == len(
        [a for a in ids[:300] if a in scores]
    )


def rewind(s, day: date) -> None:
    """Make the ledger what it was at the start of `day`: later records gone, balances restored,
    promises not settled by then pending again."""
    cut = propensity._midnight(day)
    p = m.Payment
    first = (
        select(p.account_id, func.min(p.id).label("id"))
        .where(p.paid_on >= day)
        .group_by(p.account_id)
        .subquery()
    )
    for account_id, balance, minimum in s.execute(
        select(p.account_id, p.balance_before, p.minimum_due_before).join(first, first.c.id == p.id)
    ):
        s.execute(
            update(m.Account)
            .where(m.Account.account_id == account_id)
            .values(balance=balance, minimum_due=minimum)
        )
    s.execute(delete(m.FollowUp))
    s.execute(delete(p).where(p.paid_on >= day))
    for model in (
        m.InstalmentRequest,
        m.Dispute,
        m.AlreadyPaidClaim,
        m.HardshipNote,
        m.CallbackRequest,
        m.OptOut,
        m.WrongNumberFlag,
        m.Escalation,
        m.Promise,
    ):
        s.execute(delete(model).where(model.created_at >= cut))
    s.execute(delete(m.ContactAttempt).where(m.ContactAttempt.started_at >= cut))
    later = select(m.Conversation.id).where(m.Conversation.started_at >= cut)
    s.execute(
        delete(m.Turn).where(m.Turn.conversation_id.in_(later)),
        execution_options={"synchronize_session": False},
    )
    s.execute(delete(m.Conversation).where(m.Conversation.started_at >= cut))
    s.execute(
        update(m.Promise)
        .where(m.Promise.due_date >= day - timedelta(days=propensity.GRACE_DAYS))
        .values(status="pending")
    )


def test_features_do_not_see_after_the_reference(ledger_url):
    generated = generate(ledger_url, 300)
    with session_scope(generated) as s:
        ids, full = propensity.features(s, as_of=REFERENCE)
        rewind(s, REFERENCE)
        s.flush()
        rewound_ids, rewound = propensity.features(s, as_of=REFERENCE)
        assert s.scalar(select(func.count()).select_from(m.Payment)) > 0
        s.rollback()
    assert rewound_ids == ids
    np.testing.assert_allclose(rewound, full)


def test_too_early_to_train(sqlite_url):
    migrate(sqlite_url)
    with session_scope(sqlite_url) as s, pytest.raises(ValueError, match="not ended"):
        propensity.train(s, reference=REFERENCE, seed=1, today=REFERENCE + timedelta(days=10))
