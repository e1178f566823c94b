"""Period bulletins and supervision: each issue names its period (a day's issues keep
period_kind 'day'), and the 督办事项 with their history and the builds checked.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("period_kind", sa.String(16), nullable=False, server_default="day"))
        batch.add_column(sa.Column("period", sa.String(32), nullable=False, server_default=""))
        batch.drop_constraint("issues_one_version_per_day", type_="unique")
        batch.create_unique_constraint("issues_one_version_per_period", ["period_kind", "period", "day", "version"])
    op.create_table(
        "supervision_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("town_code", sa.String(64), nullable=False),
        sa.Column("trigger_key", sa.String(200), unique=True),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("card", sa.String(8)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_supervision_items_town_code", "supervision_items", ["town_code"])
    op.create_index("ix_supervision_items_status", "supervision_items", ["status"])
    op.create_table(
        "supervision_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("supervision_items.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("files", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("ix_supervision_events_item_id", "supervision_events", ["item_id"])
    op.create_table(
        "supervision_checks",
        sa.Column("build", sa.String(64), primary_key=True),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("supervision_checks", "supervision_events", "supervision_items"):
        op.drop_table(table)
    with op.batch_alter_table("issues") as batch:
        batch.drop_constraint("issues_one_version_per_period", type_="unique")
        batch.create_unique_constraint("issues_one_version_per_day", ["day", "version"])
        batch.drop_column("period")
        batch.drop_column("period_kind")
