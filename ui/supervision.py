"""督办台账 as the page shows it: the items this user may see, the cards standing, the ledger as a
table and a workbook, an item's history and files, and each step on an item as this user,
saying why when it is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from sanse.access.roles import Forbidden, User
from sanse.deployment.errors import ConfigError
from sanse.deployment.home import Home
from sanse.facts.measures import CARD_WORDS, LADDER_CARD, MEASURES
from sanse.publishing.exports.ledger import ledger_xlsx
from sanse.sending.queue import queue_new_items
from sanse.supervision.items import DONE, STATUS_LABELS, Event, Item, SupervisionError
from sanse.supervision.ledger import attachment, history, items_frame, list_items, standing_cards
from sanse.supervision.lifecycle import add_item, answer, close, return_item, withdraw
from sanse.supervision.triggers import check_if_behind
from sanse.ui import data
from sanse.ui.session import plain, viewer


def check_triggers() -> str:
    """Make the items a build made by another server or by an upload calls for (checked once
    per build); "" when done, else why the consequence rules cannot be read."""
    try:
        check_if_behind(data.home(), announce=queue_new_items)
    except ConfigError as exc:
        return str(exc)
    return ""


def visible_items() -> list[Item]:
    """The items this user may see, overdue first."""
    return list_items(data.home(), viewer=viewer())


def status_labels() -> dict[str, str]:
    return STATUS_LABELS


def finished(item: Item) -> bool:
    """Closed (销号) or withdrawn."""
    return item.status in DONE


def hand_measures() -> list[str]:
    """The measures an admin may give by hand (a ladder's card comes from the rules only)."""
    return [m for m in MEASURES if m != LADDER_CARD]


def standing_cards_text(names: dict[str, str], day: date) -> str:
    """The towns with a card standing on `day` and its colour, as a sentence; "" when none stands."""
    cards = standing_cards(data.home(), day, data.settings())
    return "、".join(f"{plain(names.get(code, code))}（{CARD_WORDS[card]}）" for code, card in sorted(cards.items()))


def ledger_frame(items: list[Item], names: dict[str, str], day: date) -> pd.DataFrame:
    return items_frame(items, names, day)


def ledger_file(ledger: pd.DataFrame, day: date) -> Callable[[], bytes]:
    """The ledger as a workbook, made when the download is clicked."""
    return partial(ledger_xlsx, ledger, f"督办台账（{day}）")


def item_history(item: Item) -> list[Event]:
    return history(data.home(), item.id)


def attachment_file(sha256: str) -> Callable[[], bytes]:
    """A file of an item's history, made when the download is clicked (for this user, who may see it)."""
    return partial(_attachment, data.home(), sha256, viewer())


def _attachment(home: Home, sha256: str, me: User) -> bytes:
    return attachment(home, sha256, viewer=me)[1]


def step(run: Callable[[], Item]) -> Item | None:
    """One step on an item; None after saying why it was refused."""
    try:
        return run()
    except (SupervisionError, Forbidden) as exc:
        st.error(plain(exc))
        return None


def answer_item(item: Item, report: str, files: list[tuple[str, bytes]]) -> Item | None:
    return step(lambda: answer(data.home(), item.id, report, by=viewer(), files=files))


def close_item(item: Item, note: str) -> Item | None:
    return step(lambda: close(data.home(), item.id, by=viewer(), note=note))


def return_to_town(item: Item, comment: str) -> Item | None:
    return step(lambda: return_item(data.home(), item.id, comment, by=viewer()))


def withdraw_item(item: Item, note: str) -> Item | None:
    return step(lambda: withdraw(data.home(), item.id, by=viewer(), note=note))


def add_by_hand(town_code: str, measure: str, reason: str, deadline: date) -> Item | None:
    return step(
        lambda: add_item(
            data.home(),
            town_code,
            measure=measure,
            reason=reason,
            deadline=deadline,
            by=viewer(),
            announce=queue_new_items,
        )
    )
