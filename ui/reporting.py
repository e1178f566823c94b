"""报送情况 as the page shows it: the reporting rules in force, one day's reporting of the towns
in view, its table in Beijing time, and the 催报 message for the office to send."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sanse.deployment.errors import ConfigError
from sanse.deployment.settings import Settings
from sanse.deployment.towns import Town
from sanse.facts import clock
from sanse.reporting.status import (
    DayReporting,
    ReportingSettings,
    TownReporting,
    day_reporting,
    office_name,
    reminder,
    reporting_settings,
)
from sanse.ui import data
from sanse.ui.session import plain, t, viewer


def reporting_rules_or_stop(settings: Settings) -> ReportingSettings:
    """The deadline and reminders of rules.toml; an error and the end of the page when they are wrong."""
    try:
        return reporting_settings(settings)
    except ConfigError as error:
        st.error(plain(error))
        st.stop()


def reporting_on(towns: list[Town], day: date, rules: ReportingSettings) -> DayReporting:
    """Who of `towns` has reported `day`, as this user may see it."""
    return day_reporting(data.home().store, towns, day, rules=rules, user=viewer())


def reporting_table(reporting: DayReporting) -> pd.DataFrame:
    """The towns by status, with when (Beijing time), by whom and how (a report, or a batch of
    records) they first reported, and when and by whom last."""
    shown = reporting.by_status()
    return pd.DataFrame(
        {
            t("col.town"): [town.name for town in shown],
            t("status.col.status"): [t(f"status.{town.status}") for town in shown],
            t("status.col.first"): [clock.stamp(town.first_at) if town.first_at else "" for town in shown],
            t("status.col.by"): [town.first_by for town in shown],
            t("status.col.source"): [_source(town) for town in shown],
            t("status.col.last"): [
                f"{clock.stamp(town.last_at)} {town.last_by}" if town.last_at else "" for town in shown
            ],
        }
    )


def reminder_text(reporting: DayReporting, settings: Settings) -> str:
    """The 催报 message naming the towns still missing, signed by the office; "" when none is."""
    return reminder(reporting, office=office_name(settings))


def _source(town: TownReporting) -> str:
    if not town.reported:
        return ""
    if town.first_source == "records":
        return t("status.source.records", batch=town.first_batch)
    return t("status.source.report")
