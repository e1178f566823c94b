"""推送: the outbox of messages to channels, every delivery attempt, the channels senders lock
to keep a robot's pace, and the sender's heartbeat.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False, server_default="{}"),
        sa.Column("town_code", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_try_at", sa.DateTime, nullable=False),
        sa.Column("claim", sa.String(64)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("channel", "key", name="outbox_once_per_channel"),
    )
    op.create_index("outbox_due", "outbox", ["status", "next_try_at"])
    op.create_table(
        "outbox_attempts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("result", sa.String(16)),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_outbox_attempts_message_id", "outbox_attempts", ["message_id"])
    op.create_index("outbox_attempts_pacing", "outbox_attempts", ["channel", "started_at"])
    op.create_table(
        "outbox_channels",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "sender_heartbeats",
        sa.Column("sender", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("sender_heartbeats", "outbox_channels", "outbox_attempts", "outbox"):
        op.drop_table(table)
