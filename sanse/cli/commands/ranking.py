"""`sanse rank`: one day's or one period's ranking as a plain table, CSV or JSON."""

from __future__ import annotations

import json
import sys
from datetime import date

import pandas as pd

from sanse.cli.arguments import within_campaign
from sanse.cli.outcome import OK, BadInput
from sanse.deployment.home import Home
from sanse.ranking.rulebook import settings_in_force


def cmd_rank(home: Home, args) -> int:
    from sanse.ranking.rank import public_ranking
    from sanse.ranking.warehouse import NotBuilt, Warehouse

    try:
        warehouse = Warehouse.open(home)
    except NotBuilt as exc:
        raise BadInput(str(exc)) from exc
    settings = settings_in_force(home)
    try:
        within_campaign(settings, args.period or args.date, "没有数据" if args.period else "没有排名")
        if args.period is not None:
            table = _period_table(warehouse, args.period, settings)
        else:
            frame = warehouse.ranking(args.date)
            if frame.empty:
                raise BadInput(warehouse.why_unranked(args.date))
            table = public_ranking(frame, settings.rules_on(args.date))
    finally:
        warehouse.close()
    if args.format == "json":
        print(json.dumps(_json_records(table), ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(_csv_text(table))
    else:
        print(_plain_table(table))
    return OK


def _period_table(warehouse, period, settings) -> pd.DataFrame:
    """A period's ranking in the columns of a day's; what a reader should know on stderr."""
    from sanse.facts.periods import PeriodError
    from sanse.ranking.periods import rank_period
    from sanse.ranking.rank import public_ranking

    try:
        ranked = rank_period(warehouse, period, settings)
    except PeriodError as exc:
        raise BadInput(str(exc)) from exc
    print(f"{ranked.period.label}（{ranked.period.span}）排名", file=sys.stderr)
    for note in ranked.notes:
        print(note, file=sys.stderr)
    return public_ranking(ranked.ranking, ranked.rules)


# ---------------------------------------------------------------- output


def _json_records(table: pd.DataFrame) -> list[dict]:
    records = []
    for row in table.to_dict("records"):
        records.append({k: _json_value(v) for k, v in row.items()})
    return records


def _json_value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _csv_text(table: pd.DataFrame) -> str:
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "true", False: "false"})
    return out.to_csv(index=False, lineterminator="\n")


def _plain_table(table: pd.DataFrame) -> str:
    shown = table.copy()
    for column in shown.columns:
        if column.endswith("_rate"):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
    shown["score"] = shown["score"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    shown["rank"] = shown["rank"].map(lambda v: "" if pd.isna(v) else str(v))
    shown["tier"] = shown["tier"].map(lambda v: "未报送" if pd.isna(v) else v)  # in a period, no data at all
    shown["rank_change"] = shown["rank_change"].map(lambda v: "" if pd.isna(v) else str(v))
    return shown.to_string(index=False)
