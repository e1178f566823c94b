"""The card ladder (design §11): white → yellow → red, the colour each card occurrence takes
from the town's last card, and the summons a run of red cards brings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from sanse.facts.measures import CARD_MEASURES, CARD_WORDS, CARDS, LADDER_CARD
from sanse.supervision.consequences import CardLadder
from sanse.supervision.occurrences import Occurrence, deadline_after

SUMMON = "summon"  # the key of the occurrence a run of red cards brings


def standing_card(level: int, given: date, day: date, ladder: CardLadder) -> int:
    """The colour (0 none, 1 white, 2 yellow, 3 red) a card of `level` given on `given` stands
    at on `day`: one step down for each whole `clean_days` since."""
    return max(0, level - (day - given).days // ladder.clean_days)


def with_cards(occurrences: list[Occurrence], ladder_on: Callable[[date], CardLadder]) -> list[Occurrence]:
    """Give each card occurrence its colour on the ladder, town by town in day order, and add
    an occurrence summoning the town head on each `summon_after_red`-th red card in a row.

    A card stands at its colour, one step lower per `clean_days` since it was given. The next
    card is one colour above that if it comes within `escalate_within_days` of the last card,
    else at that colour (white at least); 白牌/黄牌/红牌 measures are at least their colour.
    """
    out: list[Occurrence] = []
    last: dict[str, tuple[int, date]] = {}
    reds: dict[str, int] = {}
    for occurrence in sorted(occurrences, key=lambda o: (o.day, o.key)):
        if occurrence.measure != LADDER_CARD and occurrence.measure not in CARD_MEASURES:
            out.append(occurrence)
            continue
        ladder = ladder_on(occurrence.day)
        level = 1
        if occurrence.town_code in last:
            before, given = last[occurrence.town_code]
            standing = standing_card(before, given, occurrence.day, ladder)
            within = (occurrence.day - given).days <= ladder.escalate_within_days
            level = standing + 1 if within else max(standing, 1)
        floor = CARDS.index(CARD_MEASURES[occurrence.measure]) + 1 if occurrence.measure in CARD_MEASURES else 1
        level = min(3, max(level, floor))
        card = CARDS[level - 1]
        last[occurrence.town_code] = (level, occurrence.day)
        out.append(replace(occurrence, card=card, reason=f"{occurrence.reason}，亮{CARD_WORDS[card]}"))
        reds[occurrence.town_code] = reds.get(occurrence.town_code, 0) + 1 if card == "red" else 0
        if ladder.summon_after_red and reds[occurrence.town_code] == ladder.summon_after_red:
            reds[occurrence.town_code] = 0
            out.append(
                Occurrence(
                    f"{SUMMON}:{occurrence.town_code}:{occurrence.day}",
                    occurrence.town_code,
                    occurrence.town,
                    occurrence.day,
                    ladder.summon_measure,
                    deadline_after(occurrence.day, ladder.summon_deadline_days),
                    f"连续{ladder.summon_after_red}次被亮红牌，约谈镇街主要负责人",
                )
            )
    return out
