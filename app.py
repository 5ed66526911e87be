"""CarePulse: the Streamlit entry point (`streamlit run app.py`)."""

from __future__ import annotations

import logging

import streamlit as st

from carepulse import ui
from metrics.errors import CarePulseError

st.set_page_config(page_title="CarePulse", page_icon=":material/monitor_heart:", layout="wide")
# Tables offer no built-in CSV download or copy: every export goes through the pages' own
# download buttons, which neutralise spreadsheet formulas (carepulse/exports.py).
st.set_option("client.disableDataExport", True)

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/drilldown.py", title="Drill-down", icon=":material/account_tree:"),
    st.Page("views/agents.py", title="Agents", icon=":material/support_agent:"),
    st.Page("views/voice.py", title="Voice of the customer", icon=":material/reviews:"),
    st.Page("views/tickets.py", title="Tickets", icon=":material/confirmation_number:"),
    st.Page("views/report.py", title="Report", icon=":material/picture_as_pdf:"),
    st.Page("views/data.py", title="Data", icon=":material/database:"),
    st.Page("views/definitions.py", title="Definitions", icon=":material/menu_book:"),
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
