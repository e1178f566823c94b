"""The bulletins (design §5, 11): 《每日工作动态》 for a day and each period's 通报 series (a week,
month, ... or a date range). Publishing freezes the ranking, totals and rules as a numbered
issue (第N期; 2026年第N期 in a period series) that never changes; publishing it again adds a 更正.
A day is a period of one day: one Issue, one way to publish, store, read and download both."""

from __future__ import annotations

import json
import math
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.access.sessions import require_in
from sanse.deployment.config import (
    COUNT_COLUMNS,
    ConfigError,
    Rules,
    Settings,
    parse_settings,
    read_towns,
    settings_to_toml,
)
from sanse.deployment.home import Home
from sanse.facts import clock
from sanse.facts.clock import BEIJING
from sanse.facts.tiers import TIER_WORDS
from sanse.ranking.periods import PREVIOUS_PERIOD, THIS_PERIOD, Period, PeriodError, clipped, rank_period
from sanse.ranking.rank import FLAGS
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import Manifest, NotBuilt, Warehouse, ranking_inputs
from sanse.reporting.status import home_reporting
from sanse.sending.publication import prepare_publication, queue_publication
from sanse.store import schema
from sanse.supervision.items import bulletin_items, check_if_behind

INTEGER_COUNTS = tuple(c for c in COUNT_COLUMNS if c != "fines_wan")
_WINDOW_PHRASES = {
    "cumulative": "活动开展以来累计数据",
    "daily": "当日数据",
    "rolling_7d": "近7日数据",
}
SINCE_PHRASES = {
    "cumulative": "活动开展以来",
    "daily": "当日",
    "rolling_7d": "近7日",
}
# What each ranking row freezes from the 统计可信度 simulation of its day.
CONFIDENCE_KEYS = ("provisional", "small_sample", "p_blue", "p_red", "rank_low", "rank_high")
_NORMALIZATION_PHRASES = {
    "fracmax": "比例赋分",
    "minmax": "极差赋分",
    "rank": "位次赋分",
    "zscore": "标准分赋分",
}


class BulletinError(ValueError):
    """A bulletin that cannot be published or read; the message is for the user."""


class MissingReports(BulletinError):
    """A day published before its reporting deadline while towns have not reported: it goes
    out only when the publisher confirms it (`confirm_missing`)."""

    def __init__(self, day: date, due: datetime, towns: tuple[str, ...]):
        self.day, self.due, self.towns = day, due, towns
        super().__init__(
            f"{chinese_date(day)}的报送截止时间（{self.due_text}）还没到，{len(towns)}个镇街尚未报送：{'、'.join(towns)}"
        )

    @property
    def due_text(self) -> str:
        """17:00, or 10月2日17:00 when the figures are due on a later day (Beijing time)."""
        due = self.due
        return f"{due:%H:%M}" if due.date() == self.day else f"{due.month}月{due.day}日{due:%H:%M}"


@dataclass(frozen=True)
class Issue:
    """One published version of one day's bulletin, exactly as it was frozen."""

    title: str
    number: int
    day: date
    version: int
    correction: bool
    published_by: str
    published_at: datetime  # UTC
    rules: str  # TOML: the campaign and the one rules version in force that day
    totals: dict  # {"day": {...}, "cumulative": {...}}, counts plus rectification_rate
    ranking: tuple[dict, ...]  # one row per town, by group then rank
    tier_changes: tuple[dict, ...]  # {code, town, group, from, to} against previous_day
    red_towns: tuple[dict, ...]
    red_alerts: tuple[dict, ...]
    not_reported: tuple[dict, ...]
    city: str = ""
    previous_day: date | None = None
    # The [confidence] settings and seed behind the rows' 待定 flags; {} in issues published
    # before tiers were judged, whose rows carry no flags and read as not provisional.
    confidence: dict = field(default_factory=dict)
    # What the office adds to the draft before publishing (design §5); "" in issues published
    # before the draft had them, which render without those lines.
    editor_note: str = ""  # 编者按/工作要求
    signer: str = ""  # 签发人
    report_to: str = ""  # 报送
    copy_to: str = ""  # 抄送
    correction_note: str = ""  # 更正说明
    # The period it is about: a day (the default, every issue published before periods were)
    # or a week, month, ... whose last day is `day`.
    period_kind: str = "day"
    first: date | None = None  # the period's first day; None for a day
    # 督办事项 (design §11): the measures the period brought and the items overdue at its end,
    # {id, code, town, measure, reason, occurred_on, deadline}; None in issues published
    # before bulletins listed them, which render without those lines.
    new_measures: tuple[dict, ...] | None = None
    overdue_items: tuple[dict, ...] | None = None

    @property
    def period(self) -> Period:
        return Period(self.first or self.day, self.day, self.period_kind)

    @property
    def when(self) -> str:
        """What it is about: 2026年10月12日, 2026年10月, 2026年第43周 ..."""
        return chinese_date(self.day) if self.period_kind == "day" else self.period.label

    @property
    def number_label(self) -> str:
        """第12期 in the daily series; 2026年第3期 in a period's, numbered within its year."""
        return f"第{self.number}期" if self.period_kind == "day" else f"{self.period.key[:4]}年第{self.number}期"

    @property
    def label(self) -> str:
        """第12期, or 第12期（更正）."""
        return self.number_label + ("（更正）" if self.correction else "")

    @property
    def office(self) -> str:
        return f"{self.city}安委办" if self.city else "市安委办"

    @property
    def doc_number(self) -> str:
        """Its 发文字号 (示安办〔2026〕12号) under the campaign frozen with it; "" when its series has none."""
        campaign = parse_settings(tomllib.loads(self.rules)).campaign
        return campaign.doc_number_of(self.period_kind, self.day.year, self.number)

    def rules_used(self) -> Rules:
        return parse_settings(tomllib.loads(self.rules)).versions[0]

    def tier_counts(self) -> dict[str, int]:
        counts = Counter(row["tier"] for row in self.ranking)
        return {tier: counts.get(tier, 0) for tier in TIER_WORDS}

    def provisional_rows(self) -> list[dict]:
        """Blue or red tiers the data could not support (待定), in print order."""
        return [row for row in self.ranking if row.get("provisional")]

    def provisional_count(self) -> int:
        return len(self.provisional_rows())

    def small_sample_rows(self) -> list[dict]:
        """Towns under `min_inspections` inspections in the window (样本不足), still ranked."""
        return [row for row in self.ranking if row.get("small_sample")]

    def groups(self) -> list[str]:
        return list(dict.fromkeys(row["group"] for row in self.ranking))

    def ranking_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(list(self.ranking))
        if "rank_change" in frame.columns:
            frame["rank_change"] = frame["rank_change"].astype("Int64")
        return frame


# ---------------------------------------------------------------- publishing

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Draft:
    """What the office adds to a day's bulletin before publishing it (design §5)."""

    editor_note: str = ""  # 编者按/工作要求
    signer: str = ""  # 签发人
    report_to: str = ""  # 报送
    copy_to: str = ""  # 抄送
    correction_note: str = ""  # 更正说明: required when the day was published before

    def cleaned(self) -> Draft:
        """Surrounding blanks dropped, and the one-line fields on one line."""
        one_line = {
            f: " ".join(getattr(self, f).split()) for f in ("signer", "report_to", "copy_to", "correction_note")
        }
        return replace(self, editor_note=self.editor_note.strip(), **one_line)


def draft_issue(home: Home, day: date | Period, draft: Draft = Draft(), *, running: bool = False) -> Issue:
    """The issue exactly as publishing `day` (or a period) now would issue it, numbered as it would be;
    with `running`, also of a period not yet over (for its table to download, never to publish)."""
    settings = settings_in_force(home)
    frozen = replace(_freeze(home, _as_period(day), settings, running=running), **draft.cleaned().__dict__)
    with home.store.reading() as conn:
        return _numbered(conn, frozen, settings, by="", at=frozen.published_at)


def missing_reports(home: Home, day: date) -> MissingReports | None:
    """The active towns that have not reported `day` while its deadline ([reporting] in
    rules.toml) is still ahead; None once it has passed or every town has reported."""
    reporting = home_reporting(home, day)
    if reporting.now >= reporting.due or not reporting.missing:
        return None
    return MissingReports(day, reporting.due, tuple(town.name for town in reporting.missing))


def publish_bulletin(
    home: Home, day: date | Period, *, by: User, draft: Draft = Draft(), confirm_missing: bool = False
) -> Issue:
    """Freeze `day`'s ranking (or a period's) as the next issue of its series, or as a
    correction if it was published.

    A correction needs its 更正说明, and one that changes nothing is refused: so two offices
    publishing the same new day at once make one issue, not an issue and a 更正. A day whose
    reporting deadline is still ahead while towns are missing is refused (MissingReports)
    unless the publisher has seen their names and confirms (`confirm_missing`).
    """
    require(by, "publish")
    period = _as_period(day)
    try:  # the measures the issue lists are those of the ranking it freezes
        check_if_behind(home)
    except ConfigError:  # the 督办台账 page names the fault; the day's issue still goes out, with the items stored
        pass
    settings = settings_in_force(home)
    frozen = replace(_freeze(home, period, settings), **draft.cleaned().__dict__)
    if period.kind == "day" and not confirm_missing and (missing := missing_reports(home, period.last)):
        raise missing
    messages = prepare_publication(home, frozen)  # the towns' messages' facts, outside the transaction
    # Publishers take turns, so two never take the same 第N期 or both make version 1; the
    # unique (day, version) is the database's own guard should anything else write.
    with home.store.writing("publish") as conn:
        require_in(conn, by, "publish")
        issue = _numbered(conn, frozen, settings, by=by.name, at=clock.now_utc())
        if issue.correction:
            _check_correction(conn, issue)
        seq = conn.execute(
            sa.insert(schema.issues).values(
                day=issue.day,
                version=issue.version,
                number=issue.number,
                published_at=issue.published_at,
                published_by=by.name,
                content=issue_to_json(issue),
                period_kind=issue.period_kind,
                period=_series_key(issue.period),
            )
        ).inserted_primary_key[0]
        queue_publication(conn, messages, issue, seq)  # design §12: sent with the publication, or not at all
        detail = {} if issue.period_kind == "day" else {"period": issue.period.key, "title": issue.title}
        audit.record_in(
            conn,
            by.name,
            "publication",
            day=issue.day.isoformat(),
            number=issue.number,
            version=issue.version,
            correction_note=issue.correction_note or None,
            **detail,
        )
    return issue


def _as_period(day: date | Period) -> Period:
    return day if isinstance(day, Period) else Period(day, day, "day")


def _series_key(period: Period) -> str:
    """How the issues table names a period: "" for a day (whose `day` says it all), else its key."""
    return "" if period.kind == "day" else period.key


def same_period(one: Period, other: Period) -> bool:
    """Two names of one issue's period: what the store tells issues apart by (an issue published
    before periods were clipped to the campaign keeps the first day it was published with)."""
    return (one.kind, _series_key(one), one.last) == (other.kind, _series_key(other), other.last)


def _same_period(period: Period):
    table = schema.issues
    return sa.and_(
        table.c.period_kind == period.kind, table.c.period == _series_key(period), table.c.day == period.last
    )


def _numbered(conn, frozen: Issue, settings: Settings, *, by: str, at: datetime) -> Issue:
    """`frozen` with the number and version publishing it now gives it: each series numbers
    its own issues, a period's series within each year."""
    table = schema.issues
    period = frozen.period
    same = conn.execute(
        sa.select(table.c.version, table.c.number).where(_same_period(period)).order_by(table.c.version.desc())
    ).first()
    if same is not None:
        version, number = same.version + 1, same.number
    elif period.kind == "day":
        highest = conn.execute(sa.select(sa.func.max(table.c.number)).where(table.c.period_kind == "day")).scalar_one()
        version, number = 1, highest + 1 if highest is not None else settings.campaign.first_issue
    else:
        highest = conn.execute(
            sa.select(sa.func.max(table.c.number)).where(
                table.c.period_kind == period.kind, table.c.period.like(f"{period.key[:4]}%")
            )
        ).scalar_one()
        version, number = 1, (highest or 0) + 1
    return replace(frozen, number=number, version=version, correction=version > 1, published_by=by, published_at=at)


def _check_correction(conn, issue: Issue) -> None:
    table = schema.issues
    latest = issue_from_json(
        conn.execute(
            sa.select(table.c.content).where(_same_period(issue.period)).order_by(table.c.version.desc()).limit(1)
        ).scalar_one()
    )
    what = issue.day if issue.period_kind == "day" else issue.when
    if _content(latest) == _content(issue):
        raise BulletinError(
            f"{what} 已由 {latest.published_by} 发布为{issue.number_label}，之后数据和稿件都没有变化，不能再发布更正"
        )
    if not issue.correction_note:
        raise BulletinError(f"{what} 已发布为{issue.number_label}：再次发布是更正，请写明更正说明")


def _content(issue: Issue) -> str:
    """What a correction must change: everything but its number, version, who, when and why."""
    return issue_to_json(
        replace(issue, correction_note="", number=0, version=0, correction=False, published_by="", published_at=_EPOCH)
    )


def _freeze(home: Home, period: Period, settings: Settings, *, running: bool = False) -> Issue:
    """Everything the issue shows, read from the warehouse; number and version come later.

    A day's issue shows that day's ranking over the window of its rules; a period's, the
    period's own ranking (its sums, under the rules in force on its last day)."""
    try:
        warehouse = Warehouse.open(home)
    except NotBuilt as exc:
        raise BulletinError(str(exc)) from exc
    try:
        if warehouse.built_from() != ranking_inputs(
            settings, read_towns(home.towns_csv)
        ):  # the issue would state rules its ranking did not follow
            raise BulletinError(
                "规则、镇街名单或程序在上次生成数据仓库之后改动过，排名还不是按现在的规则算的："
                f"请先运行 sanse --home {home.root} build，核对排名后再发布"
            )
        if period.kind == "day":
            shown = _day_shown(warehouse, period.last, settings)
        else:  # a period that began before the campaign is the campaign's part of it
            period = clipped(period, warehouse.manifest.first_day)
            shown = _period_shown(warehouse, period, settings, running=running)
    finally:
        warehouse.close()
    rules, frame, previous, previous_day, totals, window_sums = shown

    flags, confidence = _tier_flags(window_sums, rules, settings)
    new_measures, overdue_items = bulletin_items(home, period.first, period.last)
    ranking = tuple(_with_flags(row, flags, confidence) for row in _ranking_rows(frame, rules))
    return Issue(
        title=settings.campaign.series_title(period.kind),
        number=0,
        day=period.last,
        version=0,
        correction=False,
        published_by="",
        published_at=clock.now_utc(),
        rules=settings_to_toml(Settings(settings.campaign, (rules,))),
        totals={span: _with_rectification_rate(values) for span, values in totals.items()},
        ranking=ranking,
        tier_changes=tuple(_tier_changes(ranking, previous)),
        red_towns=tuple(_town_entry(r) for r in ranking if r["tier"] == "red"),
        red_alerts=tuple(_town_entry(r) for r in ranking if r["red_alert"]),
        not_reported=tuple(_town_entry(r) for r in ranking if r["not_reported"]),
        city=settings.campaign.city,
        previous_day=previous_day,
        confidence=confidence,
        period_kind=period.kind,
        first=None if period.kind == "day" else period.first,
        new_measures=new_measures,
        overdue_items=overdue_items,
    )


def _day_shown(warehouse: Warehouse, day: date, settings: Settings) -> tuple:
    """(rules, ranking, previous ranking, previous day, totals, window sums) of a day."""
    rules = settings.rules_on(day)
    frame = warehouse.ranking(day)
    if frame.empty:
        raise BulletinError(f"{warehouse.why_unranked(day)}，不能发布")
    earlier = [d for d in warehouse.dates() if d < day]
    previous_day = earlier[-1] if earlier else None
    previous = warehouse.ranking(previous_day) if previous_day else frame.iloc[0:0]
    return rules, frame, previous, previous_day, warehouse.totals(day), warehouse.window_sums(day, rules.window)


def _period_shown(warehouse: Warehouse, period: Period, settings: Settings, *, running: bool = False) -> tuple:
    """The same of a period: a whole one only (a period still running is not published), unless
    `running`."""
    try:
        ranked = rank_period(warehouse, period, settings)
    except PeriodError as exc:
        raise BulletinError(f"{exc}，不能发布") from exc
    if not ranked.complete and not running:
        raise BulletinError(f"{period.label}尚未结束（数据截至{ranked.through}），不能发布{period.label}的通报")
    daily = warehouse.daily_counts(warehouse.manifest.first_day, period.last)
    inside = pd.to_datetime(daily["date"]).dt.date.between(period.first, period.last)
    totals = {"day": _sums(daily[inside]), "cumulative": _sums(daily)}
    totals["day"]["reporting"] = float(len(ranked.ranking) - int(ranked.ranking["not_reported"].sum()))
    totals["day"]["days"] = float(ranked.ranking["days"].max())
    ranked_before = ranked.previous is not None and ranked.before["tier"].notna().any()
    previous_day = ranked.previous.last if ranked_before else None
    reporting = ranked.ranking[ranked.ranking["rank"].notna()]  # those 未报送 have no tier to judge
    return ranked.rules, ranked.ranking, ranked.before, previous_day, totals, reporting


def _sums(daily: pd.DataFrame) -> dict[str, float]:
    return {c: float(daily[c].sum()) for c in COUNT_COLUMNS}


def _ranking_columns(rules: Rules) -> list[str]:
    per_indicator = [f"{i.key}{suffix}" for i in rules.indicators for suffix in ("", "_score", "_rank")]
    return [
        "group",
        "code",
        "town",
        "window",
        *COUNT_COLUMNS,
        *per_indicator,
        "score",
        "rank",
        "group_size",
        "tier",
        "rank_change",
        "tier_streak",
        *FLAGS,
        "days",
        "missed_days",
    ]  # the last two in a period's issue only


def _ranking_rows(frame: pd.DataFrame, rules: Rules) -> list[dict]:
    columns = [c for c in _ranking_columns(rules) if c in frame.columns]
    ordered = frame.sort_values(["group", "rank", "code"], kind="stable")
    rows = []
    for record in ordered[columns].to_dict("records"):
        row = {key: _plain(value) for key, value in record.items()}
        for key in (
            *INTEGER_COUNTS,
            "rank",
            "group_size",
            "tier_streak",
            "rank_change",
            "days",
            "missed_days",
            *(f"{i.key}_rank" for i in rules.indicators),
        ):
            if row.get(key) is not None:
                row[key] = int(row[key])
        for key in FLAGS:
            row[key] = bool(row.get(key))
        rows.append(row)
    return rows


def _tier_flags(window_sums: pd.DataFrame, rules: Rules, settings: Settings) -> tuple[dict, dict]:
    """The day's 统计可信度 per (group, code), and the settings and seed that produced it.

    The seed is the date, so publishing the same figures again freezes the same flags.
    """
    from sanse.statistics.confidence import ConfidenceInputError, confidence_settings, default_seed, tier_confidence

    try:
        chosen = confidence_settings(settings)
        seed = default_seed(window_sums)
        tiers = tier_confidence(window_sums, rules, chosen, seed=seed)
    except (ConfigError, ConfidenceInputError) as exc:
        raise BulletinError(f"无法计算统计可信度，不能发布：{exc}") from exc
    flags = {
        (row["group"], row["code"]): row
        for row in tiers[["group", "code", "p_blue", "p_red", "rank_low", "rank_high", "small_sample"]].to_dict(
            "records"
        )
    }
    used = {
        "provisional_below": chosen.provisional_below,
        "min_inspections": chosen.min_inspections,
        "draws": chosen.draws,
        "prior": chosen.prior,
        "seed": seed,
    }
    return flags, used


def _with_flags(row: dict, flags: dict, confidence: dict) -> dict:
    """The row with its tier judged against the issue's own tier, which is what gets printed."""
    found = flags.get((row["group"], row["code"]))
    if found is None:  # a town the window sums lack: nothing to judge it by
        return {**row, **dict.fromkeys(CONFIDENCE_KEYS), "provisional": False, "small_sample": False}
    p_blue, p_red = round(float(found["p_blue"]), 4), round(float(found["p_red"]), 4)
    below = confidence["provisional_below"]
    provisional = (row["tier"] == "blue" and p_blue < below) or (row["tier"] == "red" and p_red < below)
    return {
        **row,
        "provisional": bool(provisional),
        "small_sample": bool(found["small_sample"]),
        "p_blue": p_blue,
        "p_red": p_red,
        "rank_low": int(found["rank_low"]),
        "rank_high": int(found["rank_high"]),
    }


def _plain(value):
    """A JSON-ready Python value: numpy scalars unwrapped, NaN and NA as None."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _with_rectification_rate(values: dict[str, float]) -> dict:
    out = {k: (int(v) if k != "fines_wan" else round(float(v), 4)) for k, v in values.items()}
    out["rectification_rate"] = values["rectified"] / values["hazards"] if values.get("hazards") else None
    return out


def _tier_changes(ranking: tuple[dict, ...], previous: pd.DataFrame) -> Iterator[dict]:
    before = {(r["group"], r["code"]): r["tier"] for r in previous.to_dict("records")}
    for row in ranking:
        old = before.get((row["group"], row["code"]))
        if _tiered(old) and _tiered(row["tier"]) and old != row["tier"]:
            yield {"code": row["code"], "town": row["town"], "group": row["group"], "from": old, "to": row["tier"]}


def _tiered(tier) -> bool:
    """A tier was given (a town 未报送 in a period has none)."""
    return tier in TIER_WORDS


def _town_entry(row: dict) -> dict:
    entry = {key: row[key] for key in ("code", "town", "group", "rank", "tier", "tier_streak")}
    if "missed_days" in row:
        entry["missed_days"] = row["missed_days"]
    return entry


# ---------------------------------------------------------------- storage


def issue_to_json(issue: Issue) -> str:
    data = {
        **{k: getattr(issue, k) for k in Issue.__dataclass_fields__},
        "day": issue.day.isoformat(),
        "published_at": issue.published_at.isoformat(timespec="microseconds"),
        "previous_day": issue.previous_day.isoformat() if issue.previous_day else None,
    }
    if issue.period_kind == "day":  # a day's issue is stored as it always was
        del data["period_kind"], data["first"]
    else:
        data["first"] = issue.first.isoformat()
    return json.dumps(data, ensure_ascii=False, indent=1, default=_plain)


def issue_from_json(text: str) -> Issue:
    data = json.loads(text)
    for key in ("ranking", "tier_changes", "red_towns", "red_alerts", "not_reported"):
        data[key] = tuple(data[key])
    for key in ("new_measures", "overdue_items"):
        data[key] = None if data.get(key) is None else tuple(data[key])
    data["day"] = date.fromisoformat(data["day"])
    data["published_at"] = datetime.fromisoformat(data["published_at"])
    data["previous_day"] = date.fromisoformat(data["previous_day"]) if data.get("previous_day") else None
    data["first"] = date.fromisoformat(data["first"]) if data.get("first") else None
    return Issue(**data)


def list_issues(home: Home, kind: str | None = "day") -> list[Issue]:
    """Every published version of every issue of one series (the daily one by default; None:
    every series), newest publication first."""
    table = schema.issues
    query = sa.select(table.c.content).order_by(table.c.seq.desc())
    if kind is not None:
        query = query.where(table.c.period_kind == kind)
    with home.store.reading() as conn:
        texts = conn.execute(query).scalars().all()
    issues = [issue_from_json(text) for text in texts]
    return sorted(issues, key=lambda i: (i.published_at, i.number, i.version), reverse=True)


def load_issue(home: Home, day: date | Period, version: int | None = None) -> Issue | None:
    """The issue of `day` (or of a period): its latest version, or the version asked for;
    None if not published. A date range that began before the campaign is found as it was
    published: from the campaign's first day."""
    period = _as_period(day)
    if period.kind == "range":  # the one kind whose key names its first day
        period = clipped(period, _campaign_start(home))
    table = schema.issues
    query = sa.select(table.c.content).where(_same_period(period)).order_by(table.c.version.desc()).limit(1)
    if version is not None:
        query = query.where(table.c.version == version)
    with home.store.reading() as conn:
        text = conn.execute(query).scalar_one_or_none()
    return None if text is None else issue_from_json(text)


def _campaign_start(home: Home) -> date | None:
    """The campaign's first day as the last build ranked it; None before any build."""
    try:
        return Manifest.read(home.warehouse).first_day
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None


def issues_generation(home: Home) -> int:
    """The number of the newest publication: it changes whenever an issue is published."""
    with home.store.reading() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.issues.c.seq), 0))).scalar_one()


# ---------------------------------------------------------------- text

STREAK_UNITS = {
    "day": "天",
    "week": "周",
    "month": "个月",
    "bimonth": "期",
    "quarter": "个季度",
    "half": "个半年",
    "year": "年",
    "range": "期",
}


def bulletin_paragraphs(issue: Issue) -> list[str]:
    """The body of the bulletin in plain Chinese, shared by the page, the print view and DOCX.
    A period's issue says the same of its period: 本月 where a day's says 当日."""
    rules = issue.rules_used()
    kind = issue.period_kind
    this = THIS_PERIOD[kind]
    towns = len(issue.ranking)
    day_totals, cumulative = issue.totals.get("day", {}), issue.totals.get("cumulative", {})
    when = chinese_date(issue.day) if kind == "day" else f"{issue.when}（{issue.period.span}）"
    every = "" if kind == "day" else "每天"
    paragraphs = [
        f"{when}，{towns}个镇街中有{day_totals.get('reporting', 0)}个{every}报送数据。"
        f"{this}{_totals_sentence(day_totals)}",
        f"活动开展以来，累计{_totals_sentence(cumulative)}",
    ]

    labels = "、".join(i.label for i in rules.indicators)
    counts = issue.tier_counts()
    grouped = "各分组内分别排名，合计" if len(issue.groups()) > 1 else ""
    basis = _WINDOW_PHRASES.get(rules.window, rules.window) if kind == "day" else f"{this}数据合计"
    unranked = [r for r in issue.ranking if not _tiered(r["tier"])]
    silent = f"；{len(unranked)}个镇街{this}没有报送任何数据，不参加排名" if unranked else ""
    paragraphs.append(
        f"按{basis}，对{labels}"
        f"{len(rules.indicators)}项指标{_NORMALIZATION_PHRASES.get(rules.normalization, '赋分')}后综合排名，"
        f"{grouped}蓝色{counts['blue']}个、黄色{counts['yellow']}个、红色{counts['red']}个{silent}。"
    )
    if issue.confidence:
        paragraphs.append(_confidence_sentence(issue, rules))

    if issue.previous_day is not None:
        before = chinese_date(issue.previous_day) if kind == "day" else issue.period.previous().label
        since = f"与{PREVIOUS_PERIOD[kind]}（{before}）相比，"
        if issue.tier_changes:
            moves = "；".join(
                f"{c['town']}由{TIER_WORDS[c['from']]}色{_direction(c['from'], c['to'])}为{TIER_WORDS[c['to']]}色"
                for c in issue.tier_changes
            )
            paragraphs.append(f"{since}{len(issue.tier_changes)}个镇街等级发生变化：{moves}。")
        else:
            paragraphs.append(f"{since}各镇街等级没有变化。")

    if issue.red_towns:
        names = "、".join(r["town"] for r in issue.red_towns)
        paragraphs.append(f"红色镇街（{len(issue.red_towns)}个）：{names}。")
    streak, unit = rules.red_alert_streak, STREAK_UNITS[kind]
    if issue.red_alerts:
        names = "、".join(f"{r['town']}（连续{r['tier_streak']}{unit}）" for r in issue.red_alerts)
        paragraphs.append(f"连续{streak}{unit}及以上处于红色等级、列入约谈的镇街：{names}。")
    else:
        paragraphs.append(f"没有连续{streak}{unit}及以上处于红色等级的镇街。")

    if issue.not_reported:
        if kind == "day":
            names = "、".join(r["town"] for r in issue.not_reported)
        else:
            names = "、".join(
                f"{r['town']}（{r.get('missed_days', 0)}天{'，未参加排名' if r.get('rank') is None else ''}）"
                for r in issue.not_reported
            )
        paragraphs.append(
            f"{this}{'' if kind == 'day' else '有'}未报送数据的镇街（{len(issue.not_reported)}个）：{names}。"
        )
    else:
        paragraphs.append(f"{this}所有镇街{every}均已报送数据。")
    return paragraphs + supervision_paragraphs(issue)


def supervision_paragraphs(issue: Issue) -> list[str]:
    """The measures the issue's period brought and the items overdue at its end (design §11),
    each a heading sentence and then an item a line; nothing for an issue published before
    bulletins listed them."""
    paragraphs = []
    this = THIS_PERIOD[issue.period_kind]
    if issue.new_measures is not None:
        if issue.new_measures:
            paragraphs.append(f"{this}新增督办措施{len(issue.new_measures)}项：")
            paragraphs += _item_lines(issue.new_measures)
        else:
            paragraphs.append(f"{this}没有新增督办措施。")
    if issue.overdue_items is not None:
        as_of = f"截至{chinese_date(issue.day)}"
        if issue.overdue_items:
            paragraphs.append(f"{as_of}，逾期未销号的督办事项{len(issue.overdue_items)}项：")
            paragraphs += _item_lines(issue.overdue_items)
        else:
            paragraphs.append(f"{as_of}，没有逾期未销号的督办事项。")
    return paragraphs


def _item_lines(items: tuple[dict, ...]) -> list[str]:
    """（1）渔歌镇约谈（事由），整改期限2026年9月10日；... the last ending in 。"""
    last = len(items)
    return [
        f"（{n}）{m['town']}{m['measure']}（{m['reason']}），整改期限{_iso_date(m['deadline'])}{'。' if n == last else '；'}"
        for n, m in enumerate(items, start=1)
    ]


def _iso_date(text: str) -> str:
    return chinese_date(date.fromisoformat(text))


def _confidence_sentence(issue: Issue, rules: Rules) -> str:
    this = THIS_PERIOD[issue.period_kind]
    pending = issue.provisional_rows()
    if pending:
        names = "、".join(f"{r['town']}（{TIER_WORDS[r['tier']]}）" for r in pending)
        text = f"按统计可信度分析，{this}有{len(pending)}个等级为“待定”（数据不足以确定）：{names}。"
    else:
        text = f"按统计可信度分析，{this}蓝色、红色等级均有足够数据支持，没有“待定”等级。"
    minimum = issue.confidence.get("min_inspections", 0)
    if minimum:
        small = issue.small_sample_rows()
        since = SINCE_PHRASES.get(rules.window, "") if issue.period_kind == "day" else this
        if small:
            names = "、".join(r["town"] for r in small)
            text += f"{since}检查企业不足{minimum}家次、样本不足的镇街（{len(small)}个）：{names}，其排名仅供参考。"
        else:
            text += f"{since}各镇街检查企业均不少于{minimum}家次。"
    return text


def correction_statement(issue: Issue) -> str:
    """The 更正说明 of a 更正: the office's words, or for a correction published before the draft
    had them, which version this is; "" for a first version."""
    if not issue.correction:
        return ""
    return issue.correction_note.strip() or f"本期为第{issue.number}期的更正版（第{issue.version}版），内容以本版为准。"


def publication_note(issue: Issue) -> str:
    """Who published this version and when, in Beijing time."""
    at = issue.published_at.astimezone(BEIJING)
    version = f"第{issue.version}版（更正）" if issue.correction else "第1版"
    return f"{version}，{issue.published_by} 发布于 {at:%Y-%m-%d %H:%M}（北京时间）"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _totals_sentence(t: dict) -> str:
    rate = t.get("rectification_rate")
    rate_text = "—" if rate is None else f"{rate:.1%}"
    return (
        f"检查企业{t.get('inspections', 0)}家次，发现隐患{t.get('hazards', 0)}处，"
        f"其中重大隐患{t.get('major_hazards', 0)}处；整改隐患{t.get('rectified', 0)}处，整改率{rate_text}；"
        f"责令停产停业{t.get('halted', 0)}家，立案查处{t.get('cases', 0)}起，"
        f"行政拘留{t.get('detentions', 0)}人，罚款{_wan(t.get('fines_wan', 0))}万元。"
    )


def _wan(amount: float) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def _direction(old: str, new: str) -> str:
    order = list(TIER_WORDS)
    return "升" if order.index(new) < order.index(old) else "降"
