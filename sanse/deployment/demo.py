"""The demo city: 23 fictional towns and a deterministic campaign of synthetic daily reports.

The names are invented compositions, never paired with a real place; the numbers come from
a seeded generator, so every machine gets the same demo. Its 60 days end yesterday (Beijing)
unless told otherwise, so a new user meets a running campaign: today still to report, the
latest issues, items with deadlines ahead.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from sanse.deployment.settings import Campaign, Rules, Settings
from sanse.deployment.towns import Town
from sanse.facts import clock

DEMO_DAYS = 60
DEMO_SEED = 20260901
DEMO_EPOCH = date(2026, 9, 1)  # where the demo's calendar of figures begins (see demo_reports)

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


def demo_end() -> date:
    """The demo's last day by default: yesterday in Beijing."""
    return clock.today() - timedelta(days=1)


def demo_start(end: date | None = None, days: int = DEMO_DAYS) -> date:
    """The first of `days` days that end on `end` (default: yesterday)."""
    return (end or demo_end()) - timedelta(days=days - 1)


def demo_settings(start: date | None = None) -> Settings:
    """The demo's rules.toml: its campaign starts on `start` (default: 60 days before today)."""
    return Settings(
        Campaign(start=start or demo_start(), title="每日工作动态", first_issue=1, city="示范市", anonymous_read=True),
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
    towns: list[Town],
    days: int = DEMO_DAYS,
    start: date | None = None,
    seed: int = DEMO_SEED,
    *,
    end: date | None = None,
) -> pd.DataFrame:
    """Daily reports in the form towns fill in (English keys), one row per town and day reported:
    `days` days from `start`, else ending on `end` (default: yesterday).

    A day's figures depend only on the seed and the day: the demo's calendar is drawn day by
    day from DEMO_EPOCH onwards (days before it each from a stream of their own), so a demo
    loaded again on a later day adds the new days and corrects none of the old ones.
    """
    start = start or demo_start(end, days)
    last = start + timedelta(days=days - 1)
    profiles = town_profiles(towns, seed)
    frames = []
    for day in _days(start, min(last, DEMO_EPOCH - timedelta(days=1))):
        frames.append(_one_day(profiles, np.random.default_rng([seed, 4, (DEMO_EPOCH - day).days]), day))
    if last >= DEMO_EPOCH:
        rng = np.random.default_rng([seed, 2])
        for day in _days(DEMO_EPOCH, last):
            reports = _one_day(profiles, rng, day)  # every day from the epoch, to keep the stream's place
            if day >= start:
                frames.append(reports)
    return pd.concat(frames, ignore_index=True)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _one_day(profiles: pd.DataFrame, rng: np.random.Generator, day: date) -> pd.DataFrame:
    weekend = 0.85 if day.weekday() >= 5 else 1.0
    reported = rng.random(len(profiles)) >= profiles["miss_chance"].to_numpy()
    inspections = rng.poisson(profiles["size"].to_numpy() * weekend)
    hazards = rng.binomial(inspections * 2, np.clip(profiles["hazard_rate"].to_numpy() / 2, 0, 1))
    # Each town drifts one way for DEMO_DAYS days, then back: the tiers keep moving, and no
    # rate runs off to its limit however long the demo's calendar gets.
    phase = (day - DEMO_EPOCH).days % (2 * DEMO_DAYS)
    drift = np.clip(1 + profiles["trend"].to_numpy() * min(phase, 2 * DEMO_DAYS - phase), 0.3, 2.0)
    major = rng.binomial(hazards, np.clip(profiles["major_share"].to_numpy() * drift, 0, 1))
    return pd.DataFrame(
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
