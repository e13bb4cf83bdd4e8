"""The KPI report's reads: one GROUP BY per record table, per UTC day x channel x segment.

The database does the counting, so a report over a large portfolio reads one row per group, not
one per contact. Each function returns (day, channel, product, days-past-due bucket, *measures)
for the records whose own timestamp falls in [since, until); `bot.analytics.kpi` turns them into
KPI rows and rates (the definitions are there).

Every numerator of a share is counted over the same rows as its denominator, in the same query
(a filtered count), so a share cannot pass 100 %: contacts are counted over attempts, right-party
contacts over contacts, contacts with a promise over right-party contacts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Integer,
    Numeric,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.analytics.segments import BUCKETS
from bot.ledger import models as m


def _bucket(dpd) -> ColumnElement:
    """The days-past-due bucket in SQL, from the same table as bot.analytics.segments.dpd_bucket."""

    # Constants inline (not bound), so GROUP BY repeats the SELECT's expression exactly.
    def const(value: int | str) -> ColumnElement:
        return literal_column(str(value) if isinstance(value, int) else f"'{value}'")

    whens = [
        (
            and_(dpd >= const(low), dpd <= const(high)) if high is not None else dpd >= const(low),
            const(name),
        )
        for low, high, name in BUCKETS
    ]
    return case(*whens, else_=const("current"))


def _seconds(session: Session, started, ended) -> ColumnElement:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(ended) - func.julianday(started)) * 86400.0
    return extract("epoch", ended - started)


def _count_if(condition) -> ColumnElement:
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def _segment() -> tuple:
    acct = m.Account
    return (acct.product, _bucket(acct.days_past_due))


def _grouped(
    session: Session, since: datetime, until: datetime, day_col, channel, *measures, joins, where=()
) -> list:
    segment = _segment()
    day = func.date(day_col)
    query = select(day, channel, *segment, *measures)
    for target, on, outer in joins:
        query = query.join(target, on, isouter=outer)
    query = query.where(day_col >= since, day_col < until, *where).group_by(day, channel, *segment)
    return session.execute(query).all()


def _via_conversation(model, fallback=None):
    """The channel of the conversation a record came from, and the joins that reach it."""
    acct, c = m.Account, m.Conversation
    default = fallback if fallback is not None else literal_column("'unknown'")
    channel = func.coalesce(c.channel, default)
    joins = [
        (acct, acct.account_id == model.account_id, False),
        (c, c.id == model.conversation_id, True),
    ]
    return channel, joins


def _one_contact(a) -> ColumnElement:
    """What one outbound contact is: its conversation (a text reminder split into several
    segments, each an attempt row, is one contact attempt), or the attempt itself without one."""
    return func.coalesce(a.conversation_id, a.id)


def _customer_spoke(conversation_id) -> ColumnElement:
    t = m.Turn
    return exists().where(t.conversation_id == conversation_id, t.speaker == "customer")


def _has_promise(conversation_id) -> ColumnElement:
    p = m.Promise
    return exists().where(p.conversation_id == conversation_id)


def _distinct_if(condition, value) -> ColumnElement:
    return func.count(func.distinct(case((condition, value))))


def outbound_attempts(session: Session, since: datetime, until: datetime) -> list:
    """(..., attempts, contacts, right-party contacts, right-party contacts with a promise),
    each over the outbound attempts started on the day that the carrier took (a refused one
    reached no one and is no attempt). Contact: a person reached: a call answered by a human,
    or any attempt whose conversation has a customer's turn (a text delivered and replied to, a
    call in which the customer spoke); a call answered by a machine never is."""
    a, acct, c = m.ContactAttempt, m.Account, m.Conversation
    one = _one_contact(a)
    machine = func.coalesce(a.answered_by, literal_column("''")).like("machine%")
    reached = and_(not_(machine), or_(a.answered_by == "human", _customer_spoke(a.conversation_id)))
    verified = and_(reached, c.verified.is_(True))
    return _grouped(
        session,
        since,
        until,
        a.started_at,
        a.channel,
        func.count(func.distinct(one)),
        _distinct_if(reached, one),
        _distinct_if(verified, one),
        _distinct_if(and_(verified, _has_promise(c.id)), one),
        joins=[
            (acct, acct.account_id == a.account_id, False),
            (c, c.id == a.conversation_id, True),
        ],
        where=[a.direction == "outbound", a.status != "failed"],
    )


def inbound_contacts(session: Session, since: datetime, until: datetime) -> list:
    """(..., contacts, right-party contacts, right-party contacts with a promise) of the
    conversations started on the day that no outbound attempt opened (the customer called,
    texted or opened a chat first) and in which the customer spoke."""
    c, acct, a = m.Conversation, m.Account, m.ContactAttempt
    from_attempt = exists().where(a.conversation_id == c.id, a.direction == "outbound")
    verified = c.verified.is_(True)
    return _grouped(
        session,
        since,
        until,
        c.started_at,
        c.channel,
        func.count(),
        _count_if(verified),
        _count_if(and_(verified, _has_promise(c.id))),
        joins=[(acct, acct.account_id == c.account_id, False)],
        where=[not_(from_attempt), _customer_spoke(c.id)],
    )


def handled_conversations(session: Session, since: datetime, until: datetime) -> list:
    """(..., conversations ended, seconds they lasted) of those started on the day."""
    c, acct = m.Conversation, m.Account
    return _grouped(
        session,
        since,
        until,
        c.started_at,
        c.channel,
        func.count(c.ended_at),
        func.sum(_seconds(session, c.started_at, c.ended_at)),
        joins=[(acct, acct.account_id == c.account_id, False)],
        where=[c.ended_at.is_not(None)],
    )


def promises(session: Session, since: datetime, until: datetime) -> list:
    """(..., promises, kept, broken) taken on the day."""
    p, acct = m.Promise, m.Account
    return _grouped(
        session,
        since,
        until,
        p.created_at,
        p.channel,
        func.count(),
        _count_if(p.status == "kept"),
        _count_if(p.status == "broken"),
        joins=[(acct, acct.account_id == p.account_id, False)],
    )


def _cents(session: Session, money) -> ColumnElement:
    """An amount (stored as exact text) in whole cents, summed exactly on either engine."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.round(cast(money, Numeric) * 100), Integer)
    return cast(money, Numeric(18, 2)) * 100


def promise_amounts(session: Session, since: datetime, until: datetime) -> list:
    """(day, channel, product, bucket, currency, cents promised, cents of the kept promises)
    of the promises taken on the day: a kept promise is one that payments covered in full
    (bot/analytics/payments.py), so its amount is what was collected on it."""
    p, acct = m.Promise, m.Account
    segment = _segment()
    day = func.date(p.created_at)
    cents = _cents(session, p.amount)
    query = (
        select(
            day,
            p.channel,
            *segment,
            p.currency,
            func.sum(cents),
            func.sum(case((p.status == "kept", cents), else_=literal_column("0"))),
        )
        .join(acct, acct.account_id == p.account_id)
        .where(p.created_at >= since, p.created_at < until)
        .group_by(day, p.channel, *segment, p.currency)
    )
    return session.execute(query).all()


def instalment_requests(session: Session, since: datetime, until: datetime) -> list:
    i = m.InstalmentRequest
    channel, joins = _via_conversation(i)
    return _grouped(session, since, until, i.created_at, channel, func.count(), joins=joins)


def opt_outs(session: Session, since: datetime, until: datetime) -> list:
    """Without a conversation, an opt-out counts on its own channel."""
    o = m.OptOut
    channel, joins = _via_conversation(o, o.channel)
    return _grouped(session, since, until, o.created_at, channel, func.count(), joins=joins)


def escalations(session: Session, since: datetime, until: datetime):
    """(day, channel, product, bucket, reason, escalations, claimed, seconds from creation to
    the claim summed over the claimed ones): grouped by reason as well."""
    e, acct, c = m.Escalation, m.Account, m.Conversation
    channel, _joins = _via_conversation(e)
    segment = _segment()
    day = func.date(e.created_at)
    claimed = e.claimed_at.is_not(None)
    query = (
        select(
            day,
            channel,
            *segment,
            e.reason,
            func.count(),
            _count_if(claimed),
            func.sum(case((claimed, _seconds(session, e.created_at, e.claimed_at)))),
        )
        .join(acct, acct.account_id == e.account_id)
        .join(c, c.id == e.conversation_id, isouter=True)
        .where(e.created_at >= since, e.created_at < until)
        .group_by(day, channel, *segment, e.reason)
    )
    return session.execute(query)
