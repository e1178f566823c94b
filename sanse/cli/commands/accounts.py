"""`sanse user`: add, passwd, disable and list accounts; and the account another command
acts as (`--as`, `--by`)."""

from __future__ import annotations

from sanse.access.roles import Forbidden, User
from sanse.cli.outcome import OK, BadInput
from sanse.deployment.home import Home


def cmd_user_add(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, add_user, read_new_password
    from sanse.access.roles import ROLE_LABELS

    try:
        user = add_user(home, args.name, role=args.role, town=args.town, password=read_new_password())
    except (AccountError, Forbidden) as exc:
        raise BadInput(str(exc)) from exc
    town = f"：{user.town_code}" if user.town_code else ""
    print(f"已添加账号 {user.name}（{ROLE_LABELS[user.role]}{town}）")
    return OK


def cmd_user_passwd(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, read_new_password, set_password

    try:
        set_password(home, args.name, read_new_password())
    except AccountError as exc:
        raise BadInput(str(exc)) from exc
    print(f"已修改账号 {args.name} 的密码，并解除登录锁定")
    return OK


def cmd_user_disable(home: Home, args) -> int:
    from sanse.access.accounts import AccountError, disable_user, enable_user

    try:
        (enable_user if args.enable else disable_user)(home, args.name)
    except AccountError as exc:
        raise BadInput(str(exc)) from exc
    print(f"已{'启用' if args.enable else '停用'}账号 {args.name}")
    return OK


def cmd_user_list(home: Home, args) -> int:
    from sanse.access.accounts import list_users
    from sanse.access.roles import ROLE_LABELS

    for account in list_users(home):
        state = "" if account.active else "（已停用）"
        print(f"{account.name}\t{ROLE_LABELS[account.role]}\t{account.town_code or ''}{state}")
    return OK


def acting_as(home: Home, name: str | None) -> User:
    """`--as NAME`: that account's rights apply; without it, the shell operator's."""
    from sanse.access.accounts import AccountError, acting_user

    try:
        return acting_user(home, name)
    except AccountError as exc:
        raise BadInput(str(exc)) from exc


def publisher(home: Home, name: str | None):
    """The shell operator by default; with --by, that account (and its rights)."""
    from sanse.access.accounts import get_user
    from sanse.access.roles import SYSTEM

    if not name:
        return SYSTEM
    user = get_user(home, name)
    if user is None:
        raise BadInput(f"没有名为“{name}”的账号：请先用 sanse user add 添加")
    return user
