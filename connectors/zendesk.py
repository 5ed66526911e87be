"""Zendesk Support's ticket CSV export: tickets, and satisfaction ratings as survey responses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import columns, tables, zendesk_api
from connectors.base import Batch
from connectors.mapping import Source
from connectors.parse import require_headers
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, TICKETS, Kind

DEFAULT_SOURCE = "zendesk"
REQUIRED = ("Id", "Status", "Created at")
# Headers of the legacy export that only Zendesk writes; one of them must be present.
SIGNS = ("Requester id", "Satisfaction Score", "Solved at", "Group stations", "Summation column")
SCORE = "Satisfaction Score"
# Exports through Excel write 1900-01-01 for "never" (e.g. Solved at of an unsolved ticket).
NEVER = ("1900-01-01 00:00:00", "1900-01-01", "1900-01-01 00:00")
DASH = ("-",)  # an empty dropdown
STATUS = (
    *((s.capitalize(), s) for s in ("new", "open", "pending", "hold", "solved", "closed")),
    ("On-hold", "hold"),
)
PRIORITY = tuple((p.capitalize(), p) for p in ("low", "normal", "high", "urgent"))
# `Via` names how a ticket arrived; internal notes, outbound and follow-ups name no channel.
VIA = (
    *(("Mail", "email"), ("Email", "email"), ("Web form", "portal"), ("Web Widget", "chat")),
    *(("Chat", "chat"), ("Phone call (incoming)", "voice"), ("Voicemail", "voice")),
    *(("SMS", "sms"), ("Text", "sms"), ("API", None), ("Web service", None)),
    *(("Internal Communication", None), ("OutBound", None), ("Closed Ticket", None)),
)
# Ratings: 1-5, or good/bad in older accounts (good = top box); Offered = sent, not answered;
# Unoffered, like a blank, = never sent.
RATINGS = (*((str(n), n) for n in range(1, 6)), ("Good", 5), ("Bad", 1), ("Offered", None))
RATINGS = (*RATINGS, ("Good with comment", 5), ("Bad with comment", 1))
UNOFFERED = ("Unoffered",)
TICKET_SOURCES = {
    "ticket_id": Source(column="Id"),
    "status": Source(column="Status", map=STATUS),
    "priority": Source(column="Priority", map=PRIORITY, nulls=DASH),
    "channel": Source(column="Via", map=VIA),
    "queue": Source(column="Group", nulls=DASH),
    "agent_id": Source(column="Assignee", nulls=DASH),
    "category": Source(column="Ticket type", nulls=DASH),
    "customer_key": Source(column="Requester id"),
    "created_at": Source(column="Created at", nulls=NEVER),
    "updated_at": Source(column="Updated at", nulls=NEVER),
    "last_solved_at": Source(column="Solved at", nulls=NEVER),
    "reopens": Source(column="Reopens"),
    "replies": Source(column="Replies"),
}
# Calendar minutes from creation (the "within business hours" twins are not elapsed time).
FIRST_REPLY = Source(column="First reply time in minutes", unit="min")
FIRST_SOLVE = Source(column="First resolution time in minutes", unit="min")


def _used(sources: dict[str, Source], headers: list[str]) -> dict[str, Source]:
    """The sources whose header the export has (exports are subsets of the full header)."""
    return {name: s for name, s in sources.items() if set(s.headers) <= set(headers)}


def _elapsed(raw: pl.DataFrame, headers: list[str]) -> pl.DataFrame:
    """Seconds from creation to first reply and to first solve, and unreadable cells' reasons."""
    values, reasons = [], []
    for name, source in (("_first_reply", FIRST_REPLY), ("_first_solve", FIRST_SOLVE)):
        if source.column not in headers:
            values.append(pl.lit(None, pl.Float64).alias(name))
            continue
        seconds, reason = columns.column(source, pl.Float64, timezone="UTC")
        # A count of minutes past any ticket's life cannot be added to a time: the row goes
        # to quarantine instead of failing the file.
        seconds, absurd = zendesk_api.within_life(seconds, unit_seconds=1, name=source.column)
        values.append(seconds.alias(name))
        reasons.extend((reason, absurd))
    reason = pl.concat_str([*reasons, pl.lit(None, pl.String)], separator="; ", ignore_nulls=True)
    reason = pl.when(reason != "").then(reason).alias("_elapsed_reason")
    return raw.select("_row", *values, reason).drop("_row")  # `_row` sets the height


def _plus(start: str, seconds: str) -> pl.Expr:
    return pl.col(start) + pl.duration(microseconds=(pl.col(seconds) * 1e6).round().cast(pl.Int64))


def tickets(raw: pl.DataFrame, headers: list[str], *, timezone: str) -> pl.DataFrame:
    """Canonical tickets: first solve and first reply are creation + their calendar minutes."""
    frame = columns.canonical(raw, _used(TICKET_SOURCES, headers), TICKETS, timezone=timezone)
    frame = pl.concat([frame, _elapsed(raw, headers)], how="horizontal")
    reason = pl.concat_str(["_reason", "_elapsed_reason"], separator="; ", ignore_nulls=True)
    return frame.with_columns(
        first_reply_at=_plus("created_at", "_first_reply"),
        # Times are cut to the minute but the minute counts are not: never past the last solve.
        solved_at=pl.min_horizontal(_plus("created_at", "_first_solve"), "last_solved_at"),
        _reason=pl.when(reason != "").then(reason),
    ).select("_row", *TICKETS.columns, "_reason")


def surveys(raw: pl.DataFrame, headers: list[str], *, timezone: str) -> pl.DataFrame:
    """Satisfaction as survey responses: sent when the ticket was solved, answered if rated."""
    sources = _used(TICKET_SOURCES, headers) | {
        "response_id": Source(column="Id"),
        "csat": Source(column=SCORE, map=RATINGS),
    }
    raw = raw.filter(columns.present(Source(column=SCORE, nulls=UNOFFERED)))
    ticket = tickets(raw, headers, timezone=timezone)
    answer = columns.canonical(raw, sources, SURVEY_RESPONSES, timezone=timezone)
    rated = pl.col(SCORE).str.strip_chars().is_in([k for k, v in RATINGS if v is not None])
    when = raw.select(
        sent_at=ticket["last_solved_at"].fill_null(ticket["created_at"]),
        responded_at=pl.when(rated).then(ticket["updated_at"]),
    )
    return answer.with_columns(ticket_id=ticket["ticket_id"], **when.to_dict())


class Zendesk:
    """The ticket CSV export of Zendesk Support (legacy export or Explore)."""

    name = "zendesk"
    description = "Zendesk Support ticket CSV export (Id, Status, Created at, Requester id, …)"

    def detect(self, path: Path, head: bytes) -> bool:
        if _is_json(head):
            return b'"requester_id"' in head and (b'"tickets"' in head or b'"ticket"' in head)
        headers = tables.csv_headers(head)
        return set(REQUIRED) <= set(headers) and any(s in headers for s in SIGNS)

    def kinds(self, path: Path, *, mapping: object = None) -> tuple[Kind, ...]:
        head = path.open("rb").read(65536)
        rated = _is_json(head) or SCORE in tables.csv_headers(head)
        return (TICKETS, SURVEY_RESPONSES) if rated else (TICKETS,)

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        kind: Kind | None = None,
    ) -> Iterator[Batch]:
        if _is_json(path.open("rb").read(64)):
            yield from _api(path, source=source, batch_rows=batch_rows, kind=kind)
            return
        table = tables.read(path, batch_rows=batch_rows)
        require_headers(
            table.headers,
            list(REQUIRED),
            file=path.name,
            hint="Export the tickets from Zendesk with at least Id, Status and Created at.",
        )
        make = surveys if kind is SURVEY_RESPONSES else tickets
        kept = [h for h in table.headers if h in _wanted()]
        for raw in table.batches:
            raw = raw.select("_row", *kept)
            frame = make(raw, table.headers, timezone=timezone)
            frame = frame.with_columns(source=pl.lit(source or DEFAULT_SOURCE))
            identifiers = ("Requester id",) if "Requester id" in kept else ()
            yield Batch(kind or TICKETS, frame, raw, identifiers=identifiers, notes=table.notes)


def _is_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"[")


def _api(path: Path, *, source: str | None, batch_rows: int, kind: Kind | None) -> Iterator[Batch]:
    """The API's JSON pages (timestamps there are UTC, so no zone is needed)."""
    text, notes = tables.text_of(path)
    try:
        raw = zendesk_api.flat(text)
    except CarePulseError as error:
        raise CarePulseError(f"{path.name}: {error.message}", hint=error.hint) from None
    make = zendesk_api.surveys if kind is SURVEY_RESPONSES else zendesk_api.tickets
    for offset in range(0, raw.height, batch_rows):
        part = raw.slice(offset, batch_rows)
        frame = make(part).with_columns(source=pl.lit(source or DEFAULT_SOURCE))
        cells = part.filter(pl.col("_row").is_in(frame["_row"].implode()))
        yield Batch(kind or TICKETS, frame, cells, identifiers=("requester_id",), notes=notes)


def _wanted() -> set[str]:
    named = [*TICKET_SOURCES.values(), FIRST_REPLY, FIRST_SOLVE, Source(column=SCORE)]
    return {h for s in named for h in s.headers}


CONNECTOR = Zendesk()
