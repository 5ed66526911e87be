"""Locks between processes sharing a store: writers take turns; a running ingest holds a lease.

Both kinds are released by the system when their holder dies, so a killed ingest never leaves
a lock behind: PostgreSQL drops a dead session's advisory locks, and the kernel drops a dead
process's `flock`s (SQLite, whose database is a local file).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there are never taken for dead (see `alive`)
    fcntl = None  # type: ignore[assignment]

# The first key of CarePulse's PostgreSQL advisory locks ("CP"), the second the run id.
RUNS = 0x4350
WRITERS = 0x4351


def take_turn(connection: sa.Connection) -> None:
    """Hold the store's write lock until the connection's transaction ends; call first in it.

    SQLite: BEGIN IMMEDIATE takes the database's write lock at once, before anything is read
    (a deferred transaction could read first and then fail to write: its snapshot would be
    stale). PostgreSQL: a transaction-level advisory lock.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITERS, 0)))


def _lock_file(engine: Engine, run_id: int) -> Path | None:
    """A SQLite store's lock file of a run, beside the database like its -wal file."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}-run{run_id}.lock")


class Lease:
    """The locks a process holds on its running ingest runs, taken as each run starts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: sa.Connection | None = None  # PostgreSQL: held open while runs live
        self._files: list[IO[str]] = []  # SQLite: one flocked file per run

    def take(self, run_id: int) -> None:
        """Mark the run alive: call before the transaction inserting its row commits."""
        if self.engine.dialect.name == "postgresql":
            if self._session is None:
                session = self.engine.connect()
                self._session = session.execution_options(isolation_level="AUTOCOMMIT")
            self._session.execute(sa.select(sa.func.pg_advisory_lock(RUNS, run_id)))
            return
        path = _lock_file(self.engine, run_id)
        if path is None or fcntl is None:
            return
        handle = path.open("w")
        fcntl.flock(handle, fcntl.LOCK_EX)
        self._files.append(handle)

    def release(self) -> None:
        """Let the runs go (their rows must say by now how they ended)."""
        if self._session is not None:
            self._session.execute(sa.select(sa.func.pg_advisory_unlock_all()))
            self._session.close()
            self._session = None
        for handle in self._files:
            Path(handle.name).unlink(missing_ok=True)
            handle.close()
        self._files.clear()


def alive(connection: sa.Connection, engine: Engine, run_id: int) -> bool:
    """Whether the process running this ingest still holds its lease."""
    if connection.dialect.name == "postgresql":
        free = connection.execute(sa.select(sa.func.pg_try_advisory_lock(RUNS, run_id))).scalar()
        if free:
            connection.execute(sa.select(sa.func.pg_advisory_unlock(RUNS, run_id)))
        return not free
    path = _lock_file(engine, run_id)
    if path is None or fcntl is None:
        return True  # an in-memory store dies with its process; without flock, assume alive
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        path.unlink(missing_ok=True)
        return False
