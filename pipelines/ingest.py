"""Import daily report files: validate, keep the original, append to the log (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.reports import Problem, Report, parse_report
from pipelines.submissions import Submission, append_submission, current_reports, save_original
from sanse import audit
from sanse.config import read_settings, read_towns
from sanse.home import Home


@dataclass(frozen=True)
class Ingested:
    report: Report
    submission: Submission | None  # None when the file was rejected

    @property
    def ok(self) -> bool:
        return self.submission is not None


def check_report(home: Home, content: bytes, source_name: str, *, today: date | None = None,
                 allowed_towns: set[str] | None = None) -> Report:
    """Validate without writing anything: what the upload page shows before 确认."""
    towns = read_towns(home.towns_csv)
    settings = read_settings(home.rules_toml)
    report = parse_report(
        content, source_name, towns,
        campaign_start=settings.campaign.start, today=today, history=current_reports(home),
    )
    if allowed_towns is not None and report.ok:
        names = {t.code: t.name for t in towns}
        for row in report.rows.itertuples(index=False):
            if row.town_code not in allowed_towns:
                report.errors.append(Problem(
                    row.row_number, "镇街", f"本账号只能报送本镇街的数据，不能报送{names[row.town_code]}",
                ))
    return report


def ingest_file(home: Home, content: bytes, source_name: str, *, by: str, today: date | None = None,
                allowed_towns: set[str] | None = None) -> Ingested:
    """Validate and, only if the whole file is clean, keep it and append its rows to the log."""
    report = check_report(home, content, source_name, today=today, allowed_towns=allowed_towns)
    if not report.ok:
        return Ingested(report, None)
    home.ensure()
    save_original(home, content, source_name)
    submission = append_submission(home, report.rows, by=by, source_name=source_name, source_sha256=report.sha256)
    if submission.submission_id:
        audit.record(
            home, by, "submission", submission_id=submission.submission_id, file=source_name,
            rows=submission.written, unchanged=submission.unchanged,
        )
    return Ingested(report, submission)
