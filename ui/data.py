"""The app's one door to the warehouse: a cached read-only connection and cached typed reads.

Every cached read takes the warehouse identity (inode, mtime) as an argument, so a build
swapped in by `sanse build` or an upload is picked up on the next rerun without a restart.
That identity, the newest publication and the rules' generation are asked once a page run
(`sanse.ui.pagerun`), as are the days and groups every page and the sidebar look up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town, read_towns
from sanse.facts.periods import Period
from sanse.facts.report import COUNT_COLUMNS
from sanse.pipelines.build.warehouse import build_if_behind
from sanse.publishing.issue import issues_generation as newest_publication
from sanse.publishing.issue import list_issues, load_issue
from sanse.ranking import rulebook
from sanse.ranking.rulebook import settings_in_force
from sanse.ranking.warehouse import NotBuilt, Warehouse
from sanse.reporting.status import reporting_count as count_reports
from sanse.sending.queue import queue_new_items
from sanse.supervision.ledger import list_items, overdue_at_end_of
from sanse.supervision.triggers import check_if_behind
from sanse.ui.pagerun import forget, per_run
from sanse.ui.session import format_day, t, viewer

# The state of the data that every cache below is keyed by: asked once a page run.
issues_generation = per_run(newest_publication)
rules_generation = per_run(rulebook.rules_generation)


@st.cache_resource(max_entries=4)
def _open(root: str, identity: tuple[int, int]) -> Warehouse:
    return Warehouse.open(Home(root))


@per_run
def home() -> Home:
    return Home.resolve()


def catch_up() -> None:
    """Bring this server's warehouse up to the store: another server or the CLI may have stored
    reports or rules since its last build. A new build may meet (or withdraw) the triggers of
    督办事项, checked on it."""
    if build_if_behind(home(), settings()) is not None:
        check_if_behind(home(), announce=queue_new_items)


@per_run
def warehouse() -> Warehouse | None:
    """The current build, or None when the home has never been built."""
    h = home()
    try:
        stat = h.warehouse.stat()
    except FileNotFoundError:
        return None
    try:
        return _open(str(h.root), (stat.st_ino, stat.st_mtime_ns))
    except NotBuilt:
        return None


@per_run
def settings() -> Settings:
    """The rules in force (re-read when rules.toml or the store's rules change)."""
    return _settings(str(home().root), rules_generation(home()))


def towns() -> list[Town]:
    return _towns(str(home().towns_csv), _mtime(home().towns_csv))


@st.cache_data(max_entries=8)
def _settings(root: str, generation: int) -> Settings:
    return settings_in_force(Home(root))


@st.cache_data(max_entries=8)
def _towns(path: str, mtime: int) -> list[Town]:
    from pathlib import Path

    return read_towns(Path(path))


def _mtime(path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@per_run
def dates() -> list[date]:
    wh = warehouse()
    return _dates(wh.identity) if wh else []


@per_run
def visible_dates(user: User) -> list[date]:
    """The ranking days this user may see: every day for office and town staff, only the
    published days for readers (leaders, the public), who see no unreviewed ranking."""
    days = dates()
    if user.may("submit", user.town_code):
        return days
    published = set(published_days())
    return [day for day in days if day in published]


def published_days() -> list[date]:
    return _published_days(str(home().root), issues_generation(home()))


@st.cache_data(max_entries=4)
def _published_days(root: str, generation: int) -> list[date]:
    return sorted({issue.day for issue in _issues(root, generation, "day")})


@per_run
def groups() -> list[str]:
    wh = warehouse()
    return _groups(wh.identity) if wh else []


def reads_issues() -> bool:
    """A reader (a leader, the public) sees a published day as its issue froze it, never the
    later data the office has not reviewed; office and town staff see the live ranking."""
    me = viewer()
    return not me.may("submit", me.town_code)


def source(day: date) -> tuple:
    """What the day's ranking is read from, for cache keys: the build, or the issues."""
    if reads_issues():
        return ("issue", issues_generation(home()))
    return ("build", warehouse().identity)


def ranking(day: date, group: str | None = None) -> pd.DataFrame:
    if reads_issues():
        return _issue_ranking(str(home().root), issues_generation(home()), day, group)
    return _ranking(warehouse().identity, day, group)


def reporting_count(day: date, group: str | None = None):
    """How many towns (of `group`, or all) have reported `day` (a minute behind at most: the
    board is exact)."""
    return _reporting_count(str(home().root), day, group)


@st.cache_data(ttl=60, max_entries=16)
def _reporting_count(root: str, day: date, group: str | None):
    return count_reports(Home(root), day, group=group)


def supervision_summary(day: date, group: str | None = None) -> tuple[list, list]:
    """(items overdue at the end of `day`, cards given for `day`) that this visitor may see,
    of the towns of `group` (or all)."""
    me = viewer()
    return _supervision_summary(str(home().root), me.role, me.town_code, day, group)


@st.cache_data(ttl=60, max_entries=64)  # a minute behind at most: the ledger page is exact
def _supervision_summary(
    root: str, role: str, town_code: str | None, day: date, group: str | None
) -> tuple[list, list]:
    items = list_items(Home(root), viewer=User("", role, town_code))
    if group is not None:
        inside = {town.code for town in read_towns(Home(root).towns_csv) if town.group == group}
        items = [item for item in items if item.town_code in inside]
    return overdue_at_end_of(items, day), [item for item in items if item.card is not None and item.occurred_on == day]


def issue_differing(day: date, group: str | None = None):
    """The published issue of `day` when the live ranking no longer matches it (a town
    corrected its figures since): staff are told so beside the live ranking."""
    issue = _issue_of(str(home().root), issues_generation(home()), day)
    if issue is None:
        return None
    live = ranking(day, group)[["code", "rank", "tier"]]
    frozen = _issue_ranking(str(home().root), issues_generation(home()), day, group)[["code", "rank", "tier"]]
    same = live.sort_values("code").reset_index(drop=True).equals(frozen.sort_values("code").reset_index(drop=True))
    return None if same else issue


@st.cache_data(max_entries=64)
def _issue_of(root: str, generation: int, day: date):
    return load_issue(Home(root), day)


@st.cache_data(max_entries=64)
def _issue_ranking(root: str, generation: int, day: date, group: str | None) -> pd.DataFrame:
    issue = _issue_of(root, generation, day)
    frame = issue.ranking_frame().assign(date=day)
    return frame if group is None else frame[frame["group"] == group].reset_index(drop=True)


def ranking_or_stop(day: date, group: str | None = None) -> pd.DataFrame:
    """The day's ranking; a warning and the end of the page when there is none."""
    stop_without_ranking(day, group)
    return ranking(day, group)


def stop_without_ranking(day: date, group: str | None = None) -> None:
    """A warning and the end of the page when the day has no ranking (without reading it)."""
    if not _ranked_towns(warehouse().identity, day, group):
        st.warning(t("empty.nobody_reported" if nobody_reported(day) else "empty.no_ranking", day=format_day(day)))
        st.stop()


def nobody_reported(day: date) -> bool:
    """A day of the campaign on which no town reported: not ranked (design §2)."""
    wh = warehouse()
    return wh is not None and wh.spans(day) and not _ranked_towns(wh.identity, day, None)


def rankings_between(first: date, last: date, group: str | None = None) -> pd.DataFrame:
    if reads_issues():
        frame = _published(str(home().root), issues_generation(home()))
        inside = frame[frame["date"].between(first, last)]
        return inside if group is None else inside[inside["group"] == group]
    return _rankings_between(warehouse().identity, first, last, group)


def town_rankings(code: str) -> pd.DataFrame:
    """One town's ranking on every day (a reader: on every published day, as issued)."""
    if reads_issues():
        frame = _published(str(home().root), issues_generation(home()))
        return frame[frame["code"] == code].reset_index(drop=True)
    return _town_rankings(warehouse().identity, code)


def window_sums(day: date, window: str, group: str | None = None) -> pd.DataFrame:
    """The sums a day was ranked on; a reader's are those its issue froze (its ranking rows
    carry the window's counts)."""
    if reads_issues():
        frozen = _issue_ranking(str(home().root), issues_generation(home()), day, group)
        return frozen[["window", "date", "group", "code", "town", "not_reported", *COUNT_COLUMNS]]
    return _window_sums(warehouse().identity, day, window, group)


@st.cache_data(max_entries=4)
def _published(root: str, generation: int) -> pd.DataFrame:
    """Every published day's ranking as its newest version froze it, by date, group and rank."""
    newest: dict[date, object] = {}
    for issue in _issues(root, generation, "day"):  # newest publication first
        newest.setdefault(issue.day, issue)
    frames = [issue.ranking_frame().assign(date=day) for day, issue in sorted(newest.items())]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["date", "code", "group"])


def totals(day: date, group: str | None = None) -> dict[str, dict[str, float]]:
    if reads_issues() and group is None:  # an issue freezes the city's totals (not a group's)
        return _issue_of(str(home().root), issues_generation(home()), day).totals
    return _totals(warehouse().identity, day, group)


# The identity argument keys each cache entry to one build; the body reads the live warehouse.


@st.cache_data(ttl=3600, max_entries=4)
def _dates(identity) -> list[date]:
    return warehouse().dates()


@st.cache_data(ttl=3600, max_entries=4)
def _groups(identity) -> list[str]:
    return warehouse().groups()


@st.cache_data(ttl=3600, max_entries=64)
def _ranking(identity, day: date, group: str | None) -> pd.DataFrame:
    return warehouse().ranking(day, group)


@st.cache_data(ttl=3600, max_entries=64)
def _ranked_towns(identity, day: date, group: str | None) -> int:
    return len(_ranking(identity, day, group))


@st.cache_data(ttl=3600, max_entries=16)
def _rankings_between(identity, first: date, last: date, group: str | None) -> pd.DataFrame:
    return warehouse().rankings_between(first, last, group)


@st.cache_data(ttl=3600, max_entries=64)
def _town_rankings(identity, code: str) -> pd.DataFrame:
    return warehouse().town_rankings(code)


@st.cache_data(ttl=3600, max_entries=64)
def _window_sums(identity, day: date, window: str, group: str | None) -> pd.DataFrame:
    return warehouse().window_sums(day, window, group)


@st.cache_data(ttl=3600, max_entries=64)
def _totals(identity, day: date, group: str | None) -> dict[str, dict[str, float]]:
    return warehouse().totals(day, group)


def clear() -> None:
    """After a write from this process (upload, publish, rule change)."""
    st.cache_data.clear()
    forget()


def tier_confidence(day: date, group: str | None):
    """The day's tiers with rank intervals, tier chances and 待定 flags (simulated once per build)."""
    from sanse.statistics.confidence import confidence_settings

    rules = settings().rules_on(day)
    block = window_sums(day, rules.window, group)
    return _tier_confidence(source(day), day, group, rules, confidence_settings(settings()), block)


# The rules and [confidence] settings are part of the key (an argument named with a leading
# underscore would not be): a change of either must not keep showing the old simulation.
# The block is named by the source, day and group.
@st.cache_data(ttl=3600, max_entries=32)
def _tier_confidence(source, day: date, group: str | None, rules, confidence, _block: pd.DataFrame) -> pd.DataFrame:
    from sanse.statistics.confidence import tier_confidence as simulate

    return simulate(_block, rules, confidence)


def issues(kind: str = "day") -> list:
    """Every published version of every issue of one series (the daily one by default),
    newest first (re-read when one is added)."""
    return _issues(str(home().root), issues_generation(home()), kind)


@st.cache_data(max_entries=16)
def _issues(root: str, generation: int, kind: str) -> list:
    return list_issues(Home(root), kind)


def issue_kinds() -> frozenset[str]:
    """The series (day, week, month, ...) that have a published issue: one look at the store."""
    return _issue_kinds(str(home().root), issues_generation(home()))


@st.cache_data(max_entries=8)
def _issue_kinds(root: str, generation: int) -> frozenset[str]:
    return frozenset(issue.period_kind for issue in list_issues(Home(root), None))


def published_issue(period: Period, version: int | None = None):
    """A published issue of a day or period (its latest version unless one is asked for); None if none."""
    return _published_issue(str(home().root), issues_generation(home()), period, version)


@st.cache_data(max_entries=32)
def _published_issue(root: str, generation: int, period: Period, version: int | None):
    return load_issue(Home(root), period, version)


# A download button's file is made when it is clicked, outside the page's run, where Streamlit's
# caches have no session to report to ("missing ScriptRunContext"): these take everything they
# need as arguments and keep their files in a plain cache.


def issue_download(period: Period, version: int, fmt: str) -> Callable[[], bytes]:
    """One published issue as a file, made when asked for; an issue never changes, so its
    files never expire."""
    return partial(_issue_download, str(home().root), period, version, fmt)


@functools.lru_cache(maxsize=64)
def _issue_download(root: str, period: Period, version: int, fmt: str) -> bytes:
    from sanse.publishing.exports import export_issue

    return export_issue(load_issue(Home(root), period, version), fmt)


def period_download(period: Period, fmt: str) -> Callable[[], bytes]:
    """A period's ranking as a file in a 通报's columns (as publishing it now would issue it),
    made when asked for; a new build, rules or issue make it again."""
    root = home()
    return partial(_period_download, str(root.root), period, fmt, warehouse().identity, rules_generation(root))


@functools.lru_cache(maxsize=16)
def _period_download(root: str, period: Period, fmt: str, identity, rules: int) -> bytes:
    from sanse.publishing.exports import export_issue
    from sanse.publishing.publish import draft_issue

    return export_issue(draft_issue(Home(root), period, running=True), fmt)


def missing_reports(day: date):
    """The towns that have not reported `day` while its deadline is ahead (a
    `sanse.publishing.publish.MissingReports`), or None: asked afresh, as publishing asks."""
    from sanse.publishing.publish import missing_reports as missing

    return missing(home(), day)


def draft(period: Period, fields):
    """The bulletin of a day or a period exactly as publishing it now would issue it, with
    the office's `fields` (a `sanse.publishing.publish.Draft`); made again when data, rules, issues or
    督办事项 change (those at most a minute behind)."""
    return _draft(
        str(home().root), period, fields, warehouse().identity, rules_generation(home()), issues_generation(home())
    )


@st.cache_data(ttl=60, max_entries=16)
def _draft(root: str, period: Period, fields, identity, rules: int, issues: int):
    from sanse.publishing.publish import draft_issue

    return draft_issue(Home(root), period, fields)
