"""数据报送: fill in a town's day on screen, or download the template and upload files — read the
validation report and preview, confirm — and see the submission history in Beijing time.
A form or a file with any error writes nothing."""

import streamlit as st

from sanse.access.roles import Forbidden
from sanse.facts import clock
from sanse.pipelines.reports.error_workbook import error_file_name, error_workbook
from sanse.pipelines.reports.ingest import check_report, ingest_file
from sanse.pipelines.reports.measure import measure_upload
from sanse.pipelines.reports.read import HEADERS
from sanse.publishing.exports.table import neutralise
from sanse.store.reports import history
from sanse.ui import data
from sanse.ui.report_form import report_form
from sanse.ui.session import t, viewer
from sanse.ui.submission import finish, refused, show_result, template
from sanse.ui.tables import problems_frame

UPLOADS = "submit.uploads"  # how many files were imported: each import gets a fresh, empty uploader
HISTORY_ROWS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Pixel widths that fit every column of the preview, the 罚款金额 last, beside the menu at 1366 px.
PREVIEW_WIDTHS = {
    t("submit.col.row"): st.column_config.NumberColumn(width=40),
    HEADERS["date"]: st.column_config.DateColumn(width=92, format="YYYY-MM-DD"),
    HEADERS["town"]: st.column_config.TextColumn(width=84),
    **{
        HEADERS[key]: st.column_config.NumberColumn(
            width=110 if key == "fines_wan" else 96 if key == "detentions" else 76
        )
        for key in HEADERS
        if key not in ("date", "town")
    },
}


def confirm_upload(content: bytes, name: str) -> None:
    """确认导入, run before the page is drawn again: the preview and the button go with the file."""
    try:
        result = ingest_file(data.home(), content, name, by=viewer())
    except Forbidden as refusal:  # the session ended, or the account lost the right, since the page was drawn
        refused(refusal, where="file")
        return
    if not result.ok:
        finish(result, "", where="file")
        return
    st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1
    finish(
        result, t("submit.done", written=result.submission.written, unchanged=result.submission.unchanged), where="file"
    )


me = viewer()
home = data.home()
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
        template_day = st.date_input(t("submit.template.day"), value=clock.today(), key="submit.template.day")
        st.download_button(
            t("submit.template.button"),
            data=template(tuple(mine), template_day),
            file_name=f"日报模板-{template_day}.xlsx",
            on_click="ignore",
            key="submit.template.download",
            mime=XLSX,
        )

    upload = st.file_uploader(
        t("submit.upload"), type=["csv", "xlsx"], key=f"submit.file.{st.session_state.get(UPLOADS, 0)}"
    )
    if upload is not None:
        content = upload.getvalue()
        report = check_report(home, content, upload.name, by=me)
        if report.errors:
            st.error(t("submit.errors", n=len(report.errors)))
            if not any(p.severity == "error" for p in measure_upload(content, upload.name)):
                # Marking re-reads the whole file: done only when the clerk asks for it.
                st.download_button(
                    t("submit.error_file"),
                    data=lambda: error_workbook(content, upload.name, report.errors)[0],
                    file_name=error_file_name(upload.name),
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
            preview = report.rows.assign(town=report.rows["town_code"].map(names))
            preview = preview[["row_number", "date", "town", *[k for k in HEADERS if k not in ("date", "town")]]]
            st.subheader(t("submit.preview", n=len(preview)))
            st.dataframe(
                preview.rename(columns={"row_number": t("submit.col.row"), **HEADERS}),
                hide_index=True,
                width="stretch",
                key="submit.preview",
                column_config=PREVIEW_WIDTHS,
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
log = history(home.store, None if me.role == "admin" else me.town_code, limit=HISTORY_ROWS)
if not log.empty:
    # The table's own "download as CSV" takes what is shown: text that a spreadsheet would run as
    # a formula (a file named "=HYPERLINK(…)") is shown, and downloaded, neutralised.
    written = {c: log[c].fillna("").astype(str).map(neutralise) for c in ("submitted_by", "source_name", "reason")}
    log = log.assign(town=log["town_code"].map(names), submitted_at=log["submitted_at"].map(clock.stamp), **written)
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
