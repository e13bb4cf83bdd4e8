"""Conversations and their transcripts (conversation_turns)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from bot.ledger.models import Account, Conversation, Turn, utcnow


def conversation(session: Session, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def open_conversation(
    session: Session, account_id: str, channel: str, conversation_id: str | None = None
) -> Conversation:
    """Record a new conversation (its id given when Rasa opened it first)."""
    row = Conversation(account_id=account_id, channel=channel)
    if conversation_id is not None:
        row.id = conversation_id
    session.add(row)
    session.flush()
    return row


def end(conversation: Conversation, disposition: str) -> None:
    conversation.ended_at, conversation.disposition = utcnow(), disposition


def mark_verified(session: Session, conversation_id: str) -> None:
    conversation(session, conversation_id).verified = True


def open_sms_conversation_for_phone(session: Session, phone: str) -> Conversation | None:
    """The most recent SMS conversation still open with any account on this number."""
    return (
        session.query(Conversation)
        .join(Account, Account.account_id == Conversation.account_id)
        .filter(
            Account.phone == phone,
            Conversation.channel == "sms",
            Conversation.ended_at.is_(None),
        )
        .order_by(Conversation.started_at.desc())
        .first()
    )


def for_account(session: Session, account_id: str) -> list[Conversation]:
    return (
        session.query(Conversation)
        .filter(Conversation.account_id == account_id)
        .order_by(Conversation.started_at)
        .all()
    )


def last_activity(session: Session, conversation_id: str):
    """When the conversation last had a turn (its start if none): what an idle time counts from."""
    last = session.query(func.max(Turn.at)).filter(Turn.conversation_id == conversation_id)
    started = session.query(Conversation.started_at).filter(Conversation.id == conversation_id)
    return last.scalar() or started.scalar()


def add_turn(session: Session, conversation_id: str, speaker: str, text: str) -> None:
    session.add(Turn(conversation_id=conversation_id, speaker=speaker, text=text))


def turns_since(session: Session, conversation_id: str, since) -> list[Turn]:
    """The conversation's turns written at or after `since`, in the order they were said."""
    turns = session.query(Turn).filter(Turn.conversation_id == conversation_id, Turn.at >= since)
    return turns.order_by(Turn.id).all()


def transcript(session: Session, conversation_id: str) -> list[Turn]:
    """The conversation's turns in the order they were said."""
    return (
        session.query(Turn).filter(Turn.conversation_id == conversation_id).order_by(Turn.id).all()
    )
