"""The Data page's history: every ingest run, its quarantined rows, and undo."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa
import streamlit as st

from carepulse import audit, exports, formatting, storage, ui, uploads
from carepulse.ingest import undo
from carepulse.settings import get_settings
from metrics.errors import CarePulseError

SHOWN_RUNS = 200


def _table(runs: list[dict]) -> pl.DataFrame:
    text = [c.name for c in storage.ingest_runs.c if isinstance(c.type, sa.String)]
    frame = pl.DataFrame(runs, schema_overrides=dict.fromkeys(text, pl.String))
    return frame.select(
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
        pl.col("connector").alias("Format"),
        pl.col("sha256").str.slice(0, 12).alias("SHA-256"),
        pl.col("error").alias("Error"),
    )


def _owned(run: dict) -> int:
    """The rows the run still owns (a later file may have replaced some)."""
    table = storage.FACTS.get(run["kind"] or "")
    if table is None:
        return 0
    statement = sa.select(sa.func.count()).where(table.c.ingest_run_id == run["id"])
    with ui.store().connect() as connection:
        return connection.execute(statement).scalar_one()


def _quarantine(run: dict) -> None:
    if not run["rows_quarantined"]:
        st.caption("This run quarantined no rows.")
        return
    rows = storage.quarantined(ui.store(), run["id"], limit=100_000)
    shown = pl.DataFrame(rows).rename({"row_number": "Row", "reason": "Reason", "raw": "As read"})
    st.dataframe(shown.head(1000), hide_index=True, width="stretch")
    st.download_button(
        f"Download the {len(rows):,} quarantined rows (CSV)",
        ui.audited(
            lambda: exports.csv_bytes(uploads.quarantine_csv_frame(rows)),
            what=f"quarantined rows of run {run['id']} (CSV)",
            f=None,
            rows=lambda _: len(rows),
        ),
        file_name=f"run-{run['id']}-quarantined.csv",
        mime="text/csv",
        on_click="ignore",
        help="The rows as read plus carepulse_row and carepulse_reason: fix them and load the "
        "file again. Customer identifiers are stored hashed; put the originals back first.",
    )


def _undo(run: dict) -> None:
    if run["status"] != "committed":
        return
    key = f"undo:{run['id']}"
    if not st.session_state.get(key):
        if st.button(f"Undo run {run['id']}…", icon=":material/undo:"):
            st.session_state[key] = True
            st.rerun()
        return
    owned = _owned(run)
    st.warning(
        f"Undo deletes the {owned:,} {run['kind'].replace('_', ' ')} rows run {run['id']} still "
        f"owns ({run['file_name']}) and recomputes the figures they fed. Records this run "
        "replaced are **not** restored: load their file again if you need them."
    )
    left, right = st.columns(2)
    if left.button("Delete these rows", type="primary", key=f"{key}:confirm"):
        try:
            deleted = undo(ui.store(), run["id"], get_settings())
        except CarePulseError as error:
            st.error(formatting.problem(error))
            return
        st.session_state.pop(key)
        st.session_state["undone"] = (run["id"], deleted)
        st.cache_data.clear()
        st.rerun()
    if right.button("Keep them", key=f"{key}:cancel"):
        st.session_state.pop(key)
        st.rerun()


def runs() -> None:
    """The run table, then the chosen run's quarantine and undo."""
    if "undone" in st.session_state:
        run_id, deleted = st.session_state.pop("undone")
        st.success(f"Run {run_id} undone: {deleted:,} rows deleted.")
    found = storage.runs(ui.store(), limit=SHOWN_RUNS)
    if not found:
        st.info("No files loaded yet.")
        return
    st.dataframe(_table(found), hide_index=True, width="stretch")
    by_id = {r["id"]: r for r in found}
    chosen = st.selectbox(
        "Run", list(by_id), format_func=lambda i: f"{i} · {by_id[i]['file_name']}", key="run"
    )
    run = by_id[chosen]
    st.markdown(f"**Run {chosen}** · {run['status']} · sha256 `{run['sha256']}`")
    _quarantine(run)
    _undo(run)


def export_log() -> None:
    """The export audit: who downloaded which PDF or CSV of which view, newest first."""
    log = audit.entries(ui.store())
    if log.is_empty():
        st.info("No exports yet: every PDF and CSV downloaded from the app is listed here.")
        return
    zone = get_settings().timezone
    shown = log.select(
        pl.col("at").dt.convert_time_zone(zone).dt.strftime("%Y-%m-%d %H:%M:%S").alias("When"),
        pl.col("user_email").alias("Who"),
        pl.col("what").alias("What"),
        pl.col("rows").alias("Rows"),
        pl.col("selection").alias("View"),
    )
    count = f"{log.height:,} export{'' if log.height == 1 else 's'}"
    st.caption(f"The latest {count}, newest first · times in {zone}")
    st.dataframe(shown, hide_index=True, width="stretch", placeholder=formatting.DASH)
