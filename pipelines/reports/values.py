"""Reading one cell of a daily report: a date, a count or an amount of money, exactly as written,
every number finite and within its column's range before anything is stored (design §3.3, 9)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sanse.facts.report import MAX_COUNT, MAX_FINES_WAN
from sanse.pipelines.reports.workbook import CellError, Uncomputed

EXCEL_EPOCH = date(1899, 12, 30)
UNCOMPUTED_MESSAGE = "公式没有计算结果：请在 Excel/WPS 中打开并保存后再上传"
NUMBER = re.compile(r"\+?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")  # 1234, 1,234, 12.5, .5; never 1e5
DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"  # a time of day, as 2023/6/1 8:30 from a system export
)
TOTAL_LABEL = re.compile(r".{0,12}(合计|小计|总计|汇总)[:：]?")


def parse_date(value: Any) -> tuple[date | None, str | None]:
    """Accepts 2023-06-01, 2023/6/1, 2023年6月1日, 20230601, an Excel date or date serial, and any
    of these with a time of day (the date is taken)."""
    if isinstance(value, (Uncomputed, CellError)):
        return None, formula_message(value)
    if _blank(value):
        return None, "日期不能为空"
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (time, timedelta)):
        return None, "只有时间，没有日期：请填写日期，如 2023-06-01"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000 and float(value).is_integer():  # an Excel date serial shown as a number
            return EXCEL_EPOCH + timedelta(days=int(value)), None
        if 19000101 <= value <= 29991231 and float(value).is_integer():  # 20230601 typed as a number
            return parse_date(str(int(value)))
        return None, f"无法识别的日期“{value}”"
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = DATE_TEXT.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return parse_date(float(text))
        return None, f"无法识别的日期“{text[:40]}”：请写成 2023-06-01、2023/6/1 或 2023年6月1日"
    year, month, day, *clock = match.groups()
    try:
        if clock and clock[0] is not None:
            time(int(clock[0]), int(clock[1]), int(clock[2] or 0))
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, f"日期“{text}”不存在"


def parse_count(value: Any, *, optional: bool = False) -> tuple[int | None, str | None]:
    """A whole number 0..MAX_COUNT; an empty optional cell is 0."""
    number, message = _number(value, optional=optional)
    if message:
        return None, message
    if number != number.to_integral_value():
        return None, f"应为整数，不能是小数（{_shown(number)}）"
    if number > MAX_COUNT:
        return None, f"{_shown(number)} 超过上限 {MAX_COUNT:,}（每个镇街每天）：请核实"
    return int(number), None


def parse_fines(value: Any, wan_per_unit: Decimal) -> tuple[Decimal | None, str | None]:
    """An amount in the column's unit, converted exactly to 万元; an empty cell is 0."""
    number, message = _number(value, optional=True)
    if message:
        return None, message
    fines = number * wan_per_unit
    if fines > MAX_FINES_WAN:
        return None, f"{_shown(number)} 超过上限 {MAX_FINES_WAN:,} 万元（每个镇街每天）：请核实单位和数值"
    return fines, None


def total_label(value: Any) -> bool:
    """A 合计/小计/总计/汇总 row's label, as forms put under their towns."""
    return isinstance(value, str) and bool(TOTAL_LABEL.fullmatch(re.sub(r"\s+", "", value)))


def _number(value: Any, *, optional: bool) -> tuple[Decimal | None, str | None]:
    if isinstance(value, (Uncomputed, CellError)):
        return None, formula_message(value)
    if _blank(value):
        return (Decimal(0), None) if optional else (None, "不能为空，没有请填 0")
    if isinstance(value, bool):
        return None, f"“{value}”不是数字"
    if isinstance(value, (datetime, date, time, timedelta)):
        return None, f"“{value}”是日期或时间，不是数字：请把单元格格式改为“常规”或“数值”"
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"“{value}”不是有效的数字"
        number = Decimal(repr(value))  # the shortest decimal that is this float: 0.1, not 0.1000000000000000055
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text or not NUMBER.fullmatch(text.removeprefix("-")):
            if re.fullmatch(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+", text):
                return None, f"“{text}”是科学计数法，位数可能已丢失：请把单元格格式改为“数值”后重新保存"
            return None, f"“{text[:40]}”不是数字"
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            return None, f"“{text[:40]}”不是数字"
    if number < 0:
        return None, f"不能为负数（{_shown(number)}）"
    return number, None


def cell_text(value: Any) -> str:
    """A cell as the clerk sees it, short enough to quote in a message."""
    if isinstance(value, Uncomputed):
        return "（没有计算结果的公式）"
    if isinstance(value, CellError):
        return value.code
    return str(value).strip()[:40]


def formula_message(value: Uncomputed | CellError) -> str:
    if isinstance(value, CellError):
        return f"公式的结果是错误值 {value.code}：请改正公式或直接填写"
    return UNCOMPUTED_MESSAGE


def _shown(number: Decimal) -> str:
    """A number as the clerk typed it, and short even when hostile (10^300 has 301 digits)."""
    text = format(number.normalize(), "f") if abs(number.adjusted()) < 30 else format(number, ".6e")
    return text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
