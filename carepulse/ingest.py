"""Ingest a file: connector -> validate -> quarantine -> upsert, in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import connectors
from carepulse import locks, rollups, staging, storage, summaries
from carepulse.merge import copy_quarantine, merge, stage_table
from carepulse.privacy import hash_key
from carepulse.settings import Settings
from connectors import base
from connectors import mapping as mappings
from connectors.base import Connector, read_options
from metrics.errors import CarePulseError
from metrics.schema import KINDS, Kind


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
    rejected: list[dict] = field(default_factory=list)  # a dry run's first rejected rows

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
    """A file was rejected; nothing of it was stored and its runs are recorded as failed."""

    def __init__(self, summaries: list[RunSummary], cause: Exception) -> None:
        hint = cause.hint if isinstance(cause, CarePulseError) else "Nothing was stored."
        message = cause.message if isinstance(cause, CarePulseError) else str(cause)
        super().__init__(message, hint=hint)
        self.summaries = summaries
        self.summary = summaries[0]


def _start(engine: Engine, lease: locks.Lease, name: str, sha: str, source: str) -> RunSummary:
    """Record a running run, holding its lease before anyone can see it running."""
    with engine.begin() as connection:
        run_id = connection.execute(
            storage.ingest_runs.insert().values(
                file_name=name,
                sha256=sha,
                connector=source,
                started_at=datetime.now(UTC),
                status="running",
            )
        ).inserted_primary_key[0]
        lease.take(run_id)
    return RunSummary(run_id=run_id, file=name, sha256=sha, source=source)


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
    connection: sa.Connection, summary: RunSummary, kind: Kind | None, settings: Settings
) -> None:
    prefix = f"{storage.STAGE_PREFIX}{summary.run_id}_"
    if kind is not None:
        stage = stage_table(prefix + "rows", kind)
        change = rollups.touched(connection, stage, kind.name)
        merged = merge(connection, prefix + "rows", kind, run_id=summary.run_id)
        summaries.advance(connection, kind.name, stage, merged.added, merged.moved_back)
        copy_quarantine(connection, prefix + "quarantine")
        rollups.apply(connection, change, rollups.Thresholds.of(settings))
        summary.kind = kind.name
        summary.accepted = merged.inserted + merged.updated
        summary.updated, summary.duplicates = merged.updated, merged.duplicates
    summary.status = "committed"
    _record(connection, summary)


def resolve(
    path: Path, *, source: str | None = None, mapping: Path | mappings.Mapping | None = None
) -> tuple[Connector, mappings.Mapping | None]:
    """The file's connector (named or detected) and its loaded mapping, if any."""
    declared = mappings.load(mapping) if isinstance(mapping, str | Path) else mapping
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
    return [k and k.name for k in base.kinds(connector, Path(path), mapping=declared)]


def ingest(path: Path, *, kind: str | None = None, **options: Any) -> RunSummary:
    """Ingest one kind of a file (by default its first); options as for `ingest_file`."""
    return ingest_file(path, kinds=[kind], **options)[0]


def ingest_file(
    path: Path,
    *,
    engine: Engine,
    settings: Settings,
    source: str | None = None,
    timezone: str | None = None,
    source_name: str | None = None,
    mapping: Path | mappings.Mapping | None = None,
    kinds: list[str | None] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    file_name: str | None = None,
) -> list[RunSummary]:
    """Ingest a file, one run per kind it holds, all committed in one transaction.

    A ticket export with ratings holds tickets and survey responses: both are stored, or,
    when anything fails, neither is and every run is recorded as failed. A dry run does
    everything but commit: its counts are what the real run would report, its rejected rows
    are kept in the summaries, and it leaves no trace in the database. `progress` is called
    with the rows read so far; `file_name` is recorded instead of the path's name (uploads).
    """
    path = Path(path)
    connector, declared = resolve(path, source=source, mapping=mapping)
    if kinds is None:
        kinds = [k and k.name for k in base.kinds(connector, path, mapping=declared)]
    timezone = timezone or (declared and declared.timezone) or settings.timezone
    storage.recover(engine)  # staging tables and runs a killed ingest left behind
    rollups.ensure_current(engine, settings)
    sha = sha256_of(path)
    lease, summaries = locks.Lease(engine), []
    key = hash_key(settings)
    try:
        for _ in kinds:
            summaries.append(_start(engine, lease, file_name or path.name, sha, connector.name))
        staged = []
        for summary, kind in zip(summaries, kinds, strict=True):
            options = read_options(connector, mapping=declared, kind=KINDS[kind] if kind else None)
            batches = connector.read(
                path,
                timezone=timezone,
                source=source_name,
                batch_rows=settings.batch_rows,
                **options,
            )
            stager = staging.Stager(engine, summary.run_id)
            options = dict(keep_rejected=dry_run, progress=progress)
            staged.append(staging.stage_file(stager, batches, summary, key, **options))
        with storage.writing(engine) as connection:
            for summary, kind in zip(summaries, staged, strict=True):
                _commit(connection, summary, kind, settings)
            if dry_run:
                connection.rollback()
    except (CarePulseError, sa.exc.SQLAlchemyError, pl.exceptions.PolarsError) as error:
        _fail(engine, summaries, error)
        raise IngestFailed(summaries, error) from error
    finally:
        _end(engine, summaries, dry_run=dry_run)
        lease.release()
    if dry_run:
        for summary in summaries:
            summary.status = "dry run"
    return summaries


def _fail(engine: Engine, summaries: list[RunSummary], error: Exception) -> None:
    with engine.begin() as connection:
        for summary in summaries:
            summary.status, summary.error = "failed", str(error)
            summary.accepted = summary.updated = summary.duplicates = 0
            _record(connection, summary)


def _end(engine: Engine, summaries: list[RunSummary], *, dry_run: bool) -> None:
    """Drop the runs' staging tables; a run stopped by anything else (Ctrl-C) is interrupted."""
    with engine.begin() as connection:
        for summary in summaries:
            if summary.status == "running":
                summary.status, summary.error = "interrupted", storage.INTERRUPTED
                summary.accepted = summary.updated = summary.duplicates = 0
                _record(connection, summary)
            storage.drop_stages(connection, prefix=f"{storage.STAGE_PREFIX}{summary.run_id}_")
            if dry_run:
                _forget(connection, summary.run_id)


def _forget(connection: sa.Connection, run_id: int) -> None:
    """Remove a dry run's trace: its run row and anything recorded under it."""
    connection.execute(storage.quarantine.delete().where(storage.quarantine.c.run_id == run_id))
    connection.execute(storage.ingest_runs.delete().where(storage.ingest_runs.c.id == run_id))


def undo(engine: Engine, run_id: int, settings: Settings) -> int:
    """Delete the rows a committed run still owns and re-roll what they fed; the count deleted.

    Rows the run replaced are not restored: the file that held them has to be loaded again.
    """
    with storage.writing(engine) as connection:
        run = connection.execute(
            sa.select(storage.ingest_runs).where(storage.ingest_runs.c.id == run_id)
        ).first()
        if run is None or run.status != "committed" or run.kind not in KINDS:
            state = "does not exist" if run is None else f"is {run.status}"
            raise CarePulseError(
                f"run {run_id} {state}; only a committed run can be undone",
                hint="See the runs with `carepulse runs`.",
            )
        kind, table = KINDS[run.kind], storage.FACTS[run.kind]
        owned = table.c.ingest_run_id == run_id
        rows = sa.select(*(table.c[c] for c in kind.columns), sa.literal(0).label("_row"))
        change = rollups.touched(connection, rows.where(owned).subquery(), kind.name)
        sources = summaries.sources(connection, rows.where(owned).subquery())
        deleted = connection.execute(table.delete().where(owned)).rowcount
        summaries.recount(connection, kind.name, sources)
        rollups.apply(connection, change, rollups.Thresholds.of(settings))
        summaries.revalue(connection)
        connection.execute(
            storage.ingest_runs.update()
            .where(storage.ingest_runs.c.id == run_id)
            .values(status="undone", finished_at=datetime.now(UTC))
        )
    return deleted
