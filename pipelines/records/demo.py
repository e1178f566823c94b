"""Synthetic record-level data (design §3.2) for the demo and the province benchmark.

Towns differ in size (lognormal, about 40 inspections a town-day) and habits (the demo
city's town profiles); every count is drawn with numpy for a whole day at once and written
in Parquet row groups, so a province-year of about 20 M inspections takes seconds.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sanse.deployment.demo import town_profiles
from sanse.deployment.towns import Town
from sanse.pipelines.records.tables import KINDS, LEVELS, TABLES, RecordCounts, id_column

_WRITE_EVERY_DAYS = 30  # days per Parquet row group: bounded memory, few large groups to read

_SCHEMAS = {
    "inspections": pa.schema(
        [
            ("inspection_id", pa.int64()),
            ("town", pa.dictionary(pa.int32(), pa.string())),
            ("date", pa.date32()),
            ("unit_id", pa.int64()),
        ]
    ),
    "hazards": pa.schema(
        [
            ("hazard_id", pa.int64()),
            ("town", pa.dictionary(pa.int32(), pa.string())),
            ("found_date", pa.date32()),
            ("level", pa.dictionary(pa.int8(), pa.string())),
            ("rectified_date", pa.date32()),
            ("unit_id", pa.int64()),
        ]
    ),
    "enforcement": pa.schema(
        [
            ("action_id", pa.int64()),
            ("town", pa.dictionary(pa.int32(), pa.string())),
            ("date", pa.date32()),
            ("kind", pa.dictionary(pa.int8(), pa.string())),
            ("persons", pa.int32()),
            ("amount_wan", pa.float64()),
        ]
    ),
}


def write_records(towns: list[Town], out_dir: Path, *, days: int, seed: int, start: date) -> RecordCounts:
    """Write inspections/hazards/enforcement.parquet for `days` days from `start`.

    About 0.5 hazards per inspection, most rectified a few days later and some never (or not
    yet when the export is taken), enforcement actions on about 5% of inspections. Each day
    is drawn from its own seeded stream, so a longer campaign starts with exactly the records
    of a shorter one (the benchmark adds "one more day" this way).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    profiles = town_profiles(towns, seed)
    names = pa.array(profiles["name"], pa.string())
    levels, kinds = pa.array(LEVELS, pa.string()), pa.array(KINDS, pa.string())
    epoch = (start - date(1970, 1, 1)).days
    units = np.maximum(20, (profiles["size"].to_numpy() * 25).astype(np.int64))
    # zstd, as an export meant to be kept is best sent: it is then kept as sent, not converted
    writers = {t: pq.ParquetWriter(out_dir / f".{t}.parquet.tmp", _SCHEMAS[t], compression="zstd") for t in TABLES}
    next_id = {t: 1 for t in TABLES}
    pending: dict[str, list[dict]] = {t: [] for t in TABLES}
    try:
        for offset in range(days):
            day = _one_day(profiles, units, seed, offset, days, start)
            for table, columns in day.items():
                count = len(columns["town"])
                columns[id_column(table)] = np.arange(next_id[table], next_id[table] + count)
                next_id[table] += count
                pending[table].append(columns)
            if (offset + 1) % _WRITE_EVERY_DAYS == 0 or offset == days - 1:
                for table in TABLES:
                    _write_chunk(writers[table], table, pending[table], names, levels, kinds, epoch)
                    pending[table] = []
    finally:
        for writer in writers.values():
            writer.close()
    for table in TABLES:
        (out_dir / f".{table}.parquet.tmp").replace(out_dir / f"{table}.parquet")
    return RecordCounts(*(next_id[t] - 1 for t in TABLES))


def _one_day(
    profiles: pd.DataFrame, units: np.ndarray, seed: int, offset: int, days: int, start: date
) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng([seed, 3, offset])
    n = len(profiles)
    weekend = 0.85 if (start + timedelta(days=offset)).weekday() >= 5 else 1.0
    drift = np.clip(1 + profiles["trend"].to_numpy() * offset, 0.3, 2.0)
    reported = rng.random(n) >= profiles["miss_chance"].to_numpy()
    visits = np.where(reported, rng.poisson(profiles["size"].to_numpy() * weekend), 0)

    town = np.repeat(np.arange(n, dtype=np.int32), visits)
    first_visit = np.r_[0, np.cumsum(visits)[:-1]]
    unit = town.astype(np.int64) * 1_000_000 + rng.integers(0, units[town])
    inspections = {"town": town, "date": np.full(len(town), offset, np.int32), "unit_id": unit}

    found = rng.binomial(visits * 2, np.clip(profiles["hazard_rate"].to_numpy() * 0.4, 0, 1))
    h_town = np.repeat(np.arange(n, dtype=np.int32), found)
    # each hazard belongs to one of that day's inspections of its town
    h_visit = first_visit[h_town] + (rng.random(len(h_town)) * visits[h_town]).astype(np.int64)
    major = rng.random(len(h_town)) < np.clip(profiles["major_share"].to_numpy() * drift, 0, 1)[h_town]
    never = rng.random(len(h_town)) < np.where(major, 0.12, 0.06)
    delay = np.where(major, rng.geometric(0.2, len(h_town)), rng.geometric(0.4, len(h_town))) - 1
    rectified = offset + delay
    rectified_valid = ~never & (rectified < days)  # not yet rectified when the export was taken
    hazards = {
        "town": h_town,
        "found_date": np.full(len(h_town), offset, np.int32),
        "level": major.astype(np.int8),
        "rectified_date": rectified.astype(np.int32),
        "rectified_valid": rectified_valid,
        "unit_id": unit[h_visit],
    }

    per_kind = np.stack(
        [
            rng.binomial(visits, np.clip(profiles["halt_rate"].to_numpy() * 0.5 * drift, 0, 1)),
            rng.binomial(visits, np.clip(profiles["case_rate"].to_numpy() * 0.5 * drift, 0, 1)),
            rng.poisson(0.06, n) * (visits > 0),
            rng.binomial(visits, 0.015),
        ],
        axis=1,
    )
    e_town = np.repeat(np.repeat(np.arange(n, dtype=np.int32), 4), per_kind.ravel())
    e_kind = np.repeat(np.tile(np.arange(4, dtype=np.int8), n), per_kind.ravel())
    persons = np.where(e_kind == 2, 1 + rng.poisson(0.4, len(e_kind)), 0).astype(np.int32)
    amount = np.where(e_kind == 3, np.round(rng.gamma(2.0, 0.6, len(e_kind)) + 0.05, 2), 0.0)
    enforcement = {
        "town": e_town,
        "date": np.full(len(e_town), offset, np.int32),
        "kind": e_kind,
        "persons": persons,
        "persons_valid": e_kind == 2,
        "amount_wan": amount,
        "amount_valid": e_kind == 3,
    }
    return {"inspections": inspections, "hazards": hazards, "enforcement": enforcement}


def _write_chunk(
    writer: pq.ParquetWriter,
    table: str,
    parts: list[dict],
    names: pa.Array,
    levels: pa.Array,
    kinds: pa.Array,
    epoch: int,
) -> None:
    if not parts:
        return
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def day(key: str, valid: str | None = None) -> pa.Array:
        mask = None if valid is None else ~joined[valid]
        return pa.array((joined[key] + epoch).astype(np.int32), pa.int32(), mask=mask).cast(pa.date32())

    town = pa.DictionaryArray.from_arrays(pa.array(joined["town"], pa.int32()), names)
    if table == "inspections":
        arrays = [pa.array(joined["inspection_id"]), town, day("date"), pa.array(joined["unit_id"])]
    elif table == "hazards":
        arrays = [
            pa.array(joined["hazard_id"]),
            town,
            day("found_date"),
            pa.DictionaryArray.from_arrays(pa.array(joined["level"], pa.int8()), levels),
            day("rectified_date", "rectified_valid"),
            pa.array(joined["unit_id"]),
        ]
    else:
        arrays = [
            pa.array(joined["action_id"]),
            town,
            day("date"),
            pa.DictionaryArray.from_arrays(pa.array(joined["kind"], pa.int8()), kinds),
            pa.array(joined["persons"], pa.int32(), mask=~joined["persons_valid"]),
            pa.array(joined["amount_wan"], pa.float64(), mask=~joined["amount_valid"]),
        ]
    writer.write_table(pa.Table.from_arrays(arrays, schema=_SCHEMAS[table]))
