"""CarePulse: the Streamlit entry point (`streamlit run app.py`)."""

from __future__ import annotations

import logging

import streamlit as st

from carepulse import formatting, gate, ui
from metrics.errors import CarePulseError

st.set_page_config(page_title="CarePulse", page_icon=":material/monitor_heart:", layout="wide")
# Tables offer no built-in CSV download or copy: every export goes through the pages' own
# download buttons, which neutralise spreadsheet formulas (carepulse/exports.py).
st.set_option("client.disableDataExport", True)

PAGES = {
    name: st.Page(f"views/{name}.py", title=title, icon=f":material/{icon}:")
    for name, title, icon in (
        ("overview", "Overview", "dashboard"),
        ("drilldown", "Drill-down", "account_tree"),
        ("agents", "Agents", "support_agent"),
        ("voice", "Voice of the customer", "reviews"),
        ("tickets", "Tickets", "confirmation_number"),
        ("report", "Report", "picture_as_pdf"),
        ("data", "Data", "database"),
        ("definitions", "Definitions", "menu_book"),
    )
}

try:
    user = gate.current()  # the sign-in screen stops here when nobody is signed in
    page = st.navigation(gate.pages(PAGES, user))  # pages outside the role cannot be reached
    ui.header()
    gate.sidebar(user)
    page.run()
except CarePulseError as error:
    st.error(formatting.problem(error))
except Exception:  # the one last-resort handler: a friendly message, the details in the log
    logging.getLogger("carepulse").exception("page failed")
    st.error("Something went wrong on this page. The details are in the server log.")
