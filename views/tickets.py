"""Tickets: coming next; says what it will show."""

import streamlit as st

from carepulse import ui

st.title("Tickets")
ui.coming_soon("created, solved and backlog, response and resolution times, complaints (issue 8)")
