"""The rules in force (design §2, 4): every version of rules.toml is kept in the store, so every
server ranks by the same rules; admins change them from a date, audited, earlier days untouched.

rules.toml stays the file an operator edits: a content of it the store has never seen becomes
the newest version the next time the rules are read. An admin's change in the app is stored
and written back to this server's rules.toml.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.access.sessions import require_in
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_from_text, settings_to_toml
from sanse.deployment.settings import Rules, Settings
from sanse.durable import write_text_atomically
from sanse.facts import clock
from sanse.store import schema


def settings_in_force(home: Home) -> Settings:
    """The campaign and the rules versions in force for this deployment."""
    return settings_from_text(rules_text(home))


def rules_text(home: Home) -> str | None:
    """The newest rules.toml content, taking in this server's file if it is new to the store."""
    table = schema.rules_versions
    on_disk = home.rules_toml.read_text(encoding="utf-8") if home.rules_toml.exists() else None
    with home.store.reading() as conn:
        latest = conn.execute(sa.select(table.c.text, table.c.sha256).order_by(table.c.seq.desc()).limit(1)).first()
        if on_disk is None or (latest is not None and latest.sha256 == _sha(on_disk)):
            return latest.text if latest is not None else on_disk
        seen = conn.execute(sa.select(table.c.seq).where(table.c.sha256 == _sha(on_disk)).limit(1)).first()
    if seen is not None:
        return latest.text
    settings_from_text(on_disk)  # a file that does not parse is refused, never stored
    with home.store.writing("rules") as conn:
        keep_rules(conn, on_disk, source="file", by="rules.toml")
    return on_disk


def rules_generation(home: Home) -> int:
    """A number that changes whenever the rules in force may have: for caches."""
    with home.store.reading() as conn:
        seq = conn.execute(sa.select(sa.func.max(schema.rules_versions.c.seq))).scalar_one()
    stat = home.rules_toml.stat() if home.rules_toml.exists() else None
    return hash((seq, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0))


def keep_rules(conn: Connection, text: str, *, source: str, by: str, at: datetime | None = None) -> None:
    """Store one version of the rules (whole rules.toml) inside the caller's transaction."""
    conn.execute(
        sa.insert(schema.rules_versions).values(
            text=text,
            sha256=_sha(text),
            source=source,
            changed_by=by,
            changed_at=at or clock.now_utc(),
        )
    )


def change_rules(home: Home, rules: Rules, *, by: User) -> Settings:
    """Add (or replace) the rules version in force from `rules.effective` on."""
    require(by, "change_rules")
    if sum(i.weight for i in rules.indicators) <= 0:
        raise ConfigError("指标权重之和必须大于 0")
    settings = settings_in_force(home).with_version(rules)
    text = settings_to_toml(settings)
    with home.store.writing("rules") as conn:
        require_in(conn, by, "change_rules")
        keep_rules(conn, text, source="app", by=by.name)
        audit.record_in(conn, by.name, "rule_change", effective=rules.effective, rules=asdict(rules))
    write_text_atomically(home.rules_toml, text)
    return settings


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
