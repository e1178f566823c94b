"""The three tiers as people see them: one colour and one word each, the same on screen,
in Excel and in Word (design §4: always the word with the colour, never colour alone)."""

from __future__ import annotations

TIER_COLOURS = {"blue": "#0070C0", "yellow": "#FFC000", "red": "#C00000"}
TIER_WORDS = {"blue": "蓝", "yellow": "黄", "red": "红"}
# Text drawn on a tier colour: white reads on blue and red, black on yellow.
TIER_TEXT_COLOURS = {"blue": "#FFFFFF", "yellow": "#000000", "red": "#FFFFFF"}


def tier_word(tier: str) -> str:
    return TIER_WORDS.get(tier, "")


def tier_hex(tier: str) -> str:
    """The colour without '#', as openpyxl and Word want it (e.g. '0070C0')."""
    return TIER_COLOURS[tier].lstrip("#")
