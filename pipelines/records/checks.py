"""Checking record-level tables (design §3.2, 3.3) before anything is kept: each table found and
read, its columns typed, every town known and active, every level, kind, date and amount in
range, no id twice — every problem named by its table, row and column, a few listed per rule
and the rest counted, all in DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from sanse.deployment.towns import Town, normalize_spelling
from sanse.facts.report import MAX_COUNT, MAX_FINES_WAN
from sanse.pipelines.records.tables import (
    RECORD_DAY_MACRO,
    REQUIRED_COLUMNS,
    TABLE_LABELS,
    TABLES,
    RecordCounts,
    id_column,
    typed_columns,
)

SQL = Path(__file__).parent / "sql"
LISTED_PER_RULE = 20  # a million bad rows are one mistake: list a few, count the rest
ID_BITMAP_BITS = 1 << 30  # ids spread wider than this (a 128 MB bitmap) are grouped to find repeats


@dataclass(frozen=True)
class RecordProblem:
    table: str
    row: int | None  # CSV: the line number; Parquet: the record number (1 = first record)
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else ""
        column = f"“{self.column}”列" if self.column else ""
        return f"{TABLE_LABELS.get(self.table, self.table)}（{self.table}）{where}{column}：{self.message}"


def validate(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path], towns: list[Town], campaign_start: date | None, today: date
) -> list[RecordProblem] | RecordCounts:
    """Every problem of the tables, or how many records each has when there is none; the
    tables stay in `con` as the views `<table>_rows`, their towns as `town_codes`."""
    con.execute("set variable today = ?", [today])
    con.execute("set variable campaign_start = ?", [campaign_start])
    con.execute("set variable max_count = ?", [MAX_COUNT])
    con.execute("set variable max_fines_wan = ?", [int(MAX_FINES_WAN)])
    con.execute(RECORD_DAY_MACRO)
    errors: list[RecordProblem] = []
    for table, path in files.items():
        errors += _stage(con, table, path)
    if errors:
        return errors
    con.execute(f"create temp table spelled_towns as {_sql('spelled_towns')}")
    _register_towns(con, towns)
    for table in TABLES:
        errors += _listed_problems(con, table, _checks(con, table))
        errors += _duplicate_ids(con, table)
    if errors:
        return errors
    totals = dict(con.execute("select record_table, sum(records) from spelled_towns group by all").fetchall())
    counts = RecordCounts(*(int(totals.get(table) or 0) for table in TABLES))
    if not counts.total:
        return [RecordProblem("inspections", None, "", "三个表中都没有记录")]
    return counts


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def find_tables(folder: Path) -> tuple[dict[str, Path], list[RecordProblem]]:
    if not folder.is_dir():
        return {}, [RecordProblem("inspections", None, "", f"找不到文件夹 {folder}")]
    files, errors = {}, []
    for table in TABLES:
        found = [
            folder / f"{table}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{table}{suffix}").is_file()
        ]
        if not found:
            errors.append(RecordProblem(table, None, "", f"缺少 {table}.parquet 或 {table}.csv"))
        elif len(found) > 1:
            errors.append(RecordProblem(table, None, "", f"{table}.parquet 和 {table}.csv 只能有一个"))
        else:
            files[table] = found[0]
    return files, errors


def _stage(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[RecordProblem]:
    """Expose `path` as the view `<table>_rows`: canonical typed columns plus `source_row`.

    Only identifiers from this module's constants are formatted into the SQL; the file path
    goes in as a variable.
    """
    con.execute(f"set variable {table}_file = ?", [str(path)])
    try:
        if path.suffix == ".parquet":
            con.execute(
                f"create or replace temp view {table}_source as select *, file_row_number + 1 as source_row "
                f"from read_parquet(getvariable('{table}_file'), file_row_number = true)"
            )
        else:
            # CSV keeps file order in a table, so rowid + 2 is the line number (after the header)
            con.execute(
                f"create or replace temp table {table}_text as select * "
                f"from read_csv(getvariable('{table}_file'), header = true, all_varchar = true)"
            )
            con.execute(
                f"create or replace temp view {table}_source as select *, rowid + 2 as source_row from {table}_text"
            )
        described = con.execute(f"describe {table}_source").fetchall()
    except duckdb.Error as exc:
        return [
            RecordProblem(table, None, "", f"无法读取 {path.name}：{_first_line(exc)}（CSV 请用 UTF-8 编码并带表头）")
        ]
    types = {name: kind for name, kind, *_ in described}
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in types]
    if missing:
        have = "、".join(n for n in types if n != "source_row")
        return [RecordProblem(table, 1, c, f"缺少必填列“{c}”（文件中的列：{have}）") for c in missing]
    columns = ", ".join(typed_columns(table, types, given=True))
    con.execute(f"create or replace temp view {table}_rows as select source_row, {columns} from {table}_source")
    return []


def _register_towns(con: duckdb.DuckDBPyConnection, towns: list[Town]) -> None:
    """`town_codes` (spelling -> code) and `town_problems` (spelling -> why it is refused)."""
    active = {normalize_spelling(s): t.code for t in towns if t.active for s in (t.code, t.name, *t.aliases)}
    inactive = {normalize_spelling(s) for t in towns if not t.active for s in (t.code, t.name, *t.aliases)}
    spellings = [row[0] for row in con.execute(_sql("town_spellings")).fetchall()]
    codes, problems = [], []
    for spelled in spellings:
        key = normalize_spelling(spelled)
        if key in active:
            codes.append((spelled, active[key]))
        elif not key:
            problems.append((spelled, "镇街不能为空"))
        elif key in inactive:
            problems.append((spelled, f"“{spelled}”已停用，不参加排名"))
        else:
            problems.append((spelled, f"未知镇街“{spelled}”：请使用名称、代码或 towns.csv 中登记的别名"))
    con.register("town_codes", pd.DataFrame(codes, columns=["town", "town_code"], dtype=str))
    con.register("town_problems", pd.DataFrame(problems, columns=["town", "message"], dtype=str))


def _listed_problems(con: duckdb.DuckDBPyConnection, table: str, checks: str) -> list[RecordProblem]:
    """The first LISTED_PER_RULE rows breaking each rule, and how many there are in all."""
    rows = con.execute(
        f"""
        with problems as ({checks}),
        numbered as (
            select *,
                count(*) over (partition by rule) as total,
                row_number() over (partition by rule order by source_row) as nth
            from problems
        )
        select rule, source_row, "column", message, total from numbered
        where nth <= ?
        order by rule, source_row
        """,
        [LISTED_PER_RULE],
    ).fetchall()
    found: list[RecordProblem] = []
    for index, (rule, row, column, message, total) in enumerate(rows):
        found.append(RecordProblem(table, int(row), column, message))
        last_of_rule = index + 1 == len(rows) or rows[index + 1][0] != rule
        if last_of_rule and total > LISTED_PER_RULE:
            found.append(
                RecordProblem(table, None, column, f"同类问题共 {total:,} 行，以上只列出前 {LISTED_PER_RULE} 行")
            )
    return found


def _checks(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The rule checks of `table`: the shared ones (over the view `record_common`, pointed at
    this table here) and the table's own, in one query."""
    id_label, day, day_label, day_rule = _RECORD_COMMON[table]
    con.execute(
        f"create or replace temp view record_common as select source_row, town, "
        f"{id_column(table)} as id, '{id_column(table)}' as id_column, '{id_label}' as id_label, "
        f"{day} as day, {day}_given as day_given, '{day}' as day_column, '{day_label}' as day_label, "
        f"'{day_rule}' as day_rule from {table}_rows"
    )
    checks = f"select * from ({_sql('checks_common')})"
    if (SQL / f"checks_{table}.sql").is_file():
        checks += f" union all select * from ({_sql(f'checks_{table}')})"
    return checks


# table -> (id label, the column holding the record's day, its label, the rule-name prefix)
_RECORD_COMMON = {
    "inspections": ("检查编号", "date", "日期", "date"),
    "hazards": ("隐患编号", "found_date", "发现日期", "found"),
    "enforcement": ("执法编号", "date", "日期", "date"),
}


def _duplicate_ids(con: duckdb.DuckDBPyConnection, table: str) -> list[RecordProblem]:
    column = id_column(table)
    con.execute(
        f"create or replace temp view record_ids as select source_row, {column} as id, '{column}' as id_column "
        f"from {table}_rows"
    )
    if _ids_all_different(con):
        return []
    return _listed_problems(con, table, _sql("duplicate_ids"))


def _ids_all_different(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the ids of `record_ids` are shown all different without grouping them.

    Integer ids are marked in a bitmap of their range as DuckDB reads the id column: as many
    bits set as there are ids means none came twice. Text ids, or ids spread too thin for a
    bitmap, return False and are grouped by duplicate_ids.sql instead.
    """
    kind = con.execute("select column_type from (describe record_ids) where column_name = 'id'").fetchall()[0][0]
    if kind not in _INTEGER_TYPES:
        return False
    low, high = con.execute("select min(id), max(id) from record_ids").fetchall()[0]
    if low is None:
        return True
    if high - low + 1 > ID_BITMAP_BITS:
        return False
    ids, different = con.execute(_sql("different_ids"), [low, high]).fetchall()[0]
    return ids == different


_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
