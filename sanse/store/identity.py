"""One store per home (design §13): the home and its store share an id, written in both when the
home is made (the file store.id, the table store_identity). A home whose store is elsewhere
(PostgreSQL) run without SANSE_DATABASE_URL would otherwise make a new SQLite store beside it
and write there, out of step with the shared one; a URL naming another deployment's store
would mix two deployments. Both are refused before anything is written."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa

from sanse.facts import clock
from sanse.store import schema
from sanse.store.database import Store, StoreError

ID_FILE = "store.id"
NO_URL = (
    "本目录的数据保存在另一个数据库服务器上（例如 PostgreSQL），但没有设置 SANSE_DATABASE_URL："
    "请设置后再运行。没有新建数据库，也没有写入任何数据。"
)
OTHER_STORE = (
    "本目录与所连接的数据库不属于同一套部署：请检查 SANSE_DATABASE_URL 是否指向本目录的数据库。没有写入任何数据。"
)

_checked: set[tuple[str, str]] = set()
_checked_lock = threading.Lock()


class OtherStore(StoreError):
    """The store at hand is not this home's; nothing was created or written."""


def home_id(root: Path) -> str | None:
    try:
        return (Path(root) / ID_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def refuse_new_store(root: Path, url: str) -> None:
    """Before opening: a home that has a store already never gets a new SQLite file."""
    if (url, str(root)) in _checked or not url.startswith("sqlite"):
        return
    path = sa.engine.make_url(url).database
    if path and path != ":memory:" and not Path(path).exists() and home_id(root) is not None:
        raise OtherStore(NO_URL)


def check_identity(store: Store, root: Path, url: str) -> None:
    """After opening: the store is this home's, or both are new (or older than their ids) and
    get one now; a home new to a store that has its id already joins it (another server)."""
    key = (url, str(root))
    if key in _checked:
        return
    with _checked_lock:
        if key in _checked:
            return
        ours = home_id(root)
        with store.reading() as conn:
            theirs = conn.execute(sa.select(schema.store_identity.c.id)).scalar()
        if ours is not None and ours != theirs:
            raise OtherStore(OTHER_STORE)
        if theirs is None:
            theirs = _name_store(store)
        if ours is None:
            write_home_id(root, theirs)
        _checked.add(key)


def _name_store(store: Store) -> str:
    with store.writing("identity") as conn:
        found = conn.execute(sa.select(schema.store_identity.c.id)).scalar()
        if found is None:  # the first of processes opening a new store at once
            found = str(uuid.uuid4())
            conn.execute(sa.insert(schema.store_identity).values(id=found, made_at=clock.now_utc()))
        return found


def write_home_id(root: Path, identity: str) -> None:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    temporary = root / f".{ID_FILE}.tmp"
    temporary.write_text(identity + "\n", encoding="utf-8")
    os.replace(temporary, root / ID_FILE)
