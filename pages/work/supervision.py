"""督办台账: the supervision items, overdue first, with their history; a town answers its own
with a 整改报告, the office closes (销号), returns or withdraws them and adds items by hand."""

from datetime import timedelta

import streamlit as st

from sanse.ui import data
from sanse.ui.notices import notice_block
from sanse.ui.send_log import send_log_section
from sanse.ui.session import plain, signed_in, stamp, t, today, viewer
from sanse.ui.supervision import (
    add_by_hand,
    answer_item,
    attachment_file,
    check_triggers,
    close_item,
    finished,
    hand_measures,
    item_history,
    ledger_file,
    ledger_frame,
    return_to_town,
    standing_cards_text,
    status_labels,
    visible_items,
    withdraw_item,
)

RESULT = "supervision.result"
REPICK = "supervision.repick"  # the item a step just changed
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

home = data.home()
me = viewer()
day = today()
st.title(t("supervision.title"))
if not signed_in():  # the ledger names towns and their failings: signed-in users only
    st.info(t("supervision.sign_in"))
    st.stop()
st.caption(t("supervision.caption"))
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))

if refusal := check_triggers():  # a build made by another server or by an upload: its triggers are checked once
    st.warning(t("supervision.rules_error", error=refusal))

towns = data.towns()
names = {town.code: town.name for town in towns}
items = visible_items()

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
    list(status_labels()),
    format_func=status_labels().get,
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
    and (not overdue_only or item.overdue(day))
]

late = sum(item.overdue(day) for item in items)
if late:
    st.error(t("supervision.overdue_count", count=late))
if cards := standing_cards_text(names, day):
    st.caption(t("supervision.cards", cards=cards))

ledger = ledger_frame(shown, names, day)
st.dataframe(
    ledger,
    hide_index=True,
    width="stretch",
    key="supervision.table",
    column_config={"督办事由": st.column_config.TextColumn(width="large")},
)
st.download_button(
    t("supervision.download"),
    data=ledger_file(ledger, day),
    file_name=f"督办台账_{day}.xlsx",
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


def attempt(item) -> None:
    """After a step on an item: what it did, on the next run; a refused step has said why."""
    if item is not None:
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
    state = chosen.status_label + (f"，{t('supervision.overdue')}" if chosen.overdue(day) else "")
    st.subheader(f"#{chosen.id} {plain(names.get(chosen.town_code, chosen.town_code))} · {plain(chosen.measure_label)}")
    st.text(chosen.reason)
    (st.error if chosen.overdue(day) else st.caption)(t("supervision.deadline", deadline=chosen.deadline, status=state))

    st.markdown(f"**{t('supervision.history')}**")
    for event in item_history(chosen):
        st.text(f"{stamp(event.at)} {event.who} {event.label}" + (f"：{event.text}" if event.text else ""))
        for index, entry in enumerate(event.files):  # one button per file of each step: the same photo may come twice
            st.download_button(
                t("supervision.attachment", name=plain(entry["name"])),
                data=attachment_file(entry["sha256"]),
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
            attempt(answer_item(chosen, report, [(f.name, f.getvalue()) for f in uploads]))

    if not finished(chosen) and me.may("supervise"):
        left, right = st.columns(2)
        if chosen.status == "answered":  # 销号 accepts the town's 整改报告; returned, it waits for the next
            note = left.text_input(t("supervision.close.note"), key=f"supervision.note.{chosen.id}")
            if left.button(t("supervision.close.submit"), type="primary", key="supervision.close"):
                attempt(close_item(chosen, note))
            comment = right.text_input(t("supervision.return.comment"), key=f"supervision.comment.{chosen.id}")
            if right.button(t("supervision.return.submit"), key="supervision.return"):
                attempt(return_to_town(chosen, comment))
        else:
            left.caption(t("supervision.close.after_answer"))
        reason = right.text_input(t("supervision.withdraw.note"), key=f"supervision.withdraw_note.{chosen.id}")
        if right.button(t("supervision.withdraw.submit"), key="supervision.withdraw"):
            attempt(withdraw_item(chosen, reason))

if me.may("supervise"):
    with st.expander(t("supervision.add")):
        town_code = st.selectbox(t("supervision.town"), list(names), format_func=names.get, key="supervision.add.town")
        measure = st.selectbox(t("supervision.add.measure"), hand_measures(), key="supervision.add.measure")
        reason = st.text_area(t("supervision.add.reason"), key="supervision.add.reason")
        deadline = st.date_input(
            t("supervision.add.deadline"), value=day + timedelta(days=7), key="supervision.add.deadline"
        )
        if st.button(t("supervision.add.submit"), key="supervision.add.submit"):
            attempt(add_by_hand(town_code, measure, reason, deadline))

send_log_section(home, "supervision")  # admins: what reached the towns
