"""The sidebar filters every dashboard page shares, kept in the URL's query string."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import sqlalchemy as sa
import streamlit as st

from carepulse import formatting, periods, query, selection, summaries
from carepulse.access import Scope
from carepulse.periods import Period
from carepulse.selection import DIMENSIONS, Filters, Step
from carepulse.settings import get_settings

__all__ = ["DIMENSIONS", "Filters", "Step", "sidebar"]
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


@st.cache_data(ttl=60, show_spinner=False)
def _latest_day(_store: sa.Engine, url: str, timezone: str, version: str) -> date | None:
    return query.latest_day(_store, timezone)


@st.cache_data(ttl=300, show_spinner=False)
def options(_store: sa.Engine, url: str, column: str, scope: Scope, version: str) -> list[str]:
    """The values a dimension takes in the stored contact, survey and ticket rollups, within
    the scope's teams."""
    return summaries.values(_store, column, scope)


def _initial(key: str, default: object, *, many: bool = False) -> None:
    """Seed a widget from the value kept across pages, else from the URL, else the default.

    Each page's widget is a new one to Streamlit, so the kept copy is written back on every
    run; the widgets' on_change keeps the copy current when the user changes them.
    """
    if f"_{key}" in st.session_state:
        st.session_state[key] = st.session_state[f"_{key}"]
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
    if end < start:  # only a typed link can say so: the picker orders its two days
        start, end = end, start
        st.sidebar.caption("The link's dates were the wrong way round: swapped.")
    chosen = st.sidebar.date_input("From – to", (start, end), key="range")
    if isinstance(chosen, tuple | list) and len(chosen) == 2:
        start, end = chosen
    st.query_params["from"], st.query_params["to"] = start.isoformat(), end.isoformat()
    return preset, Period(start, end)


def _date_param(name: str, default: date) -> date:
    text = st.query_params.get(name)
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        _ignored(name, f"{text} is not a date (YYYY-MM-DD); {default:%d %b %Y} used")
        return default


def _ignored(label: str, what: str) -> None:
    """Say, in the sidebar, what of the page's link was left out (and why)."""
    st.sidebar.caption(f"Not applied from the link: {label} {formatting.plain(what)}.")


def sidebar(store: sa.Engine, version: str, scope: Scope) -> Filters:
    """Render the shared filters, within what `scope` may see, and mirror them into the URL."""
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
        choices = options(store, settings.database, column, scope, version)
        from_link = f"_{column}" not in st.session_state  # else kept from an earlier page
        _initial(column, [], many=True)
        unknown = [v for v in st.session_state[column] if v not in choices]
        if unknown and from_link:  # a typo, a renamed value, or one outside the user's teams
            _ignored(f"{label}:", ", ".join(unknown))
        st.session_state[column] = [v for v in st.session_state[column] if v in choices]
        picked = st.sidebar.multiselect(
            label, choices, key=column, placeholder="All", **_kept(column)
        )
        _keep(column)
        if picked:
            where.append((column, tuple(picked)))
    before = periods.comparison(period, compare, preset)
    chosen = Filters(preset, period, compare, before, tuple(where), anchor, scope)
    _mirror(chosen)
    return chosen


def _mirror(f: Filters) -> None:
    wanted = selection.params(f)
    for name in ("from", "to", *DIMENSIONS):
        if name not in wanted:
            st.query_params.pop(name, None)
    for name, value in wanted.items():
        st.query_params[name] = value


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


def linked_choice(
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
        if wanted is not None:
            st.caption(f"{label} {formatting.plain(wanted)} is not in this selection.")
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
