"""Small files made the way office software and export scripts make them, for the import tests."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from openpyxl import Workbook

from sanse.pipelines.reports.read import HEADERS

TITLES = ["2023年6月安全生产隐患大排查大整治日报", "填报单位：（盖章）        填报时间："]


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_sheet(sheet, rows: list[list], *, title_rows: int = 0, header: list[str] | None = None) -> None:
    """Merged title lines, then the header and `rows`, as a town's form has them."""
    for line in TITLES[:title_rows]:
        sheet.append([line])
    for k in range(title_rows):
        sheet.merge_cells(start_row=k + 1, start_column=1, end_row=k + 1, end_column=10)
    sheet.append(header or list(HEADERS.values()))
    for row in rows:
        sheet.append(row)


def report_xlsx(rows: list[list], *, title_rows: int = 0, header: list[str] | None = None) -> bytes:
    book = Workbook()
    report_sheet(book.active, rows, title_rows=title_rows, header=header)
    return saved(book)


def csv_bytes(*lines: str, header: str | None = None, encoding: str = "utf-8") -> bytes:
    return "\n".join([header or ",".join(HEADERS.values()), *lines]).encode(encoding)


def rewrite_parts(content: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The same workbook with some parts rewritten, as another program would have saved it."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, change(item.filename, source.read(item.filename)))
    return out.getvalue()


def as_saved_by_excel(content: bytes, results: dict[str, str], *, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """What Excel/WPS write on saving an openpyxl workbook: each formula's result beside it, and
    no request to recalculate on opening. `results` maps a cell to its saved result; a result
    starting with # is an error value."""

    def change(name: str, data: bytes) -> bytes:
        text = data.decode("utf-8")
        if name == "xl/workbook.xml":
            return text.replace(' fullCalcOnLoad="1"', "").encode("utf-8")
        if name != sheet:
            return data
        for cell, result in results.items():
            kind = ' t="e"' if result.startswith("#") else ""
            text = re.sub(
                rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                rf'<c r="{cell}"\1{kind}><f>\2</f><v>{result}</v>',
                text,
            )
        return text.encode("utf-8")

    return rewrite_parts(content, change)
