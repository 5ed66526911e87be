"""Ingest a file: connector -> validate -> quarantine -> upsert, in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import connectors
from carepulse import rollups, storage
from carepulse.merge import copy_quarantine, merge, stage_table
from carepulse.privacy import hash_column, hash_key, redact
from carepulse.settings import Settings
from connectors import mapping as mappings
from connectors.base import Batch, Connector, kinds, read_options
from metrics.errors import CarePulseError
from metrics.schema import KINDS, Kind, validate


@dataclass
class RunSummary:
    """The outcome of one file's ingest, as the CLI prints it."""

    run_id: int
    file: str
    sha256: str
    source: str
    kind: str | None = None
    status: str = "running"
    read: int = 0
    accepted: int = 0  # new or changed rows written
    quarantined: int = 0
    duplicates: int = 0  # identical to stored rows, or older versions of them
    updated: int = 0  # the part of `accepted` that replaced a stored row
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. an encoding fallback

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class IngestFailed(CarePulseError):
    """A file was rejected; nothing of it was stored and its run is recorded as failed."""

    def __init__(self, summary: RunSummary, cause: Exception) -> None:
        hint = cause.hint if isinstance(cause, CarePulseError) else "Nothing was stored."
        message = cause.message if isinstance(cause, CarePulseError) else str(cause)
        super().__init__(message, hint=hint)
        self.summary = summary


class Stager:
    """Appends frames to this run's staging tables."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.prefix = f"{storage.STAGE_PREFIX}{run_id}_"
        self.engine = engine

    def append(self, name: str, frame: pl.DataFrame) -> None:
        storage.bulk_append(self.engine, self.prefix + name, frame)


def _comment_cells(batch: Batch) -> list[str]:
    """Raw columns holding free text: declared, or feeding the rows' `comment`."""
    found = [c for c in batch.free_text if c in batch.raw.columns]
    if "comment" not in batch.frame.columns:
        return found
    row = pl.col("_row").cast(pl.Int64)
    comments = batch.frame.select(row, pl.col("comment").str.strip_chars().alias("_comment"))
    cells = batch.raw.with_columns(row).join(comments.drop_nulls(), on="_row", how="inner")
    for name, dtype in batch.raw.schema.items():
        if name != "_row" and name not in found and dtype == pl.String:
            same = cells[name].str.strip_chars() == cells["_comment"]
            if same.any():
                found.append(name)
    return found


def _protect(batch: Batch, key: bytes) -> Batch:
    """Hash customer identifiers and redact comments, in the rows and in the raw cells."""
    frame = batch.frame
    if "customer_key" in frame.columns:
        frame = frame.with_columns(hash_column(frame["customer_key"], key))
    if "comment" in frame.columns:
        frame = frame.with_columns(redact(pl.col("comment")))
    raw = batch.raw.with_columns(
        *(hash_column(batch.raw[name], key) for name in batch.identifiers if name in batch.raw),
        *(redact(pl.col(name)) for name in _comment_cells(batch)),
    )
    return Batch(batch.kind, frame, raw, identifiers=batch.identifiers, notes=batch.notes)


def _rejected(batch: Batch, checked: pl.DataFrame, run_id: int) -> pl.DataFrame:
    bad = checked.filter(pl.col("_reason").is_not_null()).select("_row", "_reason")
    cells = [c for c in batch.raw.columns if c != "_row"]
    raw = batch.raw.select("_row", pl.struct(cells).struct.json_encode().alias("raw"))
    return bad.join(raw, on="_row", how="left").select(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        pl.col("_row").cast(pl.Int64).alias("row_number"),
        pl.col("raw"),
        pl.col("_reason").alias("reason"),
    )


def _stage_file(stager: Stager, batches: object, summary: RunSummary, key: bytes) -> Kind | None:
    kind = None
    for batch in batches:  # type: ignore[attr-defined]
        kind = batch.kind
        protected = _protect(batch, key)
        checked = validate(protected.frame, kind)
        good = checked.filter(pl.col("_reason").is_null())
        stager.append("rows", good.select(*kind.columns, pl.col("_row").cast(pl.Int64)))
        bad = _rejected(protected, checked, summary.run_id)
        stager.append("quarantine", bad)
        summary.read += checked.height
        summary.quarantined += bad.height
        summary.notes.extend(n for n in batch.notes if n not in summary.notes)
    return kind


def _start(engine: Engine, path: Path, sha: str, source: str) -> RunSummary:
    with engine.begin() as connection:
        run_id = connection.execute(
            storage.ingest_runs.insert().values(
                file_name=path.name,
                sha256=sha,
                connector=source,
                started_at=datetime.now(UTC),
                status="running",
            )
        ).inserted_primary_key[0]
    return RunSummary(run_id=run_id, file=str(path), sha256=sha, source=source)


def _record(connection: sa.Connection, summary: RunSummary) -> None:
    connection.execute(
        storage.ingest_runs.update()
        .where(storage.ingest_runs.c.id == summary.run_id)
        .values(
            kind=summary.kind,
            status=summary.status,
            error=summary.error,
            rows_read=summary.read,
            rows_accepted=summary.accepted,
            rows_quarantined=summary.quarantined,
            rows_duplicate=summary.duplicates,
            rows_updated=summary.updated,
            finished_at=datetime.now(UTC),
        )
    )


def _commit(
    engine: Engine, summary: RunSummary, kind: Kind | None, prefix: str, settings: Settings
) -> None:
    with engine.begin() as connection:
        if kind is not None:
            change = rollups.touched(connection, stage_table(prefix + "rows", kind), kind.name)
            merged = merge(connection, prefix + "rows", kind, run_id=summary.run_id)
            copy_quarantine(connection, prefix + "quarantine")
            rollups.apply(connection, change, rollups.Thresholds.of(settings))
            summary.kind = kind.name
            summary.accepted = merged.inserted + merged.updated
            summary.updated, summary.duplicates = merged.updated, merged.duplicates
        summary.status = "committed"
        _record(connection, summary)


def resolve(
    path: Path, *, source: str | None = None, mapping: Path | None = None
) -> tuple[Connector, mappings.Mapping | None]:
    """The file's connector (named or detected) and its loaded mapping, if any."""
    declared = mappings.load(mapping) if mapping else None
    connector = connectors.get(source) if source else connectors.detect(path, mapping=declared)
    if declared and not getattr(connector, "uses_mapping", False):
        raise CarePulseError(
            f"the {connector.name} format does not take a mapping",
            hint="Drop --mapping, or use --source generic.",
        )
    return connector, declared


def kinds_in(path: Path, *, source: str | None = None, mapping: Path | None = None) -> list:
    """The kind names the file yields, one ingest run each ([None]: the connector's one kind)."""
    connector, declared = resolve(Path(path), source=source, mapping=mapping)
    return [k and k.name for k in kinds(connector, Path(path), mapping=declared)]


def ingest(
    path: Path,
    *,
    engine: Engine,
    settings: Settings,
    source: str | None = None,
    timezone: str | None = None,
    source_name: str | None = None,
    mapping: Path | None = None,
    kind: str | None = None,
) -> RunSummary:
    """Ingest one file (or one `kind` of it); a failure leaves the facts as they were."""
    path = Path(path)
    connector, declared = resolve(path, source=source, mapping=mapping)
    options = read_options(connector, mapping=declared, kind=KINDS[kind] if kind else None)
    timezone = timezone or (declared and declared.timezone) or settings.timezone
    rollups.ensure_current(engine, settings)
    summary = _start(engine, path, sha256_of(path), connector.name)
    key = hash_key(settings)
    try:
        stager = Stager(engine, summary.run_id)
        batches = connector.read(
            path,
            timezone=timezone,
            source=source_name,
            batch_rows=settings.batch_rows,
            **options,
        )
        staged = _stage_file(stager, batches, summary, key)
        _commit(engine, summary, staged, stager.prefix, settings)
    except (CarePulseError, sa.exc.SQLAlchemyError, pl.exceptions.PolarsError) as error:
        summary.status, summary.error = "failed", str(error)
        summary.accepted = summary.updated = summary.duplicates = 0
        with engine.begin() as connection:
            _record(connection, summary)
        raise IngestFailed(summary, error) from error
    finally:
        with engine.begin() as connection:
            storage.drop_stages(connection, prefix=f"{storage.STAGE_PREFIX}{summary.run_id}_")
    return summary
