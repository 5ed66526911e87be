"""Freshdesk ticket export (FORMATS.md 4b): timestamps over business-hour columns, spellings."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

import connectors
from connectors import freshdesk
from metrics.schema import TICKETS, validate
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "freshdesk_tickets_made_up.csv"


def _read(path, *, timezone: str = "UTC") -> tuple[pl.DataFrame, list]:
    batches = list(freshdesk.CONNECTOR.read(path, timezone=timezone, source=None, batch_rows=2))
    frame = validate(pl.concat([b.frame for b in batches]), TICKETS)
    return frame, batches


def test_detected_despite_duplicate_headers():
    assert connectors.detect(EXPORT).name == "freshdesk"


def test_times_come_from_timestamps_not_the_business_hour_columns():
    frame, _ = _read(EXPORT, timezone="America/Chicago")
    first = frame.row(0, named=True)
    assert first["created_at"] == datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
    assert first["first_reply_at"] == datetime(2024, 3, 4, 15, 45, tzinfo=UTC)
    assert first["solved_at"] == datetime(2024, 3, 4, 21, 30, tzinfo=UTC)  # not "06:30:00"
    assert (first["status"], first["priority"], first["channel"], first["replies"]) == (
        "solved",
        "normal",
        "email",
        2,
    )
    assert (first["queue"], first["agent_id"], first["category"]) == ("Refills", "Ana", "Question")


def test_statuses_blanks_and_unknown_values():
    frame, batches = _read(EXPORT)
    rows = {r["ticket_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["1003"]["solved_at"] is None and rows["1003"]["agent_id"] is None
    assert rows["1004"]["status"] == "pending"  # Waiting on Customer
    assert "Status: 'Escalated' is not one of" in rows["1005"]["_reason"]
    assert batches[0].identifiers == ("Email",)
    assert "Description" not in batches[0].raw.columns  # free text is not kept


def test_freshservice_capitalisation_is_accepted(tmp_path):
    path = tmp_path / "fs.csv"
    path.write_text(
        "Ticket Id,Status,Created Time,First Response Time (in Hrs),Email\n"
        "7,Open,2024-03-04 09:00:00,,x@example.org\n"
    )
    assert connectors.detect(path).name == "freshdesk"
    frame, _ = _read(path)
    assert frame.select("ticket_id", "status", "customer_key").row(0) == (
        "7",
        "open",
        "x@example.org",
    )
