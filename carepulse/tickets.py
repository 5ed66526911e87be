"""The Tickets page's sections: volume and backlog, response and resolution times in business
and calendar hours, SLA attainment, breakdowns and complaints (Streamlit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import polars as pl
import streamlit as st

from carepulse import (
    charts,
    complaint_tables,
    complaints,
    filters,
    formatting,
    glossary,
    tables,
    ui,
    widgets,
)
from carepulse.filters import Filters
from carepulse.settings import get_settings
from metrics.kpi import Kpi
from metrics.ticket_rollup import DIMENSIONS

TILE_NOTE = "Times on the tiles are medians in business hours (the calendar below)."
TILES = (
    "tickets_created", "tickets_solved", "backlog", "backlog_over_48h", "reopen_rate",
    "first_response_business", "resolution_business", "sla_first_response", "sla_resolution",
    "complaint_follow_up",
)  # fmt: skip
BACKLOG = {
    "backlog_under_24h": ("0–24 h", charts.PALETTE[4]),
    "backlog_24_48h": ("24–48 h", charts.PALETTE[1]),
    "backlog_over_48h": ("over 48 h", charts.FLAG),
}
TIMES = {
    "First response": ("first_response", "first_response_business"),
    "Resolution": ("resolution_time", "resolution_business"),
}
BREAKDOWN = (
    "tickets_created", "tickets_solved", "backlog", "first_response_business",
    "resolution_business", "sla_first_response", "sla_resolution", "reopen_rate",
)  # fmt: skip
GROUPS = {
    "queue": "Group",
    "channel": "Channel",
    "priority": "Priority",
    "category": "Category",
    "team": "Team",
    "agent_id": "Agent",
}


def scoped(f: Filters) -> Filters:
    """The filters tickets have (no segment: a ticket carries none); says what was left out."""
    kept = tuple((c, v) for c, v in f.where if c in DIMENSIONS)
    left_out = [c for c, _ in f.where if c not in DIMENSIONS]
    if left_out:
        st.caption(f"The {', '.join(left_out)} filter does not apply to tickets.")
    return replace(f, where=kept)


def volume(f: Filters) -> None:
    """Created and solved per day; the backlog at each day's end by age."""
    daily = ui.kpis(f, by=("day",), keys=("tickets_created", "tickets_solved", *BACKLOG))
    wide = tables.by_key(daily, "day")
    left, right = st.columns(2)
    series = {"tickets_created": "created", "tickets_solved": "solved"}
    figure = charts.lines(wide, x="day", series=series, title="Created and solved", axis="tickets")
    left.plotly_chart(figure, width="stretch", key="created-solved")
    title = "Backlog at the end of each day, by age"
    figure = charts.stacked(wide, x="day", parts=BACKLOG, title=title, axis="open tickets")
    right.plotly_chart(figure, width="stretch", key="backlog-age")


def times(f: Filters, catalog: dict[str, Kpi]) -> None:
    """Median and P90 of first response and resolution, business and calendar hours."""
    keys = [k for pair in TIMES.values() for base in pair for k in (base, _p90(base))]
    rows = ui.kpis(f, keys=keys)
    st.dataframe(tables.durations(rows, TIMES, _p90), hide_index=True, width="stretch")
    replied = rows.filter(pl.col("kpi") == "first_response")["denominator"].sum()
    if not replied:
        st.caption(
            "No ticket here has a first reply time: the source does not give one (from a Zendesk "
            "export, include the column 'First reply time in minutes')."
        )
    st.caption(f"Business hours: {glossary.opening_hours(get_settings())}. {_SETTINGS}")
    sla_keys = ("sla_first_response", "sla_resolution")
    sla = ui.kpis(f, by=("week",), keys=sla_keys)
    widgets.estimates(f, sla, catalog, sla_keys, x="week", empty="no tickets with these times")
    s = get_settings()
    st.caption(
        f"SLA: first reply within {s.sla_first_response_hours:g} business hours, first solve "
        f"within {s.sla_resolution_hours:g} business hours. Whiskers: 95 % intervals."
    )


_SETTINGS = "Set them with business_hours and holidays in carepulse.toml."


def _p90(key: str) -> str:
    return {"resolution_time": "resolution_p90"}.get(key, f"{key}_p90")


def breakdown(f: Filters, catalog: dict[str, Kpi]) -> None:
    """The ticket KPIs by group, channel, priority, category, team or agent."""
    dimension = filters.choice(
        "By", list(GROUPS), key="ticket_by", default="queue", format_func=GROUPS.get,
        container=st.columns(4)[0],
    )  # fmt: skip
    rows = ui.kpis(f, by=(dimension,), keys=BREAKDOWN)
    shown = tables.wide(rows, dimension, catalog, BREAKDOWN, label=GROUPS[dimension])
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption("Times are medians in business hours; backlog is at the end of the period.")


@st.cache_data(ttl=60, show_spinner=False, max_entries=4)
def _known_at(url: str, version: str) -> datetime | None:
    return complaints.known_at(ui.engine(url))


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def _open(url: str, where: tuple, as_of: datetime | None, version: str) -> pl.DataFrame:
    engine = ui.engine(url)
    return complaints.open_complaints(engine, get_settings(), where=dict(where), as_of=as_of)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _recurring(
    url: str, start: date, end: date, where: tuple, as_of: datetime | None, version: str
) -> pl.DataFrame:
    options = dict(start=start, end=end, where=dict(where), as_of=as_of)
    return complaints.recurring(ui.engine(url), get_settings(), **options)


def complaint_section(f: Filters, catalog: dict[str, Kpi]) -> None:
    """Open complaints and their follow-up, the 48-hour rate per week, recurring subjects."""
    settings = get_settings()
    url, version = settings.database, ui.version(settings.database)
    as_of = _known_at(url, version)
    found = _open(url, f.where, as_of, version)
    if found.is_empty():
        st.caption("No open complaints (tickets flagged as complaints, not solved or closed).")
    else:
        tally = dict(found["follow_up"].value_counts().iter_rows())
        st.markdown(
            f"**{formatting.count(found.height)}** open complaints · written follow-up overdue: "
            f"**{formatting.count(tally.get('overdue', 0))}** · due within 48 h: "
            f"**{formatting.count(tally.get('due', 0))}**"
        )
        listed = complaint_tables.open_complaints(found, settings.timezone)
        st.dataframe(listed, hide_index=True, width="stretch")
        st.caption(
            f"Open, ages and follow-ups as of {formatting.local(as_of, settings.timezone)}, "
            "the latest ticket time stored: what the export knew."
        )
    key = "complaint_follow_up"
    weekly = ui.kpis(f, by=("week",), keys=(key,)).sort("week")
    recurring = _recurring(url, f.period.start, f.period.end, f.where, as_of, version)
    if weekly["value"].is_null().all():
        st.caption("No complaints whose 48 hours have passed in this period.")
    else:
        figure = charts.estimates(weekly, catalog[key], x="week", start=f.period.start)
        st.columns(2)[0].plotly_chart(figure, width="stretch")
    st.markdown("**What complaints are about**")
    if recurring.is_empty():
        st.caption("No complaints created in this period.")
        return
    st.dataframe(complaint_tables.recurring(recurring), hide_index=True, width="stretch")
    st.caption(
        "Weeks: in how many of the period's weeks the subject came up. Repeat customers: "
        "customers who complained about it more than once in the period. Followed up in 48 h: "
        "of the complaints whose 48 hours have passed."
    )
