"""opt-outs hold the phone number they were made for (consent is the number's subscriber's)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_opt_outs_phone"), ["phone"], unique=False)
    # Opt-outs recorded before: the number their account had then is not known; its current
    # number is the best there is (what the gate joined on until now).
    op.execute(
        "UPDATE opt_outs SET phone = (SELECT accounts.phone FROM accounts"
        " WHERE accounts.account_id = opt_outs.account_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opt_outs_phone"))
        batch_op.drop_column("phone")
