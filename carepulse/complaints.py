"""Complaint tickets: the open ones with their 48-hour follow-up, and what keeps coming back.

The written follow-up is the ticket's first public reply (METRICS.md: complaint follow-up).
These read ticket facts with a filter; the follow-up rate over time is the catalog KPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, indexed, storage
from carepulse.query import utc_range
from carepulse.settings import Settings
from metrics.evaluate import restrict, time_grain
from metrics.schema import KINDS, TIMESTAMP
from metrics.ticket_rollup import FOLLOW_UP, OPEN

Where = Mapping[str, Sequence[object]] | None
TICKETS = storage.FACTS["tickets"]
HOURS = 3600.0
URGENCY = {"overdue": 0, "due": 1, "sent late": 2, "sent": 3}


def _read(engine: Engine, *conditions: sa.ColumnElement[bool]) -> pl.DataFrame:
    statement = sa.select(TICKETS).where(TICKETS.c.is_complaint.is_(True), *conditions)
    return bulk.read(engine, statement, KINDS["tickets"].schema)


def known_at(engine: Engine) -> datetime | None:
    """When the stored tickets were last seen as they are: their latest recorded time, or now
    if that is later (None: no tickets). An export's open ticket is only known to be open as
    of the export, so ages and follow-ups are measured to then, not to today."""
    seen = bulk.read(engine, indexed.newest(indexed.ticket_seen(TICKETS)), {"newest": TIMESTAMP})
    return min(seen.item(), datetime.now(UTC)) if seen.height else None


def follow_up(as_of: datetime) -> pl.Expr:
    """sent / sent late / due / overdue: the written follow-up against its 48 hours."""
    due = pl.col("created_at") + FOLLOW_UP
    replied = pl.col("first_reply_at")
    return (
        pl.when(replied <= due)
        .then(pl.lit("sent"))
        .when(replied.is_not_null())
        .then(pl.lit("sent late"))
        .when(pl.lit(as_of) > due)
        .then(pl.lit("overdue"))
        .otherwise(pl.lit("due"))
    )


def open_complaints(
    engine: Engine, settings: Settings, *, where: Where = None, as_of: datetime | None = None
) -> pl.DataFrame:
    """Complaints not solved or closed, age, owner and the follow-up's state; the overdue
    follow-ups first, then those due, then the ones sent, oldest first within each.

    `hours_left` is the time to the 48-hour mark (negative once it has passed); both it and
    the age are measured to `as_of`, by default when the tickets were last seen (`known_at`).
    """
    as_of = as_of or known_at(engine) or datetime.now(UTC)
    found = restrict(_read(engine, TICKETS.c.status.in_(OPEN)), where)
    now = pl.lit(as_of)
    urgency = follow_up(as_of).replace_strict(URGENCY, return_dtype=pl.Int8)
    return found.sort(urgency, "created_at", "ticket_id").select(
        "ticket_id",
        "created_at",
        ((now - pl.col("created_at")).dt.total_seconds() / HOURS).alias("age_hours"),
        pl.col("agent_id").alias("owner"),
        "queue",
        "priority",
        "category",
        "status",
        follow_up(as_of).alias("follow_up"),
        ((pl.col("created_at") + FOLLOW_UP - now).dt.total_seconds() / HOURS).alias("hours_left"),
    )


def _weeks(start: date, end: date) -> int:
    """How many Monday-to-Sunday weeks the days `start`..`end` touch."""
    monday = start - timedelta(days=start.weekday())
    return (end - monday).days // 7 + 1


def recurring(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    where: Where = None,
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """Complaints created in local days `start`..`end` by what they are about (category):
    how many, in how many of the period's weeks, from how many customers, how many of whom
    complained about it more than once, and the share followed up within 48 h (of those
    whose 48 h had passed by `as_of`, by default when the tickets were last seen)."""
    low, high = utc_range(start, end, settings.timezone)
    found = restrict(_read(engine, TICKETS.c.created_at >= low, TICKETS.c.created_at < high), where)
    now = as_of or known_at(engine) or datetime.now(UTC)
    passed = pl.col("created_at") + FOLLOW_UP <= now  # complaints still inside 48 h wait
    found = found.with_columns(
        time_grain("week", settings.timezone, "created_at"),
        pl.when(passed).then(follow_up(now) == "sent").alias("in_time"),
    )
    repeats = (
        found.drop_nulls("customer_key")
        .group_by("category", "customer_key")
        .len()
        .group_by("category")
        .agg((pl.col("len") > 1).sum().alias("repeat_customers"))
    )
    table = found.group_by("category").agg(
        pl.len().alias("complaints"),
        pl.col("week").n_unique().alias("weeks"),
        pl.col("customer_key").drop_nulls().n_unique().alias("customers"),
        pl.col("in_time").mean().alias("followed_up_in_48h"),
    )
    return (
        table.join(repeats, on="category", how="left")
        .with_columns(
            (pl.col("complaints") / pl.col("complaints").sum()).alias("share"),
            pl.lit(_weeks(start, end)).alias("weeks_in_period"),
            pl.col("repeat_customers").fill_null(0),
        )
        .sort("complaints", "category", descending=[True, False])
    )
