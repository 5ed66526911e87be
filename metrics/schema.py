"""Canonical schemas of contacts, tickets and survey responses, and their validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

TIMESTAMP = pl.Datetime("us", "UTC")

CHANNELS = ("voice", "chat", "email", "sms", "portal", "bot")
DIRECTIONS = ("inbound", "outbound")
# short_abandoned is not stored: the rollup decides it from wait_seconds and the threshold.
OUTCOMES = ("handled", "abandoned", "flowed_out", "callback", "self_served")
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
MAX_DURATION_SECONDS = 24 * 3600
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True)
class Kind:
    """One canonical record kind: its columns, natural key and checks."""

    name: str
    schema: dict[str, pl.DataType]
    key: str
    required: tuple[str, ...]
    enums: dict[str, tuple[str, ...]]
    ranges: dict[str, tuple[float, float]]
    order: tuple[tuple[str, str], ...]  # (earlier, later) timestamp pairs
    time_column: str

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    @property
    def natural_key(self) -> tuple[str, str]:
        return ("source", self.key)


def _durations(*names: str) -> dict[str, tuple[float, float]]:
    return {name: (0, MAX_DURATION_SECONDS) for name in names}


CONTACTS = Kind(
    name="contacts",
    schema={
        "source": pl.String,
        "contact_id": pl.String,
        "parent_contact_id": pl.String,
        "channel": pl.String,
        "direction": pl.String,
        "queue": pl.String,
        "team": pl.String,
        "agent_id": pl.String,
        "segment": pl.String,
        "reason": pl.String,
        "customer_key": pl.String,
        "arrived_at": TIMESTAMP,
        "answered_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
        "wait_seconds": pl.Float64,
        "talk_seconds": pl.Float64,
        "hold_seconds": pl.Float64,
        "acw_seconds": pl.Float64,
        "outcome": pl.String,
        "is_transferred": pl.Boolean,
        "is_escalated": pl.Boolean,
        "is_resolved": pl.Boolean,
        "updated_at": TIMESTAMP,
    },
    key="contact_id",
    required=("source", "contact_id", "channel", "direction", "arrived_at", "outcome"),
    enums={"channel": CHANNELS, "direction": DIRECTIONS, "outcome": OUTCOMES},
    ranges=_durations("wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds"),
    order=(("arrived_at", "answered_at"), ("arrived_at", "ended_at"), ("answered_at", "ended_at")),
    time_column="arrived_at",
)

TICKETS = Kind(
    name="tickets",
    schema={
        "source": pl.String,
        "ticket_id": pl.String,
        "channel": pl.String,
        "status": pl.String,
        "priority": pl.String,
        "category": pl.String,
        "is_complaint": pl.Boolean,
        "queue": pl.String,
        "team": pl.String,
        "agent_id": pl.String,
        "customer_key": pl.String,
        "created_at": TIMESTAMP,
        "first_reply_at": TIMESTAMP,
        "solved_at": TIMESTAMP,
        "last_solved_at": TIMESTAMP,
        "closed_at": TIMESTAMP,
        "reopens": pl.Int32,
        "replies": pl.Int32,
        "is_escalated": pl.Boolean,
        "updated_at": TIMESTAMP,
    },
    key="ticket_id",
    required=("source", "ticket_id", "status", "created_at"),
    enums={"channel": CHANNELS, "status": TICKET_STATUSES},
    ranges={"reopens": (0, 1000), "replies": (0, 10000)},
    order=(
        ("created_at", "first_reply_at"),
        ("created_at", "solved_at"),
        ("solved_at", "last_solved_at"),
        ("created_at", "closed_at"),
    ),
    time_column="created_at",
)

SURVEY_RESPONSES = Kind(
    name="survey_responses",
    schema={
        "source": pl.String,
        "response_id": pl.String,
        "contact_id": pl.String,
        "ticket_id": pl.String,
        "channel": pl.String,
        "queue": pl.String,
        "team": pl.String,
        "agent_id": pl.String,
        "sent_at": TIMESTAMP,
        "responded_at": TIMESTAMP,  # null: offered but not answered
        "csat": pl.Int16,
        "nps": pl.Int16,
        "ces": pl.Int16,
        "is_resolved": pl.Boolean,
        "comment": pl.String,
        "updated_at": TIMESTAMP,
    },
    key="response_id",
    required=("source", "response_id"),
    enums={"channel": CHANNELS},
    ranges={"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)},
    order=(("sent_at", "responded_at"),),
    time_column="sent_at",
)

KINDS: dict[str, Kind] = {k.name: k for k in (CONTACTS, TICKETS, SURVEY_RESPONSES)}


def empty(kind: Kind) -> pl.DataFrame:
    """An empty frame with the kind's canonical schema."""
    return pl.DataFrame(schema=kind.schema)


def _reasons(kind: Kind, now: datetime) -> list[pl.Expr]:
    checks = [pl.when(pl.col(c).is_null()).then(pl.lit(f"{c} is missing")) for c in kind.required]
    for column, allowed in kind.enums.items():
        bad = pl.col(column).is_not_null() & ~pl.col(column).is_in(list(allowed))
        shown = pl.col(column).str.slice(0, 60)  # a cell may be megabytes long
        message = pl.format(f"{column} '{{}}' is not one of {', '.join(allowed)}", shown)
        checks.append(pl.when(bad).then(message))
    for column, (low, high) in kind.ranges.items():
        bad = (pl.col(column) < low) | (pl.col(column) > high)
        message = pl.format(f"{column} {{}} is outside {low:g}–{high:g}", pl.col(column))
        checks.append(pl.when(bad).then(message))
    for earlier, later in kind.order:
        checks.append(
            pl.when(pl.col(later) < pl.col(earlier)).then(pl.lit(f"{later} is before {earlier}"))
        )
    if kind is SURVEY_RESPONSES:
        no_time = pl.col("sent_at").is_null() & pl.col("responded_at").is_null()
        checks.append(pl.when(no_time).then(pl.lit("sent_at and responded_at are both missing")))
    limit = now + FUTURE_TOLERANCE
    for column, dtype in kind.schema.items():
        if dtype == TIMESTAMP:
            checks.append(
                pl.when(pl.col(column) > limit).then(pl.lit(f"{column} is in the future"))
            )
    return checks


def validate(frame: pl.DataFrame, kind: Kind, *, now: datetime | None = None) -> pl.DataFrame:
    """Add a `_reason` column: null for a valid row, else every rule it breaks.

    The frame must have the kind's columns with the canonical types; other columns
    (a `_reason` from parsing, row numbers) pass through, and a parsing reason is kept.
    """
    missing = [c for c in kind.columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{kind.name} frame lacks canonical columns: {', '.join(missing)}")
    wrong = {c: frame.schema[c] for c in kind.columns if frame.schema[c] != kind.schema[c]}
    if wrong:
        raise ValueError(f"{kind.name} frame has non-canonical types: {wrong}")
    checks = _reasons(kind, now or datetime.now(UTC))
    if "_reason" in frame.columns:
        checks.insert(0, pl.col("_reason"))
    reason = pl.concat_str(checks, separator="; ", ignore_nulls=True)
    return frame.with_columns(pl.when(reason != "").then(reason).alias("_reason"))
