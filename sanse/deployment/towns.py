"""The towns of a deployment: `towns.csv` in the home directory, read, checked and written."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from pathlib import Path

from sanse.deployment.errors import ConfigError

TOWN_KINDS = ("街道", "镇", "乡")


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    kind: str
    group: str = ""
    aliases: tuple[str, ...] = ()
    active: bool = True


def read_towns(path: Path) -> list[Town]:
    stat = path.stat()  # FileNotFoundError as before when there is none
    return list(_towns_of(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _towns_of(path: str, mtime_ns: int, size: int) -> tuple[Town, ...]:
    """A province's towns.csv is read once per change, not on every upload and build."""
    return tuple(parse_towns(Path(path).read_text(encoding="utf-8-sig")))


def parse_towns(text: str) -> list[Town]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise ConfigError(f"towns.csv 缺少列：{'、'.join(sorted(missing))}")
    towns: list[Town] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip()
        if not code or not name:
            raise ConfigError(f"towns.csv 第{line}行：code 和 name 不能为空")
        if kind not in TOWN_KINDS:
            raise ConfigError(f"towns.csv 第{line}行：kind 应为 街道/镇/乡，而不是“{kind}”")
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
        for spelling in (code, name, *aliases):
            if spelling in seen:
                raise ConfigError(f"towns.csv 第{line}行：“{spelling}”已在第{seen[spelling]}行使用")
            seen[spelling] = line
        active = (row.get("active") or "1").strip() not in ("0", "false", "False", "否")
        towns.append(Town(code, name, kind, (row.get("group") or "").strip(), aliases, active))
    if not towns:
        raise ConfigError("towns.csv 没有镇街")
    return towns


def write_towns(towns: list[Town], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "kind", "group", "aliases", "active"])
    for t in towns:
        writer.writerow([t.code, t.name, t.kind, t.group, "|".join(t.aliases), int(t.active)])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def town_lookup(towns: list[Town]) -> dict[str, Town]:
    """Every accepted spelling (code, name, alias) -> town."""
    lookup: dict[str, Town] = {}
    for town in towns:
        for spelling in (town.code, town.name, *town.aliases):
            lookup[normalize_spelling(spelling)] = town
    return lookup


def normalize_spelling(text: str) -> str:
    return "".join(str(text).split()).replace("\u3000", "")
