"""The on-screen report form: one town's day as its clerk types it, turned into the one-row report
an upload would be, then checked, stored and audited by exactly the upload's path (design §3.3, 3.4, 6).
A second report of a day is a correction and says why."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sanse.access.roles import User
from sanse.deployment.home import Home
from sanse.deployment.towns import Town
from sanse.facts.report import COUNT_COLUMNS, OPTIONAL_COLUMNS
from sanse.pipelines.reports.ingest import Ingested, check_report, ingest_file
from sanse.pipelines.reports.read import HEADERS, Problem, Report
from sanse.store.reports import current_for

FORM_SOURCE = "在线填报"
MAX_REASON = 200  # characters of a correction's reason kept
REASON = "更正原因"
FIELDS = {label: key for key, label in HEADERS.items()}  # a problem's column -> the form's field

Figures = Mapping[str, int | float | None]  # COUNT_COLUMNS as typed; None when left empty


@dataclass(frozen=True)
class FormCheck:
    """The typed day checked as a file would be, beside what is stored for the town."""

    report: Report
    stored: dict[str, int | float] | None  # the town's current figures for the day: sending is a correction
    previous: dict[str, int | float] | None  # the day before's, shown beside each field
    figures: dict[str, int | float | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def correction(self) -> bool:
        return self.stored is not None

    @property
    def unchanged(self) -> bool:
        """The figures typed are those already stored: there is nothing to send."""
        return self.stored is not None and _all_same(self.figures, self.stored)

    def problems(self, key: str = "") -> list[Problem]:
        """The errors, then the warnings, of one field (`key` from COUNT_COLUMNS, "date" or
        "town"); with no key, those of no field."""
        found = [*self.report.errors, *self.report.warnings]
        return [p for p in found if FIELDS.get(p.column, "") == key]


def form_file(town: Town, day: date, figures: Figures) -> tuple[bytes, str]:
    """The one-row CSV file the form stands for, and its name: what is checked, kept as the
    original and named in the submission history."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS.values())
    writer.writerow([day.isoformat(), town.name, *(_cell(figures.get(key)) for key in COUNT_COLUMNS)])
    name = town.name.replace("/", "／").replace("\\", "＼")  # a file name is cut at a folder separator
    return buffer.getvalue().encode("utf-8"), f"{FORM_SOURCE}-{name}-{day.isoformat()}.csv"


def check_form(
    home: Home, town: Town, day: date, figures: Figures, *, by: User, today: date | None = None
) -> FormCheck:
    """Check the typed day by the upload's rules (the town `by` may submit for, the date, each
    count, 重大 ≤ 发现, the warnings) without writing anything."""
    content, name = form_file(town, day, figures)
    report = check_report(home, content, name, by=by, today=today)
    stored, previous = figures_around(home, town.code, day)
    return FormCheck(report, stored, previous, {k: figures.get(k) for k in COUNT_COLUMNS})


def submit_form(
    home: Home, town: Town, day: date, figures: Figures, *, by: User, reason: str = "", today: date | None = None
) -> Ingested:
    """Store the typed day through the upload's path (checked again, kept, audited, all or
    nothing). A correction without a reason is refused, nothing written."""
    reason = " ".join(reason.split())[:MAX_REASON]
    content, name = form_file(town, day, figures)
    stored, _ = figures_around(home, town.code, day)
    if stored is not None and not reason and not _all_same(figures, stored):
        report = check_report(home, content, name, by=by, today=today)
        report.errors.append(Problem(None, REASON, f"{town.name} {day} 已经报送过，再次报送是更正：请写明更正原因"))
        return Ingested(report, None)
    return ingest_file(home, content, name, by=by, today=today, reason=reason)


def figures_around(home: Home, code: str, day: date) -> tuple[dict | None, dict | None]:
    """The town's current figures for `day` and for the day before (None where there are none):
    a report's, or the count of a batch of records."""
    with home.store.reading() as conn:
        found = current_for(conn, {(code, day), (code, day - timedelta(days=1))})
    by_day = {when: dict(zip(COUNT_COLUMNS, figures)) for (_, when), figures in found.items()}
    return by_day.get(day), by_day.get(day - timedelta(days=1))


def _cell(value: int | float | None) -> str:
    """A figure as a clerk would write it in the file: never in scientific notation."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _all_same(typed: Figures, stored: dict[str, int | float]) -> bool:
    """Whether the typed figures are the stored ones (an empty optional field reads as 0)."""
    for key in COUNT_COLUMNS:
        value = typed.get(key)
        if value is None and key in OPTIONAL_COLUMNS:
            value = 0
        if value is None or abs(float(value) - float(stored[key])) > 1e-9:
            return False
    return True
