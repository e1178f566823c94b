"""The demo city: 23 fictional towns and a deterministic campaign of synthetic daily reports.

The names are invented compositions, never paired with a real place; the numbers come from
a seeded generator, so every machine gets the same demo.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from sanse.config import Campaign, Rules, Settings, Town

DEMO_START = date(2026, 9, 1)
DEMO_DAYS = 60
DEMO_SEED = 20260901

_STREETS = ["云岫街道", "青禾街道", "澄波街道", "星澜街道", "玉衡街道"]
_TOWNS = [
    "霁月镇",
    "碧砚镇",
    "金穗镇",
    "杏雨镇",
    "梧影镇",
    "荷风镇",
    "柏韵镇",
    "稻香镇",
    "枫岚镇",
    "苇渡镇",
    "橙园镇",
    "麦浪镇",
    "渔歌镇",
    "茶烟镇",
    "榆光镇",
    "槐影镇",
    "松籁镇",
]
_TOWNSHIPS = ["鹤汀乡"]


def demo_towns(n: int = 23) -> list[Town]:
    """The demo city for n = 23; otherwise n synthetic towns in peer groups of about 15."""
    if n == 23:
        names = [(name, "街道") for name in _STREETS] + [(name, "镇") for name in _TOWNS]
        names += [(name, "乡") for name in _TOWNSHIPS]
        return [
            Town(f"T{i:02d}", name, kind, "", (name.removesuffix(kind),) if len(name) > 2 else ())
            for i, (name, kind) in enumerate(names, start=1)
        ]
    width = len(str(n))
    groups = max(1, round(n / 15))
    return [
        Town(
            f"T{i:0{width}d}",
            f"示例镇{i:0{width}d}",
            "街道" if i % 7 == 0 else "镇",
            f"示例县{(i - 1) % groups + 1:03d}" if groups > 1 else "",
        )
        for i in range(1, n + 1)
    ]


def demo_settings() -> Settings:
    return Settings(
        Campaign(start=DEMO_START, title="每日工作动态", first_issue=1, city="示范市", anonymous_read=True),
        (Rules(),),
    )


def town_profiles(towns: list[Town], seed: int) -> pd.DataFrame:
    """Each town's size and habits: how much it inspects and how hard it acts on what it finds."""
    rng = np.random.default_rng([seed, 1])
    n = len(towns)
    return pd.DataFrame(
        {
            "code": [t.code for t in towns],
            "name": [t.name for t in towns],
            "size": rng.lognormal(np.log(40), 0.45, n),
            "hazard_rate": rng.uniform(0.35, 0.9, n),
            "major_share": rng.beta(2, 30, n),
            "halt_rate": rng.beta(2, 60, n),
            "case_rate": rng.beta(2, 45, n),
            "trend": rng.normal(0, 0.006, n),
            "miss_chance": rng.choice([0.0, 0.01, 0.03, 0.08], n, p=[0.5, 0.3, 0.15, 0.05]),
        }
    )


def demo_reports(
    towns: list[Town], days: int = DEMO_DAYS, start: date = DEMO_START, seed: int = DEMO_SEED
) -> pd.DataFrame:
    """Daily reports in the form towns fill in (English keys), one row per town and day reported."""
    profiles = town_profiles(towns, seed)
    rng = np.random.default_rng([seed, 2])
    frames = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        weekend = 0.85 if day.weekday() >= 5 else 1.0
        reported = rng.random(len(profiles)) >= profiles["miss_chance"].to_numpy()
        inspections = rng.poisson(profiles["size"].to_numpy() * weekend)
        hazards = rng.binomial(inspections * 2, np.clip(profiles["hazard_rate"].to_numpy() / 2, 0, 1))
        drift = np.clip(1 + profiles["trend"].to_numpy() * offset, 0.3, 2.0)
        major = rng.binomial(hazards, np.clip(profiles["major_share"].to_numpy() * drift, 0, 1))
        frames.append(
            pd.DataFrame(
                {
                    "date": day,
                    "town": profiles["name"],
                    "inspections": inspections,
                    "hazards": hazards,
                    "major_hazards": major,
                    "rectified": rng.binomial(hazards, 0.8),
                    "halted": rng.binomial(inspections, np.clip(profiles["halt_rate"].to_numpy() * drift, 0, 1)),
                    "cases": rng.binomial(inspections, np.clip(profiles["case_rate"].to_numpy() * drift, 0, 1)),
                    "detentions": rng.poisson(0.08, len(profiles)),
                    "fines_wan": np.round(rng.binomial(inspections, 0.03) * rng.gamma(2.0, 0.6, len(profiles)), 2),
                }
            )[reported]
        )
    return pd.concat(frames, ignore_index=True)
