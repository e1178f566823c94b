"""Alembic's entry point: runs the revisions on the engine the store opened."""

from alembic import context

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    # SQLite alters a table by copying it: batch mode does that for every revision.
    context.configure(connection=connection, render_as_batch=True, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
