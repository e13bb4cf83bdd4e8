"""Bulk writes of a synthetic collection history (`bot.demo.history`): ledger rows only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.ledger import models as m

# Parents before children, so every foreign key finds its row.
TABLE_ORDER = (
    ("accounts", m.Account),
    ("conversations", m.Conversation),
    ("conversation_turns", m.Turn),
    ("contact_attempts", m.ContactAttempt),
    ("promises", m.Promise),
    ("instalment_requests", m.InstalmentRequest),
    ("disputes", m.Dispute),
    ("already_paid_claims", m.AlreadyPaidClaim),
    ("hardship_notes", m.HardshipNote),
    ("callback_requests", m.CallbackRequest),
    ("opt_outs", m.OptOut),
    ("wrong_number_flags", m.WrongNumberFlag),
    ("escalations", m.Escalation),
    ("payments", m.Payment),
    ("follow_ups", m.FollowUp),
)
TABLES = tuple(name for name, _model in TABLE_ORDER)
CHUNK = 5000


def write_rows(session: Session, rows: dict[str, list[dict]]) -> None:
    """Insert each table's rows (column dicts) as bulk (executemany) inserts, 5,000 at a time."""
    for name, model in TABLE_ORDER:
        table_rows = rows.get(name)
        for chunk in range(0, len(table_rows or ()), CHUNK):
            session.execute(model.__table__.insert(), table_rows[chunk : chunk + CHUNK])
