"""The supervision measures and cards as people name them (design §11): the same words on
pages, in the ledger, bulletins, messages and the audit log."""

from __future__ import annotations

LADDER_CARD = "亮牌"  # a card whose colour the ladder decides
CARD_MEASURES = {"白牌": "white", "黄牌": "yellow", "红牌": "red"}
MEASURES = ("约谈", "挂牌督办", "通报批评", LADDER_CARD, *CARD_MEASURES)
CARDS = ("white", "yellow", "red")
CARD_WORDS = {"white": "白牌", "yellow": "黄牌", "red": "红牌"}


def measure_label(measure: str, card: str | None) -> str:
    """How pages, the command line, the ledger, bulletins and the audit log name a measure: a
    card by the colour it was given (亮牌 or 黄牌 that the ladder made red: 红牌), any other
    measure by its name, with the colour of a card it carries."""
    if not card:
        return measure
    if measure == LADDER_CARD or measure in CARD_MEASURES:
        return CARD_WORDS[card]
    return f"{measure}（{CARD_WORDS[card]}）"
