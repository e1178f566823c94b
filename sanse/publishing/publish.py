"""Publishing (design §5, 12): the office's draft of an issue, the check that the day's towns
have reported, and publishing, which freezes the issue as the next number of its series, or as
a 更正 of one published, in one transaction with whatever is to go out with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sanse.access import audit
from sanse.access.roles import User, require
from sanse.access.sessions import require_in
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.deployment.settings import Settings
from sanse.facts import clock
from sanse.facts.dates import chinese_date, time_on
from sanse.facts.periods import Period
from sanse.publishing.freeze import freeze
from sanse.publishing.issue import BulletinError, Issue, issue_from_json, issue_to_json
from sanse.publishing.numbering import as_period, next_number, of_period, series_key
from sanse.ranking.rulebook import settings_in_force
from sanse.reporting.status import home_reporting
from sanse.store import schema
from sanse.supervision.lifecycle import Announce
from sanse.supervision.triggers import check_if_behind

InTransaction = Callable[[Connection, Issue, int], object]
"""What goes out with a publication, done inside its transaction with the issue as stored (and
its `seq`): it commits with the issue or not at all, as the messages a publication queues."""
Then = Callable[[Home, Issue], InTransaction]
"""Prepares, from the frozen issue (number and version not yet set) and before the transaction,
what takes time, and returns what to do inside it."""


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
        return time_on(self.due, self.day)


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
    frozen = replace(freeze(home, as_period(day), settings, running=running), **draft.cleaned().__dict__)
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
    home: Home,
    day: date | Period,
    *,
    by: User,
    draft: Draft = Draft(),
    confirm_missing: bool = False,
    then: Then | None = None,
    announce: Announce | None = None,
) -> Issue:
    """Freeze `day`'s ranking (or a period's) as the next issue of its series, or as a
    correction if it was published.

    A correction needs its 更正说明, and one that changes nothing is refused: so two offices
    publishing the same new day at once make one issue, not an issue and a 更正. A day whose
    reporting deadline is still ahead while towns are missing is refused (MissingReports)
    unless the publisher has seen their names and confirms (`confirm_missing`).

    `then` is what goes out with the issue (the messages sending queues, design §12): prepared
    from the frozen issue before the transaction, done inside it, so the issue is published
    with it or not at all. `announce` is what goes out with the 督办事项 the check before the
    freeze makes (the messages sending queues for new items), in the transaction that makes them.
    """
    require(by, "publish")
    period = as_period(day)
    try:  # the measures the issue lists are those of the ranking it freezes
        check_if_behind(home, announce=announce)
    except ConfigError:  # the 督办台账 page names the fault; the day's issue still goes out, with the items stored
        pass
    settings = settings_in_force(home)
    frozen = replace(freeze(home, period, settings), **draft.cleaned().__dict__)
    if period.kind == "day" and not confirm_missing and (missing := missing_reports(home, period.last)):
        raise missing
    alongside = then(home, frozen) if then else None  # what takes time, outside the transaction
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
                period=series_key(issue.period),
            )
        ).inserted_primary_key[0]
        if alongside:
            alongside(conn, issue, seq)
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


def _numbered(conn: Connection, frozen: Issue, settings: Settings, *, by: str, at: datetime) -> Issue:
    """`frozen` with the number and version publishing it now gives it."""
    number, version = next_number(conn, frozen.period, settings.campaign.first_issue)
    return replace(frozen, number=number, version=version, correction=version > 1, published_by=by, published_at=at)


def _check_correction(conn: Connection, issue: Issue) -> None:
    table = schema.issues
    latest = issue_from_json(
        conn.execute(
            sa.select(table.c.content).where(of_period(issue.period)).order_by(table.c.version.desc()).limit(1)
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
