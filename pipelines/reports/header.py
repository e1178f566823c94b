"""The daily report's header (design §3.1): which column holds which figure and in what unit, however
the clerk's form is laid out: title rows above, a two-level header, units in brackets, line breaks
and spaces inside a cell, Chinese or English names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from sanse.facts.report import REPORT_COLUMNS
from sanse.pipelines.reports.problems import Problem

HEADERS = REPORT_COLUMNS  # key -> the report form's heading
OTHER_NAMES = {"罚款": "fines_wan"}  # as forms also head the money column
LABEL_KEYS = ("date", "town")  # a note in brackets after these explains, it is not a unit
COUNT_UNITS = frozenset({"家次", "家", "户", "个", "处", "项", "起", "件", "宗", "条", "人", "人次", "次"})
FINES_UNITS = {"万元": Decimal(1), "元": Decimal("0.0001")}  # 万元 per unit of the column
FINES_WITHOUT_UNIT = "万元"  # design §3.1
MAX_HEADER_SEARCH = 20  # rows with content searched for the header
MAX_GROUP_ROWS = 2  # rows above the header row whose labels head its blank cells
UNIT_CELL = re.compile(r"\(([^()]*)\)|(" + "|".join(sorted([*COUNT_UNITS, *FINES_UNITS], key=len, reverse=True)) + ")")


def _name(header: str) -> str:
    """A header's name without spaces, line breaks, letter case or the unit in brackets."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower().split("(")[0]


NAMES = {_name(zh): key for key, zh in HEADERS.items()} | {key: key for key in HEADERS} | OTHER_NAMES


@dataclass(frozen=True)
class Header:
    row: int  # the header row (the lowest of a two-level header)
    columns: dict[str, int]  # key -> column index from 0
    labels: dict[str, str]  # key -> the header as the clerk wrote it
    fines_unit: str  # 万元 or 元
    first_data_row: int  # a row of units under the header is part of it

    @property
    def fines_per_unit(self) -> Decimal:
        """万元 per unit of the fines column."""
        return FINES_UNITS[self.fines_unit]


def header_key(cell: Any) -> tuple[str | None, str | None]:
    """(key, unit in brackets) of a header cell; key None when it is no report column.
    Full-width and ASCII brackets, spaces, line breaks and a required-field * are all alike."""
    if cell is None or not isinstance(cell, (str, int, float)):
        return None, None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell))).lower().strip("*")
    text = re.sub(r"^其中:?", "", text)  # 其中：重大隐患数 — "of which", under 发现隐患数
    match = re.fullmatch(r"(.+?)\(([^()]*)\)", text)
    name, unit = (match.group(1), match.group(2)) if match else (text, None)
    return NAMES.get(name), unit


def find_header(rows: list[tuple[int, list[Any]]]) -> tuple[Header | None, list[Problem]]:
    """The header among the first rows of a sheet; None when no row names two report columns.
    Problems are those of a header that was found: a missing, doubled or unknown-unit column."""
    top = rows[:MAX_HEADER_SEARCH]
    scores = [len({header_key(c)[0] for c in cells} - {None}) for _, cells in top]
    if not scores or max(scores) < 2:
        return None, []
    index = scores.index(max(scores))
    while index + 1 < len(top) and scores[index + 1] == scores[index] and top[index + 1][0] == top[index][0] + 1:
        index += 1  # a header merged down over two rows reads the same in both
    above = []
    for k in range(index - 1, max(index - MAX_GROUP_ROWS, 0) - 1, -1):
        if top[k][0] != top[index][0] - len(above) - 1 or scores[k] == 0:
            break
        above.append(top[k][1])
    header_row, cells = top[index]
    texts = [_column_text(cells, column, above) for column in range(len(cells))]
    units, first_data_row = _unit_row(top, index, len(cells))
    return _map_columns(header_row, texts, units, first_data_row)


def _column_text(cells: list[Any], column: int, above: list[list[Any]]) -> str:
    """The header row's own text, else the nearest above it (a label merged down, or left above a
    blank cell) — what the clerk reads at the top of the column."""
    for level in [cells, *above]:
        value = level[column] if column < len(level) else None
        if value is not None and str(value).strip():
            return re.sub(r"[\r\n]+", "", str(value)).strip()
    return ""


def _unit_row(top: list[tuple[int, list[Any]]], index: int, width: int) -> tuple[list[str | None], int]:
    """Units written on their own row under the header, as （家次） （元）: (units by column, first data row)."""
    header_row = top[index][0]
    if index + 1 >= len(top) or top[index + 1][0] != header_row + 1:
        return [None] * width, header_row + 1
    units = []
    for value in top[index + 1][1][:width]:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if value is not None else ""
        match = UNIT_CELL.fullmatch(text)
        if text and not match:
            return [None] * width, header_row + 1
        units.append((match.group(1) or match.group(2)) if match else None)
    units += [None] * (width - len(units))
    return (units, header_row + 2) if any(units) else ([None] * width, header_row + 1)


def _map_columns(
    row: int, texts: list[str], units_below: list[str | None], first_data_row: int
) -> tuple[Header, list[Problem]]:
    found: dict[str, list[int]] = {}
    units: dict[int, str | None] = {}
    for column, text in enumerate(texts):
        key, unit = header_key(text)
        if key:
            found.setdefault(key, []).append(column)
            units[column] = unit if unit is not None else units_below[column]
    problems, columns = [], {}
    for key, where in found.items():
        if len(where) > 1:
            places = "、".join(f"{get_column_letter(c + 1)}列“{texts[c]}”" for c in where)
            problems.append(
                Problem(
                    row,
                    texts[where[0]],
                    f"有 {len(where)} 列都是“{HEADERS[key]}”（{places}）：无法确定读哪一列，请只保留一列",
                )
            )
        columns[key] = where[0]
    fines_unit = FINES_WITHOUT_UNIT
    for key, column in columns.items():
        unit, cell = units[column], f"{get_column_letter(column + 1)}{row}"
        if key == "fines_wan" and unit is not None:
            if unit in FINES_UNITS:
                fines_unit = unit
            else:
                problems.append(Problem(row, texts[column], f"金额单位“{unit}”无法识别：请写“万元”或“元”", cell=cell))
        elif key not in LABEL_KEYS and key != "fines_wan" and unit is not None and unit not in COUNT_UNITS:
            problems.append(
                Problem(
                    row,
                    texts[column],
                    f"单位“{unit}”无法识别：{HEADERS[key]}应按个数填写（如 家、家次、起、人）",
                    cell=cell,
                )
            )
    for key in HEADERS:
        if key not in columns:
            problems.append(Problem(row, HEADERS[key], _missing(key, texts)))
    labels = {key: texts[column] for key, column in columns.items()}
    if fines_unit != FINES_WITHOUT_UNIT and "fines_wan" in columns:
        column = columns["fines_wan"]
        problems.append(
            Problem(
                row,
                texts[column],
                f"金额以{fines_unit}为单位：已按 1 万元 = {1 / FINES_UNITS[fines_unit]:,.0f} {fines_unit}换算为万元",
                "warning",
                f"{get_column_letter(column + 1)}{row}",
            )
        )
    return Header(row, columns, labels, fines_unit, first_data_row), problems


def _missing(key: str, texts: list[str]) -> str:
    message = f"缺少必填列“{HEADERS[key]}”（也可写作 {key}）"
    name = _name(HEADERS[key])
    near = next((t for t in texts if _name(t).startswith(name) and header_key(t)[0] is None), None)
    return f"{message}：表头“{near}”无法识别，请写成“{HEADERS[key]}”" if near else message
