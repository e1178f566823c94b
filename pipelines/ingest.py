"""Import daily report files: validate, keep the original, append to the log (all or nothing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipelines.reports import Problem, Report, parse_report
from pipelines.submissions import Submission, append_submission, current_reports, save_original
from sanse import audit
from sanse.access import User, require_submitter
from sanse.config import COUNT_COLUMNS, read_settings, read_towns
from sanse.home import Home

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a city's daily file is a few KB; also server.maxUploadSize
MAX_AUDITED_CORRECTIONS = 100


@dataclass(frozen=True)
class Ingested:
    report: Report
    submission: Submission | None  # None when the file was rejected

    @property
    def ok(self) -> bool:
        return self.submission is not None


def check_report(home: Home, content: bytes, source_name: str, *, by: User,
                 today: date | None = None) -> Report:
    """Validate without writing anything: what the upload page shows before 确认.

    Rows for a town that `by` may not submit for are errors (a town account submits only its
    own town). Raises `Forbidden` when `by` may not submit at all (a viewer).
    """
    require_submitter(by)
    if len(content) > MAX_UPLOAD_BYTES:
        empty = pd.DataFrame(columns=["row_number", "date", "town_code", *COUNT_COLUMNS])
        size = f"{len(content) / 1024 / 1024:.1f} MB"
        return Report(source_name, hashlib.sha256(content).hexdigest(), empty, [Problem(
            None, "", f"文件大小 {size} 超过上限 {MAX_UPLOAD_BYTES // 1024 // 1024} MB：请按日期拆分后分别上传",
        )])
    towns = read_towns(home.towns_csv)
    settings = read_settings(home.rules_toml)
    report = parse_report(
        content, source_name, towns,
        campaign_start=settings.campaign.start, today=today, history=current_reports(home),
    )
    names = {t.code: t.name for t in towns}
    for row in report.rows.itertuples(index=False):
        if pd.notna(row.town_code) and not by.may("submit", row.town_code):
            report.errors.append(Problem(
                row.row_number, "镇街", f"本账号只能报送本镇街的数据，不能报送{names[row.town_code]}",
            ))
    return report


def ingest_file(home: Home, content: bytes, source_name: str, *, by: User,
                today: date | None = None) -> Ingested:
    """Validate and, only if the whole file is clean, keep it and append its rows to the log."""
    report = check_report(home, content, source_name, by=by, today=today)
    if not report.ok:
        return Ingested(report, None)
    home.ensure()
    save_original(home, content, source_name)
    submission = append_submission(home, report.rows, by=by.name, source_name=source_name, source_sha256=report.sha256)
    if submission.submission_id:
        corrections = [f"{code} {day}" for code, day in submission.corrected]
        audit.record(
            home, by.name, "correction" if corrections else "submission",
            submission_id=submission.submission_id, file=source_name,
            rows=submission.written, unchanged=submission.unchanged, corrected=len(corrections),
            corrections=corrections[:MAX_AUDITED_CORRECTIONS],
        )
    return Ingested(report, submission)
