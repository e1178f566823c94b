"""The audit log: one JSON line per write (submission, correction, publication, rule or
account change), appended under a lock so concurrent writers never interleave."""

from __future__ import annotations

import fcntl
import json
import os
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from sanse.access import ROLE_LABELS
from sanse.home import Home

BEIJING = timezone(timedelta(hours=8), "北京时间")  # the office's days; China keeps no daylight saving
ACTION_LABELS = {
    "submission": "报送",
    "correction": "更正",
    "publication": "发布",
    "rules": "修改规则",
    "account": "账号变更",
    "signin_locked": "登录锁定",
}
_CHANGE_LABELS = {"add": "新建", "disable": "停用", "enable": "启用"}


def record(home: Home, who: str, action: str, **detail) -> None:
    """Append one event. `who` is the account name; `detail` says what was written."""
    home.audit.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    line = json.dumps(
        {"at": now.isoformat(timespec="microseconds"), "who": who, "action": action, **detail},
        ensure_ascii=False, default=str,
    ).encode("utf-8") + b"\n"
    path = home.audit / f"{now:%Y-%m}.jsonl"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # A writer killed mid-line leaves no newline; start on a fresh line so only that
        # torn event is lost, not this one too.
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


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
    months = sorted(home.audit.glob("*.jsonl")) if home.audit.exists() else []
    if since is not None:
        months = [p for p in months if p.stem >= f"{since - timedelta(days=1):%Y-%m}"]
    if until is not None:
        months = [p for p in months if p.stem <= f"{until + timedelta(days=1):%Y-%m}"]
    events = []
    for path in months:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                event = _parse(line)
                if event is None:
                    continue
                if who is not None and event.get("who") != who:
                    continue
                if action is not None and event.get("action") != action:
                    continue
                label = ACTION_LABELS.get(event.get("action"), event.get("action"))
                events.append({"at": event["at"], "who": event.get("who"), "action": event.get("action"),
                               "action_label": label, "what": describe(event), **event})
    frame = pd.DataFrame(events, columns=None if events else ["at", "who", "action", "action_label", "what"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601").dt.tz_convert(BEIJING)
    day = frame["at"].dt.date
    if since is not None:
        frame = frame[day >= since]
    if until is not None:
        frame = frame[day <= until]
    return frame.sort_values("at", ascending=False, ignore_index=True)


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
    skip = {"at", "who", "action", "action_label", "what"}
    return "，".join(f"{k}={v}" for k, v in event.items() if k not in skip and v is not None)


def _parse(line: str) -> dict | None:
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:  # a torn line from a writer killed mid-write
        return None
    return event if isinstance(event, dict) and "at" in event else None
