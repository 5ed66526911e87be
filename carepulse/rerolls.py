"""Re-roll the stored rollups of a span from the facts: contacts piece by piece (so memory
stays bounded), survey answers, tickets and their end-of-day backlog, each with its daily sums."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from carepulse import bulk, indexed, storage, summaries
from metrics import rollup, ticket_rollup
from metrics.schema import KINDS, TIMESTAMP

if TYPE_CHECKING:
    from carepulse.rollups import Thresholds

GRAIN = timedelta(minutes=15)
CHUNK_ROWS = 250_000  # contacts rolled up at once: bounds an ingest's memory
Span = tuple[datetime, datetime]
CONTACTS, TICKETS, SURVEYS = (storage.FACTS[k] for k in ("contacts", "tickets", "survey_responses"))


def _floor(moment: datetime) -> datetime:
    return moment - (moment - datetime.min.replace(tzinfo=moment.tzinfo)) % GRAIN


def widen(span: Span) -> Span:
    """The span grown to whole 15-minute intervals (end exclusive)."""
    return _floor(span[0]), _floor(span[1]) + GRAIN


def merge_spans(*spans: Span | None) -> Span | None:
    known = [s for s in spans if s is not None]
    if not known:
        return None
    return min(s[0] for s in known), max(s[1] for s in known)


def _read(connection: sa.Connection, statement: sa.Select, kind: str) -> pl.LazyFrame:
    return bulk.read(connection, statement, KINDS[kind].schema).lazy()


def _between(column: sa.ColumnElement, span: Span) -> sa.ColumnElement[bool]:
    return sa.and_(column >= span[0], column < span[1])


def _replace(
    connection: sa.Connection,
    name: str,
    column: str,
    low: object,
    high: object,
    frame: pl.DataFrame,
) -> None:
    table = storage.ROLLUPS[name]
    connection.execute(table.delete().where(table.c[column] >= low, table.c[column] < high))
    bulk.insert_frame(connection, name, frame.select(table.columns.keys()))
    summaries.note_values(connection, frame)


def _whole_days(span: Span, timezone: str) -> Span:
    """`span` grown to whole local days: a daily rollup row sums its day whole."""
    zone = ZoneInfo(timezone)
    first = span[0].astimezone(zone).date()
    last = (span[1] - timedelta(microseconds=1)).astimezone(zone).date()
    return rollup.day_start(first, timezone), rollup.day_start(last + timedelta(days=1), timezone)


def _replace_days(
    connection: sa.Connection,
    name: str,
    span: Span,
    frame: pl.DataFrame,
    timezone: str,
    dimensions: tuple[str, ...],
) -> None:
    """Replace an interval table's rows in `span` (whole local days), and its daily rollup's
    (the frame summed per day over the agent and the reason among its `dimensions`)."""
    _replace(connection, name, "interval_start", *span, frame)
    days = rollup.by_day(frame, timezone, dimensions)
    _replace(connection, rollup.DAILY_TABLES[name], "interval_start", *span, days)


def _days(span: Span, timezone: str) -> list[date]:
    """The local days from the one holding the span's start to the one after its end."""
    zone = ZoneInfo(timezone)
    first, last = (moment.astimezone(zone).date() for moment in span)
    return [first + timedelta(days=i) for i in range((last - first).days + 2)]


def _pieces(connection: sa.Connection, span: Span, timezone: str) -> list[Span]:
    """`span` grown to whole local days and cut at local midnights into pieces holding about
    CHUNK_ROWS stored contacts each (a day is never split: the daily rollup sums it whole)."""
    days = _days(span, timezone)
    bounds = [rollup.day_start(d, timezone) for d in days]
    where = _between(CONTACTS.c.arrived_at, (bounds[0], bounds[-1]))
    stored = connection.execute(sa.select(sa.func.count()).where(where)).scalar_one()
    step = -(-(len(bounds) - 1) // max(1, -(-stored // CHUNK_ROWS)))  # days per piece
    cuts = [*bounds[:-1:step], bounds[-1]]
    return list(pairwise(cuts))


def _contacts_for(connection: sa.Connection, span: Span, limits: Thresholds) -> pl.LazyFrame:
    """Contacts arriving in `span`, plus what repeat flags need of the later ones."""
    inputs = (CONTACTS.c[c] for c in rollup.CONTACT_INPUTS)
    rows = sa.select(*inputs).where(_between(CONTACTS.c.arrived_at, span))
    later = sa.select(CONTACTS.c.customer_key, CONTACTS.c.reason, CONTACTS.c.arrived_at).where(
        _between(CONTACTS.c.arrived_at, (span[1], span[1] + limits.look_back)),
        CONTACTS.c.customer_key.is_not(None),
    )
    frames = [_read(connection, rows, "contacts"), _read(connection, later, "contacts")]
    return pl.concat(frames, how="diagonal")


def reroll_contacts(connection: sa.Connection, span: Span, limits: Thresholds) -> None:
    """Rebuild contact intervals in `span` and earlier ones whose repeat flags it can change.

    Piece by piece, so memory stays bounded however many contacts the span holds.
    """
    for piece in _pieces(connection, (span[0] - limits.look_back, span[1]), limits.timezone):
        frame = rollup.roll_up_contacts(
            _contacts_for(connection, piece, limits),
            short_abandon_seconds=limits.short_abandon_seconds,
            sl_seconds=limits.sl_seconds,
            fcr_window=timedelta(hours=limits.fcr_window_hours),
            fcr_same_reason=limits.fcr_same_reason,
            hold_in_talk=limits.hold_in_talk,
            span=piece,
        ).collect()
        _replace(connection, "contact_intervals", "interval_start", *piece, frame)
        coarse = rollup.coarsen(frame)
        _replace(connection, rollup.COARSE_TABLE, "interval_start", *piece, coarse)
        days = rollup.by_day(coarse, limits.timezone)
        _replace(connection, rollup.DAILY_TABLE, "interval_start", *piece, days)


def reroll_surveys(connection: sa.Connection, span: Span, timezone: str) -> None:
    """Rebuild survey intervals in `span` (grown to whole local days) and their days: responses
    counted there by their contact's time or their own.

    Every response of the contacts rated or answered in the span is read, so the last rating
    per contact wins across intervals; each condition is an indexed lookup (no table scans).
    """
    span = _whole_days(span, timezone)
    own = indexed.survey_time(SURVEYS)
    rated = sa.select(CONTACTS.c.contact_id).where(_between(CONTACTS.c.arrived_at, span))
    answered = sa.select(SURVEYS.c.contact_id).where(_between(own, span))
    # A union, not OR: PostgreSQL scans the whole table for an IN list OR'd with a range.
    found = sa.union(
        sa.select(SURVEYS).where(SURVEYS.c.contact_id.in_(sa.union(rated, answered))),
        sa.select(SURVEYS).where(_between(own, span)),
    ).subquery()
    linked = sa.select(CONTACTS).where(CONTACTS.c.contact_id.in_(sa.select(found.c.contact_id)))
    frame = rollup.roll_up_surveys(
        _read(connection, sa.select(found), "survey_responses"),
        _read(connection, linked, "contacts"),
        span=span,
    ).collect()
    _replace_days(connection, "survey_intervals", span, frame, timezone, rollup.DIMENSIONS)


def reroll_tickets(connection: sa.Connection, span: Span, limits: Thresholds) -> None:
    """Rebuild ticket intervals in `span` (grown to whole local days) and their days:
    creations and first solves."""
    span = _whole_days(span, limits.timezone)
    # Solved in the span means seen since it began: a union of two indexed reads, not an OR.
    solved = sa.and_(indexed.ticket_seen(TICKETS) >= span[0], _between(TICKETS.c.solved_at, span))
    wanted = sa.union(
        sa.select(TICKETS).where(_between(TICKETS.c.created_at, span)),
        sa.select(TICKETS).where(solved),
    )
    frame = ticket_rollup.roll_up_tickets(
        _read(connection, wanted, "tickets"),
        span=span,
        calendar=limits.calendar,
        sla_first_response_hours=limits.sla_first_response_hours,
        sla_resolution_hours=limits.sla_resolution_hours,
    )
    _replace_days(
        connection,
        "ticket_intervals",
        span,
        frame.collect(),
        limits.timezone,
        ticket_rollup.DIMENSIONS,
    )


def reroll_backlog(connection: sa.Connection, first: date, timezone: str) -> None:
    """Rebuild end-of-day backlog from `first` to the last day ticket data speaks for."""
    seen = indexed.ticket_seen(TICKETS)
    latest = bulk.read(connection, indexed.newest(seen), {"newest": TIMESTAMP})
    backlog = storage.ROLLUPS["ticket_backlog"]
    if latest.is_empty():  # no tickets left (an undo): no day has a backlog
        connection.execute(backlog.delete())
        return
    # Days after the last stored snapshot were never rolled: start there if that is earlier.
    stored = bulk.read(connection, sa.select(sa.func.max(backlog.c.day).label("day")),
                          {"day": pl.Date}).item()  # fmt: skip
    if stored is not None:
        first = min(first, stored + timedelta(days=1))
    last = latest.item().astimezone(ZoneInfo(timezone)).date()
    end = rollup.day_start(last + timedelta(days=1), timezone)
    begin = rollup.day_start(first, timezone)
    # Open, or left since `begin` (and so seen since then): two indexed reads, not an OR.
    still_open = TICKETS.c.status.in_(ticket_rollup.OPEN)
    left = sa.and_(seen >= begin, indexed.ticket_left(TICKETS) >= begin)
    wanted = sa.union(
        sa.select(TICKETS).where(TICKETS.c.created_at < end, still_open),
        sa.select(TICKETS).where(TICKETS.c.created_at < end, left),
    )
    frame = ticket_rollup.roll_up_backlog(
        _read(connection, wanted, "tickets"), first=first, last=last, timezone=timezone
    )
    # Through the end: when the latest ticket time fell (an undo, a re-import), the days after
    # the new last one no longer have a backlog.
    after = min(first, last + timedelta(days=1))
    _replace(connection, "ticket_backlog", "day", after, date.max, frame.collect())
