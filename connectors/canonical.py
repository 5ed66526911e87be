"""Files whose columns already are the canonical ones (CSV with a header row, or Parquet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors.base import Batch
from connectors.parse import require_headers, to_canonical
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


def _scan(path: Path, head: bytes) -> pl.LazyFrame:
    if head.startswith(PARQUET_MAGIC):
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema=False, encoding="utf8")


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
        headers = _headers(path, head)
        kind = kind_of(headers)
        if kind is None:
            raise CarePulseError(
                f"{path.name}: not a canonical file; found columns: {', '.join(headers)}",
                hint="A canonical file needs contact_id and arrived_at, ticket_id and created_at, "
                "or response_id (see the README's canonical format).",
            )
        needed = [c for c in kind.required if c != "source"]
        require_headers(headers, needed, file=path.name)
        ignored = set(headers) - set(kind.columns)
        scan = _scan(path, head).select(sorted(set(headers) - ignored, key=headers.index))
        if "source" not in headers:
            scan = scan.with_columns(pl.lit(source or DEFAULT_SOURCE).alias("source"))
        elif source:
            scan = scan.with_columns(pl.lit(source).alias("source"))
        scan = scan.with_row_index("_row", offset=1)
        try:
            for raw in scan.collect_batches(chunk_size=batch_rows):
                frame = to_canonical(raw, kind, timezone=timezone)
                yield Batch(kind=kind, frame=frame, raw=raw, identifiers=("customer_key",))
        except pl.exceptions.ComputeError as error:
            raise CarePulseError(
                f"{path.name}: cannot read the file ({str(error).splitlines()[0]})",
                hint="Save it as UTF-8 CSV with one header row, or as Parquet.",
            ) from error


CONNECTOR = Canonical()
__all__ = ["CONNECTOR", "KINDS"]
