"""每日工作动态: pick a published issue, read it, download it (XLSX, CSV, Word, PDF, A4 print
view); admins publish the chosen day, or a correction of it."""

from functools import partial

import streamlit as st

from sanse.access import Forbidden
from sanse.bulletin import BulletinError, bulletin_paragraphs, publication_note, publish_bulletin
from sanse.exports import EXPORTS, file_name, unavailable
from ui import data
from ui.session import chosen_day, format_day, t, viewer
from ui.tables import column_config, ranking_view
from ui.tiers import style_tiers

RESULT = "bulletin.result"

home = data.home()
day = chosen_day()
me = viewer()
issues = data.issues()

st.title(t("bulletin.title"))
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))

if me.may("publish") and day is not None:
    with st.expander(t("bulletin.publish"), expanded=True):
        st.caption(t("bulletin.publish.caption"))
        again = any(issue.day == day for issue in issues)
        confirmed = st.checkbox(t("bulletin.publish.confirm"), key="bulletin.confirm")
        label = t("bulletin.republish.button" if again else "bulletin.publish.button", day=format_day(day))
        if st.button(label, type="primary", disabled=not confirmed, key="bulletin.publish"):
            try:
                issue = publish_bulletin(home, day, by=me)
            except (BulletinError, Forbidden) as exc:
                st.error(str(exc))
            else:
                st.session_state[RESULT] = t("bulletin.published", number=issue.number)
                st.session_state["bulletin.pick"] = 0
                st.rerun()

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
issue = issues[st.selectbox(t("bulletin.pick"), range(len(issues)), format_func=issue_label, key="bulletin.pick")]

st.header(f"《{issue.title}》{issue.label}")
st.caption(publication_note(issue))
for paragraph in bulletin_paragraphs(issue):
    st.write(paragraph)

rules = issue.rules_used()
view = ranking_view(issue.ranking_frame(), rules, show_group=len(issue.groups()) > 1)
st.dataframe(
    style_tiers(view, t("col.tier")), column_config=column_config(rules),
    hide_index=True, width="stretch", key="bulletin.table",
)

st.subheader(t("bulletin.download"))
for col, (fmt, export) in zip(st.columns(len(EXPORTS)), EXPORTS.items()):
    if reason := unavailable(fmt):
        col.caption(t("export.unavailable", format=t(export.label), reason=reason))
        continue
    col.download_button(
        t(export.label),
        # made when clicked, not on every visit: a PDF takes a second to set
        data=partial(data.issue_download, issue.day, issue.version, fmt),
        file_name=file_name(issue, fmt), mime=export.mime, on_click="ignore",
        key=f"bulletin.download.{fmt}", width="stretch",
    )
