"""Qualtrics survey CSV exports (three header rows), read through a mapping of the questions."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
# Header rows 2-3 (question text, ImportId JSON; newer exports drop or add one) lead the file
# and hold no response id; any later row is a response, readable or not.
RESPONSE_ID = r"^R_[0-9A-Za-z]+$"


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


def _zone(stated: str | None, file: str) -> str | None:
    """The stated zone as a name Polars knows (`Z` is UTC), or an error naming it."""
    if stated is None or stated == "Z":
        return stated and "UTC"
    try:
        ZoneInfo(stated)
    except (ZoneInfoNotFoundError, ValueError):
        raise CarePulseError(
            f"{file}: the export's time zone '{stated}' (ImportId row) is not a zone name",
            hint="Export again with a named time zone (e.g. America/Denver) or UTC.",
        ) from None
    return stated


def required_mapping(mapping: Mapping | None, product: str) -> Mapping:
    """The survey mapping, or an error saying a survey export needs one."""
    if mapping is None or mapping.kind is not SURVEY_RESPONSES:
        raise CarePulseError(
            f"a {product} export needs a mapping of kind survey_responses naming its questions",
            hint='Pass --mapping FILE.toml with e.g. csat = "Q3" and contact_id = "CaseId" '
            "(see the mapping reference in the README).",
        )
    return mapping


def _responses(batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The batches without the header rows that lead the file (found by content)."""
    heading = True
    for batch in batches:
        if heading:
            response = pl.col("ResponseId").str.contains(RESPONSE_ID).fill_null(False)
            batch = batch.filter(response.cum_max())
            heading = batch.is_empty()
        yield batch


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
        zone = _zone(file_zone(path.open("rb").read(1 << 20)), path.name) or timezone
        sources = DEFAULTS | mapping.columns
        named = list(dict.fromkeys(h for s in sources.values() for h in s.headers))
        table = tables.read(path, batch_rows=batch_rows)
        hint = f"Fix the question's export tag in {mapping.file} (row 1 of the export)."
        needed = list(dict.fromkeys([*named, "ResponseId"]))  # it tells responses from headers
        require_headers(table.headers, needed, file=path.name, hint=hint)
        customer = sources.get("customer_key")
        for raw in _responses(table.batches):
            raw = raw.select("_row", *named)
            frame = columns.canonical(raw, sources, SURVEY_RESPONSES, timezone=zone)
            frame = frame.with_columns(source=pl.lit(source or mapping.name))
            ids = tuple(customer.headers) if customer else ()
            yield Batch(SURVEY_RESPONSES, frame, raw, identifiers=ids, notes=table.notes)


CONNECTOR = Qualtrics()
