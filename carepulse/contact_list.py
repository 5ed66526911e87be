"""The contacts at the bottom of every drill path: a paged list, one contact with its chain,
and a CSV of the list that is safe to open in a spreadsheet."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import polars as pl
import streamlit as st

from carepulse import audit, breakdown, contact_detail, contacts, exports, formatting, ui
from carepulse.filters import Filters, Step
from carepulse.settings import get_settings

PAGE_SIZE = 50
DURATIONS = {"wait_seconds": "Wait", "talk_seconds": "Talk", "hold_seconds": "Hold",
             "acw_seconds": "ACW"}  # fmt: skip
SCORES = {"csat": "CSAT", "nps": "NPS", "ces": "CES"}
COLUMNS = {
    "queue": "Queue", "team": "Team", "agent_id": "Agent", "channel": "Channel",
    "direction": "Direction", "reason": "Reason",
}  # fmt: skip


@st.cache_data(ttl=120, show_spinner=False, max_entries=64)
def _page(
    url: str, start: date, end: date, where: tuple, limit: int, offset: int, version: str
) -> pl.DataFrame:
    settings = get_settings()
    return contacts.page(
        ui.engine(url), settings, start=start, end=end, where=dict(where), limit=limit,
        offset=offset,
    )  # fmt: skip


@st.cache_data(ttl=120, show_spinner=False, max_entries=64)
def _count(url: str, start: date, end: date, where: tuple, version: str) -> int:
    return contacts.count(ui.engine(url), get_settings(), start=start, end=end, where=dict(where))


@st.cache_data(ttl=120, show_spinner=False, max_entries=64)
def _comments(
    url: str, start: date, end: date, where: tuple, limit: int, version: str
) -> pl.DataFrame:
    return contacts.comments(
        ui.engine(url), get_settings(), start=start, end=end, where=dict(where), limit=limit
    )


def comments(f: Filters, *, limit: int = 20) -> pl.DataFrame:
    """The latest survey comments of the filters' selection, as a table to show."""
    url = get_settings().database
    frame = _comments(url, f.period.start, f.period.end, f.where, limit, ui.version(url))
    local = pl.col("responded_at").dt.convert_time_zone(get_settings().timezone)
    return frame.select(
        local.dt.strftime("%Y-%m-%d %H:%M").alias("Answered"),
        *(pl.col(c).alias(name) for c, name in SCORES.items()),
        _yes("is_resolved").alias("Resolved"),
        pl.col("comment").alias("Comment"),
    )


def _yes(column: str) -> pl.Expr:
    value = pl.col(column)
    return pl.when(value).then(pl.lit("yes")).when(~value).then(pl.lit("no")).otherwise(pl.lit(""))


def listing(frame: pl.DataFrame) -> pl.DataFrame:
    """Contacts as the list shows them: times in the centre's zone, durations, outcomes in words."""
    settings = get_settings()
    short = (pl.col("outcome") == "abandoned") & (
        pl.col("wait_seconds") <= settings.short_abandon_seconds
    )
    repeat = (
        pl.when(pl.col("customer_key").is_null())
        .then(pl.lit("no customer key"))
        .when(pl.col("is_repeated").is_null())
        .then(pl.lit("window open"))
        .otherwise(_yes("is_repeated"))
    )
    local = pl.col("arrived_at").dt.convert_time_zone(settings.timezone)
    return frame.select(
        local.dt.strftime("%Y-%m-%d %H:%M:%S").alias("Time"),
        *(pl.col(c).alias(name) for c, name in COLUMNS.items()),
        *(pl.duration(seconds=pl.col(c).round()).alias(name) for c, name in DURATIONS.items()),
        pl.when(short).then(pl.lit("abandoned (short)")).otherwise("outcome").alias("Outcome"),
        _yes("is_transferred").alias("Transferred"),
        _yes("is_escalated").alias("Escalated"),
        repeat.alias("Repeat contact"),
        *(pl.col(c).alias(name) for c, name in SCORES.items()),
        _yes("survey_resolved").alias("Resolved (survey)"),
        pl.col("customer_key").alias("Customer (hashed)"),
        pl.col("contact_id").alias("Contact"),
        pl.col("source").alias("Source"),
    )


def for_csv(shown: pl.DataFrame) -> bytes:
    """The list as CSV: durations in seconds, every text cell safe from formula injection."""
    seconds = [pl.col(n).dt.total_seconds().alias(f"{n} (s)") for n in DURATIONS.values()]
    return exports.csv_bytes(shown.with_columns(seconds).drop(DURATIONS.values()))


def view(f: Filters, steps: Sequence[Step], scope: Filters) -> None:
    """The contacts of the level, paged, newest first; a row clicked opens that contact."""
    url, version = get_settings().database, ui.version(get_settings().database)
    period = (f.period.start, f.period.end)
    total = _count(url, *period, f.where, version)
    if not total:
        ui.stop_with("No contacts in this selection.", hint="Go back up or widen the period.")
    opened = st.query_params.get("contact")
    if opened:
        contact_detail.show(opened, scope)
    pages = math.ceil(total / PAGE_SIZE)
    wanted = _page_number(pages)
    frame = _page(url, *period, f.where, PAGE_SIZE, (wanted - 1) * PAGE_SIZE, version)
    shown = listing(frame)
    capped = total >= contacts.CAP
    text = f"{total:,}{'+' if capped else ''} contacts, newest first (every direction and "
    text += "channel: Offered counts only the inbound ones that entered an agent queue) · times in "
    text += f"{get_settings().timezone} · click a row to open the contact and its chain."
    if capped:
        text += f" The list holds the newest {contacts.CAP:,}; narrow the path to see older ones."
    st.caption(text)
    clocks = {n: st.column_config.NumberColumn(n, format="compact") for n in DURATIONS.values()}
    picked = st.dataframe(
        shown, key=breakdown.key(steps, "contacts", str(wanted), opened or ""), on_select="rerun",
        selection_mode="single-row", hide_index=True, placeholder=formatting.DASH,
        column_config=clocks,
    )  # fmt: skip
    if picked.selection.rows:  # a new widget per contact opened, so this is a new choice
        row = frame.row(picked.selection.rows[0], named=True)
        st.query_params["contact"] = f"{row['source']}:{row['contact_id']}"
        st.rerun()
    _pager(pages, wanted)
    st.download_button(
        "Download these contacts (CSV)",
        data=ui.audited(
            lambda: for_csv(listing(_page(url, *period, f.where, contacts.CAP, 0, version))),
            what="contacts (CSV)" + "".join(f", {c} {v}" for c, v in steps),
            f=f,
            rows=audit.csv_rows,
        ),
        file_name="contacts.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"Every contact of this list (up to {contacts.CAP:,}), customer keys only as "
        "stored hashes.",
    )


def _page_number(pages: int) -> int:
    try:
        number = int(st.query_params.get("page", "1"))
    except ValueError:
        number = 1
    return min(max(number, 1), pages)


def _pager(pages: int, current: int) -> None:
    if pages <= 1:
        return
    chosen = st.pagination(pages, default=current, key=f"pager-{pages}-{current}")
    if chosen != current:
        st.query_params["page"] = str(chosen)
        st.rerun()
