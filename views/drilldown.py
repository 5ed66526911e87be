"""Drill-down: coming next; says what it will show."""

import streamlit as st

from carepulse import ui

st.title("Drill-down")
ui.coming_soon("queue → team → agent → contact, with the contacts behind every figure (issue 7)")
