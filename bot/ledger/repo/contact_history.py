"""What the ledger knows about contacting a customer: opt-outs, disputes, wrong numbers, calls
and texts made, conversations held, and the account columns the contact rules read.

Two shapes of the same facts: per contact (`bot.compliance.gate.gather_facts`, one account and
one channel, at the moment of a call or a text) and in bulk (`bot.campaign.planner.load_accounts`,
every account at once: one query per kind of fact, never one per account). The two must find the
same facts; tests/campaign/test_ledger_input.py checks it on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.ledger import models as m

# The Account columns the planner reads, in this order (`portfolio_rows`).
PORTFOLIO_COLUMNS = (
    "account_id",
    "product",
    "days_past_due",
    "timezone",
    "jurisdiction",
    "phone",
    "consent_voice",
    "consent_sms",
    "paused_reason",
)

# ------------------------------------------------------------------ per contact (the gate)


def opted_out(session: Session, account_id: str, channel: str) -> bool:
    """An opt-out still in force for this channel, or for every channel, recorded on this
    account or on any account at the same phone number: consent belongs to the number's
    subscriber, so a STOP from a number stops every account reached there (TCPA 47 CFR
    64.1200(a)(10)). The row holds the number it was made for, so an account that later gets
    that number is stopped too, and the account keeps its own opt-out on a new number."""
    o, a = m.OptOut, m.Account
    return (
        session.query(o.id)
        .join(a, or_(o.account_id == a.account_id, o.phone == a.phone))
        .filter(
            a.account_id == account_id,
            o.revoked_at.is_(None),
            or_(o.channel == "all", o.channel == channel),
        )
        .first()
        is not None
    )


def dispute_open(session: Session, account_id: str) -> bool:
    d = m.Dispute
    return (
        session.query(d.id).filter(d.account_id == account_id, d.status == "open").first()
        is not None
    )


def wrong_number(session: Session, account_id: str, phone: str) -> bool:
    """The account's current number was reported as not the customer's."""
    w = m.WrongNumberFlag
    return (
        session.query(w.id).filter(w.account_id == account_id, w.phone == phone).first() is not None
    )


def calls_since(session: Session, account_id: str, since: datetime) -> int:
    """Outbound call attempts to the account after `since`."""
    ca = m.ContactAttempt
    return (
        session.query(func.count(ca.id))
        .filter(
            ca.account_id == account_id,
            ca.channel == "voice",
            ca.direction == "outbound",
            ca.started_at > since,
        )
        .scalar()
    )


def _right_party(c):
    """A conversation with the right party: verified, or the person confirmed being the customer
    (the engine's state left the identity phase: bot/conversation/phases/identity.py). Reg F
    §1006.14(b)(2)(i)(B) counts any telephone conversation with the consumer, not only a verified
    one. The state is JSON written with sort_keys (bot/ledger/repo/dialogue.py)."""
    return or_(
        c.verified.is_(True),
        and_(c.dialogue_state.is_not(None), ~c.dialogue_state.like('%"phase": "identity"%')),
    )


def last_conversation_at(session: Session, account_id: str) -> datetime | None:
    """The last phone conversation with the right party (`_right_party`)."""
    c = m.Conversation
    return (
        session.query(func.max(c.started_at))
        .filter(c.account_id == account_id, c.channel == "voice", _right_party(c))
        .scalar()
    )


def communications_since(session: Session, account_id: str, since: datetime) -> int:
    """Outbound calls and texts to the account after `since` (a state overlay's cap)."""
    ca = m.ContactAttempt
    return (
        session.query(func.count(ca.id))
        .filter(ca.account_id == account_id, ca.direction == "outbound", ca.started_at > since)
        .scalar()
    )


def attempts_to_number_since(session: Session, phone: str, channel: str, since: datetime) -> int:
    """Outbound attempts on the channel to the number since `since`, whichever account."""
    ca, a = m.ContactAttempt, m.Account
    return (
        session.query(func.count(ca.id))
        .join(a, a.account_id == ca.account_id)
        .filter(
            a.phone == phone,
            ca.channel == channel,
            ca.direction == "outbound",
            ca.started_at >= since,
        )
        .scalar()
    )


# ------------------------------------------------------------------ in bulk (the planner)


def portfolio_rows(session: Session) -> list[tuple]:
    """Every account's PORTFOLIO_COLUMNS, by account id."""
    a = m.Account
    return session.execute(
        select(*(getattr(a, name) for name in PORTFOLIO_COLUMNS)).order_by(a.account_id)
    ).all()


def open_opt_outs(session: Session, channels: Iterable[str]) -> list[tuple[str, str]]:
    """(account_id, channel) of the opt-outs in force, channel one of `channels`, for every
    account it was recorded on and every account at the number it was made for (`opted_out`)."""
    o, a = m.OptOut, m.Account
    return session.execute(
        select(a.account_id, o.channel)
        .join(o, or_(o.account_id == a.account_id, o.phone == a.phone))
        .where(o.revoked_at.is_(None), o.channel.in_(tuple(channels)))
        .distinct()
    ).all()


def accounts_with_open_dispute(session: Session) -> set[str]:
    d = m.Dispute
    return set(session.scalars(select(d.account_id).where(d.status == "open").distinct()))


def accounts_with_wrong_number(session: Session) -> set[str]:
    """Accounts whose current number is flagged wrong (a flag on an old number does not count)."""
    w, a = m.WrongNumberFlag, m.Account
    return set(
        session.scalars(
            select(w.account_id)
            .join(a, and_(a.account_id == w.account_id, a.phone == w.phone))
            .distinct()
        )
    )


def calls_by_account_since(session: Session, since: datetime) -> dict[str, int]:
    ca = m.ContactAttempt
    return dict(
        session.execute(
            select(ca.account_id, func.count())
            .where(ca.channel == "voice", ca.direction == "outbound", ca.started_at > since)
            .group_by(ca.account_id)
        ).all()
    )


def last_conversations(session: Session) -> list[tuple[str, datetime | None]]:
    """(account_id, last phone conversation with the right party) per account that had one."""
    c = m.Conversation
    return session.execute(
        select(c.account_id, func.max(c.started_at))
        .where(c.channel == "voice", _right_party(c))
        .group_by(c.account_id)
    ).all()


def communications_by_account_since(session: Session, since: datetime) -> dict[str, int]:
    """Outbound calls and texts per account after `since` (`communications_since`, in bulk)."""
    ca = m.ContactAttempt
    return dict(
        session.execute(
            select(ca.account_id, func.count())
            .where(ca.direction == "outbound", ca.started_at > since)
            .group_by(ca.account_id)
        ).all()
    )


def attempts_to_numbers_since(
    session: Session, channels: Iterable[str], since: datetime
) -> list[tuple[str, str, datetime]]:
    """(phone, channel, started_at) of every outbound attempt since `since`."""
    ca, a = m.ContactAttempt, m.Account
    return session.execute(
        select(a.phone, ca.channel, ca.started_at)
        .join(a, a.account_id == ca.account_id)
        .where(
            ca.direction == "outbound",
            ca.channel.in_(tuple(channels)),
            ca.started_at >= since,
        )
    ).all()


def last_attempts_since(
    session: Session, channels: Iterable[str], since: datetime
) -> list[tuple[str, str, datetime | None]]:
    """(account_id, channel, last outbound attempt) per account and channel since `since`."""
    ca = m.ContactAttempt
    return session.execute(
        select(ca.account_id, ca.channel, func.max(ca.started_at))
        .where(
            ca.direction == "outbound",
            ca.channel.in_(tuple(channels)),
            ca.started_at >= since,
        )
        .group_by(ca.account_id, ca.channel)
    ).all()


def signal_accounts(session: Session, since: datetime) -> dict[str, set[str]]:
    """The accounts with each conversation signal the strategy reads, since `since`: hardship
    noted, instalments asked for, a refusal, a broken promise."""
    queries = {
        "hardship": select(m.HardshipNote.account_id).where(m.HardshipNote.created_at >= since),
        "instalment_request": select(m.InstalmentRequest.account_id).where(
            m.InstalmentRequest.created_at >= since
        ),
        "refusal": select(m.Conversation.account_id).where(
            m.Conversation.disposition == "refusal", m.Conversation.started_at >= since
        ),
        "broken_promise": select(m.Promise.account_id).where(
            m.Promise.status == "broken", m.Promise.created_at >= since
        ),
    }
    return {name: set(session.scalars(query.distinct())) for name, query in queries.items()}
