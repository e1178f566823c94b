"""在线填报 on the 数据报送 page, phone first: a town's day as number inputs with the day before
beside each, checked as the clerk types by the upload's own rules (sanse.pipelines.reports.form) and sent by the
upload's own path. A second report of a day is a correction and asks why."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sanse.access.roles import Forbidden, User
from sanse.deployment.errors import ConfigError
from sanse.deployment.towns import Town
from sanse.facts import clock
from sanse.facts.report import COUNT_COLUMNS, OPTIONAL_COLUMNS
from sanse.pipelines.reports.form import MAX_REASON, check_form, figures_around, submit_form
from sanse.reporting.status import day_reporting, reporting_settings
from sanse.ui import data
from sanse.ui.session import format_day, plain, t, viewer
from sanse.ui.submission import finish, refused, show_result

TOWN, DAY, SEND = "form.town", "form.day", "form.submit"
FINES_STEP = 0.1  # 万元: a thousand yuan a click; any amount may be typed


def field_key(code: str, day: date, key: str) -> str:
    """Each town-day has its own inputs, so choosing another day shows that day's figures."""
    return f"form.{code}.{day.isoformat()}.{key}"


def reason_key(code: str, day: date) -> str:
    return field_key(code, day, "reason")


def report_form(towns: list[Town], me: User) -> None:
    if not towns:
        st.info(t("form.none"))
        return
    names = {town.code: town.name for town in towns}
    today, start = clock.today(), data.settings().campaign.start
    left, right = st.columns(2)
    code = left.selectbox(t("form.town"), list(names), format_func=names.get, key=TOWN, disabled=len(names) == 1)
    day = right.date_input(
        t("form.day"), value=today, min_value=start if start and start <= today else None, max_value=today, key=DAY
    )
    town = next(town for town in towns if town.code == code)
    home = data.home()
    stored, previous = figures_around(home, code, day)
    _status(town, day, me)

    values, slots = {}, {}
    for first in range(0, len(COUNT_COLUMNS), 2):  # two a row on a desk, one a row on a phone
        for column, key in zip(st.columns(2), COUNT_COLUMNS[first : first + 2]):
            with column:
                values[key] = _field(code, day, key, stored, previous)
                slots[key] = st.container()
    check = check_form(home, town, day, values, by=me)
    unfilled = [k for k in COUNT_COLUMNS if values[k] is None and k not in OPTIONAL_COLUMNS]
    for key, slot in slots.items():
        if key in unfilled:
            continue  # "不能为空" under every field of a new day would shout before anything is typed
        for problem in check.problems(key):
            (slot.error if problem.severity == "error" else slot.warning)(plain(problem.message))
    for problem in [*check.problems(), *check.problems("date"), *check.problems("town")]:
        (st.error if problem.severity == "error" else st.warning)(plain(problem.message))

    reason = ""
    if check.correction and not check.unchanged:
        reason = st.text_input(
            t("form.reason"), key=reason_key(code, day), max_chars=MAX_REASON, placeholder=t("form.reason.placeholder")
        )
    blocker = (
        t("form.unfilled", n=len(unfilled))
        if unfilled
        else t("form.fix")
        if not check.ok
        else t("form.unchanged")
        if check.unchanged
        else t("form.reason.missing")
        if check.correction and not reason.strip()
        else ""
    )
    st.button(
        t("form.correct" if check.correction else "form.submit"),
        type="primary",
        key=SEND,
        disabled=bool(blocker),
        on_click=_send,
        width="stretch",
    )
    show_result("form")  # under the button, where a clerk on a phone is looking
    if blocker:
        st.caption(blocker)


def _status(town: Town, day: date, me: User) -> None:
    """Whether the day is reported yet, when and by whom (Beijing time), and when it is due."""
    try:
        rules = reporting_settings(data.settings())
    except ConfigError as error:  # the 报送情况 page names it; the form still works
        st.caption(plain(error))
        return
    [mine] = day_reporting(data.home().store, [town], day, rules=rules, user=me).towns
    if not mine.reported:
        due = rules.due(day)
        when = f"{due:%H:%M}" if due.date() == day else f"{format_day(due.date())} {due:%H:%M}"
        st.caption(t("form.new", day=format_day(day), due=when))
        return
    text = t("form.reported", day=format_day(day), at=clock.stamp(mine.first_at), by=plain(mine.first_by))
    if mine.last_at:
        text += " " + t("form.corrected", at=clock.stamp(mine.last_at), by=plain(mine.last_by))
    st.caption(text)


def _field(code: str, day: date, key: str, stored: dict | None, previous: dict | None) -> int | float | None:
    before = t("form.yesterday", value=_figure(previous[key])) if previous else t("form.no_yesterday")
    label = f"{t(f'col.{key}')} :gray[{before}]"
    now = stored[key] if stored else None
    placeholder = "0" if key in OPTIONAL_COLUMNS else None
    if key == "fines_wan":
        return st.number_input(
            label,
            min_value=0.0,
            value=None if now is None else float(now),
            step=FINES_STEP,
            format="%g",
            key=field_key(code, day, key),
            placeholder=placeholder,
        )
    return st.number_input(
        label,
        min_value=0,
        value=None if now is None else int(now),
        step=1,
        key=field_key(code, day, key),
        placeholder=placeholder,
    )


def _figure(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _send() -> None:
    """确认报送, run before the page is drawn again: the figures as they are now in the inputs."""
    code, day = st.session_state[TOWN], st.session_state[DAY]
    town = next(town for town in data.towns() if town.code == code)
    figures = {key: st.session_state.get(field_key(code, day, key)) for key in COUNT_COLUMNS}
    try:
        result = submit_form(
            data.home(), town, day, figures, by=viewer(), reason=st.session_state.get(reason_key(code, day)) or ""
        )
    except Forbidden as refusal:  # the session ended, or the account lost the right, since the page was drawn
        refused(refusal, where="form")
        return
    corrected = result.ok and bool(result.submission.corrected)
    finish(
        result,
        t("form.done.correction" if corrected else "form.done", town=plain(town.name), day=format_day(day)),
        where="form",
    )
