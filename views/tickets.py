"""Tickets: created, solved and backlog by age; response and resolution times in business and
calendar hours; SLA attainment; breakdowns; complaints and their 48-hour follow-up."""

import streamlit as st

from carepulse import gate, tickets, ui, widgets

gate.admit("tickets")

st.title("Tickets")
f = ui.filters()
catalog = ui.catalog()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f, ("tickets",))
f = tickets.scoped(f)
current = ui.kpis(f, keys=tickets.TILES)
if not current.filter(current["kpi"] == "tickets_created")["value"].fill_null(0).sum():
    ui.stop_with(
        "No tickets created in this period.",
        hint="Widen the period or the filters, or load a ticket export on the Data page.",
    )
widgets.tiles(current, ui.kpis(f, keys=tickets.TILES, before=True), catalog, tickets.TILES)
st.caption(tickets.TILE_NOTE)

st.subheader("Created, solved and backlog")
tickets.volume(f)

st.subheader("Response and resolution times")
tickets.times(f, catalog)

st.subheader("Breakdowns")
tickets.breakdown(f, catalog)

st.subheader("Complaints")
tickets.complaint_section(f, catalog)
