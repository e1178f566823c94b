"""统计可信度: which colours the data can support — rank intervals, tier chances, 待定 tiers,
the day's rankability, and a funnel plot per indicator."""

import streamlit as st

from sanse.ui import data
from sanse.ui.charts import funnel_chart
from sanse.ui.choice import ranking_day_or_stop, scoped
from sanse.ui.confidence import (
    adjustments,
    confidence_choice,
    confidence_table,
    day_rankability,
    funnel_plot,
    pending_count,
)
from sanse.ui.session import chosen_group, format_day, lang, plain, t
from sanse.ui.tables import indicator_label
from sanse.ui.tiers import style_tiers

day, group = ranking_day_or_stop(), chosen_group()

settings = data.settings()
rules = settings.rules_on(day)
chosen = confidence_choice(settings)
st.title(scoped(t("confidence.title", day=format_day(day))))
st.caption(t("confidence.caption", draws=chosen.draws, threshold=f"{chosen.provisional_below:.0%}"))

data.stop_without_ranking(day, group)
block = data.window_sums(day, rules.window, group)

tiers = data.tier_confidence(day, group)
score = day_rankability(block, rules)
left, right = st.columns(2)
left.metric(t("confidence.rankability"), "—" if score.value != score.value else f"{score.value:.2f}")
right.metric(t("confidence.provisional"), pending_count(tiers))
st.info(score.sentence_zh if lang() == "zh" else score.sentence_en)

st.dataframe(
    style_tiers(confidence_table(tiers), t("col.tier")),
    hide_index=True,
    width="stretch",
    key="confidence.table",
    column_config={
        t("col.tier"): st.column_config.TextColumn(width=110),  # "蓝（待定）" whole
        t("confidence.p_blue"): st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100),
        t("confidence.p_red"): st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100),
    },
)

st.subheader(t("confidence.funnel"))
adjust = st.radio(
    t("confidence.adjust"),
    adjustments(),
    index=adjustments().index(chosen.funnel_adjust),
    format_func=lambda a: t(f"confidence.adjust.{a}"),
    horizontal=True,
    key="confidence.adjust",
)
funnel_group = group if group is not None else block["group"].iloc[0]
group_block = block[block["group"] == funnel_group]
tier_of = dict(zip(tiers["code"], tiers["tier"]))
for tab, indicator in zip(st.tabs([indicator_label(i) for i in rules.indicators]), rules.indicators):
    with tab:
        plot = funnel_plot(group_block, indicator, rules, adjust, group=funnel_group)
        figure = funnel_chart(plot, tier_of)
        st.plotly_chart(figure, key=f"confidence.funnel.{indicator.key}", config={"displayModeBar": False})
        above, below = plot.outside("95", "above"), plot.outside("95", "below")
        st.caption(
            t(
                "confidence.outside",
                above="、".join(map(plain, above)) or "—",
                below="、".join(map(plain, below)) or "—",
            )
        )
