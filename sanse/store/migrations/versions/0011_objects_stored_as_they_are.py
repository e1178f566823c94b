"""The bytes of record objects, and of a batch's counts, stored on PostgreSQL as they are: both
are zstd already, and PostgreSQL's attempt to compress each value again (its default storage)
made storing a province-year's 136 MB of objects take 2.5 times as long. SQLite stores bytes as
they are anyway. Values stored before keep their storage; the next ones are stored as they are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = (("record_object_chunks", "content"), ("record_counts", "content"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in _COLUMNS:
            op.execute(f"alter table {table} alter column {column} set storage external")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in _COLUMNS:
            op.execute(f"alter table {table} alter column {column} set storage extended")
