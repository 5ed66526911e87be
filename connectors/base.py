"""What every connector produces and declares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from metrics.schema import Kind


@dataclass(frozen=True)
class Batch:
    """A slice of one file: canonical rows and the source cells they came from.

    `frame` has the kind's canonical columns plus `_row` (1-based data row in the file)
    and `_reason` (why the row cannot be read, else null). `raw` has the source's cells
    plus `_row`, kept to quarantine rejected rows as they were. `identifiers` names the raw
    columns holding customer identifiers, which are hashed before anything is stored.
    """

    kind: Kind
    frame: pl.DataFrame
    raw: pl.DataFrame
    identifiers: tuple[str, ...] = ()


class Connector(Protocol):
    """A declared source format."""

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
