"""The audit log (SPEC 8): one event per write (submission, correction, publication, rule or
account change), kept in the store, in the same transaction as the write where there is one."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from sanse.access import ROLE_LABELS
from sanse.clock import BEIJING
from sanse.home import Home
from sanse.store import schema
from sanse.store.events import record_event as record_in

ACTION_LABELS = {
    "submission": "报送",
    "correction": "更正",
    "publication": "发布",
    "rule_change": "修改规则",
    "account": "账号变更",
    "signin_locked": "登录锁定",
    "upgrade": "迁入数据库",
    "records": "导入记录",
}
_CHANGE_LABELS = {"add": "新建", "disable": "停用", "enable": "启用"}
_WINDOW_LABELS = {"cumulative": "累计", "daily": "当日", "rolling_7d": "近7日"}


def record(home: Home, who: str, action: str, **detail) -> None:
    """Store one event. `who` is the account name; `detail` says what was written."""
    with home.store.writing() as conn:
        record_in(conn, who, action, **detail)


def read_audit(
    home: Home,
    *,
    who: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Audit events, newest first, optionally only one account's, one action's, or those
    between two days (inclusive, Beijing time).

    Columns: `at` (time, Beijing), `who`, `action`, `action_label` (Chinese), `what` (a
    one-line Chinese summary), then every detail field of the events.
    """
    table = schema.audit_events
    query = sa.select(table.c.at, table.c.who, table.c.action, table.c.detail).order_by(table.c.seq.desc())
    if who is not None:
        query = query.where(table.c.who == who)
    if action is not None:
        query = query.where(table.c.action == action)
    if since is not None:
        query = query.where(table.c.at >= datetime.combine(since, datetime.min.time(), BEIJING))
    if until is not None:
        query = query.where(table.c.at < datetime.combine(until + timedelta(days=1), datetime.min.time(), BEIJING))
    with home.store.reading() as conn:
        rows = conn.execute(query).all()
    events = []
    for at, who_, action_, detail in rows:
        event = {"at": at, "who": who_, "action": action_, **json.loads(detail)}
        events.append({"at": at, "who": who_, "action": action_,
                       "action_label": ACTION_LABELS.get(action_, action_), "what": describe(event), **event})
    frame = pd.DataFrame(events, columns=None if events else ["at", "who", "action", "action_label", "what"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(BEIJING)
    return frame


def describe(event: dict) -> str:
    """What an event wrote, in one line of plain Chinese (plain text: never render as HTML)."""
    action = event.get("action")
    get = event.get
    if action in ("submission", "correction"):
        text = f"{get('file') or ''}：新增或更正 {get('rows') or 0} 行"
        if get("corrected"):
            text += f"，其中更正 {get('corrected')} 行"
            if get("corrections"):
                text += f"（{'、'.join(get('corrections'))}）"
        return text
    if action == "publication":
        return f"{get('day')} 第{get('number')}期" + (f"（第{get('version')}版）" if (get("version") or 1) > 1 else "")
    if action == "account":
        if get("change") == "password":
            return f"修改账号 {get('account')} 的密码"
        change = _CHANGE_LABELS.get(get("change"), get("change") or "")
        role = ROLE_LABELS.get(get("role"), get("role"))
        town = f" {get('town')}" if get("town") else ""
        return f"{change}账号 {get('account')}" + (f"（{role}{town}）" if role else "")
    if action == "signin_locked":
        until = datetime.fromisoformat(get("until")).astimezone(BEIJING)
        return f"账号 {get('account')} 连续登录失败，锁定至 {until:%Y-%m-%d %H:%M}"
    if action == "rule_change":
        window = _WINDOW_LABELS.get((get("rules") or {}).get("window"), "")
        return f"自 {get('effective')} 起施行新的排名规则" + (f"（{window}口径）" if window else "")
    if action == "records":  # a batch of records that changed no town-day's counts
        new, changed = (sum((get(key) or {}).values()) for key in ("new_records", "changed_records"))
        return f"{get('folder') or ''}：记录级数据新记录 {new} 条，更改 {changed} 条，镇街日数据未变"
    if action == "upgrade":
        return f"旧版数据目录迁入数据库：{get('versions')} 个报送版本，{get('accounts')} 个账号，{get('issues')} 期动态"
    skip = {"at", "who", "action", "action_label", "what"}
    return "，".join(f"{k}={v}" for k, v in event.items() if k not in skip and v is not None)
