"""The Data page's loading flow: upload, recognise, map, preview, dry run, then commit."""

from __future__ import annotations

import polars as pl
import streamlit as st

import connectors
from carepulse import formatting, mapper, ui, uploads
from carepulse.ingest import IngestFailed, RunSummary, ingest_file
from carepulse.settings import get_settings
from connectors import mapping as mappings
from metrics.errors import CarePulseError

COUNTS = ("read", "accepted", "updated", "quarantined", "duplicates")


def _describe(upload: uploads.Upload) -> str:
    kinds = " and ".join(k.replace("_", " ") for k in upload.kinds if k) or "one kind"
    return f"**{formatting.plain(upload.name)}** — recognised as **{upload.format}** ({kinds})"


def _counts(summaries: list[RunSummary]) -> pl.DataFrame:
    rows = [
        {"kind": (s.kind or "").replace("_", " ")} | {c: getattr(s, c) for c in COUNTS}
        for s in summaries
    ]
    return pl.DataFrame(rows)


def _rejected(summaries: list[RunSummary]) -> pl.DataFrame:
    rows = [
        {"kind": s.kind, "row": r["row_number"], "reason": r["reason"], "row as read": r["raw"]}
        for s in summaries
        for r in s.rejected
    ]
    return pl.DataFrame(rows)


def _run(upload: uploads.Upload, mapping, *, dry_run: bool, progress=None) -> list[RunSummary]:
    options = dict(engine=ui.store(), settings=get_settings(), file_name=upload.name)
    try:
        return ingest_file(
            upload.path, mapping=mapping, dry_run=dry_run, progress=progress, **options
        )
    except IngestFailed as failure:
        return failure.summaries


def _fingerprint(upload: uploads.Upload, mapping: mappings.Mapping | None) -> str:
    return upload.sha256 + (mappings.to_toml(mapping) if mapping else "")


def _dry_run(upload: uploads.Upload, mapping: mappings.Mapping | None) -> None:
    key = f"dry:{upload.sha256[:16]}"
    if st.button("Dry run", key=f"{key}:button", icon=":material/fact_check:"):
        with st.spinner("Reading and checking every row; nothing is stored…"):
            st.session_state[key] = (
                _fingerprint(upload, mapping),
                _run(upload, mapping, dry_run=True),
            )
    done = st.session_state.get(key)
    if done is None or done[0] != _fingerprint(upload, mapping):
        st.caption("Run a dry run to see what would be stored; then commit.")
        return
    summaries = done[1]
    failed = [s for s in summaries if s.status == "failed"]
    if failed:
        st.error(f"This file cannot be loaded: {formatting.plain(failed[0].error)}")
        return
    st.markdown("**Dry run** — nothing has been stored yet:")
    st.dataframe(_counts(summaries), hide_index=True)
    for note in {n for s in summaries for n in s.notes}:
        st.caption(f"Note: {formatting.plain(note)}")
    rejected = _rejected(summaries)
    if not rejected.is_empty():
        st.markdown(f"Rows that would be quarantined (first {rejected.height:,}):")
        st.dataframe(rejected, hide_index=True, width="stretch")
    _commit(upload, mapping, sum(s.read for s in summaries))


def _commit(upload: uploads.Upload, mapping: mappings.Mapping | None, expected: int) -> None:
    if not st.button("Commit", key=f"commit:{upload.sha256[:16]}", type="primary"):
        return
    bar = st.progress(0.0, text="Reading…")

    def progress(rows: int) -> None:
        share = min(rows / expected, 1.0) if expected else 1.0
        bar.progress(share * 0.9, text=f"Read {rows:,} of {expected:,} rows…")

    summaries = _run(upload, mapping, dry_run=False, progress=progress)
    bar.progress(1.0, text="Done.")
    st.cache_data.clear()
    st.session_state.pop(f"dry:{upload.sha256[:16]}", None)
    st.session_state["loaded"] = [*st.session_state.get("loaded", []), *summaries]
    st.rerun()


def _file(upload: uploads.Upload) -> None:
    if upload.problem:
        st.error(f"{formatting.plain(upload.problem)} Nothing was stored.")
        return
    if upload.format is None:
        st.markdown(
            f"**{formatting.plain(upload.name)}** — not a format CarePulse recognises by itself "
            f"({', '.join(connectors.REGISTRY)}). Map its columns (CSV, TSV, Excel, Parquet "
            "or JSON lines) below."
        )
        mapping = mapper.mapper(upload)
        if mapping is None:
            return
        mapper.save_controls(upload, mapping)
    else:
        st.markdown(_describe(upload))
        mapping = None
    try:
        shown = uploads.preview(upload, timezone=get_settings().timezone, mapping=mapping)
    except CarePulseError as error:
        st.error(formatting.problem(error))
        return
    for kind, frame in shown.items():
        zone = get_settings().timezone
        st.markdown(f"Preview of the {kind.replace('_', ' ')} it would produce (times in {zone}):")
        st.dataframe(frame, hide_index=True, width="stretch")
    _dry_run(upload, mapping)


def _loaded() -> None:
    for summary in st.session_state.pop("loaded", []):
        if summary.status == "committed":
            st.success(
                f"{summary.file}: {summary.accepted:,} {summary.kind.replace('_', ' ')} stored "
                f"({summary.updated:,} updated), {summary.quarantined:,} quarantined, "
                f"{summary.duplicates:,} duplicates — run {summary.run_id}."
            )
        else:
            failure = f"{summary.file}: failed, nothing stored — {summary.error}"
            st.error(formatting.plain(failure))


def load_files() -> None:
    """Upload one or many files and walk each to a committed ingest."""
    _loaded()
    limit = get_settings().upload_max_mb
    files = st.file_uploader(
        "Exports to load (call logs, tickets, surveys)",
        accept_multiple_files=True,
        max_upload_size=limit,
        help=f"Up to {limit} MB per file (setting upload_max_mb). Formats are recognised from "
        "the content; other tables get a column mapper.",
    )
    for file in files or []:
        with st.container(border=True):
            upload = uploads.save(file.name, file.getvalue(), get_settings())
            try:
                _file(upload)
            except CarePulseError as error:
                st.error(formatting.problem(error) + " Nothing was stored.")
