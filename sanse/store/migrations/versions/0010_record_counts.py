"""The daily counts of a batch of records as one compact table of the store (record_counts)
instead of a report version and a current figure per town-day. The batches imported before
keep their counts as the report versions they wrote: those stay valid, and a later batch or
report stands over them as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_counts",
        sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
        sa.Column("after_version", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_counts")
