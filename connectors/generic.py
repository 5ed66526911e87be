"""Any tabular file (CSV/TSV, XLSX, Parquet, JSON lines) read through a mapping file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from connectors import columns, tables
from connectors.base import Batch
from connectors.mapping import Mapping, Source
from connectors.parse import require_headers
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, Kind

# Columns a survey response takes over from the row it rides on.
CARRIED = ("agent_id", "queue", "team", "channel")


def survey_sources(mapping: Mapping) -> dict[str, Source]:
    """The survey response's sources: the row's key and time, then the [surveys] block."""
    key = mapping.kind.key
    derived = {"response_id": mapping.columns[key], key: mapping.columns[key]}
    when = mapping.columns.get(mapping.kind.time_column)
    if when is not None:
        derived |= {"sent_at": when, "responded_at": when}
    derived |= {c: mapping.columns[c] for c in CARRIED if c in mapping.columns}
    return derived | mapping.surveys


def _answered(mapping: Mapping) -> pl.Expr:
    """Rows holding at least one survey answer (blank or a declared zero is no answer)."""
    present = [columns.present(source) for source in mapping.surveys.values()]
    return pl.any_horizontal(present)


class Generic:
    """Any CSV/TSV, XLSX, Parquet or JSON-lines file, with a mapping naming its columns."""

    name = "generic"
    description = "any CSV/TSV, XLSX, Parquet or JSON-lines file, with a mapping (--mapping)"
    uses_mapping = True

    def detect(self, path: Path, head: bytes) -> bool:
        return False  # applies only when the user gives a mapping

    def kinds(self, path: Path, *, mapping: Mapping | None) -> tuple[Kind, ...]:
        return kinds_of(_required(mapping))

    def read(
        self,
        path: Path,
        *,
        timezone: str,
        source: str | None,
        batch_rows: int,
        mapping: Mapping | None = None,
        kind: Kind | None = None,
    ) -> Iterator[Batch]:
        mapping = _required(mapping)
        table = tables.read(
            path, batch_rows=batch_rows, delimiter=mapping.delimiter, sheet=mapping.sheet
        )
        options = dict(kind=kind, timezone=timezone, source=source)
        yield from mapped(table, mapping, where=path.name, **options)


def kinds_of(mapping: Mapping) -> tuple[Kind, ...]:
    """The mapping's kind, and survey responses when a [surveys] block rides on its rows."""
    if mapping.surveys and mapping.kind is not SURVEY_RESPONSES:
        return (mapping.kind, SURVEY_RESPONSES)
    return (mapping.kind,)


def mapped(
    table: tables.Table,
    mapping: Mapping,
    *,
    where: str,
    kind: Kind | None,
    timezone: str,
    source: str | None,
) -> Iterator[Batch]:
    """Canonical batches of a table of text cells, through the mapping."""
    kind = kind or mapping.kind
    surveys = kind is SURVEY_RESPONSES and mapping.kind is not SURVEY_RESPONSES
    sources = survey_sources(mapping) if surveys else mapping.columns
    hint = f"Fix the column name in {mapping.file}, or check that this is the right source."
    require_headers(table.headers, mapping.headers, file=where, hint=hint)
    twice = [h for h in mapping.headers if h in table.repeated]
    if twice:
        raise CarePulseError(
            f"{where}: column {', '.join(repr(h) for h in twice)} appears more than once",
            hint="Rename one of them in the file; the mapping cannot tell which one is meant.",
        )
    named = [h for h in table.headers if h in mapping.headers]
    # From the mapping, not `sources`: a survey riding on the row keeps the row's raw cells.
    customer = mapping.columns.get("customer_key")
    identifiers = tuple(customer.headers) if customer else ()
    comments = [m.get("comment") for m in (mapping.columns, mapping.surveys)]
    free_text = tuple(h for c in comments if c for h in c.headers)
    for raw in table.batches:
        raw = raw.select("_row", *named)
        if surveys:
            raw = raw.filter(_answered(mapping))
        frame = columns.canonical(raw, sources, kind, timezone=timezone)
        frame = frame.with_columns(pl.lit(source or mapping.name).alias("source"))
        yield Batch(
            kind, frame, raw, identifiers=identifiers, free_text=free_text, notes=table.notes
        )


def _required(mapping: Mapping | None) -> Mapping:
    if mapping is None:
        raise CarePulseError(
            "the generic format needs a mapping file",
            hint="Pass --mapping FILE.toml (see the mapping reference in the README).",
        )
    return mapping


CONNECTOR = Generic()
