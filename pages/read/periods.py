"""周期排名: the towns ranked over a week, month, two months, quarter, half year, year or any
date range — the
sums of the period's days, the same scores, ties and tiers — with movement against the period
before, for the sidebar's group (or all groups), said in the heading. Staff only: a period holds
days not yet published."""

import streamlit as st

from sanse.ui import data
from sanse.ui.choice import ranking_day_or_stop, scoped
from sanse.ui.downloads import download_format, table_formats
from sanse.ui.period_picker import kind_label, longer_kinds, pick_period, ranked_period_or_stop
from sanse.ui.session import chosen_group, plain, t
from sanse.ui.tables import EMPTY, column_config, ranking_view
from sanse.ui.tiers import style_tiers

day = ranking_day_or_stop()
st.title(scoped(t("periods.title")))
longer = longer_kinds()
kind = (
    st.segmented_control(t("periods.kind"), longer, default="month", format_func=kind_label, key="periods.kind")
    or "month"
)
warehouse = data.warehouse()
period = pick_period(kind, warehouse.manifest.first_day, day, label=t("periods.pick"), key=f"periods.pick.{kind}")
if period is None:
    st.stop()
ranked = ranked_period_or_stop(period)
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
for col, fmt in zip(st.columns(4), table_formats()):
    col.download_button(
        t(download_format(fmt).label),
        data=data.period_download(period, fmt),
        file_name=f"{t('periods.title')}_{period.key.replace('..', '至')}.{fmt}",
        mime=download_format(fmt).mime,
        on_click="ignore",
        key=f"periods.download.{fmt}",
        width="stretch",
    )
