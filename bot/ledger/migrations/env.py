"""Alembic environment: run with a connection handed in by bot.ledger.db.migrate."""

from alembic import context

from bot.ledger.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
