"""Agents: coming next; says what it will show."""

import streamlit as st

from carepulse import ui

st.title("Agents")
ui.coming_soon("agent scorecards against team and centre, and a team comparison (issue 7)")
