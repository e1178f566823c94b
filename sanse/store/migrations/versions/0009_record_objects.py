"""Records kept as objects: each file of an import as received (zstd Parquet), addressed by the
SHA-256 of its bytes, and a manifest of the objects each batch holds. The Parquet parts of
revision 0004 become objects of their own (their records hold town codes), listed by the batch
they belonged to; record_parts goes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import hashlib
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHUNK_BYTES = 16 << 20  # a revision keeps its own copy of what it relies on
DAYS = {"inspections": ("date",), "hazards": ("found_date", "rectified_date"), "enforcement": ("date",)}

parts = sa.table(
    "record_parts",
    sa.column("batch_seq", sa.Integer),
    sa.column("table_name", sa.String),
    sa.column("part", sa.Integer),
    sa.column("rows", sa.BigInteger),
    sa.column("content", sa.LargeBinary),
)


def upgrade() -> None:
    op.add_column("record_batches", sa.Column("towns", sa.Text))
    objects = op.create_table(
        "record_objects",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("table_name", sa.String(16), nullable=False),
        sa.Column("received_as", sa.String(16), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("id_lo", sa.BigInteger),
        sa.Column("id_hi", sa.BigInteger),
        sa.Column("first_day", sa.Date),
        sa.Column("last_day", sa.Date),
    )
    chunks = op.create_table(
        "record_object_chunks",
        sa.Column("key", sa.String(64), sa.ForeignKey("record_objects.key"), primary_key=True),
        sa.Column("chunk", sa.Integer, primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    manifest = op.create_table(
        "record_batch_objects",
        sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
        sa.Column("key", sa.String(64), sa.ForeignKey("record_objects.key"), primary_key=True),
    )
    bind = op.get_bind()
    listed = bind.execute(sa.select(parts.c.batch_seq, parts.c.table_name, parts.c.part).order_by(parts.c.batch_seq))
    for batch_seq, table, part in listed.all():
        content = bind.execute(
            sa.select(parts.c.content).where(
                parts.c.batch_seq == batch_seq, parts.c.table_name == table, parts.c.part == part
            )
        ).scalar_one()
        key = hashlib.sha256(content).hexdigest()
        if not bind.execute(sa.select(objects.c.key).where(objects.c.key == key)).first():
            bind.execute(sa.insert(objects).values(key=key, table_name=table, **_described(table, content)))
            for number, start in enumerate(range(0, len(content), CHUNK_BYTES)):
                bind.execute(
                    sa.insert(chunks).values(key=key, chunk=number, content=content[start : start + CHUNK_BYTES])
                )
        bind.execute(sa.insert(manifest).values(batch_seq=batch_seq, key=key))
    op.drop_table("record_parts")


def _described(table: str, content: bytes) -> dict:
    """What the manifest says of a part: its rows, size, and the ranges of its ids and days."""
    records = pq.read_table(io.BytesIO(content))
    ids = records.column("id")
    integer = pa.types.is_integer(ids.type)
    days = [records.column(d) for d in DAYS[table]]
    firsts = [pc.min(d).as_py() for d in days if d.null_count < len(d)]
    lasts = [pc.max(d).as_py() for d in days if d.null_count < len(d)]
    return {
        "received_as": "coded",
        "rows": records.num_rows,
        "size": len(content),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "id_lo": pc.min(ids).as_py() if integer and records.num_rows else None,
        "id_hi": pc.max(ids).as_py() if integer and records.num_rows else None,
        "first_day": min(firsts) if firsts else None,
        "last_day": max(lasts) if lasts else None,
    }


def downgrade() -> None:
    """The tables of revision 0004, empty: objects received as files have no parts to go back to."""
    op.create_table(
        "record_parts",
        sa.Column("batch_seq", sa.Integer, sa.ForeignKey("record_batches.seq"), primary_key=True),
        sa.Column("table_name", sa.String(16), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.drop_table("record_batch_objects")
    op.drop_table("record_object_chunks")
    op.drop_table("record_objects")
    op.drop_column("record_batches", "towns")
