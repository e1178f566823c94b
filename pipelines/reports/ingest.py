"""Import daily report files: validate, then keep the original and store its rows (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from sanse.access.roles import User, require_submitter
from sanse.access.sessions import require_in
from sanse.deployment.home import Home
from sanse.deployment.towns import read_towns
from sanse.pipelines.records.counts import current_between
from sanse.pipelines.reports.read import Problem, Report, parse_report
from sanse.ranking.rulebook import settings_in_force
from sanse.store.reports import Submission, write_submission

HISTORY_DAYS = 7  # the warnings compare a day with the week before it


@dataclass(frozen=True)
class Ingested:
    report: Report
    submission: Submission | None  # None when the file was rejected

    @property
    def ok(self) -> bool:
        return self.submission is not None


def check_report(home: Home, content: bytes, source_name: str, *, by: User, today: date | None = None) -> Report:
    """Validate without writing anything: what the upload page shows before 确认.

    Rows for a town that `by` may not submit for are errors (a town account submits only its
    own town). Raises `Forbidden` when `by` may not submit at all (a viewer).
    """
    require_submitter(by)
    towns = read_towns(home.towns_csv)
    settings = settings_in_force(home)
    report = parse_report(
        content,
        source_name,
        towns,
        campaign_start=settings.campaign.start,
        today=today,
        history=lambda rows: week_before(home, rows),
    )
    names = {t.code: t.name for t in towns}
    for row in report.rows.itertuples(index=False):
        if pd.notna(row.town_code) and not by.may("submit", row.town_code):
            report.errors.append(
                Problem(
                    row.row_number,
                    "镇街",
                    f"本账号只能报送本镇街的数据，不能报送{names[row.town_code]}",
                )
            )
    return report


def week_before(home: Home, rows: pd.DataFrame) -> pd.DataFrame:
    """The current figures of the towns in `rows` over the week before their days: all that
    the warnings compare with, looked up by index."""
    days = pd.to_datetime(rows["date"]).dt.date
    return current_between(
        home.store,
        days.min() - timedelta(days=HISTORY_DAYS),
        days.max(),
        towns=sorted(set(rows["town_code"])),
    )


def ingest_file(
    home: Home, content: bytes, source_name: str, *, by: User, today: date | None = None, reason: str = ""
) -> Ingested:
    """Validate and, only if the whole file is clean, keep it and store its rows, with the
    audit event, in one transaction; that transaction first checks that `by` may still submit
    for every town in the file (a browser's session still open: `Forbidden` otherwise)."""
    report = check_report(home, content, source_name, by=by, today=today)
    if not report.ok:
        return Ingested(report, None)
    with home.store.writing("reports") as conn:
        require_in(conn, by, "submit", *sorted(set(report.rows["town_code"])))
        submission = write_submission(
            conn,
            report.rows,
            by=by.name,
            source_name=source_name,
            source_sha256=report.sha256,
            reason=reason,
            original=content,
            audit_detail={"file": source_name},
        )
    return Ingested(report, submission)
