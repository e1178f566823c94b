"""规则: the rules in force on the chosen day and every version; admins add a version from a date."""

from dataclasses import replace

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import chosen_day
from sanse.ui.rules import add_version, indicators_frame, normalizations, versions_frame, windows
from sanse.ui.session import format_day, plain, t, viewer
from sanse.ui.tables import indicator_label

RESULT = "rules.result"

settings = data.settings()
day = chosen_day()
campaign = settings.campaign

st.title(t("rules.title"))
st.caption(
    t(
        "rules.campaign",
        start=campaign.start or "—",
        title=campaign.title,
        first=campaign.first_issue,
    )
)
if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))


if day is not None:
    rules = settings.rules_on(day)
    st.subheader(t("rules.in_force", day=format_day(day)))
    left, middle, right = st.columns([2, 1, 1])  # the window's words (活动开始至当日累计) whole
    left.metric(t("rules.window"), t(f"window.{rules.window}"))
    middle.metric(t("rules.blue") + " / " + t("rules.red"), f"{rules.blue:g} / {rules.red:g}")
    right.metric(t("rules.red_alert"), rules.red_alert_streak)
    st.write(f"{t('rules.normalization')}：{t(f'norm.{rules.normalization}')}")
    st.dataframe(indicators_frame(rules), hide_index=True, width="stretch", key="rules.indicators")

st.subheader(t("rules.history"))
st.dataframe(
    versions_frame(settings),
    hide_index=True,
    width="stretch",
    key="rules.history",
)

me = viewer()
if me.may("change_rules") and day is not None:
    current = settings.rules_on(day)
    with st.form("rules.change"):
        st.subheader(t("rules.change"))
        effective = st.date_input(t("rules.effective"), value=day, format="YYYY/MM/DD", key="rules.change.effective")
        window = st.selectbox(
            t("rules.window"),
            windows(),
            index=windows().index(current.window),
            format_func=lambda w: t(f"window.{w}"),
            key="rules.change.window",
        )
        normalization = st.selectbox(
            t("rules.normalization"),
            normalizations(),
            index=normalizations().index(current.normalization),
            format_func=lambda n: t(f"norm.{n}"),
            key="rules.change.normalization",
        )
        cols = st.columns(3)
        blue = cols[0].number_input(t("rules.blue"), min_value=0, value=int(current.blue), key="rules.change.blue")
        red = cols[1].number_input(t("rules.red"), min_value=0, value=int(current.red), key="rules.change.red")
        streak = cols[2].number_input(
            t("rules.red_alert"), min_value=1, value=current.red_alert_streak, key="rules.change.streak"
        )
        weights = [
            st.number_input(
                f"{t('rules.weight')}：{indicator_label(i)}",
                min_value=0.0,
                value=float(i.weight),
                step=0.5,
                key=f"rules.change.weight.{i.key}",
            )
            for i in current.indicators
        ]
        note = st.text_input(t("rules.change.note"), key="rules.change.note")
        if st.form_submit_button(t("rules.change.submit"), type="primary", key="rules.change.submit"):
            new = replace(
                current,
                effective=effective,
                window=window,
                normalization=normalization,
                blue=blue,
                red=red,
                red_alert_streak=int(streak),
                note=note,
                indicators=tuple(replace(i, weight=w) for i, w in zip(current.indicators, weights)),
            )
            refusal = add_version(new)
            if refusal:
                st.error(plain(refusal))
            else:
                st.session_state[RESULT] = t("rules.changed", day=effective)
                st.rerun()
