"""The three tiers, best first, as people see them: one word and one colour each, the same on
screen, in Excel, in Word and in the messages (design §4: always the word with the colour,
never colour alone). The screens' labels in every language are taken from here too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    key: str  # as the rankings store it
    word: str  # 蓝: the tier cell's word
    english: str
    colour: str  # exact, as #RRGGBB
    ink: str  # text drawn on the colour: white reads on blue and red, black on yellow


TIERS = (
    Tier("blue", "蓝", "Blue", "#0070C0", "#FFFFFF"),
    Tier("yellow", "黄", "Yellow", "#FFC000", "#000000"),
    Tier("red", "红", "Red", "#C00000", "#FFFFFF"),
)
TIER_KEYS = tuple(tier.key for tier in TIERS)
TIER_ORDER = {tier.key: place for place, tier in enumerate(TIERS)}  # a tier's code is its place
TIER_COLOURS = {tier.key: tier.colour for tier in TIERS}
TIER_WORDS = {tier.key: tier.word for tier in TIERS}
TIER_TEXT_COLOURS = {tier.key: tier.ink for tier in TIERS}


def tier_hex(tier: str) -> str:
    """The colour without '#', as openpyxl and Word want it (e.g. '0070C0')."""
    return TIER_COLOURS[tier].lstrip("#")
