"""每日工作动态 and the period 通报 as the bulletin page shows them: an issue on screen, the
office's draft and publishing it, each step saying why it cannot be done instead of failing."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sanse.access.roles import Forbidden
from sanse.deployment.errors import ConfigError
from sanse.facts.periods import KINDS, Period
from sanse.publishing.issue import BulletinError, Issue
from sanse.publishing.numbering import same_period
from sanse.publishing.prose import bulletin_paragraphs, correction_statement, publication_note
from sanse.publishing.publish import Draft, MissingReports, publish_bulletin
from sanse.sending.publication import queue_messages
from sanse.sending.queue import queue_new_items
from sanse.ui import data
from sanse.ui.session import plain, t, viewer
from sanse.ui.tables import EMPTY, column_config, ranking_view
from sanse.ui.tiers import style_tiers


def series_kinds() -> tuple[str, ...]:
    """The series: the daily issue first, then the periods' 通报."""
    return KINDS


def day_period(day: date) -> Period:
    return Period(day, day, "day")


def show_issue(issue: Issue, key: str, *, draft: bool = False) -> None:
    """The issue as the page shows it; the office's own words always as plain text."""
    mark = f"（{t('bulletin.draft.mark')}）" if draft else ""
    st.header(f"《{issue.title}》{issue.label}{mark}")
    st.caption(t("bulletin.draft.caption") if draft else plain(publication_note(issue)))  # names its publisher
    if issue.signer:
        st.text(f"{t('bulletin.field.signer')}：{issue.signer}")
    if issue.correction:
        st.text(f"{t('bulletin.field.correction_note')}：{correction_statement(issue)}")
    if issue.editor_note:
        st.text(f"{t('bulletin.field.editor_note')}：{issue.editor_note}")
    for paragraph in bulletin_paragraphs(issue):
        st.text(paragraph, width="stretch")
    rules = issue.rules_used()
    view = ranking_view(issue.ranking_frame(), rules, show_group=len(issue.groups()) > 1)
    st.dataframe(
        style_tiers(view, t("col.tier")),
        column_config=column_config(rules, view),
        hide_index=True,
        width="stretch",
        key=key,
        placeholder=EMPTY,
    )
    for field in ("report_to", "copy_to"):
        if getattr(issue, field):
            st.text(f"{t(f'bulletin.field.{field}')}：{getattr(issue, field)}")


def published_version(issues: list[Issue], subject: Period) -> Issue | None:
    """The newest published version of `subject` among `issues` (newest first): the same period
    as the store counts it (its kind, key and last day)."""
    return next((issue for issue in issues if same_period(issue.period, subject)), None)


def office_draft(subject: Period, fields: dict[str, str], correction_note: str) -> tuple[Draft, Issue | None, str]:
    """The office's fields as a draft, and the issue as publishing it now would issue it; or
    why it cannot be drafted."""
    draft = Draft(**fields, correction_note=correction_note)
    try:
        return draft, data.draft(subject, draft), ""
    except BulletinError as exc:
        return draft, None, str(exc)


def missing_before_deadline(day: date) -> tuple[MissingReports | None, str]:
    """The towns that have not reported `day` while its deadline is ahead (None when none is
    missing or the deadline has passed); or why that cannot be told (a [reporting] deadline
    rules.toml cannot give)."""
    try:
        return data.missing_reports(day), ""
    except ConfigError as exc:
        return None, str(exc)


def publish(subject: Period, draft: Draft, *, confirm_missing: bool) -> tuple[Issue | None, str]:
    """Publish `subject` as this user, the messages that go out with it queued in its
    transaction: the issue, or why it was refused (also a session that ended since the page was
    drawn)."""
    try:
        issue = publish_bulletin(
            data.home(),
            subject,
            by=viewer(),
            draft=draft,
            confirm_missing=confirm_missing,
            then=queue_messages,
            announce=queue_new_items,
        )
    except (BulletinError, Forbidden) as exc:
        return None, str(exc)
    return issue, ""
