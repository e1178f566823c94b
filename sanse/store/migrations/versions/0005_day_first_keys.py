"""A day's reports land together: the versions' index and the current figures' key lead with
the day, not the town. Ordered by town, a day's upload of every town wrote one page per town
into each, more pages every month of the campaign; ordered by day, it writes a few new pages
at the end. The separate index on the current figures' day is then the key itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A revision keeps its own copy of the columns: later changes to schema.py must not change it.
COUNTS = ("inspections", "hazards", "major_hazards", "rectified", "halted", "cases", "detentions")
COLUMNS = ("town_code", "date", "seq", *COUNTS, "fines_wan")


def _current_reports(name: str, key: tuple[str, str]) -> None:
    op.create_table(
        name,
        sa.Column("town_code", sa.String(64), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        *(sa.Column(c, sa.BigInteger, nullable=False) for c in COUNTS),
        sa.Column("fines_wan", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(*key, name="current_reports_pkey"),
    )


def _rekey(key: tuple[str, str]) -> None:
    """The current figures under the primary key `key`: altered in place on PostgreSQL, copied
    into a new table on SQLite (which cannot change a primary key)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table current_reports drop constraint current_reports_pkey")
        op.create_primary_key("current_reports_pkey", "current_reports", list(key))
        return
    columns = ", ".join(COLUMNS)
    _current_reports("current_reports_rekeyed", key)
    op.execute(f"insert into current_reports_rekeyed ({columns}) select {columns} from current_reports")
    op.drop_table("current_reports")  # and its indexes
    op.rename_table("current_reports_rekeyed", "current_reports")
    op.create_index("current_reports_by_seq", "current_reports", ["seq"])


def upgrade() -> None:
    op.drop_index("report_versions_by_town_day", "report_versions")
    op.create_index("report_versions_by_day_town", "report_versions", ["date", "town_code"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("current_reports_by_date", "current_reports")
    _rekey(("date", "town_code"))


def downgrade() -> None:
    _rekey(("town_code", "date"))
    op.create_index("current_reports_by_date", "current_reports", ["date"])
    op.drop_index("report_versions_by_day_town", "report_versions")
    op.create_index("report_versions_by_town_day", "report_versions", ["town_code", "date"])
