"""Drill-down: from the centre down any path of queue, team, agent, channel, segment or reason
to the contacts behind a figure; the path lives in the URL."""

import streamlit as st

from carepulse import breakdown, contact_list, drill, filters, gate, intervals, ui, widgets
from carepulse.filters import CONTACTS
from metrics.catalog import HEADLINE

gate.admit("drilldown")

VIEWS = {"split": "Split", "intervals": "Intervals of a day"}

st.title("Drill-down")
f = ui.filters()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f, ("contacts", "surveys"))
steps = filters.path()
scope = "All filtered contacts" if f.where else "Whole centre"
breakdown.breadcrumb(steps, scope)
level = f.within(steps)
current = ui.kpis(level, keys=HEADLINE)
if current["value"].is_null().all():
    ui.stop_with(
        "No contacts or surveys in this selection.",
        hint="Go back up the path, widen the period or the sidebar filters.",
    )
before = ui.kpis(level, keys=HEADLINE, before=True)
if any(column == "agent_id" for column, _ in steps):  # an agent's small samples: no figure
    current, before = (drill.suppressed(k, ui.catalog()) for k in (current, before))
widgets.tiles(current, before, ui.catalog(), HEADLINE)

wanted = st.query_params.get("view", "split")
view = st.segmented_control(
    "View", list(VIEWS), default=wanted if wanted in VIEWS else "split", required=True,
    format_func=VIEWS.get, key=breakdown.key(steps, "view"),
)  # fmt: skip
st.query_params["view"] = view
if view == "intervals":
    intervals.view(level, steps)
    st.stop()
by = breakdown.split(steps)
if by == CONTACTS:
    contact_list.view(level, steps, f)
else:
    breakdown.children(level, steps, by, scope)
