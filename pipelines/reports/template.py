"""The daily report template (design §3.1): one row per active town with its date and name filled
in, each figure's rule built in as data validation, and a 填表说明 sheet; the template itself
imports."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sanse.deployment.towns import Town
from sanse.facts.dates import chinese_date
from sanse.facts.report import COUNTS, INTEGER_COLUMNS, MAX_COUNT, MAX_FINES_WAN, MONEY_COLUMNS
from sanse.pipelines.reports.read import HEADERS, INSTRUCTIONS_SHEET, template_rows
from sanse.publishing.exports.spreadsheet import saved

TEMPLATE_FILL = "FFF2CC"  # the cells a clerk fills in: pale yellow, as office forms mark them


def template_xlsx(towns: list[Town], day: date) -> bytes:
    """The daily report form: Chinese headers, one row per active town with its date and name
    filled in and locked (sheet protection without a password, so Excel and WPS still edit the
    figures), each figure's rule built in as data validation, and a 填表说明 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "日报"
    sheet.append([f"镇街安全生产隐患排查整治日报表（{chinese_date(day)}）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADERS.values()))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    fill = PatternFill(fill_type="solid", fgColor=TEMPLATE_FILL, bgColor=TEMPLATE_FILL)
    for record in template_rows(towns, day).to_dict("records"):
        sheet.append([None if _missing(v) else v for v in record.values()])
        row = sheet[sheet.max_row]
        row[0].number_format = "yyyy-mm-dd"
        row[1].data_type = "s"  # a town name is never a formula
        for cell in row[2:]:
            cell.protection = Protection(locked=False)
            cell.fill = fill
        row[-1].number_format = "0.00##"
    for index, header in enumerate(HEADERS.values(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
    sheet.freeze_panes = "C3"

    first, last = 3, max(sheet.max_row, 3)
    column = {key: get_column_letter(i) for i, key in enumerate(HEADERS, start=1)}

    def rule(kind: str, keys: tuple[str, ...], message: str, **options) -> None:
        check = DataValidation(
            type=kind,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="填写有误",
            error=message,
            **options,
        )
        for key in keys:
            check.add(f"{column[key]}{first}:{column[key]}{last}")
        sheet.add_data_validation(check)

    counts = tuple(k for k in INTEGER_COLUMNS if k != "major_hazards")
    rule(
        "whole",
        counts,
        f"请填写 0 到 {MAX_COUNT:,} 之间的整数；没有请填 0。",
        operator="between",
        formula1="0",
        formula2=str(MAX_COUNT),
    )
    major, hazards = f"{column['major_hazards']}{first}", f"{column['hazards']}{first}"
    rule(
        "custom",
        ("major_hazards",),
        "重大隐患数应为不小于 0 的整数，且不能大于同一行的发现隐患数（发现隐患数含重大隐患）。",
        formula1=f"AND(ISNUMBER({major}),{major}=INT({major}),{major}>=0,{major}<={hazards})",
        showInputMessage=True,
        promptTitle="重大隐患数",
        prompt="不大于发现隐患数",
    )
    rule(
        "decimal",
        MONEY_COLUMNS,
        f"请填写 0 到 {MAX_FINES_WAN:,} 之间的数字，单位万元，可有小数。",
        operator="between",
        formula1="0",
        formula2=str(MAX_FINES_WAN),
        showInputMessage=True,
        promptTitle="罚款金额",
        prompt="单位：万元，可有小数",
    )
    sheet.protection.sheet = True  # no password: only to keep the date and town from being changed by mistake
    sheet.protection.formatColumns = False  # widths may still be changed
    sheet.protection.formatRows = False

    notes = book.create_sheet(INSTRUCTIONS_SHEET)
    _instructions(notes, day, HEADERS)
    return saved(book)


def _instructions(notes, day: date, headers: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Font

    steps = [
        [
            "1",
            f"本表是{chinese_date(day)}的日报，每个镇街一行。日期和镇街已经填好并锁定；报送其他日期，请在“数据报送”页重新下载模板。",
        ],
        ["2", "只填浅黄色的格子。填错时表格会提示原因。"],
        ["3", "填好后保存为 .xlsx，在“数据报送”页上传；也可以在该页“在线填报”逐项填写。"],
        ["4", "上传时每一处问题都会列出行号和原因，有错误的文件不会导入任何数据；同一镇街同一天再次报送视为更正。"],
        ["5", "表格已保护但没有密码，只为防止误改日期和镇街；确需调整，可在“审阅 → 撤销工作表保护”后操作。"],
    ]
    notes.append(["填表说明"])
    notes["A1"].font = Font(bold=True, size=13)
    for line in steps:
        notes.append(line)
    notes.append(["各列要求"])
    notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
    for count in COUNTS:
        notes.append([headers[count.key], count.rule])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 80
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)
