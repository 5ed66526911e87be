"""The sidebar filters every dashboard page shares, kept in the URL's query string."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import streamlit as st

from carepulse import periods, storage
from carepulse.periods import Period
from carepulse.settings import get_settings

DIMENSIONS = {"queue": "Queues", "team": "Teams", "channel": "Channels", "segment": "Segments"}
DEFAULT_PRESET, DEFAULT_COMPARE = "last-4-weeks", "previous"
# Dimensions a drill path can step through, in the order a team lead usually goes down.
STEPS = {
    "queue": "Queue", "team": "Team", "agent_id": "Agent",
    "channel": "Channel", "segment": "Segment", "reason": "Reason",
}  # fmt: skip
CONTACTS = "contacts"  # the last step of every path: the contacts themselves
# Drill state in the URL besides the shared filters: the path (`step=queue:Refills`, repeated),
# the next split (`by`), the contacts page and the one contact opened.
DRILL_PARAMS = ("step", "by", "page", "contact")
Step = tuple[str, str | None]


@dataclass(frozen=True)
class Filters:
    """What the user chose: a period, a comparison and dimension values (hashable)."""

    preset: str
    period: Period
    compare: str
    before: Period | None
    where: tuple[tuple[str, tuple[str, ...]], ...]
    anchor: date

    def where_dict(self) -> dict[str, list[str]]:
        return {column: list(values) for column, values in self.where}

    def restricted(self, column: str, values: Sequence[str | None]) -> Filters:
        """These filters keeping only `values` of a dimension (None: unset), within what they
        already allow."""
        where = dict(self.where)
        allowed = where.get(column)
        where[column] = tuple(v for v in values if allowed is None or v in allowed)
        return replace(self, where=tuple(where.items()))

    def within(self, path: Sequence[Step]) -> Filters:
        """These filters narrowed to a drill path: each step keeps one value."""
        narrowed = self
        for column, value in path:
            narrowed = narrowed.restricted(column, (value,))
        return narrowed


@st.cache_data(ttl=60, show_spinner=False)
def _latest_day(_store: sa.Engine, url: str, timezone: str, version: int) -> date | None:
    table = storage.ROLLUPS["contact_intervals"]
    with _store.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(table.c.interval_start))).scalar()
    if latest is None:
        return None
    if isinstance(latest, str):
        latest = datetime.fromisoformat(latest)
    return (
        latest.replace(tzinfo=latest.tzinfo or ZoneInfo("UTC"))
        .astimezone(ZoneInfo(timezone))
        .date()
    )


@st.cache_data(ttl=300, show_spinner=False)
def options(_store: sa.Engine, url: str, column: str, version: int) -> list[str]:
    """The values a dimension takes in the stored contact rollups."""
    table = storage.ROLLUPS["contact_intervals"]
    statement = sa.select(table.c[column]).where(table.c[column].is_not(None)).distinct()
    with _store.connect() as connection:
        return sorted(connection.execute(statement).scalars())


def _initial(key: str, default: object, *, many: bool = False) -> None:
    """Seed a widget from the URL on first use, else from the value kept across pages."""
    if key in st.session_state:
        return
    if f"_{key}" in st.session_state:
        st.session_state[key] = st.session_state[f"_{key}"]
    elif key in st.query_params:
        st.session_state[key] = st.query_params.get_all(key) if many else st.query_params[key]
    else:
        st.session_state[key] = default


def _keep(key: str) -> None:
    st.session_state[f"_{key}"] = st.session_state[key]


def _period(anchor: date) -> tuple[str, Period]:
    _initial("period", DEFAULT_PRESET)
    if st.session_state["period"] not in periods.PRESETS:
        st.session_state["period"] = DEFAULT_PRESET
    names = list(periods.PRESETS)
    preset = st.sidebar.selectbox("Period", names, key="period", format_func=periods.PRESETS.get)
    _keep("period")
    if preset != "custom":
        return preset, periods.preset(preset, anchor)
    start = _date_param("from", anchor.replace(day=1))
    end = _date_param("to", anchor)
    chosen = st.sidebar.date_input("From – to", (start, end), key="range")
    if isinstance(chosen, tuple | list) and len(chosen) == 2:
        start, end = chosen
    st.query_params["from"], st.query_params["to"] = start.isoformat(), end.isoformat()
    return preset, Period(start, end)


def _date_param(name: str, default: date) -> date:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return default


def sidebar(store: sa.Engine, version: int) -> Filters:
    """Render the shared filters and mirror them into the query string."""
    settings = get_settings()
    anchor = _latest_day(store, settings.database, settings.timezone, version) or date.today()
    preset, period = _period(anchor)
    _initial("compare", DEFAULT_COMPARE)
    compare = st.sidebar.selectbox(
        "Compare with",
        list(periods.COMPARISONS),
        key="compare",
        format_func=periods.COMPARISONS.get,
    )
    _keep("compare")
    where = []
    for column, label in DIMENSIONS.items():
        choices = options(store, settings.database, column, version)
        _initial(column, [], many=True)
        st.session_state[column] = [v for v in st.session_state[column] if v in choices]
        picked = st.sidebar.multiselect(label, choices, key=column, placeholder="All")
        _keep(column)
        if picked:
            where.append((column, tuple(picked)))
    _mirror(preset, compare, where)
    before = periods.comparison(period, compare)
    return Filters(preset, period, compare, before, tuple(where), anchor)


def _mirror(preset: str, compare: str, where: list[tuple[str, tuple[str, ...]]]) -> None:
    st.query_params["period"] = preset
    st.query_params["compare"] = compare
    if preset != "custom":
        for name in ("from", "to"):
            st.query_params.pop(name, None)
    for column in DIMENSIONS:
        st.query_params.pop(column, None)
    for column, values in where:
        st.query_params[column] = list(values)


def path() -> tuple[Step, ...]:
    """The drill path in the URL; unknown dimensions and repeated ones are dropped."""
    steps: list[Step] = []
    for text in st.query_params.get_all("step"):
        column, _, value = text.partition(":")
        if column in STEPS and column not in (c for c, _ in steps):
            steps.append((column, value or None))  # an empty value is the unset group
    return tuple(steps)


def next_steps(steps: Sequence[Step]) -> list[str]:
    """What the next split can be: the dimensions not yet in the path, then the contacts."""
    taken = {column for column, _ in steps}
    return [c for c in STEPS if c not in taken] + [CONTACTS]


def split(steps: Sequence[Step]) -> str:
    """The next split named in the URL, else the next of queue → team → agent → contacts."""
    choices = next_steps(steps)
    wanted = st.query_params.get("by")
    if wanted in choices:
        return wanted
    return next((c for c in ("queue", "team", "agent_id") if c in choices), CONTACTS)


def go(steps: Sequence[Step], *, by: str | None = None, contact: str | None = None) -> None:
    """Put a drill state into the URL (the contacts page starts again at 1)."""
    for name in DRILL_PARAMS:
        st.query_params.pop(name, None)
    if steps:
        st.query_params["step"] = [f"{column}:{value or ''}" for column, value in steps]
    if by:
        st.query_params["by"] = by
    if contact:
        st.query_params["contact"] = contact


def choice(
    label: str,
    options: Sequence[str],
    param: str,
    *,
    default: str | None = None,
    format_func: Callable[[str], str] = str,
) -> str:
    """A select box whose choice lives in the URL as `param` (so links and clicks can set it)."""
    wanted = st.query_params.get(param)
    if wanted not in options:
        wanted = default if default in options else options[0]
    picked = st.selectbox(
        label,
        options,
        index=list(options).index(wanted),
        format_func=format_func,
        key=f"{param}:{wanted}",  # a new widget when the URL names another choice
    )
    st.query_params[param] = picked
    return picked
