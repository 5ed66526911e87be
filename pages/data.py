"""Data: ingest history and the rows each run quarantined."""

import polars as pl
import streamlit as st

from carepulse import storage, ui

st.title("Data")
runs = storage.runs(ui.store(), limit=200)
if not runs:
    ui.stop_with("No files loaded yet.", hint="Load files with `carepulse ingest FILE`.")
table = pl.DataFrame(runs).select(
    pl.col("id").alias("Run"),
    pl.col("file_name").alias("File"),
    pl.col("kind").str.replace("_", " ").alias("Kind"),
    pl.col("status").alias("Status"),
    pl.col("rows_read").alias("Read"),
    pl.col("rows_accepted").alias("Accepted"),
    pl.col("rows_updated").alias("Updated"),
    pl.col("rows_quarantined").alias("Quarantined"),
    pl.col("rows_duplicate").alias("Duplicates"),
    pl.col("started_at").map_elements(ui.local, return_dtype=pl.String).alias("Started"),
)
st.subheader("Ingest history")
st.dataframe(table, hide_index=True, width="stretch")
with_rejects = [r["id"] for r in runs if r["rows_quarantined"]]
if with_rejects:
    st.subheader("Quarantined rows")
    run_id = st.selectbox("Run", with_rejects)
    rows = storage.quarantined(ui.store(), run_id)
    st.dataframe(
        pl.DataFrame(rows).rename({"row_number": "Row", "reason": "Reason", "raw": "Row as read"}),
        hide_index=True,
    )
