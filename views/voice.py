"""Voice of the customer: CSAT, NPS and CES with intervals, distributions, breakdowns, themes,
new phrases and the (redacted) verbatims."""

import streamlit as st

from carepulse import gate, ui, voice, widgets

gate.admit("voice")

st.title("Voice of the customer")
f = ui.filters()
catalog = ui.catalog()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f, ("surveys",))
current = ui.kpis(f, keys=voice.TILES)
if current.filter(current["kpi"] != "response_rate")["value"].is_null().all():
    ui.stop_with(
        "No survey answers in this period.",
        hint="Widen the period or the filters, or load survey exports on the Data page.",
    )
widgets.tiles(current, ui.kpis(f, keys=voice.TILES, before=True), catalog, voice.TILES)
voice.sent_and_answered(current)

st.subheader("Over time")
voice.over_time(f, catalog)

st.subheader("How customers score")
voice.distributions(f)

st.subheader("Breakdowns")
voice.breakdown(f, catalog)

found = voice.comments(f)
if found.is_empty():
    st.subheader("Comments")
    ui.stop_with("No survey comments in this period.", hint="The loaded surveys may carry none.")
table = voice.theme_table(found)
st.subheader("Themes")
voice.theme_section(table)

st.subheader("Phrases detractors use that no theme covers")
voice.phrase_section(found)

st.subheader("Verbatims")
voice.verbatim_section(found, table)
