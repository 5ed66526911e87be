"""Contacts and survey responses -> 15-minute interval tables of additive sums.

Each contact lands in the interval of its queue entry (`arrived_at`, UTC), each survey response
in the interval of the contact it rates when that contact is known, else of its response (or
send) time. Every column besides the interval and the dimensions is a sum, so any coarser grain
is a plain re-sum.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from metrics import histogram, repeats

GRAIN = "15m"
DIMENSIONS = ("queue", "team", "agent_id", "channel", "direction", "segment", "reason")
# The contact rollup is also kept without the agent and the reason: the dashboards' filters
# and most of their groupings need neither, and at this grain a period is some 25 times
# fewer rows (benchmarks/README.md, overview).
FINE = ("agent_id", "reason")
COARSE = tuple(d for d in DIMENSIONS if d not in FINE)
COARSE_TABLE = "contact_intervals_coarse"
# And summed per local day of the centre's zone, each day stamped with its first instant: the
# figures by day, week, queue or channel over days whose KPI windows have all closed read a
# day as one row instead of 96 (benchmarks/README.md, overview).
DAILY_TABLE = "contact_days"
# The survey and ticket rollups (about a row per answer or ticket) are summed per day the same
# way, over the agent and the reason: a centre's tickets and answers cost a page few rows too.
DAILY_TABLES = {
    "contact_intervals": DAILY_TABLE,
    "survey_intervals": "survey_days",
    "ticket_intervals": "ticket_days",
}
KEYS = ("interval_start", *DIMENSIONS)
# The contact fields the contact rollup reads (ids and the other times it does not).
CONTACT_INPUTS = (
    *DIMENSIONS, "customer_key", "arrived_at", "outcome", "wait_seconds", "talk_seconds",
    "hold_seconds", "acw_seconds", "is_transferred", "is_escalated", "is_resolved",
)  # fmt: skip
# The survey's own fields win; the rated contact fills what the survey lacks.
SURVEY_OWN = ("queue", "team", "agent_id", "channel")
CSAT_SCALE, CES_SCALE = range(1, 6), range(1, 8)  # score distributions are counted per point


def count(condition: pl.Expr, name: str) -> pl.Expr:
    """A 0/1 measure column: 1 where the condition holds (null is no).

    One byte per row: summing it gives Int64 all the same, and the group-by of a rollup moves
    a third less memory than with 8-byte zeros and ones (benchmarks/README.md, rollup)."""
    return condition.fill_null(False).cast(pl.UInt8).alias(name)


def _sum(condition: pl.Expr, value: pl.Expr, name: str) -> pl.Expr:
    return pl.when(condition).then(value).otherwise(0.0).fill_null(0.0).alias(name)


def _contact_measures(
    *, short_abandon_seconds: float, sl_seconds: float, hold_in_talk: bool
) -> list[pl.Expr]:
    outcome, wait = pl.col("outcome"), pl.col("wait_seconds")
    agent = pl.col("channel") != "bot"  # bot sessions are counted on their own
    queued = agent & (pl.col("direction") == "inbound")
    abandoned = queued & (outcome == "abandoned")
    short = abandoned & wait.is_not_null() & (wait <= short_abandon_seconds)
    handled = queued & (outcome == "handled")
    worked = agent & (outcome == "handled") & pl.col("talk_seconds").is_not_null()
    timed = handled & wait.is_not_null()
    hold = pl.col("hold_seconds").fill_null(0.0)
    talk_and_hold = pl.col("talk_seconds") + (0.0 if hold_in_talk else hold)
    handle = talk_and_hold + pl.col("acw_seconds").fill_null(0.0)
    bot = pl.col("channel") == "bot"
    eligible = handled & pl.col("customer_key").is_not_null()
    return [
        count(queued, "offered"),
        count(handled, "handled"),
        count(abandoned & ~short, "abandoned"),
        count(short, "short_abandoned"),
        count(queued & (outcome == "flowed_out"), "flowed_out"),
        count(queued & (outcome == "callback"), "callbacks"),
        count(queued & (outcome == "self_served"), "self_served"),
        count(timed & (wait <= sl_seconds), "handled_in_sl"),
        count(abandoned & ~short & (wait <= sl_seconds), "abandoned_in_sl"),
        count(timed, "handled_with_wait"),
        _sum(timed, wait, "wait_sum"),
        _sum(timed, wait * wait, "wait_sq"),
        count(worked, "handled_with_talk"),
        _sum(worked, pl.col("talk_seconds"), "talk_sum"),
        _sum(worked, hold, "hold_sum"),
        _sum(worked, hold * hold, "hold_sq"),
        _sum(worked, pl.col("acw_seconds").fill_null(0.0), "acw_sum"),
        _sum(worked, handle, "handle_sum"),
        _sum(worked, handle * handle, "handle_sq"),
        count(handled & pl.col("is_transferred"), "transfers"),
        count(handled & pl.col("is_escalated"), "escalations"),
        count(eligible, "fcr_eligible"),
        count(eligible & ~pl.col("is_repeated"), "fcr_resolved"),
        count(handled & pl.col("is_resolved").is_not_null(), "reported_answered"),
        count(handled & pl.col("is_resolved"), "reported_resolved"),
        count(bot, "bot_sessions"),
        count(bot & (outcome == "self_served") & ~pl.col("is_returned"), "bot_contained"),
        *histogram.buckets("wait", wait, timed),
        *histogram.buckets("handle", handle, worked),
    ]


def interval_start(column: str) -> pl.Expr:
    """The UTC start of the 15-minute interval holding the timestamp."""
    return pl.col(column).dt.truncate(GRAIN).alias("interval_start")


def _within(column: str, span: tuple[datetime, datetime] | None) -> pl.Expr:
    if span is None:
        return pl.lit(True)
    return (pl.col(column) >= span[0]) & (pl.col(column) < span[1])


def roll_up_contacts(
    contacts: pl.LazyFrame,
    *,
    short_abandon_seconds: float,
    sl_seconds: float,
    fcr_window: timedelta,
    fcr_same_reason: bool = False,
    hold_in_talk: bool = False,
    span: tuple[datetime, datetime] | None = None,
) -> pl.LazyFrame:
    """Interval sums of contacts arriving in `span` (all when None).

    `contacts` must also hold the later contacts that decide repeats: up to the FCR window
    after the span's end.
    """
    flagged = repeats.flag(contacts, fcr_window=fcr_window, same_reason=fcr_same_reason)
    measures = _contact_measures(
        short_abandon_seconds=short_abandon_seconds,
        sl_seconds=sl_seconds,
        hold_in_talk=hold_in_talk,
    )
    return (
        flagged.filter(_within("arrived_at", span))
        .select(interval_start("arrived_at"), *DIMENSIONS, *measures)
        .group_by(KEYS)
        .agg(pl.exclude(KEYS).sum())
    )


def _answered() -> pl.Expr:
    return pl.col("responded_at").is_not_null() | pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("csat", "nps", "ces", "is_resolved")
    )


def _latest() -> pl.Expr:
    """Whether a response is its contact's last answered one; rows must be in response order."""
    winner = pl.col("response_id").filter(_answered()).last().over("contact_id")
    return (pl.col("contact_id").is_null() | (pl.col("response_id") == winner)).alias("_latest")


def _survey_measures() -> list[pl.Expr]:
    answered = _answered()
    latest, csat, nps, ces = pl.col("_latest"), pl.col("csat"), pl.col("nps"), pl.col("ces")
    return [
        count(pl.lit(True), "surveys_sent"),
        count(answered, "surveys_answered"),
        count(latest & csat.is_not_null(), "csat_n"),
        count(latest & (csat >= 4), "csat_top2"),
        _sum(latest & csat.is_not_null(), csat.cast(pl.Float64), "csat_sum"),
        _sum(latest & csat.is_not_null(), (csat * csat).cast(pl.Float64), "csat_sq"),
        count(latest & nps.is_not_null(), "nps_n"),
        count(latest & (nps >= 9), "promoters"),
        count(latest & nps.is_between(7, 8), "passives"),
        count(latest & (nps <= 6), "detractors"),
        count(latest & ces.is_not_null(), "ces_n"),
        count(latest & (ces >= 5), "ces_easy"),
        _sum(latest & ces.is_not_null(), ces.cast(pl.Float64), "ces_sum"),
        _sum(latest & ces.is_not_null(), (ces * ces).cast(pl.Float64), "ces_sq"),
        count(latest & pl.col("is_resolved").is_not_null(), "resolved_answered"),
        count(latest & pl.col("is_resolved"), "resolved_yes"),
        *(count(latest & (csat == k), f"csat_{k}") for k in CSAT_SCALE),
        *(count(latest & (ces == k), f"ces_{k}") for k in CES_SCALE),
    ]


def rated_contacts(contacts: pl.LazyFrame) -> pl.LazyFrame:
    """The contact fields a survey response inherits, one row per contact id."""
    return contacts.select(
        "contact_id", pl.col("arrived_at").alias("_contact_at"), *DIMENSIONS
    ).unique("contact_id", keep="first")


def survey_time() -> pl.Expr:
    """When a response counts: its contact's arrival, else its response, else its send time."""
    return pl.coalesce("_contact_at", "responded_at", "sent_at").alias("_counted_at")


def attribute_surveys(surveys: pl.LazyFrame, contacts: pl.LazyFrame) -> pl.LazyFrame:
    """Responses with `_counted_at` and the rated contact's dimensions filled in."""
    rated = rated_contacts(contacts).rename({d: f"_c_{d}" for d in DIMENSIONS})
    joined = surveys.join(rated, on="contact_id", how="left")
    own = [pl.coalesce(d, f"_c_{d}").alias(d) for d in SURVEY_OWN]
    inherited = [pl.col(f"_c_{d}").alias(d) for d in DIMENSIONS if d not in SURVEY_OWN]
    return joined.with_columns(*own, *inherited, survey_time()).drop(
        [f"_c_{d}" for d in DIMENSIONS], "_contact_at"
    )


def roll_up_surveys(
    surveys: pl.LazyFrame,
    contacts: pl.LazyFrame,
    *,
    span: tuple[datetime, datetime] | None = None,
) -> pl.LazyFrame:
    """Interval sums of responses counted in `span`; the last rating per contact wins."""
    attributed = attribute_surveys(surveys, contacts)
    return (
        attributed.sort("responded_at", "response_id", nulls_last=False)
        .with_columns(_latest())
        .filter(_within("_counted_at", span))
        .select(interval_start("_counted_at"), *DIMENSIONS, *_survey_measures())
        .group_by(KEYS)
        .agg(pl.exclude(KEYS).sum())
    )


def day_start(day: date, timezone: str) -> datetime:
    """The UTC instant a local day starts at (its first existing moment, across DST)."""
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


def by_day(
    intervals: pl.DataFrame, timezone: str, dimensions: tuple[str, ...] = COARSE
) -> pl.DataFrame:
    """Intervals summed per local day over the agent and the reason (the `dimensions` kept),
    `interval_start` the day's start."""
    local = pl.col("interval_start").dt.convert_time_zone(timezone).dt.date().alias("_day")
    days = intervals.select(local.unique())["_day"]
    starts = pl.DataFrame(
        {"_day": days, "_start": [day_start(d, timezone) for d in days]},
        schema={"_day": pl.Date, "_start": intervals.schema["interval_start"]},
    )
    kept = [c for c in dimensions if c not in FINE]
    measures = [c for c in intervals.columns if c not in ("interval_start", *dimensions)]
    return (
        intervals.lazy()
        .with_columns(local)
        .join(starts.lazy(), on="_day")
        .group_by(["_start", *kept])
        .agg(pl.col(measures).sum())
        .rename({"_start": "interval_start"})
        .select(c for c in intervals.columns if c not in FINE)
        .collect()
    )


def coarsen(intervals: pl.DataFrame) -> pl.DataFrame:
    """Contact intervals summed over the agent and the reason (the coarse rollup)."""
    measures = [c for c in intervals.columns if c not in KEYS]
    return (
        intervals.lazy()
        .group_by(["interval_start", *COARSE])
        .agg(pl.col(measures).sum())
        .select(c for c in intervals.columns if c not in FINE)
        .collect()
    )
