"""Overview: what is stored, until the KPI engine lands (see the issues)."""

import streamlit as st

from carepulse import storage, ui

st.title("Overview")
counts = storage.counts(ui.store())
if not any(counts.values()):
    ui.stop_with("No data yet.", hint="Run `carepulse sample` or load files on the Data page.")
columns = st.columns(len(counts))
for column, (kind, count) in zip(columns, counts.items(), strict=True):
    column.metric(kind.replace("_", " ").capitalize(), f"{count:,}")
st.caption("KPI tiles, trends and targets arrive with the metrics engine.")
