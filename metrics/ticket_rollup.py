"""Tickets -> 15-minute interval sums and end-of-day backlog snapshots.

Volume, first response and complaint follow-up count in the interval of creation; solves,
reopens and resolution time in the interval of the first solve (METRICS.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from metrics import histogram
from metrics.business_hours import Calendar, business_seconds
from metrics.rollup import count, interval_start
from metrics.schema import TICKET_STATUSES

DIMENSIONS = ("queue", "team", "agent_id", "channel", "priority", "category")
KEYS = ("interval_start", *DIMENSIONS)
BACKLOG_KEYS = ("day", *DIMENSIONS)
FOLLOW_UP = timedelta(hours=48)
DONE = ("solved", "closed")
OPEN = tuple(s for s in TICKET_STATUSES if s not in DONE)  # a status is one of them
ALWAYS_OPEN = Calendar((((0, 24 * 3600),),) * 7)
# Default SLA targets in business hours (settings: sla_first_response_hours, …).
SLA_FIRST_RESPONSE_HOURS, SLA_RESOLUTION_HOURS = 8.0, 40.0
BUSINESS = "_business_seconds"  # a working column, not stored


def _seconds(start: str, end: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / 1e6


def _business(end: str, calendar: Calendar) -> pl.Expr:
    """Business seconds from creation to `end`, as a column: the 2 × 62 histogram buckets
    and the SLA check read it, instead of each working out the calendar again."""
    return business_seconds(pl.col("created_at"), pl.col(end), calendar).alias(BUSINESS)


def _created_side(sla_seconds: float) -> list[pl.Expr]:
    first_response = _seconds("created_at", "first_reply_at")
    business = pl.col(BUSINESS)
    replied = pl.col("first_reply_at").is_not_null()
    complaint = pl.col("is_complaint").fill_null(False)
    return [
        count(pl.lit(True), "tickets_created"),
        count(pl.col("status").is_in(DONE), "created_done"),
        count(replied, "first_response_n"),
        pl.when(replied).then(first_response).otherwise(0.0).alias("first_response_sum"),
        *histogram.buckets("first_response", first_response, replied),
        *histogram.buckets("first_response_business", business, replied),
        count(replied & (business <= sla_seconds), "sla_first_response_met"),
        count(complaint, "complaints"),
        count(complaint & (first_response <= FOLLOW_UP.total_seconds()), "complaints_answered"),
    ]


def _solved_side(sla_seconds: float) -> list[pl.Expr]:
    resolution = _seconds("created_at", "solved_at")
    business = pl.col(BUSINESS)
    return [
        count(pl.lit(True), "tickets_solved"),
        count(pl.col("reopens") > 0, "tickets_reopened"),
        resolution.alias("resolution_sum"),
        *histogram.buckets("resolution", resolution, pl.lit(True)),
        *histogram.buckets("resolution_business", business, pl.lit(True)),
        count(business <= sla_seconds, "sla_resolution_met"),
    ]


def _within(column: str, span: tuple[datetime, datetime] | None) -> pl.Expr:
    if span is None:
        return pl.col(column).is_not_null()
    return (pl.col(column) >= span[0]) & (pl.col(column) < span[1])


def roll_up_tickets(
    tickets: pl.LazyFrame,
    *,
    span: tuple[datetime, datetime] | None = None,
    calendar: Calendar = ALWAYS_OPEN,
    sla_first_response_hours: float = SLA_FIRST_RESPONSE_HOURS,
    sla_resolution_hours: float = SLA_RESOLUTION_HOURS,
) -> pl.LazyFrame:
    """Interval sums of tickets created, and of tickets first solved, in `span`.

    Business-hours durations and SLA attainment count open time on `calendar` only.
    """
    created = (
        tickets.filter(_within("created_at", span))
        .with_columns(_business("first_reply_at", calendar))
        .select(
            interval_start("created_at"),
            *DIMENSIONS,
            *_created_side(sla_first_response_hours * 3600),
        )
    )
    solved = (
        tickets.filter(_within("solved_at", span))
        .with_columns(_business("solved_at", calendar))
        .select(
            interval_start("solved_at"),
            *DIMENSIONS,
            *_solved_side(sla_resolution_hours * 3600),
        )
    )
    both = pl.concat([created, solved], how="diagonal_relaxed")
    measures = [c for c in both.collect_schema().names() if c not in KEYS]
    return both.group_by(KEYS).agg(pl.col(measures).fill_null(0).sum())


def _local_day(column: pl.Expr, timezone: str) -> pl.Expr:
    return column.dt.convert_time_zone(timezone).dt.date()


def _resolved_at() -> pl.Expr:
    """When a done ticket left the backlog: its last solve (reopened tickets stay open)."""
    done = pl.coalesce("last_solved_at", "solved_at", "closed_at", "created_at")
    return pl.when(pl.col("status").is_in(DONE)).then(done)


def day_end(day: pl.Expr, timezone: str) -> pl.Expr:
    """The UTC instant a local day ends (the next local midnight)."""
    midnight = (day + timedelta(days=1)).cast(pl.Datetime("us"))
    local = midnight.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return local.dt.convert_time_zone("UTC")


def roll_up_backlog(
    tickets: pl.LazyFrame, *, first: date, last: date, timezone: str
) -> pl.LazyFrame:
    """Tickets open at the end of each local day from `first` to `last`, by age."""
    resolved = _resolved_at()
    before_resolved = _local_day(resolved - timedelta(microseconds=1), timezone) - timedelta(days=1)
    # From `first` at the earliest: a ticket open for a year is not spread over the year first.
    opened = pl.max_horizontal(_local_day(pl.col("created_at"), timezone), pl.lit(first))
    open_days = pl.date_ranges(opened, pl.coalesce(before_resolved, pl.lit(last)))
    age = (day_end(pl.col("day"), timezone) - pl.col("created_at")).dt.total_hours()
    return (
        tickets.select(*DIMENSIONS, "created_at", open_days.alias("day"))
        .explode("day")
        .filter(pl.col("day").is_between(first, last))
        .select(
            *BACKLOG_KEYS,
            count(pl.lit(True), "open_tickets"),
            count(age < 24, "open_under_24h"),
            count((age >= 24) & (age < 48), "open_24_48h"),
            count(age >= 48, "open_over_48h"),
        )
        .group_by(BACKLOG_KEYS)
        .agg(pl.exclude(BACKLOG_KEYS).sum())
    )
