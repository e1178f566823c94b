"""Backups of a deployment (design §13): `sanse backup` writes one portable archive of everything
that cannot be rebuilt — every table of the store as one consistent snapshot (record objects and
uploaded files included), towns.csv, rules.toml, channels.toml and the schema revision — while
the dashboard serves; `sanse restore` fills an empty home from it on SQLite or PostgreSQL, which
is also how a deployment moves from one to the other. Signed-in sessions are not carried.

The archive is a zip file: manifest.json, one JSON-lines file per table under store/, and the
home's files under home/. Values are written by column type (dates as ISO text, bytes as
base64), so the archive reads the same on either database.
"""

from __future__ import annotations

import base64
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.store import database_url, open_store, schema
from sanse.store.identity import ID_FILE, write_home_id
from sanse.store.migrate import SCHEMA_REVISION

FORMAT = "sanse-backup-1"
HOME_FILES = ("towns.csv", "rules.toml", "channels.toml")
NOT_CARRIED = ("sessions",)  # signing in again after a restore is the safe side
BATCH = 500  # rows a statement inserts on restore


class BackupError(Exception):
    """The message is for the operator as it is."""


@dataclass(frozen=True)
class Restored:
    revision: str
    rows: dict[str, int]


def write_backup(home: Home, out: Path) -> dict[str, int]:
    """Write the archive to `out` (whole or not at all); the rows written per table."""
    store = home.store
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    counts: dict[str, int] = {}
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with store.snapshot() as conn:
                for table in _tables():
                    entry = zipfile.ZipInfo(f"store/{table.name}.jsonl", clock.now().timetuple()[:6])
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    with archive.open(entry, "w") as file:
                        counts[table.name] = 0
                        for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                            file.write(_line(table, row._mapping))
                            counts[table.name] += 1
            for name in HOME_FILES:
                if (home.root / name).exists():
                    archive.write(home.root / name, f"home/{name}")
            manifest = {
                "format": FORMAT,
                "revision": SCHEMA_REVISION,
                "written_at": clock.now_utc().isoformat(timespec="seconds"),
                "rows": counts,
            }
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return counts


def restore_backup(home: Home, source: Path) -> Restored:
    """Fill the empty home `home` (and its empty store) from the archive at `source`."""
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError("无法读取备份文件：它不是 sanse backup 写出的备份") from exc
    with archive:
        manifest = _manifest(archive)
        if manifest["revision"] != SCHEMA_REVISION:
            raise BackupError(
                f"备份的数据库结构版本（{manifest['revision']}）与本程序的（{SCHEMA_REVISION}）不同："
                "请用写出备份的版本恢复，再升级"
            )
        taken = [name for name in (*HOME_FILES, ID_FILE) if (home.root / name).exists()]
        if taken:
            raise BackupError(f"只能恢复到空的目录：这里已有 {'、'.join(taken)}。没有写入任何数据")
        store = open_store(database_url(home.root))
        with store.writing() as conn:
            if any(conn.execute(sa.select(table).limit(1)).first() for table in _tables()):
                raise BackupError("只能恢复到空的数据库：所连接的数据库里已有数据。没有写入任何数据")
            rows = {table.name: _insert(conn, table, archive) for table in _tables()}
            _continue_numbering(conn)
        home.ensure()
        for name in HOME_FILES:
            if f"home/{name}" in archive.namelist():
                (home.root / name).write_bytes(archive.read(f"home/{name}"))
        with store.reading() as conn:
            identity = conn.execute(sa.select(schema.store_identity.c.id)).scalar()
        if identity is not None:
            write_home_id(home.root, identity)
    return Restored(manifest["revision"], rows)


def _tables() -> list[sa.Table]:
    """Every table of the store that a backup carries, parents before children."""
    return [t for t in schema.metadata.sorted_tables if t.name not in NOT_CARRIED]


def _line(table: sa.Table, row) -> bytes:
    values = {c.name: _dump(c.type, row[c.name]) for c in table.columns}
    return (json.dumps(values, ensure_ascii=False) + "\n").encode("utf-8")


def _dump(kind, value):
    if value is None:
        return None
    if isinstance(kind, sa.LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load(kind, value):
    if value is None:
        return None
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, schema.UtcDateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    return value


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError("无法读取备份文件：缺少清单（manifest.json）") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("无法读取备份文件：它不是 sanse backup 写出的备份")
    return manifest


def _insert(conn: Connection, table: sa.Table, archive: zipfile.ZipFile) -> int:
    name = f"store/{table.name}.jsonl"
    if name not in archive.namelist():
        return 0
    count = 0
    for batch in _batches(archive, name, table):
        conn.execute(sa.insert(table), batch)
        count += len(batch)
    return count


def _batches(archive: zipfile.ZipFile, name: str, table: sa.Table) -> Iterator[list[dict]]:
    batch: list[dict] = []
    with archive.open(name) as file:
        for line in file:
            values = json.loads(line)
            batch.append({c.name: _load(c.type, values.get(c.name)) for c in table.columns})
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _continue_numbering(conn: Connection) -> None:
    """PostgreSQL numbers new rows from a sequence, which rows inserted with their numbers do
    not move: each sequence continues after the highest number restored."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            sa.text(
                f"select setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"coalesce(max({column.name}), 1), max({column.name}) is not null) from {table.name}"
            )
        )
