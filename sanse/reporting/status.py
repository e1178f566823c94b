"""报送情况 (design §6): for one day, which towns have reported (a report, or the counts of a batch
of records), when and by whom, which are late against the deadline in rules.toml, and the 催报 message naming the towns still missing.

```toml
[reporting]
deadline = "17:00"   # Beijing time; default 17:00
days_after = 0       # 0: the day's figures are due that day; 1: by the deadline the next day
remind_before = 60   # minutes before the deadline: 催报 to each town still missing (design §12)
quiet_hours = ["22:00", "07:00"]   # no 催报 between these (Beijing time); default: none
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sanse.access.roles import User
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town, read_towns
from sanse.facts import clock
from sanse.facts.dates import month_day, month_day_time, time_on
from sanse.ranking.rulebook import settings_in_force
from sanse.store.database import Store
from sanse.store.sent import Sent, Source, sent_on

DEFAULT_DEADLINE = time(17, 0)
DEFAULT_REMIND_BEFORE = 60
MAX_DAYS_AFTER = 7
CLOCK_TEXT = re.compile(r"(\d{1,2})[:：](\d{2})")

Status = Literal["on_time", "late", "pending", "overdue"]
STATUSES: tuple[Status, ...] = ("overdue", "pending", "late", "on_time")  # the board's order: missing first


@dataclass(frozen=True)
class ReportingSettings:
    deadline: time = DEFAULT_DEADLINE  # Beijing time
    days_after: int = 0  # the deadline falls this many days after the day reported
    remind_before: int = DEFAULT_REMIND_BEFORE  # minutes before the deadline
    quiet_hours: tuple[time, time] | None = None  # from, until (Beijing time); may span midnight

    def quiet(self, moment: datetime) -> bool:
        """Whether `moment` falls in the quiet hours, when no 催报 is sent."""
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        now = clock.beijing(moment).time().replace(tzinfo=None)
        return start <= now < end if start <= end else (now >= start or now < end)

    def due(self, day: date) -> datetime:
        """When the figures of `day` are due (Beijing time)."""
        return datetime.combine(day + timedelta(days=self.days_after), self.deadline, clock.BEIJING)


def reporting_settings(settings: Settings) -> ReportingSettings:
    """The `[reporting]` table of rules.toml (kept in `Settings.extra`); defaults without one."""
    raw = settings.extra.get("reporting", {})
    if not isinstance(raw, dict):
        raise ConfigError('rules.toml 的 [reporting] 应为一个表，例如 [reporting] deadline = "17:00"')
    unknown = sorted(set(raw) - {"deadline", "days_after", "remind_before", "quiet_hours"})
    if unknown:
        raise ConfigError(
            f"rules.toml [reporting]：不认识的设置 {'、'.join(unknown)}（可用 deadline、days_after、remind_before、quiet_hours）"
        )
    days_after = raw.get("days_after", 0)
    if not isinstance(days_after, int) or isinstance(days_after, bool) or not 0 <= days_after <= MAX_DAYS_AFTER:
        raise ConfigError(
            f"rules.toml [reporting]：days_after 应为 0 到 {MAX_DAYS_AFTER} 的整数"
            f"（0 为当天截止，1 为次日截止），而不是“{days_after}”"
        )
    remind_before = raw.get("remind_before", DEFAULT_REMIND_BEFORE)
    if not isinstance(remind_before, int) or isinstance(remind_before, bool) or not 0 <= remind_before <= 24 * 60:
        raise ConfigError(f"rules.toml [reporting]：remind_before 应为 0 到 1440 之间的分钟数，而不是“{remind_before}”")
    quiet = raw.get("quiet_hours")
    if quiet is not None:
        if not isinstance(quiet, list) or len(quiet) != 2:
            raise ConfigError('rules.toml [reporting]：quiet_hours 应写成 ["22:00", "07:00"]（起、止，北京时间）')
        quiet = (_deadline(quiet[0], "quiet_hours"), _deadline(quiet[1], "quiet_hours"))
    return ReportingSettings(_deadline(raw.get("deadline", DEFAULT_DEADLINE)), days_after, remind_before, quiet)


def _deadline(value, key: str = "deadline") -> time:
    """ "17:00" (a string) or 17:00:00 (a TOML time), Beijing time, to the minute."""
    if isinstance(value, time):
        if value.tzinfo is None and not value.second and not value.microsecond:
            return value
    elif isinstance(value, str) and (match := CLOCK_TEXT.fullmatch(value.strip())):
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ConfigError(f'rules.toml [reporting]：{key} 应为北京时间的时和分，如 "17:00"，而不是“{value}”')


@dataclass(frozen=True)
class TownReporting:
    """One town's day: whether and when it reported (Beijing time), by whom and how."""

    code: str
    name: str
    status: Status
    first_at: datetime | None = None  # the first version of the day, or the first batch counting it
    first_by: str = ""
    first_source: Source = "report"  # a report, or the counts of a batch of records
    first_batch: int | None = None  # that batch
    last_at: datetime | None = None  # the latest version, when the day was corrected since
    last_by: str = ""
    versions: int = 0

    @property
    def reported(self) -> bool:
        return self.first_at is not None


@dataclass(frozen=True)
class ReportingCount:
    """For the overview: `reported` of `total` towns, `late` of them after the deadline, and
    `overdue` towns past the deadline without a report."""

    reported: int
    total: int
    late: int
    overdue: int

    @property
    def missing(self) -> int:
        return self.total - self.reported


@dataclass(frozen=True)
class DayReporting:
    day: date
    due: datetime
    now: datetime
    towns: tuple[TownReporting, ...]  # towns.csv order

    @property
    def missing(self) -> tuple[TownReporting, ...]:
        return tuple(t for t in self.towns if not t.reported)

    @property
    def count(self) -> ReportingCount:
        statuses = [t.status for t in self.towns]
        return ReportingCount(
            reported=sum(t.reported for t in self.towns),
            total=len(self.towns),
            late=statuses.count("late"),
            overdue=statuses.count("overdue"),
        )

    def by_status(self) -> tuple[TownReporting, ...]:
        """Missing first (past the deadline before not yet due), then late, then on time."""
        return tuple(sorted(self.towns, key=lambda t: STATUSES.index(t.status)))


def towns_in_view(towns: list[Town], user: User | None) -> list[Town]:
    """The active towns whose reporting `user` sees: a town account its own only."""
    active = [t for t in towns if t.active]
    if user is not None and user.role == "town":
        return [t for t in active if t.code == user.town_code]
    return active


def day_reporting(
    store: Store,
    towns: list[Town],
    day: date,
    *,
    rules: ReportingSettings,
    now: datetime | None = None,
    user: User | None = None,
) -> DayReporting:
    """Who of `towns` (the active ones, a town account's own) has reported `day`, as of `now`.

    A town has reported when a report of the day arrived or a batch of records counted it,
    whichever came first. It is late when that was after the deadline; a correction after the
    deadline does not make an on-time report late. Without either it is pending until the
    deadline and overdue after it.
    """
    now = clock.beijing(now or clock.now())
    due = rules.due(day)
    shown = towns_in_view(towns, user)
    with store.reading() as conn:
        arrived = sent_on(conn, day, [t.code for t in shown])
    sent: dict[str, list[Sent]] = {}
    for one in arrived:
        sent.setdefault(one.town_code, []).append(one)
    rows = []
    for town in shown:
        mine = sent.get(town.code)
        if not mine:
            rows.append(TownReporting(town.code, town.name, "overdue" if now > due else "pending"))
            continue
        first, last = mine[0], mine[-1]
        first_at, more = clock.beijing(first.at), len(mine) > 1
        rows.append(
            TownReporting(
                town.code,
                town.name,
                "late" if first_at > due else "on_time",
                first_at,
                first.by,
                first.source,
                first.batch_seq,
                clock.beijing(last.at) if more else None,
                last.by if more else "",
                len(mine),
            )
        )
    return DayReporting(day, due, now, tuple(rows))


def home_reporting(
    home: Home, day: date, *, now: datetime | None = None, user: User | None = None, group: str | None = None
) -> DayReporting:
    """`day_reporting` for a deployment: its towns (of `group`, or all) and the deadline in force."""
    rules = reporting_settings(settings_in_force(home))
    towns = [town for town in read_towns(home.towns_csv) if group is None or town.group == group]
    return day_reporting(home.store, towns, day, rules=rules, now=now, user=user)


def reporting_count(home: Home, day: date, *, now: datetime | None = None, group: str | None = None) -> ReportingCount:
    """How many active towns (of `group`, or all) have reported `day`, of how many, how many
    late and overdue."""
    return home_reporting(home, day, now=now, group=group).count


def office_name(settings: Settings) -> str:
    return f"{settings.campaign.city}安委办" if settings.campaign.city else "市安委办"


def reminder(reporting: DayReporting, *, office: str = "市安委办") -> str:
    """The 催报 message for the towns still missing, ready to paste into a chat or SMS; empty
    when every town has reported."""
    missing = reporting.missing
    if not missing:
        return ""
    day, due, now = reporting.day, reporting.due, reporting.now
    due_text = time_on(due, now.date())
    ask = f"报送截止时间（{due_text}）已过，请立即报送。" if now > due else f"请于{due_text}前报送。"
    return (
        f"【催报】截至{month_day_time(now)}，以下{len(missing)}个镇街尚未报送"
        f"{month_day(day)}的安全生产隐患排查整治日报：{'、'.join(t.name for t in missing)}。"
        f"{ask}可登录“三色晾晒”在“数据报送”页在线填报，或下载模板填好后上传。——{office}"
    )
