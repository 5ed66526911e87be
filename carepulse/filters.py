"""The sidebar filters every dashboard page shares, kept in the URL's query string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import streamlit as st

from carepulse import periods, storage
from carepulse.periods import Period
from carepulse.settings import get_settings

DIMENSIONS = {"queue": "Queues", "team": "Teams", "channel": "Channels", "segment": "Segments"}
DEFAULT_PRESET, DEFAULT_COMPARE = "last-4-weeks", "previous"


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


INTERVALS = ("contact_intervals", "survey_intervals", "ticket_intervals")


@st.cache_data(ttl=60, show_spinner=False)
def _latest_day(_store: sa.Engine, url: str, timezone: str, version: int) -> date | None:
    """The last local day with contacts, surveys or tickets (a ticket-only store has no calls)."""
    found = []
    with _store.connect() as connection:
        for name in INTERVALS:
            column = storage.ROLLUPS[name].c.interval_start
            found.append(connection.execute(sa.select(sa.func.max(column))).scalar())
    found = [datetime.fromisoformat(t) if isinstance(t, str) else t for t in found if t]
    if not found:
        return None
    latest = max(t.replace(tzinfo=t.tzinfo or ZoneInfo("UTC")) for t in found)
    return latest.astimezone(ZoneInfo(timezone)).date()


@st.cache_data(ttl=300, show_spinner=False)
def options(_store: sa.Engine, url: str, column: str, version: int) -> list[str]:
    """The values a dimension takes in the stored contact, survey and ticket rollups."""
    values: set[str] = set()
    with _store.connect() as connection:
        for name in INTERVALS:
            table = storage.ROLLUPS[name]
            if column in table.c:
                found = sa.select(table.c[column]).where(table.c[column].is_not(None)).distinct()
                values.update(connection.execute(found).scalars())
    return sorted(values)


def _initial(key: str, default: object, *, many: bool = False) -> None:
    """Seed a widget from the value kept across pages, else from the URL on first use.

    The kept value is written back on every run: a widget on another page is another widget
    to Streamlit, which would otherwise start it at its first option.
    """
    if f"_{key}" in st.session_state:
        st.session_state[key] = st.session_state[f"_{key}"]
    elif key in st.session_state:
        return
    elif key in st.query_params:
        st.session_state[key] = st.query_params.get_all(key) if many else st.query_params[key]
    else:
        st.session_state[key] = default


def _kept(key: str) -> dict[str, object]:
    """Widget arguments that keep a user's change across pages (before the next run starts)."""
    return {"on_change": _keep, "args": (key,)}


def _keep(key: str) -> None:
    st.session_state[f"_{key}"] = st.session_state[key]


def _period(anchor: date) -> tuple[str, Period]:
    _initial("period", DEFAULT_PRESET)
    if st.session_state["period"] not in periods.PRESETS:
        st.session_state["period"] = DEFAULT_PRESET
    names = list(periods.PRESETS)
    preset = st.sidebar.selectbox(
        "Period", names, key="period", format_func=periods.PRESETS.get, **_kept("period")
    )
    _keep("period")
    if preset != "custom":
        return preset, periods.preset(preset, anchor)
    start = _date_param("from", anchor.replace(day=1))
    end = _date_param("to", anchor)
    chosen = st.sidebar.date_input("From – to", (start, end), key="range")
    if isinstance(chosen, tuple | list) and len(chosen) == 2:
        start, end = chosen
    st.query_params["from"], st.query_params["to"] = start.isoformat(), end.isoformat()
    st.session_state["_from"], st.session_state["_to"] = start, end  # for the next page
    return preset, Period(start, end)


def _date_param(name: str, default: date) -> date:
    """A custom period's end from the URL, else as chosen on the previous page."""
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return st.session_state.get(f"_{name}", default)


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
        **_kept("compare"),
    )
    _keep("compare")
    where = []
    for column, label in DIMENSIONS.items():
        choices = options(store, settings.database, column, version)
        _initial(column, [], many=True)
        st.session_state[column] = [v for v in st.session_state[column] if v in choices]
        picked = st.sidebar.multiselect(
            label, choices, key=column, placeholder="All", **_kept(column)
        )
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


def choice(
    label: str,
    options: list[str],
    *,
    key: str,
    default: str,
    format_func: object = str,
    container: object = st,
) -> str:
    """A page's own select box, kept in the URL like the sidebar filters."""
    _initial(key, default)
    if st.session_state[key] not in options:
        st.session_state[key] = default
    value = container.selectbox(label, options, key=key, format_func=format_func, **_kept(key))
    _keep(key)
    st.query_params[key] = value
    return value


def text(label: str, *, key: str, placeholder: str = "", container: object = st) -> str:
    """A page's own search box, kept in the URL (empty: left out)."""
    _initial(key, "")
    value = container.text_input(label, key=key, placeholder=placeholder, **_kept(key))
    _keep(key)
    if value:
        st.query_params[key] = value
    else:
        st.query_params.pop(key, None)
    return value
