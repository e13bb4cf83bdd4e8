"""What the propensity model reads: per-account counts of what the ledger knew before a cut.

Each read is one GROUP BY account query (in chunks of 500 ids when the caller names accounts),
never one query per account. `bot.analytics.propensity` turns the counts into features.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from bot.ledger import models as m


def _count_if(condition):
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def chunks(ids: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _per_account(session: Session, stmt, account_col, ids: Sequence[str] | None) -> dict:
    """Run a GROUP BY account query (optionally for some accounts); rows keyed by account."""
    if ids is None:
        return {r[0]: r[1:] for r in session.execute(stmt)}
    out: dict = {}
    for chunk in chunks(ids):
        out.update({r[0]: r[1:] for r in session.execute(stmt.where(account_col.in_(chunk)))})
    return out


@dataclass(frozen=True)
class KnownBefore:
    """Per account id, a tuple of values (see each field); an account absent has none."""

    accounts: dict  # (product, due_date, balance, minimum_due) of accounts created before the cut
    then: dict  # (balance_before, minimum_due_before) of the first payment on or after as_of
    paid_before: dict  # (payments dated in [paid_since, as_of),)
    attempts: dict  # (outbound attempts started before the cut,)
    conversations: dict  # (conversations, verified, refusals)
    promises: dict  # (promises, kept and settled, broken and settled)
    instalments: dict  # (instalment requests,)
    disputes: dict  # (disputes,)
    opt_outs: dict  # (opt-outs still in force at the cut,)


def known_before(
    session: Session,
    *,
    as_of: date,
    cut: datetime,
    paid_since: date,
    settled_before: date,
    ids: Sequence[str] | None,
) -> KnownBefore:
    """The counts for `ids` (every account when None) from records before `cut` (timestamps) and
    `as_of` (payment dates); a promise's outcome counts when its due date is before
    `settled_before`."""
    a = m.Account
    accounts = _per_account(
        session,
        select(a.account_id, a.product, a.due_date, a.balance, a.minimum_due).where(
            a.created_at < cut
        ),
        a.account_id,
        ids,
    )
    p = m.Payment
    first_later = (
        select(p.account_id, func.min(p.id).label("first"))
        .where(p.paid_on >= as_of)
        .group_by(p.account_id)
        .subquery()
    )
    then = _per_account(
        session,
        select(p.account_id, p.balance_before, p.minimum_due_before).join(
            first_later, first_later.c.first == p.id
        ),
        p.account_id,
        ids,
    )
    paid_before = _per_account(
        session,
        select(p.account_id, func.count())
        .where(p.paid_on >= paid_since, p.paid_on < as_of)
        .group_by(p.account_id),
        p.account_id,
        ids,
    )
    ca = m.ContactAttempt
    attempts = _per_account(
        session,
        select(ca.account_id, func.count())
        .where(ca.started_at < cut, ca.direction == "outbound")
        .group_by(ca.account_id),
        ca.account_id,
        ids,
    )
    c = m.Conversation
    conversations = _per_account(
        session,
        select(
            c.account_id,
            func.count(),
            _count_if(c.verified.is_(True)),
            _count_if(c.disposition == "refusal"),
        )
        .where(c.started_at < cut)
        .group_by(c.account_id),
        c.account_id,
        ids,
    )
    pr = m.Promise
    settled = pr.due_date < settled_before  # outcome known before as_of
    promises = _per_account(
        session,
        select(
            pr.account_id,
            func.count(),
            _count_if(and_(settled, pr.status == "kept")),
            _count_if(and_(settled, pr.status == "broken")),
        )
        .where(pr.created_at < cut)
        .group_by(pr.account_id),
        pr.account_id,
        ids,
    )

    def flag(model, *where) -> dict:
        stmt = select(model.account_id, func.count()).where(model.created_at < cut, *where)
        return _per_account(session, stmt.group_by(model.account_id), model.account_id, ids)

    return KnownBefore(
        accounts=accounts,
        then=then,
        paid_before=paid_before,
        attempts=attempts,
        conversations=conversations,
        promises=promises,
        instalments=flag(m.InstalmentRequest),
        disputes=flag(m.Dispute),
        opt_outs=flag(m.OptOut, or_(m.OptOut.revoked_at.is_(None), m.OptOut.revoked_at >= cut)),
    )


def payers(session: Session, *, start: date, end: date, ids: Sequence[str]) -> dict:
    """The accounts among `ids` with a payment dated in [start, end), keyed by account."""
    p = m.Payment
    return _per_account(
        session,
        select(p.account_id, func.count())
        .where(p.paid_on >= start, p.paid_on < end)
        .group_by(p.account_id),
        p.account_id,
        ids,
    )


def products_and_dpd(session: Session, ids: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """(account id, product, days past due) of the accounts, 500 ids per query."""
    a = m.Account
    for chunk in chunks(ids):
        yield from session.execute(
            select(a.account_id, a.product, a.days_past_due).where(a.account_id.in_(chunk))
        )
