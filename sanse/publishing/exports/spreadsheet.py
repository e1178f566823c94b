"""The ranking as spreadsheets (XLSX sheet 排名, CSV with BOM) and the blank daily report
template towns fill in."""

from __future__ import annotations

import csv
import io

from sanse.facts.periods import THIS_PERIOD
from sanse.facts.tiers import TIER_COLOURS, TIER_TEXT_COLOURS, tier_hex
from sanse.publishing.exports.table import (
    cell_value,
    neutralise,
    ranking_rows,
    sheet_columns,
    tier_comment,
    window_heading,
)
from sanse.publishing.issue import Issue
from sanse.supervision.ledger import LEDGER_COLUMNS

SHEET_NAME = "排名"
SUPERVISION_SHEET = "督办事项"
LISTED = ("id", "town", "measure", "reason", "occurred_on", "deadline")  # of each item a bulletin lists


def table_title(issue: Issue) -> str:
    """The title row: the issue (and its 发文字号), its day and what the numbers add up (the
    headers are pinned)."""
    return f"{issue_heading(issue)} {issue.when} 镇街排名（数据口径：{window_heading(issue)}）"


def issue_heading(issue: Issue) -> str:
    """《每日工作动态》第12期（更正）, then its 发文字号 where its series has one."""
    number = f" {issue.doc_number}" if issue.doc_number else ""
    return f"《{issue.title}》{issue.label}{number}"


def issue_xlsx(issue: Issue) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = sheet_columns(issue)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([table_title(issue)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([column.header for column in columns])
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border

    formats = {"integer": "0", "rate": "0.00%", "score": "0.00", "change": "+0;-0;0"}
    for row in ranking_rows(issue):
        sheet.append([cell_value(row, column) for column in columns])
        for cell, column in zip(sheet[sheet.max_row], columns):
            cell.border = border
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
            if column.kind in formats:
                cell.number_format = formats[column.kind]
            if column.kind == "flag":
                cell.alignment = Alignment(horizontal="center")
            if column.kind == "tier" and row.get("tier") in TIER_COLOURS:
                tier = row["tier"]
                cell.fill = PatternFill(fill_type="solid", fgColor=tier_hex(tier), bgColor=tier_hex(tier))
                cell.font = Font(bold=True, color=TIER_TEXT_COLOURS[tier].lstrip("#"))
                cell.alignment = Alignment(horizontal="center")
            if column.kind == "tier" and (why := tier_comment(row, issue)):
                cell.comment = Comment(why, issue.office, width=260, height=110)

    widths = {"镇街": 14, "重大隐患发现率": 15, "停产停业率": 12, "立案查处率": 12, "待定": 7, "约谈": 7, "未报送": 8}
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column.header, 10)
    sheet.freeze_panes = "C3"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if issue.new_measures is not None:
        _supervision_sheet(book.create_sheet(SUPERVISION_SHEET), issue)
    return saved(book)


def _supervision_sheet(sheet, issue: Issue) -> None:
    """The 督办事项 the issue lists: the period's new measures, then the overdue items."""
    from openpyxl.styles import Alignment, Font

    this = THIS_PERIOD[issue.period_kind]
    sheet.append([f"{issue_heading(issue)} {issue.when} 督办事项"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["类别", *(LEDGER_COLUMNS[key] for key in LISTED)])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    listed = [(f"{this}新增", m) for m in issue.new_measures]
    listed += [(f"截至{issue.day:%Y-%m-%d}逾期未销号", m) for m in issue.overdue_items or ()]
    for section, m in listed:
        sheet.append([section, *(m[key] for key in LISTED)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as text, never a formula
    for letter, width in zip("ABCDEFG", (22, 7, 14, 14, 48, 12, 12)):
        sheet.column_dimensions[letter].width = width


def saved(book) -> bytes:
    """An openpyxl workbook as the bytes of its .xlsx file."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def issue_csv(issue: Issue) -> bytes:
    """UTF-8 with BOM so Excel on Chinese Windows opens it; formulas in text neutralised."""

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = sheet_columns(issue)
    writer.writerow([neutralise(column.header) for column in columns])
    for row in ranking_rows(issue):
        writer.writerow([_csv_cell(cell_value(row, column)) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, float):
        return round(value, 6)
    return value
