"""Data: load files in the browser (recognised or mapped, dry run, commit); history and undo;
the audit of exports."""

import streamlit as st

from carepulse import gate, history, loading

gate.admit("data")

st.title("Data")
load, past, downloads = st.tabs(["Load files", "History", "Exports"])
with load:
    loading.load_files()
with past:
    history.runs()
with downloads:
    history.export_log()
