"""One thing wrong with an uploaded file, said where the clerk will find it: sheet, row, column, cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """`row` is the spreadsheet row; `cell` (e.g. "F5") names the cell when there is one;
    `sheet` is set when the report spans several sheets, so the row number alone is ambiguous;
    `town` is the row's 镇街 as the file writes it, so a clerk finds the row by its town."""

    row: int | None
    column: str
    message: str
    severity: Literal["error", "warning"] = "error"
    cell: str = ""
    sheet: str = ""
    town: str = ""

    def __str__(self) -> str:
        sheet = f"“{self.sheet}”表" if self.sheet else ""
        where = f"第{self.row}行" if self.row else ("" if sheet else "文件")
        column = f"“{self.column}”列" if self.column else ""
        cell = f"（{self.cell}）" if self.cell else ""
        return f"{sheet}{where}{column}{cell}：{self.message}"


def file_error(message: str) -> Problem:
    """A problem with the file as a whole (its type, size or shape), not with one row."""
    return Problem(None, "", message)
