"""Complaint tables as the Tickets page shows them (see carepulse.tables for the others)."""

from __future__ import annotations

import polars as pl

from carepulse import formatting
from carepulse.tables import local_time
from metrics.kpi import Unit

FOLLOW_UP_WORDS = {
    "sent": "sent in time",
    "sent late": "sent late",
    "due": "due in {h}",
    "overdue": "overdue by {h}",
}


def _follow_up(state: str, hours_left: float) -> str:
    hours = formatting.duration(abs(hours_left) * 3600)
    return FOLLOW_UP_WORDS[state].format(h=hours)


def open_complaints(found: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Open complaints as the page lists them: age, owner, follow-up in words."""
    return found.select(
        pl.col("ticket_id").alias("Ticket"),
        local_time("created_at", timezone).alias("Created"),
        pl.col("age_hours")
        .map_elements(lambda h: formatting.duration(h * 3600), pl.String)
        .alias("Age"),
        pl.col("owner").fill_null("(unassigned)").alias("Owner"),
        pl.col("queue").alias("Group"),
        pl.col("priority").alias("Priority"),
        pl.col("category").alias("About"),
        pl.col("status").alias("Status"),
        pl.struct("follow_up", "hours_left")
        .map_elements(lambda r: _follow_up(r["follow_up"], r["hours_left"]), pl.String)
        .alias("Written follow-up (48 h)"),
    )


def recurring(table: pl.DataFrame) -> pl.DataFrame:
    """Complaint subjects: volume, share, weeks present, repeat customers, follow-up in 48 h."""
    return table.select(
        pl.col("category").fill_null("(not set)").alias("About"),
        pl.col("complaints").alias("Complaints"),
        pl.col("share")
        .map_elements(lambda v: formatting.value(v, Unit.PERCENT), pl.String)
        .alias("Share"),
        pl.format("{} of {}", "weeks", "weeks_in_period").alias("Weeks"),
        pl.col("repeat_customers").alias("Repeat customers"),
        pl.col("followed_up_in_48h")
        .map_elements(lambda v: formatting.value(v, Unit.PERCENT), pl.String, skip_nulls=False)
        .alias("Followed up in 48 h"),
    )
