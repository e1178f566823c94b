"""Versioned schema migrations (Alembic): a store is brought to the newest revision when it
is opened, so a new release upgrades a live deployment in place."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (a test holds it to Alembic's own head): a store
# already there is opened without loading Alembic, which takes a quarter of a second.
SCHEMA_REVISION = "0011"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("select version_num from alembic_version")).scalar_one_or_none()


class NewerStore(RuntimeError):
    """The store was made by a newer release: this code does not know its schema."""


def upgrade_schema(engine: Engine) -> None:
    """Apply every revision the store has not had yet (none when it is up to date). A store at
    a revision this release does not know is refused, untouched."""
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION:
        return
    from alembic import command  # only here, where the schema changes
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if revision is not None and revision not in known:
        raise NewerStore(revision)
    command.upgrade(config, "head")
