"""The store: submissions and their versions, files, accounts, sign-in throttling, audit,
published issues and rules versions.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# A revision keeps its own copy of the columns: later changes to schema.py must not change it.
COUNTS = ("inspections", "hazards", "major_hazards", "rectified", "halted", "cases", "detentions")


def _counts() -> list[sa.Column]:
    return [
        *(sa.Column(c, sa.BigInteger, nullable=False) for c in COUNTS),
        sa.Column("fines_wan", sa.Float, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "turns",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("taken", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.String(64), nullable=False, unique=True),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.Column("submitted_by", sa.Text, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("corrected", sa.Integer, nullable=False),
    )
    op.create_table(
        "report_versions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("submission_seq", sa.Integer, sa.ForeignKey("submissions.seq"), nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("town_code", sa.String(64), nullable=False),
        *_counts(),
    )
    op.create_index("report_versions_by_town_day", "report_versions", ["town_code", "date"])
    op.create_index("report_versions_by_submission", "report_versions", ["submission_seq"])
    op.create_table(
        "current_reports",
        sa.Column("town_code", sa.String(64), primary_key=True),
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        *_counts(),
    )
    op.create_index("current_reports_by_seq", "current_reports", ["seq"])
    op.create_index("current_reports_by_date", "current_reports", ["date"])
    op.create_table(
        "accounts",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("town_code", sa.String(64)),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("failures", sa.Text, nullable=False),
        sa.Column("lockouts", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Float),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_table(
        "issues",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("published_by", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.UniqueConstraint("day", "version", name="issues_one_version_per_day"),
    )
    op.create_table(
        "rules_versions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "rules_versions",
        "issues",
        "audit_events",
        "signin_throttle",
        "accounts",
        "current_reports",
        "report_versions",
        "submissions",
        "files",
        "turns",
    ):
        op.drop_table(table)
