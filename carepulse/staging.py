"""Stage a file's batches for its ingest: good rows, identifiers hashed and comments
redacted, into the run's staging table; rejected rows, as raw JSON with their reason, into
its quarantine stage. Outside the write transaction, which `ingest._commit` then holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy.engine import Engine

from carepulse import bulk, storage
from carepulse.privacy import hash_column, redact
from connectors.base import Batch
from metrics.schema import Kind, validate

if TYPE_CHECKING:
    from carepulse.ingest import RunSummary


class Stager:
    """Appends frames to this run's staging tables."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.prefix = f"{storage.STAGE_PREFIX}{run_id}_"
        self.engine = engine

    def append(self, name: str, frame: pl.DataFrame) -> None:
        bulk.bulk_append(self.engine, self.prefix + name, frame)


def _comment_cells(batch: Batch, raw: pl.DataFrame) -> list[str]:
    """Columns of `raw` (rows of the batch) holding free text: declared, or feeding `comment`."""
    found = [c for c in batch.free_text if c in raw.columns]
    if "comment" not in batch.frame.columns:
        return found
    row = pl.col("_row").cast(pl.Int64)
    comments = batch.frame.select(row, pl.col("comment").str.strip_chars().alias("_comment"))
    cells = raw.with_columns(row).join(comments.drop_nulls(), on="_row", how="inner")
    for name, dtype in raw.schema.items():
        if name != "_row" and name not in found and dtype == pl.String:
            same = cells[name].str.strip_chars() == cells["_comment"]
            if same.any():
                found.append(name)
    return found


def _protect(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Hash customer identifiers and redact comments in the canonical rows."""
    if "customer_key" in frame.columns:
        frame = frame.with_columns(hash_column(frame["customer_key"], key))
    if "comment" in frame.columns:
        frame = frame.with_columns(redact(pl.col("comment")))
    return frame


def _rejected(batch: Batch, checked: pl.DataFrame, run_id: int, key: bytes) -> pl.DataFrame:
    """The rejected rows' raw cells as JSON (identifiers hashed, comments redacted), why."""
    bad = checked.filter(pl.col("_reason").is_not_null()).select("_row", "_reason")
    raw = batch.raw.join(bad.select("_row"), on="_row", how="semi")
    raw = raw.with_columns(
        *(hash_column(raw[name], key) for name in batch.identifiers if name in raw.columns),
        *(redact(pl.col(name)) for name in _comment_cells(batch, raw)),
    )
    cells = [c for c in raw.columns if c != "_row"]
    raw = raw.select("_row", pl.struct(cells).struct.json_encode().alias("raw"))
    return bad.join(raw, on="_row", how="left").select(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        pl.col("_row").cast(pl.Int64).alias("row_number"),
        pl.col("raw"),
        pl.col("_reason").alias("reason"),
    )


REJECTED_SHOWN = 1000


def stage_file(
    stager: Stager,
    batches: Iterable[Batch],
    summary: RunSummary,
    key: bytes,
    *,
    keep_rejected: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Kind | None:
    """Stage every batch, adding its counts and notes to `summary` (and, with
    `keep_rejected`, the first rejected rows); the kind of the rows, None for no batch."""
    kind = None
    for batch in batches:
        kind = batch.kind
        checked = validate(_protect(batch.frame, key), kind)
        good = checked.filter(pl.col("_reason").is_null())
        stager.append("rows", good.select(*kind.columns, pl.col("_row").cast(pl.Int64)))
        bad = _rejected(batch, checked, summary.run_id, key)
        stager.append("quarantine", bad)
        summary.read += checked.height
        summary.quarantined += bad.height
        summary.notes.extend(n for n in batch.notes if n not in summary.notes)
        if keep_rejected and len(summary.rejected) < REJECTED_SHOWN:
            room = REJECTED_SHOWN - len(summary.rejected)
            summary.rejected.extend(bad.drop("run_id").head(room).to_dicts())
        if progress:
            progress(summary.read)
    return kind
