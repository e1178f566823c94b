"""A 约谈's arrangements: the time, place and attendees the office sets before its 约谈通知书
is issued, one row per 约谈 item.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_interviews",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("supervision_items.id"), primary_key=True),
        sa.Column("meets_at", sa.DateTime, nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("attendees", sa.Text, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("supervision_interviews")
