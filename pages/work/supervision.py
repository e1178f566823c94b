"""督办台账: the supervision items, overdue first, with their history; a town answers its own
with a 整改报告, the office closes (销号), returns or withdraws them and adds items by hand."""

from datetime import timedelta
from functools import partial

import streamlit as st

from sanse.access.roles import Forbidden
from sanse.deployment.config import ConfigError
from sanse.facts import clock
from sanse.publishing.exports.ledger import ledger_xlsx
from sanse.supervision.consequences import CARD_WORDS, LADDER_CARD, MEASURES
from sanse.supervision.items import (
    DONE,
    STATUS_LABELS,
    SupervisionError,
    add_item,
    answer,
    attachment,
    check_if_behind,
    close,
    history,
    items_frame,
    list_items,
    return_item,
    standing_cards,
    withdraw,
)
from sanse.ui import data
from sanse.ui.notices import notice_block
from sanse.ui.send_log import send_log_section
from sanse.ui.session import plain, signed_in, t, viewer

RESULT = "supervision.result"
REPICK = "supervision.repick"  # the item a step just changed
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

home = data.home()
me = viewer()
today = clock.today()
st.title(t("supervision.title"))
if not signed_in():  # the ledger names towns and their failings: signed-in users only
    st.info(t("supervision.sign_in"))
    st.stop()
st.caption(t("supervision.caption"))
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))

try:  # a build made by another server or by an upload: its triggers are checked once
    check_if_behind(home)
except ConfigError as exc:
    st.warning(t("supervision.rules_error", error=str(exc)))

towns = data.towns()
names = {town.code: town.name for town in towns}
items = list_items(home, viewer=me)

left, middle, right = st.columns([2, 2, 1])
codes = sorted({item.town_code for item in items}, key=lambda c: names.get(c, c))
town = ""  # a town account sees its own items only: nothing to pick
if me.role != "town":
    town = left.selectbox(
        t("supervision.town"),
        ["", *codes],
        format_func=lambda c: names.get(c, c) if c else t("supervision.all_towns"),
        key="supervision.town",
    )
statuses = middle.multiselect(
    t("supervision.status"),
    list(STATUS_LABELS),
    format_func=STATUS_LABELS.get,
    placeholder=t("supervision.status.all"),
    select_all=False,  # Streamlit's bulk option says "Select all" in English; none picked means all
    key="supervision.status",
)
overdue_only = right.checkbox(t("supervision.overdue_only"), key="supervision.overdue_only")
shown = [
    item
    for item in items
    if (not town or item.town_code == town)
    and (not statuses or item.status in statuses)
    and (not overdue_only or item.overdue(today))
]

late = sum(item.overdue(today) for item in items)
if late:
    st.error(t("supervision.overdue_count", count=late))
cards = standing_cards(home, today, data.settings())
if cards:
    st.caption(
        t(
            "supervision.cards",
            cards="、".join(
                f"{plain(names.get(code, code))}（{CARD_WORDS[card]}）" for code, card in sorted(cards.items())
            ),
        )
    )

ledger = items_frame(shown, names, today)
st.dataframe(
    ledger,
    hide_index=True,
    width="stretch",
    key="supervision.table",
    column_config={"督办事由": st.column_config.TextColumn(width="large")},
)
st.download_button(
    t("supervision.download"),
    data=partial(ledger_xlsx, ledger, f"督办台账（{today}）"),
    file_name=f"督办台账_{today}.xlsx",
    mime=XLSX,
    on_click="ignore",
    key="supervision.download",
)
if not shown:
    st.info(t("supervision.none"))


def done(item) -> None:
    st.session_state[RESULT] = t("supervision.done", id=item.id, status=item.status_label)
    st.session_state[REPICK] = item.id
    st.rerun()


def attempt(step) -> None:
    try:
        item = step()
    except (SupervisionError, Forbidden) as exc:
        st.error(plain(exc))
    else:
        done(item)


if shown:
    by_id = {item.id: item for item in shown}
    if st.session_state.get("supervision.pick") not in by_id:
        st.session_state["supervision.pick"] = shown[0].id
    if st.session_state.get(REPICK) in by_id:  # set again, so the browser shows the item's new status
        st.session_state["supervision.pick"] = st.session_state.pop(REPICK)
    chosen = by_id[
        st.selectbox(
            t("supervision.pick"),
            list(by_id),
            key="supervision.pick",
            format_func=lambda i: t(
                "supervision.item",
                id=i,
                town=names.get(by_id[i].town_code, by_id[i].town_code),
                measure=by_id[i].measure_label,
                deadline=by_id[i].deadline,
                status=by_id[i].status_label,
            ),
        )
    ]
    state = chosen.status_label + (f"，{t('supervision.overdue')}" if chosen.overdue(today) else "")
    st.subheader(f"#{chosen.id} {plain(names.get(chosen.town_code, chosen.town_code))} · {plain(chosen.measure_label)}")
    st.text(chosen.reason)
    (st.error if chosen.overdue(today) else st.caption)(
        t("supervision.deadline", deadline=chosen.deadline, status=state)
    )

    st.markdown(f"**{t('supervision.history')}**")
    for event in history(home, chosen.id):
        at = clock.beijing(event.at)
        st.text(f"{at:%Y-%m-%d %H:%M} {event.who} {event.label}" + (f"：{event.text}" if event.text else ""))
        for index, entry in enumerate(event.files):  # one button per file of each step: the same photo may come twice
            st.download_button(
                t("supervision.attachment", name=plain(entry["name"])),
                data=partial(lambda sha: attachment(home, sha, viewer=me)[1], entry["sha256"]),
                file_name=entry["name"],
                on_click="ignore",
                key=f"supervision.file.{event.seq}.{index}",
            )

    notice_block(home, chosen, me)  # its 约谈通知书 or 督办通知单

    if chosen.status in ("open", "returned") and me.may("answer", chosen.town_code):
        report = st.text_area(t("supervision.answer"), key=f"supervision.report.{chosen.id}")
        uploads = (
            st.file_uploader(
                t("supervision.answer.files"), accept_multiple_files=True, key=f"supervision.files.{chosen.id}"
            )
            or []
        )
        if st.button(t("supervision.answer.submit"), type="primary", key="supervision.answer"):
            attempt(lambda: answer(home, chosen.id, report, by=me, files=[(f.name, f.getvalue()) for f in uploads]))

    if chosen.status not in DONE and me.may("supervise"):
        left, right = st.columns(2)
        if chosen.status == "answered":  # 销号 accepts the town's 整改报告; returned, it waits for the next
            note = left.text_input(t("supervision.close.note"), key=f"supervision.note.{chosen.id}")
            if left.button(t("supervision.close.submit"), type="primary", key="supervision.close"):
                attempt(lambda: close(home, chosen.id, by=me, note=note))
            comment = right.text_input(t("supervision.return.comment"), key=f"supervision.comment.{chosen.id}")
            if right.button(t("supervision.return.submit"), key="supervision.return"):
                attempt(lambda: return_item(home, chosen.id, comment, by=me))
        else:
            left.caption(t("supervision.close.after_answer"))
        reason = right.text_input(t("supervision.withdraw.note"), key=f"supervision.withdraw_note.{chosen.id}")
        if right.button(t("supervision.withdraw.submit"), key="supervision.withdraw"):
            attempt(lambda: withdraw(home, chosen.id, by=me, note=reason))

if me.may("supervise"):
    with st.expander(t("supervision.add")):
        town_code = st.selectbox(t("supervision.town"), list(names), format_func=names.get, key="supervision.add.town")
        measure = st.selectbox(
            t("supervision.add.measure"), [m for m in MEASURES if m != LADDER_CARD], key="supervision.add.measure"
        )
        reason = st.text_area(t("supervision.add.reason"), key="supervision.add.reason")
        deadline = st.date_input(
            t("supervision.add.deadline"), value=today + timedelta(days=7), key="supervision.add.deadline"
        )
        if st.button(t("supervision.add.submit"), key="supervision.add.submit"):
            attempt(lambda: add_item(home, town_code, measure=measure, reason=reason, deadline=deadline, by=me))

send_log_section(home, "supervision")  # admins: what reached the towns
