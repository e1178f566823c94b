"""Signed-in sessions on SQLite and PostgreSQL: a token signs its browser in until it expires,
its user signs out, or the account is disabled or given a new password; the store holds only
the token's SHA-256."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from sanse.access import accounts
from sanse.access.accounts import add_user, disable_user, enable_user, set_password
from sanse.access.roles import access_settings
from sanse.access.sessions import end_session, session_user, start_session
from sanse.deployment.demo import demo_settings, demo_towns
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import settings_from_text, write_settings
from sanse.deployment.towns import write_towns
from sanse.store import schema

PASSWORD = "office password 1"


@pytest.fixture
def home(store_url, tmp_path: Path, monkeypatch) -> Home:
    """A home on each database, with one admin and one town account."""
    monkeypatch.setenv("SANSE_DATABASE_URL", store_url)
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    home = Home(tmp_path / "home").ensure()
    write_towns(demo_towns(), home.towns_csv)
    write_settings(demo_settings(), home.rules_toml)
    add_user(home, "office", role="admin", password=PASSWORD)
    add_user(home, "clerk", role="town", town="T03", password=PASSWORD)
    return home


def test_a_session_signs_its_browser_in_with_the_accounts_role(home):
    session = start_session(home, accounts.get_user(home, "clerk"), client="10.1.2.3")
    user = session_user(home, session.token)
    assert (user.name, user.role, user.town_code) == ("clerk", "town", "T03")


def test_the_store_keeps_only_the_tokens_digest(home):
    session = start_session(home, accounts.get_user(home, "office"), client="10.1.2.3")
    with home.store.reading() as conn:
        rows = conn.execute(sa.select(schema.sessions)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(session.token.encode()).hexdigest()
    assert session.token not in str(dict(rows[0]))
    assert rows[0]["account_key"] == "office" and rows[0]["client"] == "10.1.2.3"


def test_an_unknown_or_empty_token_signs_no_one_in(home):
    start_session(home, accounts.get_user(home, "office"))
    assert session_user(home, "not-a-token") is None
    assert session_user(home, "") is None
    assert session_user(home, None) is None


def test_a_session_lasts_its_hours_and_no_longer(home):
    T0 = datetime.now(UTC)
    session = start_session(home, accounts.get_user(home, "office"), hours=10, now=T0)
    assert session_user(home, session.token, now=T0 + timedelta(hours=9, minutes=59)) is not None
    assert session_user(home, session.token, now=T0 + timedelta(hours=10)) is None


def test_expired_sessions_are_cleared_when_another_starts(home):
    T0 = datetime.now(UTC)
    start_session(home, accounts.get_user(home, "office"), hours=1, now=T0)
    start_session(home, accounts.get_user(home, "clerk"), hours=1, now=T0 + timedelta(hours=2))
    with home.store.reading() as conn:
        assert [r.account_key for r in conn.execute(sa.select(schema.sessions.c.account_key))] == ["clerk"]


def test_signing_out_ends_that_session_only(home):
    user = accounts.get_user(home, "office")
    phone, desktop = start_session(home, user), start_session(home, user)
    end_session(home, phone.token)
    assert session_user(home, phone.token) is None
    assert session_user(home, desktop.token) == user


def test_disabling_the_account_ends_its_sessions_and_enabling_does_not_bring_them_back(home):
    session = start_session(home, accounts.get_user(home, "clerk"))
    disable_user(home, "clerk")
    assert session_user(home, session.token) is None
    enable_user(home, "clerk")
    assert session_user(home, session.token) is None


def test_a_new_password_ends_the_sessions_begun_before_it(home):
    before = start_session(home, accounts.get_user(home, "clerk"))
    set_password(home, "clerk", "a new password 2")
    after = start_session(home, accounts.get_user(home, "clerk"))
    assert session_user(home, before.token) is None
    assert session_user(home, after.token).name == "clerk"


def test_a_session_older_than_the_password_is_refused_even_if_its_row_is_left(home):
    # Another server's password change, say, whose delete this store never saw.
    session = start_session(home, accounts.get_user(home, "clerk"), now=datetime.now(UTC) - timedelta(minutes=1))
    with home.store.writing() as conn:
        conn.execute(
            sa.update(schema.accounts).where(schema.accounts.c.key == "clerk").values(changed_at=datetime.now(UTC))
        )
    assert session_user(home, session.token) is None


def test_a_changed_role_applies_to_a_running_session(home):
    session = start_session(home, accounts.get_user(home, "clerk"))
    with home.store.writing() as conn:
        conn.execute(
            sa.update(schema.accounts).where(schema.accounts.c.key == "clerk").values(role="viewer", town_code=None)
        )
    assert session_user(home, session.token).role == "viewer"


def test_session_hours_come_from_access_and_default_to_a_working_day():
    assert access_settings(settings_from_text(None)).session_hours == 10
    text = '[campaign]\ntitle = "每日工作动态"\n\n[access]\nsession_hours = 4\n'
    assert access_settings(settings_from_text(text)).session_hours == 4
    with pytest.raises(ConfigError, match="session_hours"):
        access_settings(settings_from_text("[access]\nsession_hours = 0\n"))
