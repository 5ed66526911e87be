"""Files whose columns already are the canonical ones (CSV with a header row, or Parquet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import tables
from connectors.base import Batch
from connectors.parse import listed, require_headers, to_canonical
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS, KINDS, SURVEY_RESPONSES, TICKETS, Kind

PARQUET_MAGIC = b"PAR1"
# The columns that tell the kinds apart, checked in this order.
SIGNATURES = ((CONTACTS, "contact_id", "arrived_at"), (TICKETS, "ticket_id", "created_at"))
DEFAULT_SOURCE = "canonical"


def _headers(path: Path, head: bytes) -> list[str]:
    if head.startswith(PARQUET_MAGIC):
        return list(pl.read_parquet_schema(path))
    first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip("\r")
    return [h.strip().strip('"') for h in first.split(",")]


def kind_of(headers: list[str]) -> Kind | None:
    """The record kind a header row describes, or None."""
    for kind, key, time_column in SIGNATURES:
        if key in headers and time_column in headers:
            return kind
    return SURVEY_RESPONSES if "response_id" in headers else None


def _batches(path: Path, head: bytes, batch_rows: int) -> tables.Table:
    """The file's rows in batches: Parquet as typed, CSV as text cells (via `tables`)."""
    if not head.startswith(PARQUET_MAGIC):
        return tables.read(path, batch_rows=batch_rows, delimiter=",")
    scan = pl.scan_parquet(path).with_row_index("_row", offset=1)
    frames = scan.with_columns(pl.col("_row").cast(pl.Int64)).collect_batches(chunk_size=batch_rows)
    return tables.Table(scan.collect_schema().names()[1:], frames)


def _check_unique(headers: list[str], kind: Kind, file: str) -> None:
    repeated = [c for c in kind.columns if headers.count(c) > 1]
    if repeated:
        raise CarePulseError(
            f"{file}: column {', '.join(repr(c) for c in repeated)} appears more than once",
            hint="Keep one column of each name; CarePulse cannot tell which one is meant.",
        )


class Canonical:
    """CSV or Parquet with canonical column names; the kind is read from the headers."""

    name = "canonical"
    description = "CSV or Parquet whose columns are CarePulse's canonical ones (see README)"

    def detect(self, path: Path, head: bytes) -> bool:
        try:
            return kind_of(_headers(path, head)) is not None
        except pl.exceptions.PolarsError:  # a broken Parquet file is not recognised
            return False

    def read(
        self, path: Path, *, timezone: str, source: str | None, batch_rows: int
    ) -> Iterator[Batch]:
        head = path.open("rb").read(65536)
        try:
            yield from self._read(path, head, timezone=timezone, source=source, rows=batch_rows)
        except pl.exceptions.PolarsError as error:
            raise CarePulseError(
                f"{path.name}: cannot read the file ({str(error).splitlines()[0]})",
                hint="Save it as UTF-8 CSV with one header row, or as Parquet.",
            ) from error

    def _read(
        self, path: Path, head: bytes, *, timezone: str, source: str | None, rows: int
    ) -> Iterator[Batch]:
        if not head.startswith(PARQUET_MAGIC):
            tables.require_text(path, head)
        headers = _headers(path, head)
        kind = kind_of(headers)
        if kind is None:
            raise CarePulseError(
                f"{path.name}: not a canonical file; found columns: {listed(headers)}",
                hint="A canonical file needs contact_id and arrived_at, ticket_id and created_at, "
                "or response_id (see the README's canonical format).",
            )
        needed = [c for c in kind.required if c != "source"]
        require_headers(headers, needed, file=path.name)
        _check_unique(headers, kind, path.name)
        table = _batches(path, head, rows)
        wanted = [c for c in table.headers if c in kind.columns]
        named = source or (None if "source" in headers else DEFAULT_SOURCE)
        for raw in table.batches:
            raw = raw.select("_row", *wanted)
            if named:
                raw = raw.with_columns(pl.lit(named).alias("source"))
            frame = to_canonical(raw, kind, timezone=timezone)
            yield Batch(kind, frame, raw, identifiers=("customer_key",), notes=table.notes)


CONNECTOR = Canonical()
__all__ = ["CONNECTOR", "KINDS"]
