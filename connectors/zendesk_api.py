"""Zendesk Support API JSON: `tickets` pages, with `metric_sets` when include=metric_sets."""

from __future__ import annotations

import json

import polars as pl

from connectors import columns, tables
from connectors.mapping import Source
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, TICKETS

# Zendesk counts minutes from creation; a count past ten years fits no ticket and would
# overflow the time it is added to: such a row goes to quarantine.
MAX_ELAPSED_SECONDS = 10 * 366 * 86_400


def within_life(amount: pl.Expr, *, unit_seconds: int, name: str) -> tuple[pl.Expr, pl.Expr]:
    """An elapsed `amount` (in units of `unit_seconds`) where it fits a ticket's life, else
    null; and the reason where it does not."""
    absurd = amount.abs() > MAX_ELAPSED_SECONDS // unit_seconds
    return pl.when(~absurd).then(amount), pl.when(absurd).then(pl.lit(f"{name} is out of range"))


# Ticket fields CarePulse uses, flattened to dotted names, and the metric set's.
TICKET_FIELDS = (
    *("id", "status", "priority", "type", "via.channel", "group_id", "assignee_id"),
    *("requester_id", "created_at", "updated_at", "satisfaction_rating.score"),
    *("satisfaction_rating.comment", "satisfaction_rating.updated_at"),
)
METRIC_FIELDS = (
    *("reply_time_in_minutes.calendar", "first_resolution_time_in_minutes.calendar"),
    *("solved_at", "reopens", "replies"),
)
VIA = (
    *(("email", "email"), ("web", "portal"), ("mobile", "portal"), ("chat", "chat")),
    *(("native_messaging", "chat"), ("voice", "voice"), ("sms", "sms"), ("api", None)),
    *(("facebook", None), ("twitter", None), ("any_channel", None), ("rule", None)),
    *(("closed_ticket", None), ("side_conversation", None)),
)
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
SOURCES = {
    "ticket_id": Source(column="id"),
    "status": Source(column="status", map=tuple((s, s) for s in STATUSES)),
    "priority": Source(column="priority"),
    "category": Source(column="type"),
    "channel": Source(column="via.channel", map=VIA),
    "queue": Source(column="group_id"),
    "agent_id": Source(column="assignee_id"),
    "customer_key": Source(column="requester_id"),
    "created_at": Source(column="created_at"),
    "updated_at": Source(column="updated_at"),
    "last_solved_at": Source(column="metric.solved_at"),
    "reopens": Source(column="metric.reopens"),
    "replies": Source(column="metric.replies"),
}
# offered = sent, not answered; unoffered = never sent; good/bad on a 1-5 scale as 5/1.
SCORES = (("good", 5), ("bad", 1), ("offered", None))


def _get(record: dict, path: str) -> str | None:
    value: object = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else str(value)


def _objects(page: dict, key: str, line: int) -> list[dict]:
    """The page's list of objects under `key` (`ticket`: one object), or an error saying where."""
    value = page.get(key, [])
    if key == "ticket" and isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        shown = "an object" if isinstance(value, dict) else json.dumps(value)[:40]
        problem = f"'{key}' is {shown}"
    else:
        odd = [v for v in value if not isinstance(v, dict)]
        problem = f"'{key}' holds {json.dumps(odd[0])[:40]}" if odd else None
    if problem:
        raise CarePulseError(
            f"the page at line {line}: {problem}, not a list of objects",
            hint="Save the API's responses unchanged (GET /api/v2/tickets.json, one page "
            "after another).",
        )
    return value


def flat(text: str) -> pl.DataFrame:
    """One text row per ticket (`_row` = its place in the file), metric fields as `metric.…`."""
    tickets, metrics = [], {}
    for line, page in tables.json_objects(text):
        found = _objects(page, "tickets", line) + _objects(page, "ticket", line)
        for ticket in found:
            tickets.append({f: _get(ticket, f) for f in TICKET_FIELDS})
        for metric in _objects(page, "metric_sets", line):
            metrics[str(metric.get("ticket_id"))] = {
                f"metric.{f}": _get(metric, f) for f in METRIC_FIELDS
            }
    empty = dict.fromkeys((f"metric.{f}" for f in METRIC_FIELDS), None)
    rows = [t | metrics.get(t["id"], empty) for t in tickets]
    names = [*TICKET_FIELDS, *empty]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String))
    return frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


def tickets(raw: pl.DataFrame) -> pl.DataFrame:
    """Canonical tickets; first reply and first solve from the calendar-minute metrics."""
    frame = columns.canonical(raw, SOURCES, TICKETS, timezone="UTC")
    minutes = {
        "first_reply_at": "metric.reply_time_in_minutes.calendar",
        "solved_at": "metric.first_resolution_time_in_minutes.calendar",
    }
    checked = {
        name: within_life(pl.col(column).cast(pl.Int64, strict=False), unit_seconds=60, name=column)
        for name, column in minutes.items()
    }
    offsets = raw.select(
        **{name: pl.duration(minutes=count) for name, (count, _) in checked.items()},
        _absurd=pl.concat_str([why for _, why in checked.values()], separator="; ",
                              ignore_nulls=True),
    )  # fmt: skip
    reason = pl.concat_str(["_reason", offsets["_absurd"]], separator="; ", ignore_nulls=True)
    return frame.with_columns(
        first_reply_at=pl.col("created_at") + offsets["first_reply_at"],
        solved_at=pl.min_horizontal(pl.col("created_at") + offsets["solved_at"], "last_solved_at"),
        _reason=pl.when(reason != "").then(reason),
    )


def surveys(raw: pl.DataFrame) -> pl.DataFrame:
    """Satisfaction ratings: offered = sent, good/bad = answered; unoffered makes no row."""
    score = pl.col("satisfaction_rating.score")
    raw = raw.filter(score.is_not_null() & (score != "unoffered"))
    ticket = tickets(raw)
    sources = SOURCES | {
        "response_id": Source(column="id"),
        "csat": Source(column="satisfaction_rating.score", map=SCORES),
        "comment": Source(column="satisfaction_rating.comment"),
    }
    answer = columns.canonical(raw, sources, SURVEY_RESPONSES, timezone="UTC")
    rated_at = columns.timestamp(
        pl.col("satisfaction_rating.updated_at"), format=None, timezone="UTC"
    )
    when = raw.select(
        sent_at=ticket["last_solved_at"].fill_null(ticket["created_at"]),
        responded_at=pl.when(score.is_in(["good", "bad"])).then(
            pl.coalesce(rated_at, ticket["updated_at"])
        ),
    )
    return answer.with_columns(ticket_id=ticket["ticket_id"], **when.to_dict())
