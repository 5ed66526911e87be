"""What every connector produces and declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from metrics.schema import Kind


@dataclass(frozen=True)
class Batch:
    """A slice of one file: canonical rows and the source cells they came from.

    `frame` has the kind's canonical columns plus `_row` (1-based data row in the file)
    and `_reason` (why the row cannot be read, else null). `raw` has the source's cells
    plus `_row`, kept to quarantine rejected rows as they were. `identifiers` names the raw
    columns holding customer identifiers, which are hashed before anything is stored.
    `free_text` names raw columns of comments that the rows' own `comment` does not show
    (e.g. a comment riding on a call row); the ingest redacts those and every raw column
    feeding `comment` before anything is stored.
    `notes` are things the user should know about the file (e.g. an encoding fallback).
    """

    kind: Kind
    frame: pl.DataFrame
    raw: pl.DataFrame
    identifiers: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class Connector(Protocol):
    """A declared source format.

    Optional, for connectors that need them: `uses_mapping = True` (read takes `mapping=`, a
    `connectors.mapping.Mapping`) and `kinds(path, *, mapping)` listing the kinds one file
    yields when it is more than one (read then takes `kind=` and yields only that kind).
    """

    name: str
    description: str

    def detect(self, path: Path, head: bytes) -> bool:
        """Whether this file looks like the connector's format."""
        ...

    def read(
        self, path: Path, *, timezone: str, source: str | None, batch_rows: int
    ) -> Iterator[Batch]:
        """Canonical batches of the file, in order."""
        ...


def kinds(connector: Connector, path: Path, *, mapping: Any = None) -> tuple[Kind | None, ...]:
    """The kinds one file yields through the connector; (None,) when it yields a single kind."""
    listed = getattr(connector, "kinds", None)
    return tuple(listed(path, mapping=mapping)) if listed else (None,)


def read_options(connector: Connector, *, mapping: Any = None, kind: Kind | None = None) -> dict:
    """The optional keyword arguments of `read` that this connector takes."""
    options: dict[str, Any] = {}
    if getattr(connector, "uses_mapping", False):
        options["mapping"] = mapping
    if kind is not None:
        options["kind"] = kind
    return options
