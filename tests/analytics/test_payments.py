"""Payment import validation, promise settlement at the grace edges, follow-ups, paid in full."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.analytics.payments import import_payments, settle_promises
from bot.compliance import audit
from bot.ledger.db import session_scope
from bot.ledger.models import Account, AuditEntry, FollowUp, Payment, Promise
from bot.ledger.portfolio import ImportFailed
from tests.analytics.helpers import account, promise, utc

HEADER = "account_id,amount,currency,paid_on\n"
DUE = date(2026, 3, 10)
MADE = utc(2026, 3, 1, 15, 0)  # 10:00 in New York


def csv_file(tmp_path: Path, body: str, name: str = "payments.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def seed(url: str, *accounts, promises=()) -> None:
    with session_scope(url) as session:
        session.add_all(accounts)
        session.flush()
        session.add_all(promises)


def statuses(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        return dict(session.execute(select(Promise.id, Promise.status)).all())


def test_every_bad_cell_is_named_and_nothing_is_imported(ledger_url, tmp_path):
    seed(ledger_url, account("A1"), account("CN1", currency="CNY"))
    path = csv_file(
        tmp_path,
        "A1,100.00,USD,2026-03-02\n"  # line 2: fine
        "A1,-5,USD,2026-03-02\n"  # line 3: negative
        "A1,10.005,USD,2026-3-2\n"  # line 4: 3 decimals and a bad date
        "NOPE,10.00,USD,2026-03-02\n"  # line 5: unknown account
        "CN1,10.00,USD,2026-03-02\n"  # line 6: not the account's currency
        "A1,10.00,XYZ,2026-03-09\n"  # line 7: unknown currency, date in the future
        ",10.00,USD,2026-03-02\n",  # line 8: no account
    )
    with pytest.raises(ImportFailed) as failed:
        import_payments(path, today=date(2026, 3, 8), url=ledger_url)
    errors = failed.value.errors
    assert [e.split(":")[0] for e in errors] == [
        "line 3, column amount",
        "line 4, column amount",
        "line 4, column paid_on",
        "line 5, column account_id",
        "line 6, column currency",
        "line 7, column currency",
        "line 7, column paid_on",
        "line 8, column account_id",
    ]
    assert "the account is in CNY" in errors[4]
    with session_scope(ledger_url) as session:
        assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
        assert session.get(Account, "A1").balance == Decimal("1000.00")


def test_the_same_file_is_not_imported_twice(ledger_url, tmp_path):
    seed(ledger_url, account("A1"))
    path = csv_file(tmp_path, "A1,10.00,USD,2026-03-02\n")
    import_payments(path, today=date(2026, 3, 2), url=ledger_url)
    with pytest.raises(ImportFailed, match="already imported"):
        import_payments(path, today=date(2026, 3, 2), url=ledger_url)
    with session_scope(ledger_url) as session:
        assert session.get(Account, "A1").balance == Decimal("990.00")


@pytest.mark.parametrize(
    ("paid_on", "today", "expected"),
    [
        ("2026-03-13", date(2026, 3, 13), "kept"),  # due + 3 grace days: still counts
        ("2026-03-14", date(2026, 3, 13), "pending"),  # not yet posted, and not yet late
        ("2026-03-14", date(2026, 3, 14), "broken"),  # the day after the grace period
        ("2026-02-28", date(2026, 3, 14), "broken"),  # paid before the promise was made
    ],
)
def test_kept_and_broken_at_the_edge_of_the_grace_period(
    ledger_url, tmp_path, paid_on, today, expected
):
    seed(ledger_url, account("A1"), promises=[promise("p1", "A1", "100.00", DUE, MADE)])
    with session_scope(ledger_url) as session:  # a payment before the promise existed
        session.add(
            Payment(
                account_id="A1",
                amount=Decimal("100.00"),
                currency="USD",
                paid_on=date.fromisoformat(paid_on),
                balance_before=Decimal("1000.00"),
                minimum_due_before=Decimal("100.00"),
                batch="test",
            )
        )
        result = settle_promises(session, today=today, grace_days=3)
    assert statuses(ledger_url) == {"p1": expected}
    assert (result.kept, result.broken) == (expected == "kept", expected == "broken")


def test_a_broken_promise_schedules_one_follow_up(ledger_url, tmp_path):
    seed(
        ledger_url,
        account("A1"),
        account("A2", consent_sms=False),
        account("A3", paused_reason="dispute"),
        promises=[
            promise("p1", "A1", "100.00", DUE, MADE),
            promise("p2", "A2", "100.00", DUE, MADE),
            promise("p3", "A3", "100.00", DUE, MADE),
        ],
    )
    path = csv_file(tmp_path, "A1,30.00,USD,2026-03-05\n")  # partial: not enough
    summary, settlement = import_payments(path, today=date(2026, 3, 14), url=ledger_url)
    assert (settlement.kept, settlement.broken, settlement.follow_ups) == (0, 3, 2)
    with session_scope(ledger_url) as session:
        rows = session.scalars(select(FollowUp).order_by(FollowUp.account_id)).all()
        assert [(f.account_id, f.promise_id, f.channel, f.status) for f in rows] == [
            ("A1", "p1", "sms", "scheduled"),
            ("A2", "p2", "voice", "scheduled"),  # no SMS consent
        ]  # none for the disputed account: contact is paused
        assert rows[0].due_at == utc(2026, 3, 14, 14, 0)  # 10:00 in New York
        assert rows[0].reason == "broken_promise"
        settle_promises(session, today=date(2026, 3, 20))  # settling again changes nothing
        assert session.execute(select(func.count()).select_from(FollowUp)).scalar_one() == 2


def test_partial_payments_add_up_and_each_payment_counts_once(ledger_url, tmp_path):
    seed(
        ledger_url,
        account("A1"),
        account("A2"),
        promises=[
            promise("a-whole", "A1", "100.00", DUE, MADE),
            promise("b-first", "A2", "50.00", date(2026, 3, 5), MADE),
            promise("b-second", "A2", "50.00", DUE, MADE),
        ],
    )
    first = csv_file(
        tmp_path,
        "A1,40.00,USD,2026-03-02\nA1,35.00,USD,2026-03-04\nA2,70.00,USD,2026-03-03\n",
        "day1.csv",
    )
    import_payments(first, today=date(2026, 3, 6), url=ledger_url)
    # A1 has 75 of 100; A2's 70 keeps the first 50 and leaves 20 for the second.
    assert statuses(ledger_url) == {"a-whole": "pending", "b-first": "kept", "b-second": "pending"}
    second = csv_file(tmp_path, "A1,25.00,USD,2026-03-12\nA2,29.99,USD,2026-03-09\n", "day2.csv")
    import_payments(second, today=date(2026, 3, 12), url=ledger_url)
    assert statuses(ledger_url) == {"a-whole": "kept", "b-first": "kept", "b-second": "pending"}
    third = csv_file(tmp_path, "A2,0.01,USD,2026-03-13\n", "day3.csv")
    _, settlement = import_payments(third, today=date(2026, 3, 13), url=ledger_url)
    assert statuses(ledger_url)["b-second"] == "kept" and settlement.kept == 1


def test_paid_in_full_leaves_the_campaign_and_cancels_follow_ups(ledger_url, tmp_path):
    seed(
        ledger_url,
        account("A1", balance=Decimal("300.00"), minimum_due=Decimal("120.00")),
        promises=[promise("p1", "A1", "120.00", DUE, MADE)],
    )
    late = csv_file(tmp_path, "A1,50.00,USD,2026-03-01\n", "late.csv")
    import_payments(late, today=date(2026, 3, 14), url=ledger_url)  # broken: follow-up scheduled
    full = csv_file(tmp_path, "A1,250.00,USD,2026-03-15\n", "full.csv")
    summary, _ = import_payments(full, today=date(2026, 3, 15), url=ledger_url)
    assert summary.paid_in_full == 1 and summary.total_by_currency == {"USD": Decimal("250.00")}
    with session_scope(ledger_url) as session:
        acct = session.get(Account, "A1")
        assert (acct.balance, acct.minimum_due, acct.paused_reason) == (
            Decimal("0.00"),
            Decimal("0.00"),
            "paid_in_full",
        )
        assert [f.status for f in session.scalars(select(FollowUp))] == ["cancelled"]
        payments = session.scalars(select(Payment).order_by(Payment.id)).all()
        assert [p.balance_before for p in payments] == [Decimal("300.00"), Decimal("250.00")]
        kinds = [e.kind for e in session.scalars(select(AuditEntry).order_by("seq"))]
        assert kinds == ["payment", "promise", "payment"]
        assert audit.verify(session).ok
