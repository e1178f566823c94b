"""每日工作动态: pick a published issue, read it, download it (XLSX, CSV, Word, PDF, A4 print
view). Admins see the chosen day's draft (草稿) exactly as it will be issued, add 编者按/工作要求,
签发人, 报送 and 抄送 (and a 更正说明 for a day already published), then publish it."""

from functools import partial

import streamlit as st

from sanse.access import Forbidden
from sanse.bulletin import (
    BulletinError,
    Draft,
    Issue,
    bulletin_paragraphs,
    correction_statement,
    publication_note,
    publish_bulletin,
)
from sanse.exports import EXPORTS, file_name, unavailable
from ui import data
from ui.session import chosen_day, format_day, t, viewer
from ui.tables import column_config, ranking_view
from ui.tiers import style_tiers

RESULT = "bulletin.result"
FIELDS = ("editor_note", "signer", "report_to", "copy_to")
FIELDS_FOR = "bulletin.fields_for"  # the day the fields were filled in for

home = data.home()
day = chosen_day()
me = viewer()
issues = data.issues()


def show_issue(issue: Issue, key: str, *, draft: bool = False) -> None:
    """The issue as the page shows it; the office's own words always as plain text."""
    mark = f"（{t('bulletin.draft.mark')}）" if draft else ""
    st.header(f"《{issue.title}》{issue.label}{mark}")
    st.caption(t("bulletin.draft.caption") if draft else publication_note(issue))
    if issue.signer:
        st.text(f"{t('bulletin.field.signer')}：{issue.signer}")
    if issue.correction:
        st.text(f"{t('bulletin.field.correction_note')}：{correction_statement(issue)}")
    if issue.editor_note:
        st.text(f"{t('bulletin.field.editor_note')}：{issue.editor_note}")
    for paragraph in bulletin_paragraphs(issue):
        st.write(paragraph)
    rules = issue.rules_used()
    view = ranking_view(issue.ranking_frame(), rules, show_group=len(issue.groups()) > 1)
    st.dataframe(
        style_tiers(view, t("col.tier")), column_config=column_config(rules), hide_index=True, width="stretch", key=key
    )
    for field in ("report_to", "copy_to"):
        if getattr(issue, field):
            st.text(f"{t(f'bulletin.field.{field}')}：{getattr(issue, field)}")


def draft_and_publish() -> None:
    """The chosen day's draft with the office's fields, and the button that issues it."""
    published = next((issue for issue in issues if issue.day == day), None)  # newest version first
    if st.session_state.get(FIELDS_FOR) != day:
        # A new day starts blank, never with another issue's lines; a correction starts from
        # the version it corrects, so it changes only what the office changes.
        for field in FIELDS:
            st.session_state[f"bulletin.{field}"] = getattr(published, field) if published else ""
        st.session_state.pop("bulletin.correction_note", None)
        st.session_state[FIELDS_FOR] = day
    st.subheader(t("bulletin.draft.title", day=format_day(day)))
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
    fields = Draft(**{f: st.session_state.get(f"bulletin.{f}") or "" for f in FIELDS}, correction_note=note or "")
    try:
        draft = data.draft(day, fields)
    except BulletinError as exc:
        st.error(str(exc))
        return
    with st.container(border=True):
        show_issue(draft, "bulletin.draft.table", draft=True)
    confirmed = st.checkbox(t("bulletin.publish.confirm"), key="bulletin.confirm")
    label = t("bulletin.republish.button" if published else "bulletin.publish.button", day=format_day(day))
    if st.button(label, type="primary", disabled=not confirmed, key="bulletin.publish"):
        try:
            issue = publish_bulletin(home, day, by=me, draft=fields)
        except (BulletinError, Forbidden) as exc:
            st.error(str(exc))
        else:
            st.session_state[RESULT] = t("bulletin.published", number=issue.number)
            st.session_state["bulletin.pick"] = 0
            for key in (FIELDS_FOR, "bulletin.confirm"):
                st.session_state.pop(key, None)
            st.rerun()


st.title(t("bulletin.title"))
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))

if me.may("publish") and day is not None:
    draft_tab, issues_tab = st.tabs([t("bulletin.tab.draft"), t("bulletin.tab.issues")], key="bulletin.tabs")
    with draft_tab:
        draft_and_publish()
    reading = issues_tab
else:
    reading = st.container()

with reading:
    if not issues:
        st.info(t("bulletin.none"))
        st.stop()

    def issue_label(index: int) -> str:
        issue = issues[index]
        text = t("bulletin.issue", number=issue.number, day=format_day(issue.day))
        return f"{text}（{t('bulletin.correction')} v{issue.version}）" if issue.correction else text

    default = next((i for i, issue in enumerate(issues) if issue.day == day), 0)
    if st.session_state.get("bulletin.pick") not in range(len(issues)):
        st.session_state["bulletin.pick"] = default
    issue = issues[
        st.selectbox(
            t("bulletin.pick"),
            range(len(issues)),
            format_func=issue_label,
            placeholder=t("common.choose"),
            key="bulletin.pick",
        )
    ]
    show_issue(issue, "bulletin.table")

    st.subheader(t("bulletin.download"))
    for col, (fmt, export) in zip(st.columns(len(EXPORTS)), EXPORTS.items()):
        if reason := unavailable(fmt):
            col.caption(t("export.unavailable", format=t(export.label), reason=reason))
            continue
        col.download_button(
            t(export.label),
            # made when clicked, not on every visit: a PDF takes a second to set
            data=partial(data.issue_download, issue.day, issue.version, fmt),
            file_name=file_name(issue, fmt),
            mime=export.mime,
            on_click="ignore",
            key=f"bulletin.download.{fmt}",
            width="stretch",
        )
