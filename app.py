"""CarePulse: the Streamlit entry point (`streamlit run app.py`)."""

from __future__ import annotations

import logging

import streamlit as st

from carepulse import ui
from metrics.errors import CarePulseError

st.set_page_config(page_title="CarePulse", page_icon=":material/monitor_heart:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]

try:
    page = st.navigation(PAGES)
    ui.header()
    page.run()
except CarePulseError as error:
    st.error(error.message)
    if error.hint:
        st.caption(error.hint)
except Exception:  # the one last-resort handler: a friendly message, the details in the log
    logging.getLogger("carepulse").exception("page failed")
    st.error("Something went wrong on this page. The details are in the server log.")
