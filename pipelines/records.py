"""Record-level data (SPEC 3.2): inspections, hazards and enforcement actions from an
inspection system, validated and aggregated by DuckDB into daily town reports of the 3.1 form.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from sanse.store.reports import Submission, append_submission
from sanse.config import Town, normalize_spelling, read_towns
from sanse.demo import DEMO_START
from sanse.home import Home
from sanse.rulebook import settings_in_force

SQL = Path(__file__).parent / "sql" / "records"
TABLES = ("inspections", "hazards", "enforcement")
TABLE_LABELS = {"inspections": "检查记录", "hazards": "隐患记录", "enforcement": "执法记录"}
REQUIRED_COLUMNS = {
    "inspections": ("inspection_id", "town", "date"),
    "hazards": ("hazard_id", "town", "found_date", "level", "rectified_date"),
    "enforcement": ("action_id", "town", "date", "kind", "persons", "amount_wan"),
}
LEVELS = ("一般", "重大")
KINDS = ("停产停业", "立案", "拘留", "罚款")
LISTED_PER_RULE = 20  # a million bad rows are one mistake: list a few, count the rest
ID_BITMAP_BITS = 1 << 30  # ids spread wider than this (a 128 MB bitmap) are grouped to find repeats

@dataclass(frozen=True)
class RecordCounts:
    inspections: int
    hazards: int
    enforcement: int


def id_column(table: str) -> str:
    return {"inspections": "inspection_id", "hazards": "hazard_id", "enforcement": "action_id"}[table]


def write_demo_records(towns: list[Town], out_dir: Path, *, days: int, seed: int,
                       start: date = DEMO_START) -> RecordCounts:
    """Synthetic record tables for the demo and the benchmark (see pipelines/demo_records.py)."""
    from pipelines.demo_records import write_records  # it builds on this module's table definitions

    return write_records(towns, Path(out_dir), days=days, seed=seed, start=start)


# ---------------------------------------------------------------- import

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


@dataclass
class RecordsIngested:
    ok: bool
    errors: list[RecordProblem] = field(default_factory=list)
    summary: str = ""
    submission: Submission | None = None
    records: RecordCounts | None = None
    town_days: int = 0


def ingest_records(home: Home, folder: Path, *, by: str, today: date | None = None) -> RecordsIngested:
    """Validate the three record tables in `folder`, aggregate them to daily town counts and
    append those to the submission log as one submission; all or nothing.

    Each table is `<name>.parquet` or `<name>.csv` (UTF-8, header row). Town-days whose
    figures equal the current ones are left alone, so importing the same records again, or a
    longer export of the same campaign, writes only what changed.
    """
    folder = Path(folder)
    towns = read_towns(home.towns_csv)
    settings = settings_in_force(home)
    files, errors = _find_tables(folder)
    if errors:
        return RecordsIngested(False, errors)
    # Hashing the tables is mostly waiting on the disk: it runs beside DuckDB's scans.
    with ThreadPoolExecutor(max_workers=1) as background:
        hashing = background.submit(_digest, files)
        outcome = _validate_and_count(files, towns, settings.campaign.start, today or date.today(),
                                      home.root / ".records-spill")
        if isinstance(outcome, list):
            return RecordsIngested(False, outcome)
        daily, counts = outcome
        sha = hashing.result()

    submission = append_submission(home.store, daily, by=by, source_name=f"{folder.name}（记录级数据）", source_sha256=sha,
                                   audit_detail={"folder": str(folder), "records": counts.__dict__})
    summary = (
        f"记录级数据：检查 {counts.inspections:,} 条，隐患 {counts.hazards:,} 条，执法 {counts.enforcement:,} 条，"
        f"汇总为 {daily.num_rows:,} 个镇街日；新增 {submission.written - len(submission.corrected):,} 行，"
        f"更正 {len(submission.corrected):,} 行，未变 {submission.unchanged:,} 行"
    )
    return RecordsIngested(True, [], summary, submission, counts, daily.num_rows)


def _validate_and_count(files: dict[str, Path], towns: list[Town], campaign_start: date | None, today: date,
                        spill: Path) -> list[RecordProblem] | tuple[pa.Table, RecordCounts]:
    """Every problem of the tables, or (daily town counts, record counts) when there is none."""
    con = duckdb.connect(config={"temp_directory": str(spill)})  # a CSV bigger than memory spills here
    con.execute("set variable today = ?", [today])
    con.execute("set variable campaign_start = ?", [campaign_start])
    con.execute(_RECORD_DAY_MACRO)
    errors: list[RecordProblem] = []
    for table, path in files.items():
        errors += _stage(con, table, path)
    if errors:
        return errors
    con.execute(f"create temp table spelled_counts as {_sql('spelled_counts')}")
    _register_towns(con, towns)
    for table in TABLES:
        errors += _listed_problems(con, table, _checks(con, table))
        errors += _duplicate_ids(con, table)
    if errors:
        return errors
    totals = con.execute("select sum(inspections), sum(hazards), sum(actions) from spelled_counts").fetchall()[0]
    daily = con.sql(_sql("daily_counts")).to_arrow_table()
    if daily.num_rows == 0:
        return [RecordProblem("inspections", None, "", "三个表中都没有记录")]
    return daily, RecordCounts(*(int(n or 0) for n in totals))


_RECORD_DAY_MACRO = """
create or replace temp macro record_day(given) as coalesce(
    try_cast(given as date),
    try_cast(try_cast(given as timestamp) as date),
    try_cast(try_strptime(cast(given as varchar), ['%Y/%m/%d', '%Y年%m月%d日', '%Y%m%d', '%Y.%m.%d']) as date)
)
"""
_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")


def _sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8")


def _find_tables(folder: Path) -> tuple[dict[str, Path], list[RecordProblem]]:
    if not folder.is_dir():
        return {}, [RecordProblem("inspections", None, "", f"找不到文件夹 {folder}")]
    files, errors = {}, []
    for table in TABLES:
        found = [folder / f"{table}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{table}{suffix}").is_file()]
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
            con.execute(f"create or replace temp view {table}_source as select *, rowid + 2 as source_row from {table}_text")
        described = con.execute(f"describe {table}_source").fetchall()
    except duckdb.Error as exc:
        return [RecordProblem(table, None, "", f"无法读取 {path.name}：{_first_line(exc)}（CSV 请用 UTF-8 编码并带表头）")]
    types = {name: kind for name, kind, *_ in described}
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in types]
    if missing:
        have = "、".join(n for n in types if n != "source_row")
        return [RecordProblem(table, 1, c, f"缺少必填列“{c}”（文件中的列：{have}）") for c in missing]

    def day(column: str) -> str:
        typed = f'cast("{column}" as date)' if types[column] in _DATE_TYPES else f'record_day("{column}")'
        return f'{typed} as {column}, nullif(trim(cast("{column}" as varchar)), \'\') as {column}_given'

    if table == "inspections":
        columns = ["inspection_id", "cast(town as varchar) as town", day("date")]
    elif table == "hazards":
        columns = [
            "hazard_id", "cast(town as varchar) as town", day("found_date"),
            "cast(level as varchar) as level", day("rectified_date"),
        ]
    else:
        columns = [
            "action_id", "cast(town as varchar) as town", day("date"), "cast(kind as varchar) as kind",
            "try_cast(persons as double) as persons",
            "nullif(trim(cast(persons as varchar)), '') as persons_given",
            "try_cast(amount_wan as decimal(18, 6)) as amount_wan",
            "nullif(trim(cast(amount_wan as varchar)), '') as amount_given",
        ]
    con.execute(f"create or replace temp view {table}_rows as select source_row, {', '.join(columns)} from {table}_source")
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
            found.append(RecordProblem(table, None, column, f"同类问题共 {total:,} 行，以上只列出前 {LISTED_PER_RULE} 行"))
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


_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}


def _digest(files: dict[str, Path]) -> str:
    """One SHA-256 over the three tables as received."""
    digest = hashlib.sha256()
    for table in TABLES:
        source = files[table]
        digest.update(source.name.encode())
        with open(source, "rb") as reader:
            while chunk := reader.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
