"""每日排名: the full ranking table of the chosen day and group, and a bar chart in tier colours."""

import streamlit as st

from sanse.ui import data
from sanse.ui.charts import ranking_chart
from sanse.ui.choice import ranking_day_or_stop, scoped
from sanse.ui.session import chosen_group, format_day, t
from sanse.ui.tables import ranking_table

day, group = ranking_day_or_stop(), chosen_group()

st.title(scoped(t("ranking.title", day=format_day(day))))
ranking = data.ranking_or_stop(day, group)
published = data.issue_differing(day, group) if not data.reads_issues() else None
if published is not None:
    st.warning(t("live.differs", label=published.label))
rules = data.settings().rules_on(day)
blue, red = rules.tier_counts(int(ranking["group_size"].iloc[0]))
st.caption(
    t(
        "ranking.caption",
        window=t(f"window.{rules.window}"),
        normalization=t(f"norm.{rules.normalization}"),
        blue=blue,
        red=red,
    )
)

query = st.text_input(t("ranking.search"), key="ranking.search", placeholder="云岫 / T01")
ranking_table(day, group, query.strip(), rules)

st.subheader(t("ranking.chart"))
ranking_chart(day, group, query.strip())
