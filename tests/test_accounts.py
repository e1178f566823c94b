"""Local accounts: argon2id hashes only, throttled sign-in, single-sign-on roles, audited changes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from sanse.access import accounts, signin
from sanse.access.accounts import (
    AccountError,
    add_user,
    disable_user,
    enable_user,
    get_user,
    list_users,
    read_new_password,
    set_password,
)
from sanse.access.audit import read_audit
from sanse.access.roles import SYSTEM, Forbidden, User
from sanse.access.signin import SignInFailed, authenticate, user_from_oidc
from sanse.cli.main import main
from sanse.deployment.demo import demo_settings, demo_towns
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.rules_file import write_settings
from sanse.deployment.settings import Campaign, Rules, Settings
from sanse.deployment.towns import write_towns
from sanse.facts import clock
from sanse.store import StoreError, close_all, schema

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
ADMIN = User("zhang", "admin")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """A home with the demo towns and rules, and no accounts."""
    home = Home(tmp_path / "home").ensure()
    write_towns(demo_towns(), home.towns_csv)
    write_settings(demo_settings(), home.rules_toml)
    return home


@pytest.fixture
def quick_hashes(monkeypatch):
    """argon2id with small cost parameters, so tests that hash many times stay fast."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def wrong_attempts(home: Home, name: str, count: int, at: datetime) -> None:
    for _ in range(count):
        with pytest.raises(SignInFailed):
            authenticate(home, name, "not-the-password", now=at)


# ---------------------------------------------------------------- passwords


def test_account_signs_in_with_its_password_only(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    assert authenticate(home, "li", "yunxiu-2026", now=T0) == User("li", "town", "T01")
    with pytest.raises(SignInFailed, match="账号或密码错误"):
        authenticate(home, "li", "yunxiu-2025", now=T0)


def test_unknown_name_gets_the_same_refusal_as_a_wrong_password(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    with pytest.raises(SignInFailed) as wrong:
        authenticate(home, "li", "guess-guess", now=T0)
    with pytest.raises(SignInFailed) as unknown:
        authenticate(home, "nobody", "guess-guess", now=T0)
    assert str(wrong.value) == str(unknown.value)


def test_no_password_is_stored_anywhere_under_the_home(home):
    first, second = "Qingshui#2026", "Bilu-river-88"
    add_user(home, "wang", role="admin", password=first)
    authenticate(home, "wang", first)
    with pytest.raises(SignInFailed):
        authenticate(home, "wang", second)
    set_password(home, "wang", second)
    authenticate(home, "wang", second)

    close_all()  # every write on disk: the database file and its write-ahead log
    files = [p for p in home.root.rglob("*") if p.is_file()]
    assert any(b"$argon2id$" in p.read_bytes() for p in files)
    assert len(read_audit(home, who="cli")) == 2  # the account and the new password
    for path in files:
        content = path.read_bytes()
        for password in (first, second):
            assert password.encode() not in content, path
            assert password.encode("utf-16-le") not in content, path


def test_town_account_stores_the_code_of_a_town_given_by_alias(home, quick_hashes):
    user = add_user(home, "li", role="town", town="云岫", password="yunxiu-2026")
    assert user.town_code == "T01"
    assert get_user(home, "li") == User("li", "town", "T01")


@pytest.mark.parametrize(
    ("role", "town", "message"),
    [
        ("town", None, "必须指定所属镇街"),
        ("town", "不存在镇", "未知镇街"),
        ("viewer", "T01", "只有镇街账号"),
    ],
)
def test_town_belongs_to_town_accounts_only(home, quick_hashes, role, town, message):
    with pytest.raises(AccountError, match=message):
        add_user(home, "li", role=role, town=town, password="yunxiu-2026")
    assert list_users(home) == []


def test_duplicate_name_is_refused_whatever_its_letter_case(home, quick_hashes):
    add_user(home, "Li", role="viewer", password="yunxiu-2026")
    with pytest.raises(AccountError, match="已存在"):
        add_user(home, "li", role="admin", password="yunxiu-2027")
    assert [(a.name, a.role) for a in list_users(home)] == [("Li", "viewer")]


@pytest.mark.parametrize("password", ["", "        ", "short7!", "chenjia01"])
def test_empty_short_or_name_like_password_is_refused(home, quick_hashes, password):
    with pytest.raises(AccountError):
        add_user(home, "chenjia01", role="viewer", password=password)
    assert list_users(home) == []


def test_only_admins_manage_accounts(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    town_user = get_user(home, "li")
    with pytest.raises(Forbidden):
        add_user(home, "li2", role="admin", password="yunxiu-2026", by=town_user)
    with pytest.raises(Forbidden):
        disable_user(home, "li", by=User("reader", "viewer"))
    with pytest.raises(Forbidden):
        set_password(home, "wang", "another-pass", by=town_user)
    assert [a.name for a in list_users(home)] == ["li"]


def test_user_may_change_their_own_password(home, quick_hashes):
    user = add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    set_password(home, "li", "yunxiu-2027", by=user)
    assert authenticate(home, "li", "yunxiu-2027", now=T0) == user
    with pytest.raises(SignInFailed):
        authenticate(home, "li", "yunxiu-2026", now=T0)


def test_disabled_account_cannot_sign_in_until_enabled(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    disable_user(home, "li", by=ADMIN)
    assert get_user(home, "li") is None
    assert [a.active for a in list_users(home)] == [False]
    with pytest.raises(SignInFailed, match="账号或密码错误"):
        authenticate(home, "li", "yunxiu-2026", now=T0)
    enable_user(home, "li", by=ADMIN)
    assert authenticate(home, "li", "yunxiu-2026", now=T0).name == "li"


def test_admin_cannot_disable_the_account_in_use(home, quick_hashes):
    admin = add_user(home, "zhang", role="admin", password="zhang-2026")
    with pytest.raises(AccountError, match="不能停用自己"):
        disable_user(home, "zhang", by=admin)


# ---------------------------------------------------------------- throttling


def test_sixth_attempt_is_refused_even_with_the_right_password_until_the_lockout_passes(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 5, T0)
    with pytest.raises(SignInFailed, match="14 分钟后再试") as refused:
        authenticate(home, "li", "yunxiu-2026", now=T0 + timedelta(minutes=1))
    assert refused.value.retry_at == T0 + timedelta(minutes=15)
    with pytest.raises(SignInFailed, match="锁定"):
        authenticate(home, "li", "yunxiu-2026", now=T0 + timedelta(minutes=14, seconds=59))
    assert authenticate(home, "li", "yunxiu-2026", now=T0 + timedelta(minutes=15)).name == "li"


def test_lockout_doubles_when_guessing_resumes(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 5, T0)
    after_first = T0 + timedelta(minutes=15)
    wrong_attempts(home, "li", 5, after_first)
    with pytest.raises(SignInFailed, match="锁定"):
        authenticate(home, "li", "yunxiu-2026", now=after_first + timedelta(minutes=29))
    assert authenticate(home, "li", "yunxiu-2026", now=after_first + timedelta(minutes=30)).name == "li"


def test_unknown_names_are_throttled_too(home, quick_hashes):
    wrong_attempts(home, "ghost", 5, T0)
    with pytest.raises(SignInFailed, match="锁定"):
        authenticate(home, "ghost", "anything-at-all", now=T0)


def test_right_password_clears_earlier_failures(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 4, T0)
    authenticate(home, "li", "yunxiu-2026", now=T0)
    wrong_attempts(home, "li", 4, T0)
    assert authenticate(home, "li", "yunxiu-2026", now=T0).name == "li"


def test_failures_older_than_fifteen_minutes_are_forgotten(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 4, T0)
    wrong_attempts(home, "li", 1, T0 + timedelta(minutes=16))
    assert authenticate(home, "li", "yunxiu-2026", now=T0 + timedelta(minutes=16)).name == "li"


def test_lockout_is_seen_by_another_process(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 5, datetime.now(UTC))
    code = (
        "import sys\n"
        "from sanse.access.signin import SignInFailed, authenticate\n"
        "from sanse.deployment.home import Home\n"
        "try:\n"
        "    authenticate(Home(sys.argv[1]), 'li', 'yunxiu-2026')\n"
        "except SignInFailed as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(home.root)], capture_output=True, text=True, timeout=60)
    assert "锁定" in done.stdout, done.stderr


def test_new_password_lifts_the_lockout(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 5, T0)
    set_password(home, "li", "yunxiu-2027", by=ADMIN)
    assert authenticate(home, "li", "yunxiu-2027", now=T0).name == "li"


def test_one_address_trying_many_names_is_locked_out(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    for n in range(signin.MAX_ADDRESS_FAILURES // 4):  # four guesses a name: no name locks
        for _ in range(4):
            with pytest.raises(SignInFailed, match="账号或密码错误"):
                authenticate(home, f"guess{n}", "not-the-password", client="203.0.113.9", now=T0)
    with pytest.raises(SignInFailed, match="网络地址已暂时锁定"):
        authenticate(home, "li", "yunxiu-2026", client="203.0.113.9", now=T0 + timedelta(minutes=1))
    # the same account from another address is not held up
    assert authenticate(home, "li", "yunxiu-2026", client="198.51.100.7", now=T0 + timedelta(minutes=1)).name == "li"
    locked = read_audit(home, action="signin_locked")
    assert list(locked["address"]) == ["203.0.113.9"]
    assert "地址 203.0.113.9" in locked["what"].iloc[0]


def test_a_right_password_does_not_clear_its_addresss_failures(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    for n in range(signin.MAX_ADDRESS_FAILURES - 1):
        with pytest.raises(SignInFailed):
            authenticate(home, f"guess{n}", "not-the-password", client="203.0.113.9", now=T0)
    authenticate(home, "li", "yunxiu-2026", client="203.0.113.9", now=T0)
    with pytest.raises(SignInFailed):
        authenticate(home, "guess-last", "not-the-password", client="203.0.113.9", now=T0)
    with pytest.raises(SignInFailed, match="网络地址已暂时锁定"):
        authenticate(home, "li", "yunxiu-2026", client="203.0.113.9", now=T0)


def test_a_name_no_account_can_have_is_counted_on_the_address_only(home, quick_hashes):
    with pytest.raises(SignInFailed, match="账号或密码错误"):
        authenticate(home, "address 203.0.113.9", "x" * 12, client="198.51.100.7", now=T0)
    with home.store.reading() as conn:
        keys = [r.key for r in conn.execute(sa.select(schema.signin_throttle.c.key))]
    assert keys == ["address 198.51.100.7"]


def test_lockout_is_audited(home, quick_hashes):
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026")
    wrong_attempts(home, "li", 5, T0)
    locked = read_audit(home, action="signin_locked")
    assert list(locked["account"]) == ["li"]
    assert "连续登录失败" in locked["what"].iloc[0]


# ---------------------------------------------------------------- new password on the command line


def test_new_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SANSE_PASSWORD", "from-env-2026")
    assert read_new_password() == "from-env-2026"


def test_new_password_is_asked_twice_and_must_match(monkeypatch):
    monkeypatch.delenv("SANSE_PASSWORD", raising=False)
    answers = iter(["typed-once-1", "typed-once-2"])
    monkeypatch.setattr(accounts.getpass, "getpass", lambda prompt: next(answers))
    with pytest.raises(AccountError, match="不一致"):
        read_new_password()


def test_new_password_asked_twice_is_returned(monkeypatch):
    monkeypatch.delenv("SANSE_PASSWORD", raising=False)
    monkeypatch.setattr(accounts.getpass, "getpass", lambda prompt: "same-twice-1")
    assert read_new_password() == "same-twice-1"


def test_cli_user_add_takes_the_password_from_the_environment(home, quick_hashes, monkeypatch, capsys):
    monkeypatch.setenv("SANSE_PASSWORD", "cli-pass-2026")
    assert main(["--home", str(home.root), "user", "add", "li", "--role", "town", "--town", "青禾"]) == 0
    assert "已添加账号 li" in capsys.readouterr().out
    assert authenticate(home, "li", "cli-pass-2026", now=T0) == User("li", "town", "T02")


def test_cli_user_add_without_a_town_exits_1(home, monkeypatch, capsys):
    monkeypatch.setenv("SANSE_PASSWORD", "cli-pass-2026")
    assert main(["--home", str(home.root), "user", "add", "li", "--role", "town"]) == 1
    assert "必须指定所属镇街" in capsys.readouterr().err
    assert list_users(home) == []


def test_cli_user_add_with_a_short_password_exits_1(home, monkeypatch, capsys):
    monkeypatch.setenv("SANSE_PASSWORD", "short")
    assert main(["--home", str(home.root), "user", "add", "li", "--role", "viewer"]) == 1
    assert "密码至少 8 位" in capsys.readouterr().err


# ---------------------------------------------------------------- audit of account changes


def test_account_changes_are_audited_with_who_when_and_what(home, quick_hashes):
    before = datetime.now(UTC)
    add_user(home, "li", role="town", town="T01", password="yunxiu-2026", by=ADMIN)
    set_password(home, "li", "yunxiu-2027", by=ADMIN)
    disable_user(home, "li", by=ADMIN)
    events = read_audit(home, action="account")
    assert list(events["who"]) == ["zhang"] * 3
    assert list(events["change"]) == ["disable", "password", "add"]
    assert list(events["what"]) == ["停用账号 li", "修改账号 li 的密码", "新建账号 li（镇街 云岫街道）"]
    assert all(before <= at <= datetime.now(UTC) for at in events["at"])


def test_audit_filters_by_who_action_and_day(home, quick_hashes):
    add_user(home, "li", role="viewer", password="yunxiu-2026", by=ADMIN)
    add_user(home, "wang", role="viewer", password="yunxiu-2026")
    today = clock.today()
    assert list(read_audit(home, who="zhang")["account"]) == ["li"]
    assert len(read_audit(home, action="account", since=today, until=today)) == 2
    assert read_audit(home, since=today + timedelta(days=1)).empty
    assert read_audit(home, until=today - timedelta(days=1)).empty
    assert read_audit(home, action="publication").empty


# ---------------------------------------------------------------- single sign-on


def oidc_settings(**access) -> Settings:
    return Settings(Campaign(start=date(2026, 9, 1), anonymous_read=False), (Rules(),), {"access": access})


def test_oidc_identities_map_to_their_listed_roles():
    settings = oidc_settings(
        admins=["Zhang@AJB.example.cn"],
        viewers=["@leaders.example.cn"],
        towns={"T01": ["li@yunxiu.example.cn"]},
    )
    assert user_from_oidc({"is_logged_in": True, "email": "zhang@ajb.example.cn"}, settings) == User(
        "zhang@ajb.example.cn", "admin"
    )
    assert user_from_oidc({"email": "li@yunxiu.example.cn"}, settings) == User("li@yunxiu.example.cn", "town", "T01")
    assert user_from_oidc({"email": "mayor@leaders.example.cn"}, settings).role == "viewer"
    assert user_from_oidc({"email": "mayor@evil-leaders.example.cn"}, settings) is None


def test_oidc_identity_in_no_list_is_not_signed_in():
    settings = oidc_settings(admins=["zhang@ajb.example.cn"])
    assert user_from_oidc({"is_logged_in": True, "email": "stranger@example.cn", "sub": "42"}, settings) is None
    assert user_from_oidc({"is_logged_in": False}, settings) is None
    assert user_from_oidc({}, settings) is None


def test_oidc_unverified_email_falls_back_to_the_subject():
    settings = oidc_settings(admins=["zhang@ajb.example.cn"], viewers=["sub-0042"])
    claims = {"is_logged_in": True, "email": "zhang@ajb.example.cn", "email_verified": False, "sub": "sub-0042"}
    assert user_from_oidc(claims, settings) == User("sub-0042", "viewer")


def test_oidc_viewers_star_lets_every_signed_in_identity_read():
    settings = oidc_settings(viewers=["*"])
    assert user_from_oidc({"email": "anyone@example.cn"}, settings).role == "viewer"


def test_oidc_town_given_by_name_resolves_to_its_code(home):
    settings = oidc_settings(towns={"青禾街道": ["he@qinghe.example.cn"]})
    user = user_from_oidc({"email": "he@qinghe.example.cn"}, settings, demo_towns())
    assert user == User("he@qinghe.example.cn", "town", "T02")


def test_oidc_star_among_admins_is_a_config_error():
    with pytest.raises(ConfigError, match="viewers"):
        user_from_oidc({"email": "a@example.cn"}, oidc_settings(admins=["*"]))


def test_anonymous_read_comes_from_the_campaign():
    from sanse.access.roles import access_settings

    assert access_settings(demo_settings()).anonymous_read is True
    assert access_settings(oidc_settings()).anonymous_read is False


def test_unknown_acting_account_is_refused(home):
    with pytest.raises(AccountError, match="没有名为“ghost”"):
        accounts.acting_user(home, "ghost")
    assert accounts.acting_user(home, None) is SYSTEM


# ---------------------------------------------------------------- faults and crowds


def test_with_the_store_full_a_right_password_still_signs_in(home, quick_hashes, monkeypatch):
    add_user(home, "wang", role="admin", password="Qingshui#2026")

    def disk_full(*args, **kwargs):
        raise StoreError("无法读写数据库（sanse.db）：database or disk is full。")

    monkeypatch.setattr("sanse.access.signin._save_throttle", disk_full)
    assert authenticate(home, "wang", "Qingshui#2026").name == "wang"
    with pytest.raises(SignInFailed, match="账号或密码错误"):
        authenticate(home, "wang", "wrong password")


def test_password_checks_at_once_are_bounded(home, quick_hashes, monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()
    real_verify = accounts._hasher.verify

    def counted(digest, password):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # a check that takes a while, as a real one does: checks overlap
            return real_verify(digest, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(accounts, "_hasher", CountingHasher(accounts._hasher, counted))
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda k: _attempt(home, f"name{k}", f"guess {k}", f"10.0.0.{k}"), range(12)))
    assert most == signin.PASSWORD_CHECKS  # twelve at once, never more than the bound
    assert all(o == "账号或密码错误" for o in outcomes)


class CountingHasher:
    def __init__(self, hasher, verify):
        self.hasher, self.verify = hasher, verify

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def _attempt(home, name: str, password: str, client: str) -> str:
    try:
        authenticate(home, name, password, client=client)
        return "signed in"
    except SignInFailed as refusal:
        return str(refusal)
