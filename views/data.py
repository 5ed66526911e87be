"""Data: load exports in the browser (recognised or mapped, dry run, commit); history and undo."""

import streamlit as st

from carepulse import history, loading

st.title("Data")
load, past = st.tabs(["Load files", "History"])
with load:
    loading.load_files()
with past:
    history.runs()
