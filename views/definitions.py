"""Definitions: every KPI as the catalog declares it, and the settings in effect."""

import streamlit as st

from carepulse import gate, ui

gate.admit("definitions")

st.title("Definitions")
st.caption(
    "Every figure in CarePulse is a ratio of sums over one cohort, summed first and "
    "divided last; an empty denominator shows as — (n/a), never 0 % or 100 %."
)
for kpi, text in ui.definitions():
    st.subheader(kpi.label, anchor=kpi.key, divider="gray")
    st.markdown(text)
st.subheader("Settings in effect")
st.table(ui.settings_in_effect())
