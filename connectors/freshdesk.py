"""Freshdesk (and Freshservice) ticket CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl

from connectors import columns, tables
from connectors.base import Batch
from connectors.mapping import Source
from connectors.parse import require_headers
from metrics.schema import TICKETS

DEFAULT_SOURCE = "freshdesk"
REQUIRED = ("Ticket ID", "Status", "Created time")
# Headers only a Freshdesk export has beside those; compared without case (Freshservice
# writes "Created Time", "First Response Time (in Hrs)").
SIGNS = ("due by time", "first response time (in hrs)", "resolution time (in hrs)")
STATUS = (
    *(("Open", "open"), ("Pending", "pending"), ("Resolved", "solved"), ("Closed", "closed")),
    *(("Waiting on Customer", "pending"), ("Waiting on Third Party", "hold")),
)
PRIORITY = (("Low", "low"), ("Medium", "normal"), ("High", "high"), ("Urgent", "urgent"))
SOURCES_ = (
    *(("Email", "email"), ("Outbound Email", "email"), ("Portal", "portal"), ("Phone", "voice")),
    *(("Chat", "chat"), ("Feedback Widget", "portal"), ("Forum", "portal"), ("WhatsApp", "chat")),
    *(("Twitter", None), ("Facebook", None), ("Mobihelp", None), ("Bot", "bot")),
)
# The "(in hrs)" columns are business-hours durations as HH:MM:SS and often empty: the
# timestamps are used instead. A second "Resolution time (in hrs)" column may follow.
TICKET_SOURCES = {
    "ticket_id": Source(column="Ticket ID"),
    "status": Source(column="Status", map=STATUS),
    "priority": Source(column="Priority", map=PRIORITY),
    "channel": Source(column="Source", map=SOURCES_),
    "category": Source(column="Type"),
    "agent_id": Source(column="Agent"),
    "queue": Source(column="Group"),
    "customer_key": Source(column="Email"),
    "created_at": Source(column="Created time"),
    "first_reply_at": Source(column="Initial response time"),
    "solved_at": Source(column="Resolved time"),
    "closed_at": Source(column="Closed time"),
    "updated_at": Source(column="Last update time"),
    "replies": Source(column="Agent interactions"),
}


def _in_file(headers: list[str]) -> dict[str, Source]:
    """The declared sources the file has, with the file's own spelling of each header."""
    spelled = {h.lower(): h for h in reversed(headers)}  # the first of duplicate headers
    found = {}
    for name, source in TICKET_SOURCES.items():
        header = spelled.get(source.column.lower()) if source.column else None
        if header is not None:
            found[name] = replace(source, column=header)
    return found


class Freshdesk:
    """The ticket export of Freshdesk or Freshservice."""

    name = "freshdesk"
    description = (
        "Freshdesk/Freshservice ticket CSV export (Ticket ID, …, Resolution time (in hrs))"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        headers = {h.lower() for h in tables.csv_headers(head)}
        required = {h.lower() for h in REQUIRED}
        return required <= headers and any(s in headers for s in SIGNS)

    def read(
        self, path: Path, *, timezone: str, source: str | None, batch_rows: int
    ) -> Iterator[Batch]:
        table = tables.read(path, batch_rows=batch_rows)
        sources = _in_file(table.headers)
        present = [s.column for s in sources.values()]
        needed = [_spelled(h, present) for h in REQUIRED]
        hint = "Export the tickets with at least Ticket ID, Status and Created time."
        require_headers(table.headers, needed, file=path.name, hint=hint)
        identifiers = (sources["customer_key"].column,) if "customer_key" in sources else ()
        for raw in table.batches:
            raw = raw.select("_row", *present)
            frame = columns.canonical(raw, sources, TICKETS, timezone=timezone)
            frame = frame.with_columns(source=pl.lit(source or DEFAULT_SOURCE))
            yield Batch(TICKETS, frame, raw, identifiers=identifiers, notes=table.notes)


def _spelled(header: str, present: list[str]) -> str:
    return next((p for p in present if p.lower() == header.lower()), header)


CONNECTOR = Freshdesk()
