"""Carrying a home made by release 0.1 into the store (`sanse upgrade`, or once by itself):
its Parquet submission log, original files, accounts and sign-in state, audit log and
published bulletins (rules.toml is taken in as any new rules file is). One transaction: it all arrives, or nothing does. The old files
are left where they were."""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.facts import clock
from sanse.store import schema
from sanse.store.database import Store
from sanse.store.reports import version_rows, write_versions

log = logging.getLogger(__name__)
_ISSUE_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})_v(\d+)_no(\d+)\.json$")
_ORIGINAL_FILE = re.compile(r"^([0-9a-f]{64})(\.[A-Za-z0-9]*)?$")


@dataclass(frozen=True)
class LegacyHome:
    """Where release 0.1 kept each piece of a home."""

    root: Path

    @property
    def submissions(self) -> Path:
        return self.root / "log" / "submissions"

    @property
    def originals(self) -> Path:
        return self.root / "log" / "originals"

    @property
    def audit(self) -> Path:
        return self.root / "log" / "audit"

    @property
    def accounts(self) -> Path:
        return self.root / "accounts"

    @property
    def bulletins(self) -> Path:
        return self.root / "bulletins"

    def present(self) -> bool:
        return any(p.is_dir() for p in (self.submissions, self.accounts, self.bulletins, self.audit))


@dataclass(frozen=True)
class Upgraded:
    submissions: int = 0
    versions: int = 0
    files: int = 0
    accounts: int = 0
    audit_events: int = 0
    issues: int = 0

    def __str__(self) -> str:
        return (
            f"报送 {self.submissions} 次（{self.versions} 个版本），原始文件 {self.files} 个，账号 {self.accounts} 个，"
            f"操作日志 {self.audit_events} 条，已发布动态 {self.issues} 期"
        )


_checked: set[tuple[str, Path]] = set()
_checked_lock = threading.Lock()


def carry_in_once(store: Store, root: Path) -> None:
    """The automatic upgrade: the first time a process opens a home, carry in what it holds."""
    key = (store.url, root)
    if key in _checked:
        return
    with _checked_lock:
        if key not in _checked:
            carry_in(store, root)
            _checked.add(key)


def upgraded_already(conn: Connection) -> bool:
    table = schema.audit_events
    return conn.execute(sa.select(table.c.seq).where(table.c.action == "upgrade").limit(1)).first() is not None


def carry_in(store: Store, root: Path) -> Upgraded | None:
    """Carry the legacy home at `root` into `store`; None when there is none or it is done."""
    legacy = LegacyHome(root)
    if not legacy.present():
        return None
    with store.writing("reports", "accounts", "publish", "rules", "signin") as conn:
        if upgraded_already(conn):
            return None
        counts = Upgraded(
            files=_files(conn, legacy),
            accounts=_accounts(conn, legacy),
            issues=_issues(conn, legacy),
            audit_events=_audit(conn, legacy),
            **_submissions(conn, legacy),
        )
        conn.execute(
            sa.insert(schema.audit_events).values(
                at=clock.now(),
                who="upgrade",
                action="upgrade",
                detail=json.dumps(
                    {
                        "home": str(root),
                        "versions": counts.versions,
                        "accounts": counts.accounts,
                        "issues": counts.issues,
                        "submissions": counts.submissions,
                    },
                    ensure_ascii=False,
                ),
            )
        )
    log.warning("已把旧版数据目录 %s 迁入数据库 %s：%s", root, store.url, counts)
    return counts


def _submissions(conn: Connection, legacy: LegacyHome) -> dict[str, int]:
    """Every log file, oldest first, as a submission with its versions; the latest of each
    town-day becomes its current figure."""
    current: set[tuple[str, date]] = set()
    submissions = versions = 0
    paths = sorted(legacy.submissions.glob("*.parquet")) if legacy.submissions.is_dir() else []
    frames = [pq.read_table(path).to_pandas() for path in paths]
    frames = sorted(
        (f for f in frames if len(f)), key=lambda f: (f["submitted_at"].iloc[0], f["submission_id"].iloc[0])
    )
    for frame in frames:
        first = frame.iloc[0]
        frame = frame.assign(date=pd.to_datetime(frame["date"]).dt.date, town_code=frame["town_code"].astype(str))
        keys = list(zip(frame["town_code"], frame["date"]))
        corrected = [key in current for key in keys]
        seq = conn.execute(
            sa.insert(schema.submissions).values(
                submission_id=str(first["submission_id"]),
                submitted_at=first["submitted_at"].to_pydatetime(),
                submitted_by=str(first["submitted_by"]),
                source_name=str(first["source_name"]),
                source_sha256=str(first["source_sha256"]),
                reason="",
                rows=len(frame),
                unchanged=0,
                corrected=sum(corrected),
            )
        ).inserted_primary_key[0]
        write_versions(conn, seq, version_rows(frame), corrected)
        current.update(keys)
        submissions += 1
        versions += len(frame)
    return {"submissions": submissions, "versions": versions}


def _files(conn: Connection, legacy: LegacyHome) -> int:
    count = 0
    paths = sorted(legacy.originals.iterdir()) if legacy.originals.is_dir() else []
    for path in paths:
        match = _ORIGINAL_FILE.match(path.name)
        if path.is_file() and match:
            content = path.read_bytes()
            conn.execute(
                sa.insert(schema.files).values(
                    sha256=match[1],
                    name=path.name,
                    size=len(content),
                    content=content,
                    received_at=datetime.fromtimestamp(path.stat().st_mtime, clock.BEIJING),
                )
            )
            count += 1
    return count


def _accounts(conn: Connection, legacy: LegacyHome) -> int:
    users = _json(legacy.accounts / "users.json")
    for key, entry in users.items():
        conn.execute(
            sa.insert(schema.accounts).values(
                key=key,
                name=entry["name"],
                role=entry["role"],
                town_code=entry.get("town_code"),
                password_hash=entry["hash"],
                active=entry.get("active", True),
                created_at=_moment(entry.get("created_at")),
                created_by=entry.get("created_by", ""),
                changed_at=_moment(entry.get("changed_at")),
            )
        )
    for key, state in _json(legacy.accounts / "signin.json").items():
        conn.execute(
            sa.insert(schema.signin_throttle).values(
                key=key,
                failures=json.dumps(state.get("failures", [])),
                lockouts=state.get("lockouts", 0),
                locked_until=state.get("locked_until"),
            )
        )
    return len(users)


def _audit(conn: Connection, legacy: LegacyHome) -> int:
    events = []
    paths = sorted(legacy.audit.glob("*.jsonl")) if legacy.audit.is_dir() else []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # a line torn by a writer killed mid-write
                continue
            if isinstance(event, dict) and "at" in event:
                events.append(event)
    for event in sorted(events, key=lambda e: e["at"]):
        at, who, action = event.pop("at"), event.pop("who", ""), event.pop("action", "")
        conn.execute(
            sa.insert(schema.audit_events).values(
                at=_moment(at),
                who=who or "",
                action=action,
                detail=json.dumps(event, ensure_ascii=False, default=str),
            )
        )
    return len(events)


def _issues(conn: Connection, legacy: LegacyHome) -> int:
    count = 0
    paths = sorted(legacy.bulletins.iterdir()) if legacy.bulletins.is_dir() else []
    for path in paths:
        match = _ISSUE_FILE.match(path.name)
        if not match:
            continue
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        conn.execute(
            sa.insert(schema.issues).values(
                day=date.fromisoformat(match[1]),
                version=int(match[2]),
                number=int(match[3]),
                published_at=_moment(data["published_at"]),
                published_by=data.get("published_by", ""),
                content=text,
            )
        )
        count += 1
    return count


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _moment(text: str | None) -> datetime:
    """A moment as the old files wrote it; one written without its zone is Beijing time."""
    moment = datetime.fromisoformat(text) if text else clock.now()
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)
