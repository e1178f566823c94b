"""A file of daily reports on the 数据报送 page: checked and previewed, its errors marked in the
clerk's own workbook, confirmed; and the submissions this user may see, as the page lists them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sanse.access.roles import Forbidden
from sanse.facts import clock
from sanse.pipelines.reports.error_workbook import error_file_name, error_workbook
from sanse.pipelines.reports.ingest import check_report, ingest_file
from sanse.pipelines.reports.measure import measure_upload
from sanse.pipelines.reports.read import HEADERS, Report
from sanse.publishing.exports.table import neutralise
from sanse.reporting.history import submission_history
from sanse.ui import data
from sanse.ui.session import t, viewer
from sanse.ui.submission import finish, refused

UPLOADS = "submit.uploads"  # how many files were imported: each import gets a fresh, empty uploader
WRITTEN = ("submitted_by", "source_name", "reason")  # text people wrote: neutralised for spreadsheets


def uploader_key() -> str:
    return f"submit.file.{st.session_state.get(UPLOADS, 0)}"


def check_upload(content: bytes, name: str) -> Report:
    """The file checked against the store for this user; nothing is written."""
    return check_report(data.home(), content, name, by=viewer())


def markable(content: bytes, name: str) -> bool:
    """Whether the file is a spreadsheet its errors can be marked in."""
    return not any(p.severity == "error" for p in measure_upload(content, name))


def marked_file(content: bytes, name: str, report: Report) -> bytes:
    """The clerk's own file with the report's errors marked."""
    return error_workbook(content, name, report.errors)[0]


def marked_file_name(name: str) -> str:
    return error_file_name(name)


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


def preview_widths() -> dict:
    """Pixel widths that fit every column of the preview, the 罚款金额 last, beside the menu at 1366 px."""
    return {
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


def preview(report: Report, names: dict[str, str]) -> pd.DataFrame:
    """The file's rows as they will be stored, under the template's headings."""
    rows = report.rows.assign(town=report.rows["town_code"].map(names))
    rows = rows[["row_number", "date", "town", *[k for k in HEADERS if k not in ("date", "town")]]]
    return rows.rename(columns={"row_number": t("submit.col.row"), **HEADERS})


def history_table(names: dict[str, str], limit: int) -> pd.DataFrame:
    """The submissions this user may see, and the town-days batches of records counted (named
    by their folder and batch, as 报送情况 names them), newest first, in Beijing time. The table's own
    "download as CSV" takes what is shown: text that a spreadsheet would run as a formula (a
    file named "=HYPERLINK(…)") is shown, and downloaded, neutralised."""
    log = submission_history(data.home(), viewer(), limit=limit)
    if log.empty:
        return log
    written = {c: log[c].fillna("").astype(str).map(neutralise) for c in WRITTEN}
    written["source_name"] = [source(name, batch) for name, batch in zip(written["source_name"], log["batch_seq"])]
    return log.assign(town=log["town_code"].map(names), submitted_at=log["submitted_at"].map(clock.stamp), **written)


def source(name: str, batch_seq: float | None) -> str:
    """The file sent, or the folder of a batch of records and which batch it was."""
    return name if pd.isna(batch_seq) else f"{name} {t('status.source.records', batch=int(batch_seq))}"
