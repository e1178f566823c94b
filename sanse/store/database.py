"""The connection to the store: a SQLite file under the home by default (WAL mode), or the
PostgreSQL server named by SANSE_DATABASE_URL, behind one SQLAlchemy Core code path."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sanse.store import schema
from sanse.store.migrate import SCHEMA_REVISION, NewerStore, current_revision, upgrade_schema

DATABASE_URL_ENV = "SANSE_DATABASE_URL"
SQLITE_FILE = "sanse.db"
BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another's turn before giving up
WAL_BYTES_KEPT = 64 << 20  # SQLite's write-ahead log is cut back to this size once folded into the database
log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be reached or read; the message is for the user. `detail` (where the
    store is, what the driver said) is for the server's log and the operator's shell only."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


UNREACHABLE = "暂时无法读写数据库。已写入的数据不受影响，请稍后再试或联系管理员（详情在服务器日志中）"


@dataclass(frozen=True)
class Store:
    engine: Engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A transaction that sees one consistent state of the store."""
        with _translated(self), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one state of the whole store across many queries (a
        backup): SQLite's read transactions do; PostgreSQL's must ask for repeatable read."""
        with _translated(self), self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def writing(self, *turns: str) -> Iterator[Connection]:
        """A transaction that commits all of its writes or none. Writers naming the same turn
        take turns, so what they read before writing stays true until they commit."""
        with _translated(self), _writer_queue(self.engine), self.engine.connect() as conn:
            with conn.execution_options(sanse_write=True).begin():
                for name in sorted(turns):
                    _take_turn(conn, name)
                yield conn


@contextmanager
def _writer_queue(engine: Engine) -> Iterator[None]:
    """SQLite writes one transaction at a time, and a writer that finds the file locked sleeps
    and retries: fifty uploads at once would mostly sleep. A lock file beside the database
    queues them instead, in every process on this machine."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.writers", "a") as queue:
        fcntl.flock(queue, fcntl.LOCK_EX)
        yield


def _take_turn(conn: Connection, name: str) -> None:
    """Hold the row of turn `name` until this transaction ends (made the first time it is taken)."""
    take = sa.update(schema.turns).where(schema.turns.c.name == name).values(taken=schema.turns.c.taken + 1)
    if conn.execute(take).rowcount:
        return
    try:
        with conn.begin_nested():  # two first writers both insert: one row stays, the other waits for it
            conn.execute(sa.insert(schema.turns).values(name=name, taken=0))
    except sa.exc.IntegrityError:
        pass
    conn.execute(take)


def database_url(root: Path) -> str:
    """SANSE_DATABASE_URL, else the SQLite file in the home directory `root`."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    return with_driver(url) if url else f"sqlite:///{Path(root) / SQLITE_FILE}"


def with_driver(url: str) -> str:
    """A postgresql:// URL names the driver the project installs (psycopg 3)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def open_store(url: str) -> Store:
    """The store at `url`, its schema brought up to date; one engine per URL per process."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engine(url)
            store = Store(engine)
            with _translated(store):
                if current_revision(engine) != SCHEMA_REVISION:
                    # Two processes opening a new store at once would both migrate it: they queue
                    # (only then: a writer holding the queue must not keep readers from opening).
                    with _writer_queue(engine):
                        try:
                            upgrade_schema(engine)
                        except NewerStore as exc:
                            engine.dispose()
                            raise StoreError(
                                f"数据库由更新版本的 Sanse 建立（数据库版本 {exc}，本版本只到 {SCHEMA_REVISION}）："
                                "请升级 Sanse 后再使用。数据库未作任何改动"
                            ) from None
            _engines[url] = engine
    return Store(engine)


def close_all() -> None:
    """Dispose of every engine (tests that delete a home, forked processes)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _sqlite_connect(dbapi_connection, _record) -> None:
    # SQLAlchemy emits BEGIN itself (below), so that a writer can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _wal(cursor)
    cursor.execute("pragma synchronous = full")  # a committed upload survives a power cut
    cursor.execute("pragma foreign_keys = on")
    cursor.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    # the log of a large transaction (a province's year of records) shrinks back after it is folded in
    cursor.execute(f"pragma journal_size_limit = {WAL_BYTES_KEPT}")
    cursor.close()


def _wal(cursor) -> None:
    """Write-ahead logging, so readers never wait for a writer. Switching a new database to it
    takes an exclusive lock that SQLite does not wait for (its busy handler is not called):
    processes opening a new store at once try again until the first has switched it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("pragma journal_mode = wal")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock at BEGIN: two writers never both read, then collide.
    immediate = conn.get_execution_options().get("sanse_write", False)
    conn.exec_driver_sql("begin immediate" if immediate else "begin")


@contextmanager
def _translated(store: Store) -> Iterator[None]:
    """Database failures as a StoreError naming the store, never a driver traceback."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        if isinstance(exc, sa.exc.IntegrityError):
            raise  # a rule of the data; the caller says what it means
        log.exception("store %s failed", store.url)
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreError(UNREACHABLE, f"{store.url}: {detail}") from exc
