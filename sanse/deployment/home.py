"""The home directory: everything one deployment owns, and where each piece lives in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sanse.store import Store, database_url, open_store
from sanse.store.identity import check_identity, refuse_new_store
from sanse.store.upgrade import carry_in_once


@dataclass(frozen=True)
class Home:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        """`--home DIR`, else `SANSE_HOME`, else `./data`."""
        chosen = home or os.environ.get("SANSE_HOME") or "data"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def towns_csv(self) -> Path:
        return self.root / "towns.csv"

    @property
    def rules_toml(self) -> Path:
        return self.root / "rules.toml"

    @property
    def warehouse(self) -> Path:
        """The manifest of the current build: derived from the store, private to this server."""
        return self.root / "warehouse" / "manifest.json"

    @property
    def record_objects(self) -> Path:
        """This server's copies of the records received (pipelines/records/objects.py): the
        store's record objects, fetched once each, derived and private like the warehouse."""
        return self.root / "record-objects"

    @property
    def store(self) -> Store:
        """The store of this deployment: SQLite in this directory unless SANSE_DATABASE_URL is set."""
        url = database_url(self.root)
        refuse_new_store(self.root, url)
        store = open_store(url)
        check_identity(store, self.root, url)
        carry_in_once(store, self.root)
        return store

    def ensure(self) -> Home:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
