"""The KPI report's reads: one GROUP BY per record table, per UTC day x channel x segment.

The database does the counting, so a report over a large portfolio reads one row per group, not
one per contact. Each function returns (day, channel, product, days-past-due bucket, *measures)
for the records whose own timestamp falls in [since, until); `bot.analytics.kpi` turns them into
KPI rows and rates.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, extract, func, literal_column, select
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


def outbound_attempts(session: Session, since: datetime, until: datetime) -> list:
    """(..., attempts) started on the day."""
    a, acct = m.ContactAttempt, m.Account
    return _grouped(
        session,
        since,
        until,
        a.started_at,
        a.channel,
        func.count(),
        joins=[(acct, acct.account_id == a.account_id, False)],
        where=[a.direction == "outbound"],
    )


def conversations(session: Session, since: datetime, until: datetime) -> list:
    """(..., conversations, verified, ended, seconds talked in the ended ones)."""
    c, acct = m.Conversation, m.Account
    return _grouped(
        session,
        since,
        until,
        c.started_at,
        c.channel,
        func.count(),
        _count_if(c.verified.is_(True)),
        func.count(c.ended_at),
        func.sum(_seconds(session, c.started_at, c.ended_at)),
        joins=[(acct, acct.account_id == c.account_id, False)],
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
    """(day, channel, product, bucket, reason, escalations): grouped by reason as well."""
    e, acct, c = m.Escalation, m.Account, m.Conversation
    channel, _joins = _via_conversation(e)
    segment = _segment()
    day = func.date(e.created_at)
    query = (
        select(day, channel, *segment, e.reason, func.count())
        .join(acct, acct.account_id == e.account_id)
        .join(c, c.id == e.conversation_id, isouter=True)
        .where(e.created_at >= since, e.created_at < until)
        .group_by(day, channel, *segment, e.reason)
    )
    return session.execute(query)
