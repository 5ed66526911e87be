"""Overview: headline KPIs against target, what needs attention, trends, heatmaps and mix."""

import streamlit as st

from carepulse import charts, gate, insights, selection, ui, widgets
from metrics.catalog import HEADLINE

gate.admit("overview")

st.title("Overview")
f = ui.filters()
catalog = ui.catalog()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f, ("contacts", "surveys"))
current = ui.kpis(f, keys=HEADLINE)
if current["value"].is_null().all():
    ui.stop_with(
        "No contacts or surveys in this period.",
        hint="Widen the period or the filters, or load data on the Data page.",
    )
widgets.tiles(current, ui.kpis(f, keys=HEADLINE, before=True), catalog, HEADLINE)

st.subheader("Needs attention")
queues = ui.kpis(f, by=("queue",), keys=HEADLINE)
scope = selection.scope(f)
attention = insights.attention(current, queues, catalog, ui.small_sample(), scope=scope)
judged = current.filter(insights.judged(ui.small_sample())).height
if not judged:
    st.info("No headline KPI has enough data in this period to judge it against its target.")
elif attention.is_empty():
    st.success(insights.all_met(judged, current.height))
else:
    st.dataframe(attention, hide_index=True, width="stretch")
    st.caption("The furthest from target first, as a share of the target.")

st.subheader("Trends")
chosen = st.multiselect(
    "KPIs",
    list(HEADLINE),
    default=["service_level", "abandon_rate", "aht", "csat"],
    format_func=lambda k: catalog[k].label,
)
widgets.trends(f, catalog, chosen)

st.subheader("When contacts arrive")
grid = ui.kpis(f, by=("weekday", "hour_of_day"), keys=("offered", "service_level"))
if not (grid.filter(grid["kpi"] == "offered")["value"].fill_null(0) > 0).any():
    st.caption("No contacts arrived in a queue in this period.")
else:
    left, right = st.columns(2)
    for column, key in zip((left, right), ("offered", "service_level"), strict=True):
        cells = grid.filter(grid["kpi"] == key)
        figure = charts.heatmap(cells, catalog[key])
        column.plotly_chart(figure, width="stretch", key=f"heat-{key}")

st.subheader("Mix")
left, right = st.columns(2)
for column, dimension in zip((left, right), ("channel", "queue"), strict=True):
    volume = ui.kpis(f, by=(dimension,), keys=("offered",))
    title = f"Offered by {dimension}"
    column.plotly_chart(charts.mix(volume, dimension, title=title), width="stretch")
