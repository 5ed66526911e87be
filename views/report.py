"""Report: coming next; says what it will show."""

import streamlit as st

from carepulse import ui

st.title("Report")
ui.coming_soon("the executive PDF snapshot with a preview and a download (issue 12)")
