"""The 督办台账 as a spreadsheet: one row per supervision item, text that a spreadsheet could
run as a formula neutralised (a town's reason or report may start with "=")."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from sanse.publishing.exports.table import neutralise

SHEET_NAME = "督办台账"
OVERDUE_FILL = "C00000"  # the red tier's colour marks an overdue row's 逾期 cell


def ledger_xlsx(ledger: pd.DataFrame, title: str) -> bytes:
    """`ledger` (sanse.supervision.ledger.items_frame) under a title row; dates as dates, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([neutralise(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([neutralise(str(c)) for c in ledger.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for record in ledger.itertuples(index=False):
        sheet.append([_cell(value) for value in record])
    if "逾期" in ledger.columns:
        at = list(ledger.columns).index("逾期") + 1
        for row in sheet.iter_rows(min_row=3, min_col=at, max_col=at):
            if row[0].value:
                row[0].fill = PatternFill("solid", fgColor=OVERDUE_FILL)
                row[0].font = Font(bold=True, color="FFFFFF")
    for index, column in enumerate(ledger.columns, start=1):
        width = 40 if column in ("督办事由",) else 14
        sheet.column_dimensions[get_column_letter(index)].width = width
        for row in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
            row[0].alignment = Alignment(wrap_text=column == "督办事由", vertical="top")
        if ledger[column].map(lambda v: isinstance(v, date)).any():
            for row in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                row[0].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
