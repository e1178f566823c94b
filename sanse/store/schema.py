"""The store's tables: everything a deployment owns and cannot rebuild (design §2, 9).

Changed only through an Alembic revision in `migrations/versions/`, so a live deployment is
upgraded in place; `tests/test_store.py` checks that the revisions build exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sanse.facts.report import COUNTS

metadata = sa.MetaData()
MAX_INTEGER = 2**31 - 1  # an Integer column's largest value on PostgreSQL (SQLite's hold 64 bits)


class UtcDateTime(sa.TypeDecorator):
    """A moment in UTC on every database: SQLite keeps no time zone, so it is stored as UTC
    and handed back as an aware datetime."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a stored moment needs its time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _count_columns() -> list[sa.Column]:
    return [sa.Column(c.key, sa.Float if c.kind == "money" else sa.BigInteger, nullable=False) for c in COUNTS]


# Rows that writers update first, so that writers of one kind take turns on every database
# (SQLite serialises all writers anyway; PostgreSQL holds the row lock to the commit).
turns = sa.Table(
    "turns",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("taken", sa.BigInteger, nullable=False, server_default="0"),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.String(64), nullable=False, unique=True),
    sa.Column("submitted_at", UtcDateTime, nullable=False),
    sa.Column("submitted_by", sa.Text, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("corrected", sa.Integer, nullable=False),
)

# Every version of every town-day ever sent, in the order they were accepted.
report_versions = sa.Table(
    "report_versions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("submission_seq", sa.Integer, sa.ForeignKey("submissions.seq"), nullable=False),
    sa.Column("row_number", sa.Integer),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("town_code", sa.String(64), nullable=False),
    *_count_columns(),
    sa.Index("report_versions_by_day_town", "date", "town_code"),  # a day's uploads land together
    sa.Index("report_versions_by_submission", "submission_seq"),
)

# The latest version of each town-day: what an upload compares with and a build reads.
current_reports = sa.Table(
    "current_reports",
    metadata,
    sa.Column("town_code", sa.String(64), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # report_versions.seq of this version
    *_count_columns(),
    # keyed by day first: a day's uploads write a few pages at the end, not one per town
    sa.PrimaryKeyConstraint("date", "town_code", name="current_reports_pkey"),
    sa.Index("current_reports_by_seq", "seq"),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # the name casefolded
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("town_code", sa.String(64)),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
)

# Recent failed sign-ins of one key (an account name), and its lock-outs.
signin_throttle = sa.Table(
    "signin_throttle",
    metadata,
    sa.Column("key", sa.String(160), primary_key=True),
    sa.Column("failures", sa.Text, nullable=False),  # JSON list of POSIX times
    sa.Column("lockouts", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.Float),
)

# Signed-in browsers (design §8): only the SHA-256 of each session's random token, never the token.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_key", sa.String(64), nullable=False, index=True),  # accounts.key
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.Column("client", sa.String(64)),  # the address it signed in from, when known
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # JSON object
)

# Every published version of every bulletin: the daily issues and each period's 通报 series.
issues = sa.Table(
    "issues",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("day", sa.Date, nullable=False),  # the day, or the last day of the period
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Column("published_by", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),  # the frozen issue as JSON
    sa.Column("period_kind", sa.String(16), nullable=False, server_default="day"),  # each kind is its own series
    sa.Column("period", sa.String(32), nullable=False, server_default=""),  # 2026-10, 2026-W43 ...; "" for a day
    sa.UniqueConstraint("period_kind", "period", "day", "version", name="issues_one_version_per_period"),
)

# Record-level data (design §3.2) as received: each import that brings new or changed records is
# one batch, keeping every file of it as one object. The newest version of a record is the one
# in the batch with the highest seq; batches are written by one importer at a time, so their
# seq is also the order they were committed in.
record_batches = sa.Table(
    "record_batches",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("received_by", sa.Text, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    # the submission of its counts before revision 0010 (null: none changed); since, record_counts
    sa.Column("submission_seq", sa.Integer, sa.ForeignKey("submissions.seq")),
    sa.Column("new_records", sa.BigInteger, nullable=False),
    sa.Column("changed_records", sa.BigInteger, nullable=False),
    sa.Column("unchanged_records", sa.BigInteger, nullable=False),
    # JSON: each spelling of a town in the batch's files -> its code, as towns.csv said then
    # (null for the batches of revision 0004, whose objects hold codes)
    sa.Column("towns", sa.Text),
)

# One file as received, addressed by the SHA-256 of the bytes received: kept as zstd Parquet
# (a Parquet file already in zstd as sent, anything else converted once), never changed. An
# object counts only once a batch lists it (record_batch_objects), in the same transaction.
record_objects = sa.Table(
    "record_objects",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("table_name", sa.String(16), nullable=False),
    sa.Column("received_as", sa.String(16), nullable=False),  # parquet, csv; coded: revision 0004's parts
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),  # bytes kept
    sa.Column("content_sha256", sa.String(64), nullable=False),  # of the bytes kept, checked when read
    sa.Column("id_lo", sa.BigInteger),  # the range of its ids when all are integers (null: text ids)
    sa.Column("id_hi", sa.BigInteger),
    sa.Column("first_day", sa.Date),  # the days its records count on (null: no record)
    sa.Column("last_day", sa.Date),
)

# The bytes of an object, in chunks a database takes in one statement.
record_object_chunks = sa.Table(
    "record_object_chunks",
    metadata,
    sa.Column("key", sa.String(64), sa.ForeignKey("record_objects.key"), primary_key=True),
    sa.Column("chunk", sa.Integer, primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

# The manifest: the objects each batch holds, one per table it brought.
record_batch_objects = sa.Table(
    "record_batch_objects",
    metadata,
    sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
    sa.Column("key", sa.String(64), sa.ForeignKey("record_objects.key"), primary_key=True),
)

# The daily counts (the 3.1 form) of the town-days a batch counted differently, as one zstd
# Parquet table (date, town_code, the counts) rather than a row each: a province's year is half a
# million town-days. A report's current figure is newer than any count of its town-day (a batch
# that counts it again takes that figure away); `after_version` is the newest report version when
# the batch landed, which a build has then seen.
record_counts = sa.Table(
    "record_counts",
    metadata,
    sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
    sa.Column("after_version", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

rules_versions = sa.Table(
    "rules_versions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.Text, nullable=False),  # the whole rules.toml
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # 'file': read from rules.toml; 'app': an admin's change
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
)


# 督办事项 (design §11): one row per item, made once by a trigger occurrence (its `trigger_key`)
# or by an admin; its history, never changed, in supervision_events.
supervision_items = sa.Table(
    "supervision_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("town_code", sa.String(64), nullable=False, index=True),
    sa.Column("trigger_key", sa.String(200), unique=True),  # e.g. red_days:T03:2026-10-04; NULL when made by hand
    sa.Column("measure", sa.String(32), nullable=False),  # 约谈, 挂牌督办, 通报批评, 亮牌 ...
    sa.Column("card", sa.String(8)),  # white, yellow or red when the measure is a card
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),  # the day the trigger was met (or the item made)
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open, answered, returned, closed, withdrawn
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
)

supervision_events = sa.Table(
    "supervision_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supervision_items.id"), nullable=False, index=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # created, answered, closed, returned, withdrawn, reinstated
    sa.Column("text", sa.Text, nullable=False, server_default=""),  # 整改报告, comment or note
    sa.Column("files", sa.Text, nullable=False, server_default="[]"),  # JSON [{sha256, name, size}] in `files`
)

# A 约谈's time, place and who attends (design §12): set by the office before its 约谈通知书 is issued.
supervision_interviews = sa.Table(
    "supervision_interviews",
    metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supervision_items.id"), primary_key=True),
    sa.Column("meets_at", UtcDateTime, nullable=False),
    sa.Column("place", sa.Text, nullable=False),
    sa.Column("attendees", sa.Text, nullable=False),  # who of the town attends
    sa.Column("set_by", sa.Text, nullable=False),
    sa.Column("set_at", UtcDateTime, nullable=False),
)

# The builds whose triggers have been checked: a server checks a build once.
supervision_checks = sa.Table(
    "supervision_checks",
    metadata,
    sa.Column("build", sa.String(64), primary_key=True),
    sa.Column("checked_at", UtcDateTime, nullable=False),
)

# The deployment this store belongs to (design §13): one row, its id written in the home's
# store.id as well when the home is made, so that a home never opens a store of another.
store_identity = sa.Table(
    "store_identity",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("made_at", UtcDateTime, nullable=False),
)


# 推送 (design §12): each message for one channel (a long text is one row per part), queued in the
# transaction of what caused it and delivered once; `claim` names the sender holding it, until
# `lease_until` (a sender killed while sending lets another take it after that).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),  # what it is about: issue:12, town:12:T03, item:5 ...
    sa.Column("kind", sa.String(16), nullable=False),  # bulletin, town, items, overdue, remind, test
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False, server_default="{}"),  # JSON
    sa.Column("town_code", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued, sending, sent, failed (expired), dropped
    sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_try_at", UtcDateTime, nullable=False),
    sa.Column("claim", sa.String(64)),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("channel", "key", name="outbox_once_per_channel"),
    sa.Index("outbox_due", "status", "next_try_at"),
)

# Every attempt to deliver a message: started when claimed, its result when the service answered
# (none: the sender stopped in between).
outbox_attempts = sa.Table(
    "outbox_attempts",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("sender", sa.String(64), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("result", sa.String(16)),  # sent, failed, dry-run; NULL while (or if stopped while) sending
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index("outbox_attempts_pacing", "channel", "started_at"),
)

# One row per channel that has had a message: senders lock it to claim that channel's messages,
# so two senders count one robot's pace together.
outbox_channels = sa.Table(
    "outbox_channels",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
)

# The sender's heartbeat: `notify --watch` updates its row every few seconds.
sender_heartbeats = sa.Table(
    "sender_heartbeats",
    metadata,
    sa.Column("sender", sa.String(64), primary_key=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("seen_at", UtcDateTime, nullable=False),
)
