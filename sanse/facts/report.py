"""The daily report's columns (design §3.1), defined once: the day, the town, then the counts in
the form's order, each with its Chinese heading, unit, kind and range. The store's columns, the
rules' count columns, the SQL's column lists, the template, the pages, the exports and the
labels on screen all derive from `COUNTS`; a new count is one entry here (and its migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

# 10 million a town-day: no town inspects that many, and a year of a 1,400-town province stays
# below 10^13, far inside int64 (9.2 * 10^18) however the days are summed.
MAX_COUNT = 10_000_000
# 1 million 万元 (10 billion yuan) a town-day; a year of a province stays below 10^12 万元, where a
# float64 sum still holds every 0.0001 万元 (one yuan).
MAX_FINES_WAN = Decimal(1_000_000)


@dataclass(frozen=True)
class Count:
    """One figure of the daily report, 0 or more."""

    key: str  # the column's name everywhere: CSV header, store, SQL, rules.toml
    header: str  # the report form's heading (SPEC §3.1), also the tables' column heading
    short: str  # the word of a headline figure (检查企业数, 发现隐患 ...)
    english: str  # the English label on screen
    rule: str  # what the cell takes, as the template's 填表说明 says it
    unit: str = ""  # the unit a clerk may write after the heading
    kind: Literal["int", "money"] = "int"
    optional: bool = False  # an empty cell means 0

    @property
    def maximum(self) -> int | Decimal:
        """The largest figure one town reports for one day."""
        return MAX_FINES_WAN if self.kind == "money" else MAX_COUNT

    @property
    def sql_type(self) -> str:
        return "double" if self.kind == "money" else "bigint"

    @property
    def dtype(self) -> str:
        """The column's pandas / numpy type."""
        return "float64" if self.kind == "money" else "int64"


COUNTS = (
    Count("inspections", "检查企业数", "检查企业数", "Inspections", "整数，不小于 0（家次）", "家次"),
    Count("hazards", "发现隐患数", "发现隐患", "Hazards", "整数，不小于 0，含重大隐患"),
    Count("major_hazards", "重大隐患数", "重大隐患", "Major hazards", "整数，不小于 0，且不大于同一行的发现隐患数"),
    Count("rectified", "整改隐患数", "整改隐患", "Rectified", "整数，不小于 0"),
    Count("halted", "停产停业数", "停产停业", "Halts", "整数，不小于 0（家）", "家"),
    Count("cases", "立案数", "立案", "Cases", "整数，不小于 0（起）", "起"),
    Count("detentions", "行政拘留人数", "行政拘留", "Detentions", "整数，不小于 0；不填按 0 计", "人", optional=True),
    Count(
        "fines_wan",
        "罚款金额（万元）",
        "罚款（万元）",
        "Fines (10k yuan)",
        "数字，不小于 0，单位万元，可有小数（如 1.25）；不填按 0 计",
        "万元",
        kind="money",
        optional=True,
    ),
)
COUNT_OF = {count.key: count for count in COUNTS}
COUNT_COLUMNS = tuple(COUNT_OF)
INTEGER_COLUMNS = tuple(c.key for c in COUNTS if c.kind == "int")
MONEY_COLUMNS = tuple(c.key for c in COUNTS if c.kind == "money")
OPTIONAL_COLUMNS = tuple(c.key for c in COUNTS if c.optional)
# Every column of the form, key -> heading: the day, the town, then the counts.
REPORT_COLUMNS = {"date": "日期", "town": "镇街", **{c.key: c.header for c in COUNTS}}


def with_counts(sql: str) -> str:
    """SQL text with `{counts}` written out as the count columns, in the form's order."""
    return sql.replace("{counts}", ", ".join(COUNT_COLUMNS))
