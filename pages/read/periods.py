"""周期排名: the towns ranked over a week, month, two months, quarter, half year, year or any
date range — the
sums of the period's days, the same scores, ties and tiers — with movement against the period
before, for the sidebar's group (or all groups), said in the heading. Staff only: a period holds
days not yet published."""

import streamlit as st

from sanse.publishing.exports import EXPORTS
from sanse.ranking.periods import KIND_LABELS, KINDS, PeriodError, rank_period
from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop, scoped
from sanse.ui.period_picker import pick_period
from sanse.ui.session import chosen_group, plain, t
from sanse.ui.tables import EMPTY, column_config, ranking_view
from sanse.ui.tiers import style_tiers

day = ranking_day_or_stop()
st.title(scoped(t("periods.title")))
longer = [k for k in KINDS if k != "day"]  # a day is the daily ranking's
kind = (
    st.segmented_control(t("periods.kind"), longer, default="month", format_func=KIND_LABELS.get, key="periods.kind")
    or "month"
)
warehouse = data.warehouse()
period = pick_period(kind, warehouse.manifest.first_day, day, label=t("periods.pick"), key=f"periods.pick.{kind}")
if period is None:
    st.stop()
try:
    ranked = rank_period(warehouse, period, data.settings())
except PeriodError as refusal:
    st.warning(str(refusal))
    st.stop()
for note in ranked.notes:
    st.caption(plain(note))
group = chosen_group()
ranking = ranked.ranking if group is None else ranked.ranking[ranked.ranking["group"] == group]
if ranked.previous is None:
    before = t("periods.first")
elif ranked.before["tier"].notna().any():
    before = t("periods.against", previous=ranked.previous.label)
else:
    before = t("periods.previous_unranked", previous=ranked.previous.label)
st.caption(t("periods.caption", days=ranked.period.days, through=ranked.through, against=before))
view = ranking_view(ranking, ranked.rules, show_group=group is None and ranking["group"].nunique() > 1)
st.dataframe(
    style_tiers(view, t("col.tier")),
    column_config=column_config(ranked.rules, view),
    hide_index=True,
    width="stretch",
    key="periods.table",
    placeholder=EMPTY,
)
tables = [fmt for fmt, export in EXPORTS.items() if export.table]  # the 通报's table, as the daily issue's
for col, fmt in zip(st.columns(4), tables):
    col.download_button(
        t(EXPORTS[fmt].label),
        data=data.period_download(period, fmt),
        file_name=f"{t('periods.title')}_{period.key.replace('..', '至')}.{fmt}",
        mime=EXPORTS[fmt].mime,
        on_click="ignore",
        key=f"periods.download.{fmt}",
        width="stretch",
    )
