"""The period picker of 周期排名 and of the period 通报: one period of a kind, newest first, or
any date range; and a period's ranking as 周期排名 shows it."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sanse.facts.periods import KIND_LABELS, KINDS, Period, PeriodError, periods_back
from sanse.ranking.periods import PeriodRanking, rank_period
from sanse.ui import data
from sanse.ui.session import t


def longer_kinds() -> list[str]:
    """The kinds of period longer than a day (a day is the daily ranking's), and a date range."""
    return [k for k in KINDS if k != "day"]


def kind_label(kind: str) -> str:
    return KIND_LABELS[kind]


def ranked_period_or_stop(period: Period) -> PeriodRanking:
    """The period ranked on the current build; a warning and the end of the page when it cannot be."""
    try:
        return rank_period(data.warehouse(), period, data.settings())
    except PeriodError as refusal:
        st.warning(str(refusal))
        st.stop()


def pick_period(kind: str, since: date, day: date, *, label: str, key: str, ended: bool = False) -> Period | None:
    """A period of `kind` between the campaign's start `since` and `day`: the one holding `day`
    first, then back to the start (with `ended`, only those over by `day`); for a date range,
    its first and last day. None while there is none to pick, or a range lacks its end."""
    if kind == "range":
        picked = st.date_input(
            label,
            value=(max(since, day.replace(day=1)), day),
            min_value=since,
            max_value=day,
            format="YYYY/MM/DD",
            key=key,
        )
        if len(picked) < 2:
            st.info(t("periods.range.incomplete"))
            return None
        return Period(picked[0], picked[1], "range")
    periods = [p for p in periods_back(kind, since, day) if not ended or p.last <= day]
    if not periods:
        return None
    return st.selectbox(label, periods, format_func=lambda p: f"{p.label}（{p.span}）", key=key)
