"""The audit log (design §8): one event per write (submission, correction, publication, rule or
account change), kept in the store, in the same transaction as the write where there is one."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from sanse.access.roles import ROLE_LABELS
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.facts.clock import BEIJING
from sanse.facts.measures import CARD_WORDS, measure_label
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
    "supervision_created": "督办立项",
    "supervision_answered": "整改报告",
    "supervision_closed": "督办销号",
    "supervision_returned": "督办退回",
    "supervision_withdrawn": "督办撤销",
    "supervision_reinstated": "督办恢复",
    "supervision_interview": "安排约谈",
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
    names = _town_names(home)
    events = []
    for at, who_, action_, detail in rows:
        event = {"at": at, "who": who_, "action": action_, **json.loads(detail)}
        events.append(
            {
                "at": at,
                "who": who_,
                "action": action_,
                "action_label": ACTION_LABELS.get(action_, action_),
                "what": describe(event, names),
                **event,
            }
        )
    frame = pd.DataFrame(events, columns=None if events else ["at", "who", "action", "action_label", "what"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(BEIJING)
    return frame


def _town_names(home: Home) -> dict[str, str]:
    try:
        return {town.code: town.name for town in read_towns(home.towns_csv)}
    except (FileNotFoundError, ConfigError):
        return {}


def describe(event: dict, names: dict[str, str] | None = None) -> str:
    """What an event wrote, in one line of plain Chinese (plain text: never render as HTML);
    towns by their names in `names` (code -> name), a code only for a town no longer listed."""
    action = event.get("action")
    names = names or {}
    event = {**event, "town": names.get(event.get("town"), event.get("town"))}
    get = event.get
    if action in ("submission", "correction"):
        text = f"{get('file') or ''}：新增或更正 {get('rows') or 0} 行"
        if get("corrected"):
            text += f"，其中更正 {get('corrected')} 行"
            if get("corrections"):
                text += f"（{'、'.join(_named(c, names) for c in get('corrections'))}）"
        return text
    if action == "publication":
        version = f"（第{get('version')}版）" if (get("version") or 1) > 1 else ""
        if get("period"):  # a period's 通报, numbered within its year
            return f"《{get('title')}》{get('period')} {str(get('period'))[:4]}年第{get('number')}期{version}"
        return f"{get('day')} 第{get('number')}期" + version
    if action == "account":
        if get("change") == "password":
            return f"修改账号 {get('account')} 的密码"
        change = _CHANGE_LABELS.get(get("change"), get("change") or "")
        role = ROLE_LABELS.get(get("role"), get("role"))
        town = f" {get('town')}" if get("town") else ""
        return f"{change}账号 {get('account')}" + (f"（{role}{town}）" if role else "")
    if action == "signin_locked":
        until = datetime.fromisoformat(get("until")).astimezone(BEIJING)
        who = f"地址 {get('address')} 的登录" if get("address") else f"账号 {get('account')} "
        return f"{who}连续登录失败，锁定至 {until:%Y-%m-%d %H:%M}"
    if action == "rule_change":
        window = _WINDOW_LABELS.get((get("rules") or {}).get("window"), "")
        return f"自 {get('effective')} 起施行新的排名规则" + (f"（{window}口径）" if window else "")
    if action == "records":  # a batch of records that changed no town-day's counts
        new, changed = (sum((get(key) or {}).values()) for key in ("new_records", "changed_records"))
        return f"{get('folder') or ''}：记录级数据新记录 {new} 条，更改 {changed} 条，镇街日数据未变"
    if action == "upgrade":
        return f"旧版数据目录迁入数据库：{get('versions')} 个报送版本，{get('accounts')} 个账号，{get('issues')} 期动态"
    if action and action.startswith("supervision_"):
        return _describe_supervision(event)
    skip = {"at", "who", "action", "action_label", "what"}
    return "，".join(f"{k}：{_plain(v)}" for k, v in event.items() if k not in skip and v is not None)


def _named(correction: str, names: dict[str, str]) -> str:
    """ "T01 2026-10-30" (a town's code and a day) with the town's name."""
    code, _, day = correction.partition(" ")
    return f"{names.get(code, code)} {day}".strip()


def _plain(value) -> str:
    """A detail value in words, never a Python list or dict."""
    if isinstance(value, dict):
        return "（" + "，".join(f"{k}：{_plain(v)}" for k, v in value.items() if v is not None) + "）"
    if isinstance(value, (list, tuple)):
        return "、".join(_plain(v) for v in value)
    return str(value)


def _describe_supervision(event: dict) -> str:
    get = event.get
    item = f"督办事项 {get('item')}（{get('town')}）"
    action = event["action"]
    if action == "supervision_created":
        measure = measure_label(get("measure") or "", get("card") if get("card") in CARD_WORDS else None)
        return f"{item}立项：{measure}，期限 {get('deadline')}；{get('reason') or ''}"
    if action == "supervision_answered":
        files = get("files") or []
        return f"{item}报送整改报告" + (f"，附件 {'、'.join(files)}" if files else "")
    if action == "supervision_closed":
        return f"{item}销号" + (f"：{get('note')}" if get("note") else "")
    if action == "supervision_returned":
        return f"{item}退回：{get('comment') or ''}"
    if action == "supervision_withdrawn":
        return f"{item}撤销：{get('note') or ''}"
    if action == "supervision_reinstated":
        return f"{item}恢复：更正后的数据再次触发"
    if action == "supervision_interview":
        return f"{item}约谈安排：{get('meets_at')}，{get('place')}，参加人员 {get('attendees')}"
    return item
