"""Record-level data as received: one batch of new or changed records per import, its
records as Parquet parts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_batches",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("received_by", sa.Text, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("submission_seq", sa.Integer, sa.ForeignKey("submissions.seq")),
        sa.Column("new_records", sa.BigInteger, nullable=False),
        sa.Column("changed_records", sa.BigInteger, nullable=False),
        sa.Column("unchanged_records", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "record_parts",
        sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
        sa.Column("table_name", sa.String(16), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_parts")
    op.drop_table("record_batches")
