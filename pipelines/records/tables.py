"""The three record tables of design §3.2, declared once: their columns in an export, and the
canonical form in which a record is kept, compared and counted."""

from __future__ import annotations

from dataclasses import dataclass

TABLES = ("inspections", "hazards", "enforcement")
TABLE_LABELS = {"inspections": "检查记录", "hazards": "隐患记录", "enforcement": "执法记录"}
REQUIRED_COLUMNS = {
    "inspections": ("inspection_id", "town", "date"),
    "hazards": ("hazard_id", "town", "found_date", "level", "rectified_date"),
    "enforcement": ("action_id", "town", "date", "kind", "persons", "amount_wan"),
}
LEVELS = ("一般", "重大")
KINDS = ("停产停业", "立案", "拘留", "罚款")


@dataclass(frozen=True)
class RecordCounts:
    inspections: int
    hazards: int
    enforcement: int

    @property
    def total(self) -> int:
        return self.inspections + self.hazards + self.enforcement


def id_column(table: str) -> str:
    return {"inspections": "inspection_id", "hazards": "hazard_id", "enforcement": "action_id"}[table]


@dataclass(frozen=True)
class RecordTable:
    """How one table's records are kept: `id` (BIGINT when every id is an integer, else text),
    the code of its town (however the export spelled it), the days the record counts on, the
    fields the counts read, and `unit_id` where the table has one (kept, not counted; BIGINT
    or text like the id)."""

    name: str
    days: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (column, SQL type)
    unit: bool

    @property
    def id(self) -> str:
        return id_column(self.name)

    @property
    def content(self) -> tuple[str, ...]:
        """What a record says: two versions with the same id and content are the same record."""
        return ("town_code", *self.days, *(name for name, _ in self.fields), *(("unit_id",) if self.unit else ()))

    @property
    def kept(self) -> tuple[str, ...]:
        """The columns of a record as read from a kept file: its id and what it says."""
        return ("id", *self.content)

    @property
    def counted(self) -> tuple[str, ...]:
        """The columns the daily counts read."""
        return ("town_code", *self.days, *(name for name, _ in self.fields))


RECORD_TABLES = {
    "inspections": RecordTable("inspections", ("date",), (), unit=True),
    "hazards": RecordTable("hazards", ("found_date", "rectified_date"), (("level", "varchar"),), unit=True),
    "enforcement": RecordTable(
        "enforcement",
        ("date",),
        (("kind", "varchar"), ("persons", "bigint"), ("amount_wan", "decimal(18, 6)")),
        unit=False,
    ),
}


# A day as an export may write it: a date, a timestamp, or text in one of the usual spellings.
RECORD_DAY_MACRO = """
create or replace temp macro record_day(given) as coalesce(
    try_cast(given as date),
    try_cast(try_cast(given as timestamp) as date),
    try_cast(try_strptime(cast(given as varchar), ['%Y/%m/%d', '%Y年%m月%d日', '%Y%m%d', '%Y.%m.%d']) as date)
)
"""
_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")


def typed_columns(table: str, types: dict[str, str], *, given: bool = False) -> list[str]:
    """SQL for the columns of `table` as a file of it holds them (`types`: column -> DuckDB
    type), typed: the id and town as given, days as dates, level, kind, persons, amount and
    unit. With `given`, also the text given for each day, persons and amount, for the checks.
    The one reading of a file as received: for the checks, and of the records kept."""

    def day(column: str) -> list[str]:
        typed = f'cast("{column}" as date)' if types[column] in _DATE_TYPES else f'record_day("{column}")'
        spelled = [f"nullif(trim(cast(\"{column}\" as varchar)), '') as {column}_given"] if given else []
        return [f"{typed} as {column}", *spelled]

    # the unit is kept with the record, not counted
    unit = {None: "cast(null as bigint) as unit_id", "VARCHAR": "nullif(trim(unit_id), '') as unit_id"}.get(
        types.get("unit_id"), "unit_id"
    )
    if table == "inspections":
        return ["inspection_id", "cast(town as varchar) as town", *day("date"), unit]
    if table == "hazards":
        return [
            "hazard_id",
            "cast(town as varchar) as town",
            *day("found_date"),
            "cast(level as varchar) as level",
            *day("rectified_date"),
            unit,
        ]
    columns = [
        "action_id",
        "cast(town as varchar) as town",
        *day("date"),
        "cast(kind as varchar) as kind",
        "try_cast(persons as double) as persons",
        "try_cast(amount_wan as decimal(18, 6)) as amount_wan",
    ]
    if given:
        columns += [
            "nullif(trim(cast(persons as varchar)), '') as persons_given",
            "nullif(trim(cast(amount_wan as varchar)), '') as amount_given",
        ]
    return columns
