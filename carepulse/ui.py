"""Streamlit helpers shared by the pages: the store, the header, friendly stops."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
import streamlit as st

from carepulse import formatting, query, rollups, storage
from carepulse.filters import Filters, sidebar
from carepulse.sample import load_sample
from carepulse.settings import get_settings
from metrics.kpi import Kpi, Ratio


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


@st.cache_data(ttl=30, show_spinner=False)
def version(url: str) -> int:
    """Changes whenever an ingest commits, so cached figures refresh after new data."""
    runs = storage.ingest_runs
    with engine(url).connect() as connection:
        return connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(runs.c.id), 0))
        ).scalar_one()


def filters() -> Filters:
    """The shared sidebar filters (synced with the URL)."""
    return sidebar(store(), version(get_settings().database))


@st.cache_resource(ttl=600, show_spinner="Reading the period…", max_entries=4)
def _frames(
    url: str, start: date, end: date, thresholds: str, data_version: int
) -> dict[str, pl.DataFrame]:
    """A period's rollups, read once and shared by every figure of it (never modified)."""
    return query.loaded(engine(url), get_settings(), start, end)


@st.cache_data(ttl=600, show_spinner="Computing KPIs…", max_entries=64)
def _kpis(
    url: str,
    start: date,
    end: date,
    by: tuple[str, ...],
    keys: tuple[str, ...] | None,
    where: tuple,
    data_version: int,
) -> pl.DataFrame:
    settings = get_settings()
    thresholds = rollups.Thresholds.of(settings).fingerprint()
    frames = _frames(url, start, end, thresholds, data_version)
    return query.kpis(
        engine(url), settings, start=start, end=end, by=by, keys=keys, where=dict(where),
        frames=frames,
    )  # fmt: skip


def kpis(
    f: Filters, *, by: tuple[str, ...] = (), keys: Sequence[str] | None = None, before: bool = False
) -> pl.DataFrame:
    """Catalog KPIs for the filters' period (or its comparison period), cached on plain values."""
    period = f.before if before else f.period
    if period is None:
        return pl.DataFrame()
    url = get_settings().database
    keys = tuple(keys) if keys else None
    return _kpis(url, period.start, period.end, by, keys, f.where, version(url))


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _distribution(
    url: str, start: date, end: date, name: str, where: tuple, data_version: int
) -> pl.DataFrame:
    settings = get_settings()
    thresholds = rollups.Thresholds.of(settings).fingerprint()
    frames = _frames(url, start, end, thresholds, data_version)
    return query.distribution(
        engine(url), settings, start=start, end=end, name=name, where=dict(where), frames=frames
    )


def distribution(f: Filters, name: str) -> pl.DataFrame:
    """A stored histogram's bucket counts (`low`, `high`, `count`) for the filters' period."""
    url = get_settings().database
    return _distribution(url, f.period.start, f.period.end, name, f.where, version(url))


def catalog() -> dict[str, Kpi]:
    """The catalog with the settings' variants."""
    return {k.key: k for k in query.chosen(get_settings())}


def offer_sample() -> None:
    """An empty store: offer the sample centre, or the Data page."""
    st.info(
        "No data yet. Load the sample patient-service centre to explore, or load your own "
        "exports on the Data page."
    )
    if st.button("Load the sample centre", type="primary", icon=":material/download:"):
        with st.spinner("Loading 90 days of sample contacts, tickets and surveys…"):
            load_sample(store(), get_settings())
        st.cache_data.clear()
        st.rerun()
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()


def has_data() -> bool:
    """Whether any facts are stored."""
    return any(storage.counts(store()).values())


def small_sample() -> int:
    return get_settings().small_sample


def period_caption(f: Filters) -> None:
    """Which days the page shows, against what, in which zone."""
    text = f"**{f.period.label()}**"
    if f.before:
        text += f" compared with {f.before.label()}"
    text += f" · times in {get_settings().timezone} · data through {f.anchor:%d %b %Y}"
    st.caption(text)


# Measure names that do not read well as words on their own.
WORDS = {
    "handled_in_sl": "handled within the threshold",
    "abandoned_in_sl": "abandoned within the threshold",
    "fcr_eligible": "handled with a customer key, window closed",
    "fcr_resolved": "those with no repeat contact",
    "csat_top2": "ratings 4–5",
    "csat_n": "valid ratings",
    "nps_n": "valid answers",
    "ces_n": "valid answers",
    "ces_easy": "answers 5–7",
}


def _terms(measure: object) -> str:
    parts = [
        ("− " if sign < 0 else "+ ") + WORDS.get(name, name.replace("_", " "))
        for name, sign in measure.terms
    ]
    return " ".join(parts).removeprefix("+ ")


def definitions() -> list[tuple[Kpi, str]]:
    """Markdown per KPI: definition, numerator, denominator, key and target."""
    every = catalog()
    targets = query.targets(get_settings())
    out = []
    for kpi in every.values():
        lines = [kpi.definition]
        if isinstance(kpi, Ratio):
            lines.append(
                f"Numerator: {_terms(kpi.numerator)} · Denominator: {_terms(kpi.denominator)}"
            )
        target = targets.get(kpi.key)
        shown = formatting.value(target, kpi.unit) if target is not None else "none"
        lines.append(f"Key `{kpi.key}` · better {kpi.better.value} · target {shown}")
        out.append((kpi, "\n\n".join(lines)))
    return out


def settings_in_effect() -> pl.DataFrame:
    """The settings the figures depend on, as a two-column table."""
    s = get_settings()
    rows = {
        "Preset": s.preset,
        "Time zone": s.timezone,
        "Service-level threshold": f"{s.service_level_seconds:g} s",
        "Service level: abandons": s.sl_abandons,
        "Short abandon threshold": f"{s.short_abandon_seconds:g} s",
        "FCR method": s.fcr_method,
        "FCR window": f"{s.fcr_window_hours:g} h",
        "FCR needs the same reason": "yes" if s.fcr_same_reason else "no",
        "Talk time contains hold": "yes" if s.hold_in_talk else "no",
        "Small sample below": f"{s.small_sample} responses",
        "Target overrides": ", ".join(f"{k} = {v:g}" for k, v in s.targets.items()) or "none",
    }
    return pl.DataFrame({"Setting": list(rows), "Value": list(rows.values())})


def coming_soon(what: str) -> None:
    """A page that is not built yet says what it will show."""
    st.info(f"Coming soon: {what}.\n\nThe Overview and Definitions pages work today.")
