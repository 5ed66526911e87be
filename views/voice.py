"""Voice of the customer: coming next; says what it will show."""

import streamlit as st

from carepulse import ui

st.title("Voice of the customer")
ui.coming_soon("CSAT, NPS and CES over time, verbatims and themes (issue 8)")
