"""Small builders for canonical test files."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONTACT_HEADERS = [
    "contact_id",
    "channel",
    "direction",
    "queue",
    "agent_id",
    "customer_key",
    "arrived_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "outcome",
    "updated_at",
]


def contact(contact_id: str, **values: object) -> dict[str, object]:
    """A valid handled voice contact, with any field overridden."""
    row: dict[str, object] = {
        "contact_id": contact_id,
        "channel": "voice",
        "direction": "inbound",
        "queue": "Refills",
        "agent_id": "a1",
        "customer_key": "+1 (555) 010-0199",
        "arrived_at": "2024-03-04T14:00:00Z",
        "answered_at": "2024-03-04T14:00:20Z",
        "ended_at": "2024-03-04T14:05:20Z",
        "wait_seconds": 20,
        "talk_seconds": 300,
        "outcome": "handled",
        "updated_at": "",
    }
    row.update(values)
    return row


def write_csv(path: Path, rows: list[dict[str, object]], headers: list[str] | None = None) -> Path:
    """Write rows as a UTF-8 CSV with a header row."""
    headers = headers or CONTACT_HEADERS
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """CAREPULSE_* settings from `values` for a block (module fixtures: no monkeypatch there)."""
    from carepulse import settings

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    settings.get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        settings.get_settings.cache_clear()
