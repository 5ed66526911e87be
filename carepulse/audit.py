"""The export audit: every PDF and CSV that leaves the app, by whom, of what, and when."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, storage

LOG = storage.export_log


def record(
    engine: Engine, *, user: str, what: str, selection: str, rows: int | None = None
) -> None:
    """Note one export: who (`user`), what (e.g. "PDF report"), of which view (`selection`)."""
    entry = {"at": datetime.now(UTC), "user_email": user, "what": what, "selection": selection}
    with engine.begin() as connection:
        connection.execute(LOG.insert().values(**entry, rows=rows))


def recorded(
    produce: Callable[[], bytes],
    engine: Engine,
    *,
    user: str,
    what: str,
    selection: str,
    rows: Callable[[bytes], int] | None = None,
) -> Callable[[], bytes]:
    """`produce`, noting the export each time it runs (a download's deferred data)."""

    def run() -> bytes:
        data = produce()
        counted = rows(data) if rows else None
        record(engine, user=user, what=what, selection=selection, rows=counted)
        return data

    return run


def csv_rows(data: bytes) -> int:
    """The data rows of a CSV download (its lines less the header)."""
    return max(data.count(b"\n") - 1, 0)


def operator() -> str:
    """Who runs the command line: the operating-system account."""
    return f"{getpass.getuser()} (command line)"


def entries(engine: Engine, *, limit: int = 500) -> pl.DataFrame:
    """The latest exports, newest first."""
    statement = sa.select(LOG).order_by(LOG.c.id.desc()).limit(limit)
    schema = {
        "id": pl.Int64, "at": storage.TIMESTAMP, "user_email": pl.String, "what": pl.String,
        "selection": pl.String, "rows": pl.Int64,
    }  # fmt: skip
    return bulk.read(engine, statement, schema)
