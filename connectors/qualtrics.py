"""Qualtrics survey CSV exports (three header rows), read through a mapping of the questions."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import columns, tables
from connectors.base import Batch
from connectors.mapping import Mapping, Source
from connectors.parse import require_headers
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES

SIGNATURE = ("StartDate", "RecordedDate", "ResponseId")
# What every Qualtrics response has; the mapping adds the questions and embedded fields.
DEFAULTS = {
    "response_id": Source(column="ResponseId"),
    "sent_at": Source(column="StartDate"),
    "responded_at": Source(column="RecordedDate"),
}
DATA_ROW = r"^\d{4}-\d\d-\d\d"  # header rows 2-3 hold question text and ImportId JSON


def file_zone(head: bytes) -> str | None:
    """The time zone Qualtrics states in the ImportId row (row 3, or wherever it is)."""
    text = head.decode("utf-8-sig", errors="replace")
    try:
        records = list(itertools.islice(csv.reader(io.StringIO(text)), 5))
    except csv.Error:  # not CSV text (NUL bytes, a stray carriage return): no zone stated
        return None
    for record in records:
        if record and record[0].startswith('{"ImportId"'):
            try:
                zone = json.loads(record[0]).get("timeZone")
            except (json.JSONDecodeError, AttributeError):
                return None
            return zone if isinstance(zone, str) else None
    return None


def required_mapping(mapping: Mapping | None, product: str) -> Mapping:
    """The survey mapping, or an error saying a survey export needs one."""
    if mapping is None or mapping.kind is not SURVEY_RESPONSES:
        raise CarePulseError(
            f"a {product} export needs a mapping of kind survey_responses naming its questions",
            hint='Pass --mapping FILE.toml with e.g. csat = "Q3" and contact_id = "CaseId" '
            "(see the mapping reference in the README).",
        )
    return mapping


class Qualtrics:
    """A Qualtrics CSV export (labels or numeric values), one survey response per row."""

    name = "qualtrics"
    description = "Qualtrics survey CSV export (StartDate, …, ResponseId; with --mapping)"
    uses_mapping = True

    def detect(self, path: Path, head: bytes) -> bool:
        return set(SIGNATURE) <= set(tables.csv_headers(head))

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        mapping: Mapping | None = None,
    ) -> Iterator[Batch]:
        mapping = required_mapping(mapping, "Qualtrics")
        zone = file_zone(path.open("rb").read(1 << 20)) or timezone
        sources = DEFAULTS | mapping.columns
        named = list(dict.fromkeys(h for s in sources.values() for h in s.headers))
        table = tables.read(path, batch_rows=batch_rows)
        hint = f"Fix the question's export tag in {mapping.file} (row 1 of the export)."
        require_headers(table.headers, named, file=path.name, hint=hint)
        customer = sources.get("customer_key")
        for raw in table.batches:
            raw = raw.select("_row", *named).filter(pl.col("StartDate").str.contains(DATA_ROW))
            frame = columns.canonical(raw, sources, SURVEY_RESPONSES, timezone=zone)
            frame = frame.with_columns(source=pl.lit(source or mapping.name))
            ids = tuple(customer.headers) if customer else ()
            yield Batch(SURVEY_RESPONSES, frame, raw, identifiers=ids, notes=table.notes)


CONNECTOR = Qualtrics()
