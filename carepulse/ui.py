"""Streamlit helpers shared by the pages: the store, the header, friendly stops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
import streamlit as st

from carepulse import storage
from carepulse.settings import get_settings


@st.cache_resource(show_spinner=False)
def engine(url: str) -> sa.Engine:
    """One engine per database URL for the server process, with the schema in place."""
    store = storage.connect(url)
    storage.init(store)
    return store


def store() -> sa.Engine:
    """The engine of the configured database."""
    return engine(get_settings().database)


def local(moment: datetime | None) -> str:
    """A UTC time shown in the centre's zone."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; the store keeps UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


@st.cache_data(ttl=60, show_spinner=False)
def freshness(url: str) -> pl.DataFrame:
    """Latest record per kind and source, cached for a minute."""
    return storage.freshness(engine(url))


def header() -> None:
    """The centre's name and how fresh its data is, in the centre's zone."""
    settings = get_settings()
    fresh = freshness(settings.database)
    st.sidebar.markdown(f"**{settings.centre_name}**")
    if fresh.is_empty():
        st.sidebar.caption("No data loaded yet.")
        return
    lines = [
        f"{row['kind'].replace('_', ' ')} · {row['source']}: {local(row['latest'])}"
        for row in fresh.iter_rows(named=True)
    ]
    st.sidebar.caption("Latest record (" + settings.timezone + ")  \n" + "  \n".join(lines))


def stop_with(message: str, *, hint: str = "") -> NoReturn:
    """Say why the page has nothing to show, and what to do, then stop."""
    st.info(message + (f"\n\n{hint}" if hint else ""))
    st.stop()
