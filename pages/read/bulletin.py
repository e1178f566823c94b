"""每日工作动态 and the period 通报: pick a series and a published issue, read it, download it
(XLSX, CSV, Word, PDF, A4 print view). Admins see the chosen day's (or a whole period's) draft
(草稿) exactly as it will be issued, add 编者按/工作要求, 签发人, 报送 and 抄送 (and a 更正说明
for one already published), then publish it."""

import streamlit as st

from sanse.ui import data
from sanse.ui.bulletin import (
    Issue,
    Period,
    day_period,
    missing_before_deadline,
    office_draft,
    publish,
    published_version,
    series_kinds,
    show_issue,
)
from sanse.ui.choice import chosen_day
from sanse.ui.downloads import issue_file_name, issue_files, why_unavailable
from sanse.ui.period_picker import pick_period
from sanse.ui.send_log import send_log_section
from sanse.ui.session import format_day, plain, t, viewer

RESULT = "bulletin.result"
FIELDS = ("editor_note", "signer", "report_to", "copy_to")
FIELDS_FOR = "bulletin.fields_for"  # the day or period the fields were filled in for

home = data.home()
day = chosen_day()
me = viewer()
settings = data.settings()


def series_label(kind: str) -> str:
    return f"《{settings.campaign.series_title(kind)}》"


def subject_of(kind: str) -> Period | None:
    """What the draft is about: the sidebar's day, or a period that has ended (a date range up
    to the last day with data) the office picks."""
    if kind == "day":
        return None if day is None else day_period(day)
    manifest = data.warehouse().manifest
    label = t("bulletin.period.pick")
    subject = pick_period(
        kind, manifest.first_day, manifest.last_day, label=label, key=f"bulletin.period.{kind}", ended=True
    )
    if subject is None and kind != "range":  # a running period is not published
        st.info(t("bulletin.period.none", series=series_label(kind)))
    return subject


def draft_and_publish(kind: str, issues: list[Issue]) -> None:
    """The draft with the office's fields, and the button that issues it."""
    subject = subject_of(kind)
    if subject is None:
        return
    if kind == "day" and data.nobody_reported(subject.last):  # nothing to draft: say so before any field
        st.warning(t("empty.nobody_reported", day=format_day(subject.last)))
        return
    published = published_version(issues, subject)
    if st.session_state.get(FIELDS_FOR) != subject:
        # A new day starts blank, never with another issue's lines; a correction starts from
        # the version it corrects, so it changes only what the office changes.
        for field in FIELDS:
            st.session_state[f"bulletin.{field}"] = getattr(published, field) if published else ""
        st.session_state.pop("bulletin.correction_note", None)
        st.session_state[FIELDS_FOR] = subject
    what = format_day(subject.last) if kind == "day" else subject.label
    st.subheader(t("bulletin.draft.title", day=what))
    st.caption(t("bulletin.publish.caption"))
    st.text_area(
        t("bulletin.field.editor_note"),
        key="bulletin.editor_note",
        placeholder=t("bulletin.field.editor_note.placeholder"),
    )
    left, middle, right = st.columns(3)
    left.text_input(t("bulletin.field.signer"), key="bulletin.signer")
    middle.text_input(t("bulletin.field.report_to"), key="bulletin.report_to")
    right.text_input(t("bulletin.field.copy_to"), key="bulletin.copy_to")
    note = ""
    if published is not None:
        st.warning(t("bulletin.correction.needed", label=published.label))
        note = st.text_area(
            t("bulletin.field.correction_note"),
            key="bulletin.correction_note",
            placeholder=t("bulletin.field.correction_note.placeholder"),
        )
    fields, draft, refusal = office_draft(
        subject, {f: st.session_state.get(f"bulletin.{f}") or "" for f in FIELDS}, note or ""
    )
    if refusal:
        st.error(plain(refusal))
        return
    with st.container(border=True):
        show_issue(draft, "bulletin.draft.table", draft=True)
    # Before the day's deadline, publishing with towns still missing is confirmed by name.
    missing, refusal = missing_before_deadline(subject.last) if kind == "day" else (None, "")
    if refusal:
        st.error(plain(refusal))
        return
    if missing is not None:
        names = "、".join(map(plain, missing.towns))
        st.warning(t("bulletin.missing", day=what, due=missing.due_text, count=len(missing.towns), towns=names))
    confirmed = st.checkbox(t("bulletin.publish.confirm"), key="bulletin.confirm")
    if missing is not None:
        confirmed &= st.checkbox(
            t("bulletin.missing.confirm", count=len(missing.towns)), key="bulletin.confirm_missing"
        )
    button = "bulletin.republish.button" if published else "bulletin.publish.button"
    if st.button(
        t(button, day=what, series=series_label(kind)), type="primary", disabled=not confirmed, key="bulletin.publish"
    ):
        issue, refusal = publish(subject, fields, confirm_missing=missing is not None)
        if refusal:
            st.error(plain(refusal))
        else:
            st.session_state[RESULT] = t("bulletin.published", number=issue.label, series=series_label(kind))
            st.session_state[f"bulletin.pick.{kind}"] = 0
            for key in (FIELDS_FOR, "bulletin.confirm", "bulletin.confirm_missing"):
                st.session_state.pop(key, None)
            st.rerun()


def read_issues(kind: str, issues: list[Issue]) -> None:
    """Pick a published issue of the series, read it and download it."""
    if not issues:
        st.info(t("bulletin.none", series=series_label(kind)))
        return

    def issue_label(index: int) -> str:
        issue = issues[index]
        when = format_day(issue.day) if kind == "day" else issue.when
        text = t("bulletin.issue", number=issue.number_label, day=when)
        return text + t("bulletin.corrected_version", version=issue.version) if issue.correction else text

    pick = f"bulletin.pick.{kind}"
    if st.session_state.get(pick) not in range(len(issues)):
        st.session_state[pick] = next((i for i, issue in enumerate(issues) if issue.day == day), 0)
    issue = issues[st.selectbox(t("bulletin.pick"), range(len(issues)), format_func=issue_label, key=pick)]
    show_issue(issue, "bulletin.table")

    st.subheader(t("bulletin.download"))
    files = issue_files()
    columns = st.columns(len(files) + 1)
    columns[-1].page_link(
        "pages/read/print.py",
        label=t("export.html"),
        icon=":material/print:",
        query_params={"series": kind, "issue": issue.period.key, "version": str(issue.version)},
        width="stretch",
    )
    for col, (fmt, export) in zip(columns, files.items()):
        if reason := why_unavailable(fmt):
            col.caption(t("export.unavailable", format=t(export.label), reason=reason))
            continue
        col.download_button(
            t(export.label),
            # made when clicked, not on every visit: a PDF takes a second to set
            data=data.issue_download(issue.period, issue.version, fmt),
            file_name=issue_file_name(issue, fmt),
            mime=export.mime,
            on_click="ignore",
            key=f"bulletin.download.{fmt}",
            width="stretch",
        )


publisher = me.may("publish") and day is not None
# Readers are offered the series that have issues; the office every series it may publish.
published = data.issue_kinds()
kinds = [k for k in series_kinds() if k == "day" or publisher or k in published]
if st.session_state.get("bulletin.kind") not in kinds:  # a new visit: the series its link names, or the daily one
    st.session_state["bulletin.kind"] = (
        st.query_params.get("series") if st.query_params.get("series") in kinds else "day"
    )
st.title(settings.campaign.series_title(st.session_state["bulletin.kind"]))  # the series the picker below holds
kind = st.selectbox(t("bulletin.series"), kinds, format_func=series_label, key="bulletin.kind")
if kind == "day":  # the address names the series, so a reload, a new tab or a shared link opens it again
    st.query_params.pop("series", None)
else:
    st.query_params["series"] = kind
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))
issues = data.issues(kind)

if publisher:
    draft_tab, issues_tab = st.tabs([t("bulletin.tab.draft"), t("bulletin.tab.issues")], key="bulletin.tabs")
    with draft_tab:
        draft_and_publish(kind, issues)
    with issues_tab:
        read_issues(kind, issues)
else:
    read_issues(kind, issues)

send_log_section(home, "bulletin")  # admins: what reached the work groups
