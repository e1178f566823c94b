"""Who may do what (SPEC 8), enforced by the domain functions themselves, not by the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "town", "viewer"]
Action = Literal["read", "submit", "publish", "change_rules", "manage_accounts", "read_audit"]


class Forbidden(PermissionError):
    """The message is shown to the user as it is."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    town_code: str | None = None  # the town of a town account

    def may(self, action: Action, town_code: str | None = None) -> bool:
        if self.role == "admin":
            return True
        if action == "read":
            return True
        if action == "submit":
            return self.role == "town" and town_code is not None and town_code == self.town_code
        return False


SYSTEM = User("cli", "admin")  # the operator at the server's shell, who owns the home directory
ANONYMOUS = User("anonymous", "viewer")


def require(user: User, action: Action, town_code: str | None = None) -> None:
    if not user.may(action, town_code):
        raise Forbidden(_REFUSALS.get(action, "没有权限进行此操作"))


_REFUSALS = {
    "submit": "本账号只能报送本镇街的数据",
    "publish": "只有市安委办管理员可以发布《每日工作动态》",
    "change_rules": "只有市安委办管理员可以修改排名规则",
    "manage_accounts": "只有管理员可以管理账号",
    "read_audit": "只有管理员可以查看操作日志",
}
