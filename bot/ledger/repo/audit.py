"""The audit chain's tables: its head (the lock and the newest hash), its entries and the anchor
left by a retention purge. The chain's rules (hashing, what verify calls broken) are in
bot/compliance/audit.py; this module only reads and writes the rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import Result, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.ledger.models import AuditAnchor, AuditEntry, AuditHead

HEAD_ID = 1  # the chain has one head row (and at most one anchor row) with this id


def advance_head(session: Session, advance: int) -> tuple[int, str] | None:
    """Lock the head row (the UPDATE takes the row lock until commit), move its seq on by
    `advance`, and return (seq, hash); None when there is no head row."""
    table = AuditHead.__table__
    result = session.execute(
        update(table).where(table.c.id == HEAD_ID).values(seq=table.c.seq + advance)
    )
    if result.rowcount != 1:
        return None
    row = session.execute(select(table.c.seq, table.c.hash).where(table.c.id == HEAD_ID))
    seq, last_hash = row.one()
    return seq, last_hash


def create_head(session: Session, genesis: str) -> bool:
    """Create the head row; False when another process created it first (primary key)."""
    try:
        with session.begin_nested():
            session.execute(AuditHead.__table__.insert().values(id=HEAD_ID, seq=0, hash=genesis))
    except IntegrityError:
        return False
    return True


def chain_was_started(session: Session) -> bool:
    """Entries or an anchor exist (so a missing head was deleted, not never written)."""
    return (
        session.get(AuditAnchor, HEAD_ID) is not None
        or session.execute(select(AuditEntry.id).limit(1)).first() is not None
    )


def add_entry(session: Session, **values) -> None:
    session.execute(AuditEntry.__table__.insert().values(**values))


def set_head_hash(session: Session, digest: str) -> None:
    session.execute(update(AuditHead.__table__).where(AuditHead.id == HEAD_ID).values(hash=digest))


def read_head(session: Session) -> tuple[int, str] | None:
    # A fresh read every time (not the session's identity map): appends go on while we verify.
    table = AuditHead.__table__
    row = session.execute(select(table.c.seq, table.c.hash).where(table.c.id == HEAD_ID)).first()
    return None if row is None else (row.seq, row.hash)


def read_anchor(session: Session) -> Row | None:
    table = AuditAnchor.__table__
    return session.execute(select(table.c.seq, table.c.hash)).first()


def entries_in_order(session: Session) -> Result:
    """Every entry by seq, streamed (close the result when done)."""
    table = AuditEntry.__table__
    return session.execute(
        select(table).order_by(table.c.seq, table.c.id).execution_options(yield_per=2000)
    )


def last_entry_before(session: Session, before: datetime) -> Row | None:
    """(seq, hash) of the last entry of the run from the chain's start written before `before`."""
    table = AuditEntry.__table__
    first_kept = session.execute(
        select(func.min(table.c.seq)).where(table.c.at >= before)
    ).scalar_one()
    cut = select(table.c.seq, table.c.hash)
    if first_kept is not None:
        cut = cut.where(table.c.seq < first_kept)
    return session.execute(cut.order_by(table.c.seq.desc()).limit(1)).first()


def delete_through(session: Session, seq: int) -> int:
    """Delete the entries up to and including `seq`; how many went."""
    table = AuditEntry.__table__
    return session.execute(table.delete().where(table.c.seq <= seq)).rowcount


def set_anchor(session: Session, *, seq: int, digest: str, at: datetime) -> None:
    anchor = session.get(AuditAnchor, HEAD_ID)
    if anchor is None:
        session.add(AuditAnchor(id=HEAD_ID, seq=seq, hash=digest, purged_at=at))
    else:
        anchor.seq, anchor.hash, anchor.purged_at = seq, digest, at
    session.flush()


def entry_at(session: Session, seq: int) -> Row | None:
    """(seq, hash) of the entry with this seq."""
    table = AuditEntry.__table__
    return session.execute(select(table.c.seq, table.c.hash).where(table.c.seq == seq)).first()


def entry_with_hash(session: Session, digest: str) -> Row | None:
    """(seq, hash) of the entry with this hash (an operator's check, not a hot path)."""
    table = AuditEntry.__table__
    return session.execute(
        select(table.c.seq, table.c.hash).where(table.c.hash == digest).limit(1)
    ).first()
