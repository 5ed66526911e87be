"""Streamlit helpers shared by the pages: the store, the header, friendly stops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import NoReturn
from urllib.parse import urlsplit

import polars as pl
import sqlalchemy as sa
import streamlit as st

from carepulse import (
    audit,
    formatting,
    gate,
    glossary,
    periods,
    query,
    report,
    rollups,
    selection,
    storage,
    summaries,
)
from carepulse.filters import Filters, sidebar
from carepulse.sample import load_sample
from carepulse.settings import get_settings
from metrics import compare, rollup
from metrics.kpi import Kpi


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
    return formatting.local(moment, get_settings().timezone)


@st.cache_data(ttl=60, show_spinner=False)
def freshness(url: str) -> pl.DataFrame:
    """Latest record per kind and source, cached for a minute."""
    return summaries.freshness(engine(url))


def header() -> None:
    """The centre's name and how fresh its data is, in the centre's zone."""
    settings = get_settings()
    fresh = freshness(settings.database)
    st.sidebar.markdown(f"**{settings.centre_name}**")
    if fresh.is_empty():
        st.sidebar.caption("No data loaded yet.")
        return
    lines = [
        f"{row['kind'].replace('_', ' ')} · {formatting.plain(row['source'])}: "
        f"{local(row['latest'])}"
        for row in fresh.iter_rows(named=True)
    ]
    st.sidebar.caption("Latest record (" + settings.timezone + ")  \n" + "  \n".join(lines))


def stop_with(message: str, *, hint: str = "") -> NoReturn:
    """Say why the page has nothing to show, and what to do, then stop."""
    st.info(message + (f"\n\n{hint}" if hint else ""))
    st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def version(url: str) -> str:
    """Changes whenever an ingest commits or a run is undone, so cached figures refresh."""
    runs = storage.ingest_runs
    undone = sa.func.count().filter(runs.c.status == "undone")
    statement = sa.select(sa.func.coalesce(sa.func.max(runs.c.id), 0), undone)
    with engine(url).connect() as connection:
        latest, undone = connection.execute(statement).one()
    return f"{latest}.{undone}"


REBUILDING = (
    "Rebuilding the stored rollups once, for changed KPI settings or a new version of "
    "CarePulse. On a large store this takes minutes; every page waits for it."
)


def filters() -> Filters:
    """The shared sidebar filters (synced with the URL), within the signed-in user's scope;
    stale rollups are rebuilt first, saying so."""
    settings = get_settings()
    if not rollups.current(store(), settings):
        with st.spinner(REBUILDING):
            rollups.ensure_current(store(), settings)
    return sidebar(store(), version(settings.database), gate.current().scope)


@st.cache_resource(ttl=600, show_spinner="Reading the period…", max_entries=8)
def _frames(
    url: str, start: date, end: date, thresholds: str, data_version: str, buckets: bool
) -> dict[str, pl.DataFrame]:
    """A period's rollups without the agent and reason grain, by day where every KPI window
    has closed, read once and shared by every figure of it by day or coarser (never
    modified), with histogram buckets only for figures that need them."""
    settings = get_settings()
    return query.loaded(engine(url), settings, start, end, buckets=buckets)


def _buckets(keys: Sequence[str] | None) -> bool:
    """Whether these KPIs (None: all) read histogram buckets (medians, percentiles)."""
    chosen = query.chosen(get_settings(), keys)
    return any(m in query.BUCKETS for kpi in chosen for m in kpi.measures)


def _fine(*dimensions: str) -> bool:
    """Whether figures grouped or filtered by these need the agent and reason grain."""
    return bool(set(dimensions) & set(rollup.FINE))


@st.cache_data(ttl=600, show_spinner="Computing KPIs…", max_entries=64)
def _kpis(
    url: str,
    start: date,
    end: date,
    by: tuple[str, ...],
    keys: tuple[str, ...] | None,
    where: tuple,
    data_version: str,
    shared: bool = True,
) -> pl.DataFrame:
    settings = get_settings()
    frames = None  # not shared: only the rows and columns these KPIs need, summed in SQL
    if shared and not _fine(*by, *dict(where)) and not set(by) & query.SUB_DAY:
        thresholds = rollups.Thresholds.of(settings).fingerprint()
        frames = _frames(url, start, end, thresholds, data_version, _buckets(keys))
    return query.kpis(
        engine(url), settings, start=start, end=end, by=by, keys=keys, where=dict(where),
        frames=frames,
    )  # fmt: skip


def kpis(
    f: Filters, *, by: tuple[str, ...] = (), keys: Sequence[str] | None = None, before: bool = False
) -> pl.DataFrame:
    """Catalog KPIs for the filters' period (or its comparison period), cached on plain values.

    The period's rollups (by day where they can be) are read once and shared by its figures.
    A comparison period, which pages ask for a few totals of, a figure by agent or reason,
    whose grain is about one row per contact, and a figure by a time within the day are read
    as only the rows and columns they need, summed in the database (benchmarks/README.md)."""
    period = f.before if before else f.period
    if period is None:
        return pl.DataFrame()
    url = get_settings().database
    keys = tuple(keys) if keys else None
    args = (url, period.start, period.end, by, keys, f.where, version(url))
    rows = _kpis(*args, shared=not before)
    if not before:
        return rows
    late = partial(period.start, f.where)
    return compare.without_partial_totals(rows, catalog().values(), late)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _first_days(url: str, timezone: str, where: tuple, data_version: str) -> dict[str, date]:
    return query.first_days(engine(url), timezone, dict(where))


def first_days(where: tuple, families: Sequence[str] | None = None) -> dict[str, date]:
    """The first stored day of each family (of `families`, default all) among the rows
    `where` allows."""
    url = get_settings().database
    first = _first_days(url, get_settings().timezone, where, version(url))
    return {f: day for f, day in first.items() if f in (families or first)}


def partial(start: date, where: tuple, families: Sequence[str] | None = None) -> dict[str, date]:
    """The families whose stored data (of the rows `where` allows) begins after `start`."""
    return periods.late(first_days(where, families), start)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _distribution(
    url: str, start: date, end: date, name: str, where: tuple, data_version: str
) -> pl.DataFrame:
    settings = get_settings()  # only the selected rows and their buckets are read
    return query.distribution(
        engine(url), settings, start=start, end=end, name=name, where=dict(where)
    )


def distribution(f: Filters, name: str) -> pl.DataFrame:
    """A stored histogram's bucket counts (`low`, `high`, `count`) for the filters' period."""
    url = get_settings().database
    return _distribution(url, f.period.start, f.period.end, name, f.where, version(url))


def catalog() -> dict[str, Kpi]:
    """The catalog with the settings' variants."""
    return {k.key: k for k in query.chosen(get_settings())}


def offer_sample() -> None:
    """An empty store: offer the sample centre, or the Data page (to those who may load data)."""
    if not gate.current().may_open("data"):
        stop_with("No data yet.", hint="An administrator loads the centre's exports.")
    st.info(
        "No data yet. Load the sample patient-service centre to explore, or load your own "
        "exports on the Data page."
    )
    if st.button("Load the sample centre", type="primary", icon=":material/download:"):
        with st.spinner("Loading 90 days of sample contacts, tickets and surveys…"):
            load_sample(store(), get_settings())
        st.cache_data.clear()
        st.rerun()
    st.page_link("views/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()


def has_data() -> bool:
    """Whether any facts are stored."""
    return storage.has_facts(store())


def small_sample() -> int:
    return get_settings().small_sample


def period_caption(f: Filters, families: Sequence[str] | None = None) -> None:
    """Which days the page shows, against what (and how much of that has data: `families`,
    default all, are the page's), in which zone."""
    text = f"**{f.period.label()}**"
    if f.before:
        note = periods.coverage(f.before, first_days(f.where, families))
        longer = periods.lengths(f.period, f.before)
        text += f" compared with {f.before.label()}{f' ({longer})' if longer else ''}{note}"
    text += f" · times in {get_settings().timezone} · data through {f.anchor:%d %b %Y}"
    st.caption(text)


def definitions() -> list[tuple[Kpi, str]]:
    """Markdown per KPI: definition, numerator, denominator, key and target."""
    out = []
    for entry in glossary.entries(get_settings()):
        kpi, lines = entry.kpi, [entry.kpi.definition]
        if entry.numerator:
            lines.append(f"Numerator: {entry.numerator} · Denominator: {entry.denominator}")
        lines.append(f"Key `{kpi.key}` · better {kpi.better.value} · target {entry.target}")
        out.append((kpi, "\n\n".join(lines)))
    return out


def settings_in_effect() -> pl.DataFrame:
    """The settings the figures depend on, as a two-column table."""
    rows = glossary.settings_in_effect(get_settings())
    return pl.DataFrame({"Setting": list(rows), "Value": list(rows.values())})


@st.cache_data(ttl=600, show_spinner=False, max_entries=8)
def _report(
    url: str, f: Filters, paper: str, dashboard: str, data_version: str
) -> tuple[bytes, list[bytes]]:
    _, pdf = report.build(engine(url), get_settings(), f, paper=paper, dashboard=dashboard)
    return pdf, report.previews(pdf)


def report_pdf(f: Filters, paper: str) -> tuple[bytes, list[bytes]]:
    """The executive PDF of this view and a PNG of each page, cached until new data arrives."""
    url = get_settings().database
    seen = urlsplit(st.context.url or "")
    dashboard = f"{seen.scheme}://{seen.netloc}" if seen.netloc else ""  # as the user reached us
    with st.spinner("Building the PDF: reading the figures, printing in headless Chromium…"):
        return _report(url, f, paper, dashboard, version(url))


def report_html(f: Filters, paper: str) -> str:
    """The report as HTML only (no browser needed), to print from any browser."""
    settings = get_settings()
    return report.html(report.gather(store(), settings, f), paper=paper)


def audited(
    produce: Callable[[], bytes],
    *,
    what: str,
    f: Filters | None,
    rows: Callable[[bytes], int] | None = None,
) -> Callable[[], bytes]:
    """A download's deferred data, noted in the export audit (who, what, which view) when the
    user downloads it; the user is the one signed in now, as the download runs later."""
    view = (st.context.url or "").split("?")[0]
    if f is not None:
        view += f"?{selection.query(f)}"
    user = gate.current().email
    return audit.recorded(produce, store(), user=user, what=what, selection=view, rows=rows)
