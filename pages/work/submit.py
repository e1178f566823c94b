"""数据报送: fill in a town's day on screen, or download the template and upload files — read the
validation report and preview, confirm — and see the submission history in Beijing time.
A form or a file with any error writes nothing."""

import streamlit as st

from sanse.ui import data
from sanse.ui.report_form import report_form
from sanse.ui.session import t, today, viewer
from sanse.ui.submission import show_result, template
from sanse.ui.tables import problems_frame
from sanse.ui.uploads import (
    check_upload,
    confirm_upload,
    history_table,
    markable,
    marked_file,
    marked_file_name,
    preview,
    preview_widths,
    uploader_key,
)

HISTORY_ROWS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


me = viewer()
towns = data.towns()
names = {town.code: town.name for town in towns}
mine = [town for town in towns if town.active and me.may("submit", town.code)]

st.title(t("submit.title"))
form_tab, file_tab = st.tabs([t("submit.tab.form"), t("submit.tab.file")], key="submit.tabs")

with form_tab:
    report_form(mine, me)

with file_tab:
    show_result("file")
    with st.expander(t("submit.template"), expanded=False):
        template_day = st.date_input(t("submit.template.day"), value=today(), key="submit.template.day")
        st.download_button(
            t("submit.template.button"),
            data=template(tuple(mine), template_day),
            file_name=f"日报模板-{template_day}.xlsx",
            on_click="ignore",
            key="submit.template.download",
            mime=XLSX,
        )

    upload = st.file_uploader(t("submit.upload"), type=["csv", "xlsx"], key=uploader_key())
    if upload is not None:
        content = upload.getvalue()
        report = check_upload(content, upload.name)
        if report.errors:
            st.error(t("submit.errors", n=len(report.errors)))
            if markable(content, upload.name):
                # Marking re-reads the whole file: done only when the clerk asks for it.
                st.download_button(
                    t("submit.error_file"),
                    data=lambda: marked_file(content, upload.name, report),
                    file_name=marked_file_name(upload.name),
                    mime=XLSX,
                    on_click="ignore",
                    key="submit.error_file",
                    help=t("submit.error_file.help"),
                )
            st.dataframe(
                problems_frame(report.errors),
                hide_index=True,
                width="stretch",
                key="submit.errors",
            )
        else:
            if report.warnings:
                st.warning(t("submit.warnings", n=len(report.warnings)))
                st.dataframe(
                    problems_frame(report.warnings),
                    hide_index=True,
                    width="stretch",
                    key="submit.warnings",
                )
            rows = preview(report, names)
            st.subheader(t("submit.preview", n=len(rows)))
            st.dataframe(
                rows,
                hide_index=True,
                width="stretch",
                key="submit.preview",
                column_config=preview_widths(),
            )
            st.button(
                t("submit.confirm"),
                type="primary",
                key="submit.confirm",
                on_click=confirm_upload,
                args=(content, upload.name),
            )

st.subheader(t("submit.history"))
st.caption(t("submit.history.caption"))
log = history_table(names, limit=HISTORY_ROWS)
if not log.empty:
    st.dataframe(
        log[
            [  # the day and its figures first: on a phone, who sent it and from where come after
                "date",
                "town",
                "inspections",
                "major_hazards",
                "halted",
                "cases",
                "submitted_at",
                "submitted_by",
                "source_name",
                "reason",
            ]
        ].rename(
            columns={
                "submitted_at": t("submit.col.submitted_at"),
                "submitted_by": t("submit.col.submitted_by"),
                "source_name": t("submit.col.source"),
                "reason": t("submit.col.reason"),
                "date": t("submit.col.date"),
                "town": t("col.town"),
                "inspections": t("col.inspections"),
                "major_hazards": t("col.major_hazards"),
                "halted": t("col.halted"),
                "cases": t("col.cases"),
            }
        ),
        hide_index=True,
        width="stretch",
        key="submit.history",
    )
