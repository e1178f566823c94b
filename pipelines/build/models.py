"""The build's SQL (design §7): the staging and mart models and the data checks in sql/, read
with their count columns written out."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from sanse.deployment.towns import Town
from sanse.facts.report import with_counts

SQL = Path(__file__).parent / "sql"


class CheckFailed(RuntimeError):
    """A data rule in sql/checks returned rows; the message lists them."""


def sql_text(path: Path) -> str:
    """A .sql file, its `{counts}` written out."""
    return with_counts(path.read_text(encoding="utf-8"))


def sql_steps(stage: str) -> list[tuple[str, str]]:
    """(table name, select) for each NN_name.sql of a stage, in order."""
    return [(path.stem.split("_", 1)[1], sql_text(path)) for path in sorted((SQL / stage).glob("*.sql"))]


def run_checks(con: duckdb.DuckDBPyConnection) -> None:
    failures = []
    for path in sorted((SQL / "checks").glob("*.sql")):
        rows = con.execute(sql_text(path)).df()
        if len(rows):
            failures.append(f"{path.stem}: {len(rows)} 行\n{rows.head(10).to_string(index=False)}")
    if failures:
        raise CheckFailed("数据检查未通过：\n" + "\n".join(failures))


def towns_table(towns: list[Town]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [t.code for t in towns],
            "name": [t.name for t in towns],
            "kind": [t.kind for t in towns],
            "group": [t.group for t in towns],
            "active": [t.active for t in towns],
        }
    )
