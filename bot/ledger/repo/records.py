"""What conversations capture about an account: promises, instalment requests, disputes,
already-paid claims, hardship notes, callbacks, opt-outs and wrong-number flags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.ledger import models as m
from bot.ledger.models import utcnow


def promise(
    session: Session, *, id: str, amount: Decimal, currency: str, due_date: date, **common
) -> None:
    session.add(m.Promise(id=id, amount=amount, currency=currency, due_date=due_date, **common))


def instalment_request(session: Session, **fields) -> None:
    session.add(m.InstalmentRequest(**fields))


def dispute(session: Session, *, text: str, **common) -> None:
    session.add(m.Dispute(text=text, **common))


def already_paid_claim(session: Session, *, details: str, **common) -> None:
    session.add(m.AlreadyPaidClaim(details=details, **common))


def hardship_note(session: Session, *, text: str, **common) -> None:
    session.add(m.HardshipNote(text=text, **common))


def callback_request(
    session: Session, *, callback_at: datetime, requested_text: str, **common
) -> None:
    session.add(m.CallbackRequest(callback_at=callback_at, requested_text=requested_text, **common))


def opt_out(session: Session, *, channel: str, source_text: str, **common) -> None:
    """Recorded for the account and for its number (the one it has now)."""
    phone = session.scalar(
        select(m.Account.phone).where(m.Account.account_id == common["account_id"])
    )
    session.add(m.OptOut(channel=channel, source_text=source_text, phone=phone, **common))


def revoke_opt_outs(session: Session, account_id: str, channel: str) -> None:
    """The customer opted back in (START): the active opt-outs on the channel end now, those of
    the account and those made for its number (opt-outs are held per number as well)."""
    phone = select(m.Account.phone).where(m.Account.account_id == account_id).scalar_subquery()
    for row in session.query(m.OptOut).filter(
        or_(m.OptOut.account_id == account_id, m.OptOut.phone == phone),
        m.OptOut.channel == channel,
        m.OptOut.revoked_at.is_(None),
    ):
        row.revoked_at = utcnow()


def latest_opt_out(session: Session, account_id: str, since: datetime):
    """The account's most recent opt-out row recorded after `since`, revoked or not, or None
    (bot.compliance.opt_outs reads it to know whether a "which others?" question is pending)."""
    return (
        session.query(m.OptOut)
        .filter(m.OptOut.account_id == account_id, m.OptOut.created_at > since)
        .order_by(m.OptOut.created_at.desc(), m.OptOut.id.desc())
        .first()
    )


def wrong_number_flag(session: Session, *, phone: str, **common) -> None:
    session.add(m.WrongNumberFlag(phone=phone, **common))


def for_account(session: Session, model, account_id: str, order) -> list:
    """One record table's rows for an account, in `order`."""
    return session.query(model).filter(model.account_id == account_id).order_by(order).all()


def for_conversation(session: Session, model, conversation_id: str) -> list:
    """One record table's rows captured in a conversation."""
    return session.query(model).filter(model.conversation_id == conversation_id).all()


def opt_out_channels_in_force(session: Session, ids: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(account id, channel) of each opt-out not revoked, for these accounts in one query,
    an opt-out made for an account's phone number counting for it (as the gate's)."""
    o, a = m.OptOut, m.Account
    return iter(
        session.execute(
            select(a.account_id, o.channel)
            .join(o, or_(o.account_id == a.account_id, o.phone == a.phone))
            .where(a.account_id.in_(tuple(ids)), o.revoked_at.is_(None))
            .distinct()
        )
    )
