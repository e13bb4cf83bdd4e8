"""The ledger: durable records a bank must never lose.

Money is stored as text and read back as `Decimal` (SQLite has no exact decimal type, and a float
must never hold an amount). Times are stored in UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Money(TypeDecorator):
    """A Decimal kept exactly, as its canonical string."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return str(Decimal(value).quantize(Decimal("0.01")))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every engine."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def _account_fk() -> Column:
    return Column(String(64), ForeignKey("accounts.account_id"), nullable=False, index=True)


def _conversation_fk(nullable: bool = True) -> Column:
    return Column(String(32), ForeignKey("conversations.id"), nullable=nullable, index=True)


class Account(Base):
    __tablename__ = "accounts"
    account_id = Column(String(64), primary_key=True)
    customer_name = Column(String(200), nullable=False)
    phone = Column(String(20), nullable=False, index=True)
    timezone = Column(String(64), nullable=False)
    language = Column(String(16), nullable=False)
    product = Column(String(32), nullable=False)
    currency = Column(String(3), nullable=False)
    balance = Column(Money, nullable=False)
    minimum_due = Column(Money, nullable=False)
    due_date = Column(Date, nullable=False)
    days_past_due = Column(Integer, nullable=False)
    # Only salted hashes: the date of birth and card digits are never stored or logged in clear.
    dob_hash = Column(String(64), nullable=False)
    last4_hash = Column(String(64), nullable=False)
    consent_voice = Column(Boolean, nullable=False)
    consent_sms = Column(Boolean, nullable=False)
    jurisdiction = Column(String(2), nullable=False)
    # Contact paused (dispute, already-paid claim) until an agent reviews it.
    paused_reason = Column(String(64))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    channel = Column(String(16), nullable=False)
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at = Column(UTCDateTime)
    verified = Column(Boolean, nullable=False, default=False)
    disposition = Column(String(32))
    # The engine's state (JSON), kept here and never taken from the caller: the action server
    # acts on this, whatever a posted tracker's slot says (issue #11).
    dialogue_state = Column(Text)


class ContactAttempt(Base):
    __tablename__ = "contact_attempts"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    channel = Column(String(16), nullable=False)
    direction = Column(String(8), nullable=False, default="outbound")
    provider_sid = Column(String(64), index=True)
    status = Column(String(32), nullable=False, default="queued")
    answered_by = Column(String(32))  # Twilio AMD: human, machine_end_beep, ...
    disposition = Column(String(32))
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at = Column(UTCDateTime)


class Turn(Base):
    """One message of a conversation's transcript (verification answers are redacted)."""

    __tablename__ = "conversation_turns"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = _conversation_fk(nullable=False)
    speaker = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    at = Column(UTCDateTime, nullable=False, default=utcnow)


class Promise(Base):
    __tablename__ = "promises"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    due_date = Column(Date, nullable=False)
    channel = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class InstalmentRequest(Base):
    __tablename__ = "instalment_requests"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    months = Column(Integer, nullable=False)
    monthly_amount = Column(Money, nullable=False)
    fee = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    first_due_date = Column(Date, nullable=False)
    status = Column(String(24), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Dispute(Base):
    __tablename__ = "disputes"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AlreadyPaidClaim(Base):
    __tablename__ = "already_paid_claims"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    details = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class HardshipNote(Base):
    __tablename__ = "hardship_notes"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    callback_at = Column(UTCDateTime)
    requested_text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="scheduled")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class OptOut(Base):
    __tablename__ = "opt_outs"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    channel = Column(String(8), nullable=False)  # voice | sms | chat | all
    # The number the opt-out was made for: it stops every account reached at that number, now
    # or later, as well as the account it was recorded on (TCPA: consent is the subscriber's).
    phone = Column(String(32), index=True)
    source_text = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at = Column(UTCDateTime)


class WrongNumberFlag(Base):
    __tablename__ = "wrong_number_flags"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    phone = Column(String(20), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Escalation(Base):
    __tablename__ = "escalations"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    reason = Column(String(32), nullable=False, index=True)
    priority = Column(Integer, nullable=False)
    summary = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    stream_id = Column(String(32), unique=True)
    claimed_by = Column(String(64))
    claimed_at = Column(UTCDateTime)
    resolved_at = Column(UTCDateTime)
    disposition = Column(String(32))
    note = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ProcessedEvent(Base):
    """Idempotency keys for webhooks that providers retry (MessageSid, CallSid + status)."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)
    key = Column(String(128), nullable=False)
    # What was answered the first time, so a retried delivery gets the same answer.
    response = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Agent(Base):
    """A person in the console: an agent works escalations, a supervisor also sees the numbers."""

    __tablename__ = "agents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(200), nullable=False)
    password_hash = Column(String(200), nullable=False)  # argon2; never the password
    role = Column(String(16), nullable=False, default="agent")  # agent | supervisor
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AuditEntry(Base):
    """One link of the tamper-evident audit chain (see bot/audit.py); never updated."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    seq = Column(Integer, nullable=False, unique=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    kind = Column(String(32), nullable=False, index=True)
    # No foreign key: the trail must outlive the account it speaks about.
    account_id = Column(String(64), index=True)
    actor = Column(String(64), nullable=False)
    data = Column(Text, nullable=False)  # canonical JSON
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False)


class AuditHead(Base):
    """The one row that says how long the chain is and how it ends; appends serialise on it."""

    __tablename__ = "audit_head"
    id = Column(Integer, primary_key=True, autoincrement=False)
    seq = Column(Integer, nullable=False)
    hash = Column(String(64), nullable=False)


class AuditAnchor(Base):
    """Where the chain starts after a retention purge: the last purged entry's seq and hash."""

    __tablename__ = "audit_anchor"
    id = Column(Integer, primary_key=True, autoincrement=False)
    seq = Column(Integer, nullable=False)
    hash = Column(String(64), nullable=False)
    purged_at = Column(UTCDateTime, nullable=False)


class Payment(Base):
    """A payment the bank received; the id gives the order in which it was applied."""

    __tablename__ = "payments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = _account_fk()
    amount = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    paid_on = Column(Date, nullable=False, index=True)
    # The account as it stood just before this payment: lets analytics see the past without
    # leaking what came after.
    balance_before = Column(Money, nullable=False)
    minimum_due_before = Column(Money, nullable=False)
    batch = Column(String(64), nullable=False, index=True)  # sha256 of the imported file
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class FollowUp(Base):
    """A reminder the campaign owes a customer, e.g. after a broken promise."""

    __tablename__ = "follow_ups"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    promise_id = Column(String(32), ForeignKey("promises.id"), index=True)
    due_at = Column(UTCDateTime, nullable=False, index=True)
    channel = Column(String(16), nullable=False, default="sms")
    reason = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="scheduled")  # scheduled|done|cancelled
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class VerificationFailure(Base):
    """One failed verification answer, whatever the conversation or channel (never the answer).
    Counted per account to lock self-service verification (bot/conversation/lockout.py)."""

    __tablename__ = "verification_failures"
    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = _account_fk()
    conversation_id = _conversation_fk()
    channel = Column(String(16), nullable=False)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    # Set when the customer later verified: a mistyped answer stops counting.
    cleared_at = Column(UTCDateTime)


class VerificationLock(Base):
    """Self-service verification locked for an account until `locked_until` or an agent lifts it."""

    __tablename__ = "verification_locks"
    id = Column(String(32), primary_key=True, default=new_id)
    account_id = _account_fk()
    locked_at = Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = Column(UTCDateTime, nullable=False)
    lifted_at = Column(UTCDateTime)
    lifted_by = Column(String(64))
