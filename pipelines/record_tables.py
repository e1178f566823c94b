"""The three record tables of SPEC 3.2, declared once: their columns in an export, and the
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
        """The columns of a record as the store keeps it."""
        return ("id", *self.content)

    @property
    def counted(self) -> tuple[str, ...]:
        """The columns the daily counts read."""
        return ("town_code", *self.days, *(name for name, _ in self.fields))

    def content_hash(self, alias: str = "") -> str:
        """SQL for the 64-bit hash of a record's content (DuckDB's hash: the index that keeps it
        is rebuilt when DuckDB changes)."""
        prefix = f"{alias}." if alias else ""
        return f"hash({', '.join(prefix + c for c in self.content)})"


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
