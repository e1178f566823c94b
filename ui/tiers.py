"""Tier colour on screen: the colour board tiles, a tier badge, and tier cells in tables.

Tier colours are exactly those of `sanse.facts.tiers` and always carry the word. Town names
are escaped before they reach the tile markup, so no user text is rendered as HTML.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from sanse.facts.tiers import TIER_COLOURS, TIER_KEYS, TIER_TEXT_COLOURS
from sanse.ui.session import t, tier_label

_BOARD_STYLE = """
<style>
.sanse-board{display:grid;grid-template-columns:repeat(auto-fill,minmax(7.5rem,1fr));gap:.45rem}
.sanse-tile{border-radius:.4rem;padding:.45rem .55rem;line-height:1.25;min-height:3.6rem}
.sanse-tile b{display:block;font-size:1rem}
.sanse-tile span{font-size:.8rem;opacity:.95}
.sanse-counts{display:flex;gap:.45rem;flex-wrap:wrap}
.sanse-count{border-radius:.4rem;padding:.3rem .8rem;font-size:1.15rem;font-weight:600}
</style>
"""


def colour_board(ranking: pd.DataFrame) -> None:
    """One tile per town in rank order: its tier colour, name, tier word and rank."""
    tiles = []
    for row in ranking.itertuples(index=False):
        colour, ink = TIER_COLOURS[row.tier], TIER_TEXT_COLOURS[row.tier]
        flag = " ⚠" if row.red_alert else ""
        tiles.append(
            f'<div class="sanse-tile" style="background:{colour};color:{ink}" '
            f'title="{escape(row.town)}"><b>{escape(row.town)}</b>'
            f"<span>{escape(tier_label(row.tier))} · {t('col.rank')} {int(row.rank)}{flag}</span></div>"
        )
    st.html(_BOARD_STYLE + '<div class="sanse-board">' + "".join(tiles) + "</div>")


def tier_counts(ranking: pd.DataFrame) -> None:
    """How many towns are in each tier, as three coloured chips on one line (also on a phone)."""
    counts = ranking["tier"].value_counts()
    chips = "".join(
        f'<div class="sanse-count" style="background:{TIER_COLOURS[tier]};color:{TIER_TEXT_COLOURS[tier]}">'
        f"{escape(tier_label(tier))} {int(counts.get(tier, 0))}</div>"
        for tier in TIER_KEYS
    )
    st.html(_BOARD_STYLE + f'<div class="sanse-counts">{chips}</div>')


def tier_badge(tier: str, text: str) -> None:
    colour, ink = TIER_COLOURS[tier], TIER_TEXT_COLOURS[tier]
    st.html(
        f'<div style="display:inline-block;background:{colour};color:{ink};border-radius:.4rem;'
        f'padding:.35rem .8rem;font-size:1.4rem;font-weight:600">{escape(text)}</div>'
    )


def style_tiers(frame: pd.DataFrame, column: str) -> pd.io.formats.style.Styler:
    """Colour the tier cells of `column` (which holds the tier word)."""
    by_word = {tier_label(tier): tier for tier in TIER_KEYS}

    def paint(text: str) -> str:  # the word may carry a note, e.g. 蓝（待定）
        tier = next((tier for word, tier in by_word.items() if str(text).startswith(word)), None)
        if not tier:
            return ""
        return f"background-color:{TIER_COLOURS[tier]};color:{TIER_TEXT_COLOURS[tier]};font-weight:600"

    return frame.style.map(paint, subset=[column])
