"""The home directory: everything one deployment owns, and where each piece lives in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> "Home":
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
    def submissions(self) -> Path:
        """Append-only log: one immutable Parquet file per accepted submission."""
        return self.root / "log" / "submissions"

    @property
    def originals(self) -> Path:
        """Every uploaded file as received, named by its SHA-256."""
        return self.root / "log" / "originals"

    @property
    def warehouse(self) -> Path:
        """Derived DuckDB file; rebuilt from the log and swapped in atomically."""
        return self.root / "warehouse.duckdb"

    @property
    def bulletins(self) -> Path:
        return self.root / "bulletins"

    @property
    def accounts(self) -> Path:
        return self.root / "accounts"

    @property
    def audit(self) -> Path:
        return self.root / "log" / "audit"

    def ensure(self) -> "Home":
        for path in (self.root, self.submissions, self.originals, self.bulletins, self.audit):
            path.mkdir(parents=True, exist_ok=True)
        return self
