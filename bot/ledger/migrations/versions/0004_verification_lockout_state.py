"""verification failures and locks, the dialogue state kept server-side, keyed verification hashes

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialogue_state", sa.Text(), nullable=True))

    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verification_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_failures_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verification_failures_conversation_id"),
            ["conversation_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_verification_failures_at"), ["at"], unique=False)

    op.create_table(
        "verification_locks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_locks_account_id"), ["account_id"], unique=False
        )

    _key_the_stored_hashes()


def _key_the_stored_hashes() -> None:
    """Wrap every stored SHA-256 in the HMAC (bot/conversation/verification.py): the answers are
    not needed, and from now on a copy of the ledger alone cannot be brute-forced. Uses this
    process's key: run the migration with the deployment's settings (`reminderbot` does)."""
    from bot.conversation.verification import hash_key, keyed

    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT account_id, dob_hash, last4_hash FROM accounts")
    ).fetchall()
    if not rows:
        return
    key = hash_key()
    for account_id, dob_hash, last4_hash in rows:
        connection.execute(
            sa.text("UPDATE accounts SET dob_hash = :d, last4_hash = :l WHERE account_id = :a"),
            {"d": keyed(key, dob_hash), "l": keyed(key, last4_hash), "a": account_id},
        )


def downgrade() -> None:
    # The keyed hashes cannot be unwrapped: after a downgrade, re-import the portfolio.
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_locks_account_id"))
    op.drop_table("verification_locks")
    with op.batch_alter_table("verification_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_failures_at"))
        batch_op.drop_index(batch_op.f("ix_verification_failures_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_verification_failures_account_id"))
    op.drop_table("verification_failures")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("dialogue_state")
