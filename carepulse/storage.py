"""The store: fact tables, ingest runs and quarantine (SQLAlchemy Core; bulk writes via ADBC)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from carepulse import indexed, locks
from metrics import rollup, ticket_rollup
from metrics.schema import KINDS, TIMESTAMP, Kind, empty

STAGE_PREFIX = "stage_"
RUN_STATUSES = ("running", "committed", "failed", "interrupted", "undone")
INTERRUPTED = "the ingest stopped before it finished (its process ended); nothing of it was stored"

metadata = sa.MetaData()


class Instant(sa.TypeDecorator):
    """A UTC timestamp; an aware bound value is converted to UTC first.

    SQLite stores the wall-clock text of what it is given, so an instant in the centre's zone
    would compare as the wrong moment against the stored UTC text.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)


def _sql_type(dtype: pl.DataType) -> sa.types.TypeEngine:
    if dtype == TIMESTAMP:
        return Instant()
    if dtype == pl.Date:
        return sa.Date()
    if dtype == pl.Boolean:
        return sa.Boolean()
    if dtype in (pl.Int64, pl.UInt32, pl.UInt64):
        return sa.BigInteger()
    if dtype.is_integer():
        return sa.Integer()
    if dtype.is_float():
        return sa.Float(53)
    return sa.Text()


# Columns the drill-down looks records up by (a contact's chain, its customer's other
# contacts and tickets, the surveys about it): indexed so one lookup never scans a table.
LOOKUPS = {
    "contacts": ("customer_key", "parent_contact_id", "contact_id"),  # surveys name contact_id
    "survey_responses": ("contact_id",),
    "tickets": ("customer_key",),
}


def _fact_table(kind: Kind) -> sa.Table:
    columns = [
        sa.Column(name, _sql_type(dtype), nullable=name not in kind.required)
        for name, dtype in kind.schema.items()
    ]
    lookups = [sa.Index(f"ix_{kind.name}_{c}", c) for c in LOOKUPS.get(kind.name, ())]
    return sa.Table(
        kind.name,
        metadata,
        *columns,
        sa.Column("ingest_run_id", sa.Integer, nullable=False, index=True),
        sa.PrimaryKeyConstraint(*kind.natural_key),
        sa.Index(f"ix_{kind.name}_{kind.time_column}", kind.time_column),
        *lookups,
    )


FACTS: dict[str, sa.Table] = {name: _fact_table(kind) for name, kind in KINDS.items()}


# So that an everyday ingest's re-rolls and a page's reads never scan a fact table.
sa.Index("ix_survey_responses_own_time", indexed.survey_time(FACTS["survey_responses"]))
sa.Index("ix_tickets_seen", indexed.ticket_seen(FACTS["tickets"]))
sa.Index("ix_tickets_status", FACTS["tickets"].c.status)  # the open ones are few


def _rollup_schemas() -> dict[str, pl.Schema]:
    """Column types of each rollup table, from the rollups of empty canonical frames."""
    contacts = empty(KINDS["contacts"]).lazy()
    tickets = empty(KINDS["tickets"]).lazy()
    surveys = empty(KINDS["survey_responses"]).lazy()
    frames = {
        "contact_intervals": rollup.roll_up_contacts(
            contacts, short_abandon_seconds=0, sl_seconds=1, fcr_window=timedelta(1)
        ),
        "survey_intervals": rollup.roll_up_surveys(surveys, contacts),
        "ticket_intervals": ticket_rollup.roll_up_tickets(tickets),
        "ticket_backlog": ticket_rollup.roll_up_backlog(
            tickets, first=date.min, last=date.min, timezone="UTC"
        ),
    }
    schemas = {name: frame.collect_schema() for name, frame in frames.items()}
    coarse = {c: t for c, t in schemas["contact_intervals"].items() if c not in rollup.FINE}
    days = {
        daily: pl.Schema({c: t for c, t in schemas[name].items() if c not in rollup.FINE})
        for name, daily in rollup.DAILY_TABLES.items()
    }
    return {**schemas, rollup.COARSE_TABLE: pl.Schema(coarse), **days}


ROLLUP_SCHEMAS = _rollup_schemas()


def _rollup_table(name: str, schema: pl.Schema) -> sa.Table:
    time = next(iter(schema))  # interval_start or day
    columns = [sa.Column(c, _sql_type(t), nullable=c not in (time,)) for c, t in schema.items()]
    return sa.Table(name, metadata, *columns, sa.Index(f"ix_{name}_{time}", time))


ROLLUPS: dict[str, sa.Table] = {n: _rollup_table(n, s) for n, s in ROLLUP_SCHEMAS.items()}

rollup_state = sa.Table(
    "rollup_state",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("connector", sa.Text, nullable=False),
    sa.Column("kind", sa.Text),
    sa.Column("rows_read", sa.Integer, nullable=False, default=0),
    sa.Column("rows_accepted", sa.Integer, nullable=False, default=0),
    sa.Column("rows_quarantined", sa.Integer, nullable=False, default=0),
    sa.Column("rows_duplicate", sa.Integer, nullable=False, default=0),
    sa.Column("rows_updated", sa.Integer, nullable=False, default=0),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
)

# Small tables kept with every rollup write, so pages never scan the facts or the rollups to
# list filter values or say how fresh the data is (carepulse/summaries.py).
dimension_values = sa.Table(
    "dimension_values",
    metadata,
    sa.Column("dimension", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("team", sa.Text, primary_key=True),  # the rows' team; "" where none is set
)
source_freshness = sa.Table(
    "source_freshness",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("latest", Instant()),
    sa.Column("records", sa.BigInteger, nullable=False),
)

# Who downloaded what and when (PDF, CSV): the audit trail of data leaving the app.
export_log = sa.Table(
    "export_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Instant(), nullable=False, index=True),
    sa.Column("user_email", sa.Text, nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("selection", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingest_runs.id"), nullable=False),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "row_number"),
)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect(url: str) -> Engine:
    """An engine for the URL; SQLite files get WAL mode and their folder is created.

    PostgreSQL sessions run in UTC, whatever the server's default: times read as text (the
    COPY reads of `bulk`) then always carry +00, never a historical offset with seconds
    (Paris before 1911 was +00:09:21) that no parser takes.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    options = {"options": "-c TimeZone=UTC"} if parsed.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(parsed, connect_args=options)
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _add_missing_columns(connection: sa.Connection) -> None:
    inspector = sa.inspect(connection)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=connection.dialect)
                connection.execute(
                    sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                )


def drop_stages(connection: sa.Connection, prefix: str = STAGE_PREFIX) -> None:
    """Remove staging tables left by an ingest (or by one that was killed)."""
    for name in sa.inspect(connection).get_table_names():
        if name.startswith(prefix):
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


def init(engine: Engine) -> None:
    """Create or upgrade the schema, and clean up after killed ingests; safe to run any time."""
    with engine.begin() as connection:
        metadata.create_all(connection)
        _add_missing_columns(connection)
        present = _index_names(connection)
        for table in metadata.sorted_tables:  # indexes added since a table was created
            for index in table.indexes:
                if index.name not in present:
                    index.create(connection)
    recover(engine)


def _index_names(connection: sa.Connection) -> set[str]:
    """The names of the store's indexes, read from the catalog: reflection skips an index on
    an expression, and PostgreSQL's CREATE INDEX IF NOT EXISTS locks the table even when the
    index exists, so every start would wait for a running ingest (and could deadlock it)."""
    if connection.dialect.name == "postgresql":
        names = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        names = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return set(connection.execute(sa.text(names)).scalars())


def _stage_run(table: str) -> int | None:
    found = re.match(rf"{STAGE_PREFIX}(\d+)_", table)
    return int(found.group(1)) if found else None


def recover(engine: Engine) -> list[int]:
    """Mark runs whose process died as interrupted and drop staging tables no live run owns.

    A run is alive while its process holds its lease (see `locks`), so a concurrent ingest
    is left alone. Tables are listed before runs: a table listed belongs to a run whose row
    was already there. Returns the runs marked interrupted.
    """
    with engine.connect() as connection:
        staged = {t: _stage_run(t) for t in sa.inspect(connection).get_table_names()}
        running = (
            connection.execute(sa.select(ingest_runs.c.id).where(ingest_runs.c.status == "running"))
            .scalars()
            .all()
        )
        live = {run for run in running if locks.alive(connection, engine, run)}
        dead = [run for run in running if run not in live]
    with engine.begin() as connection:
        if dead:
            connection.execute(
                ingest_runs.update()
                .where(ingest_runs.c.id.in_(dead), ingest_runs.c.status == "running")
                .values(status="interrupted", error=INTERRUPTED, finished_at=datetime.now(UTC))
            )
        for table, run in staged.items():
            if run is not None and run not in live:
                connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    return dead


@contextmanager
def writing(engine: Engine) -> Iterator[sa.Connection]:
    """A transaction that changes facts or rollups, holding the store's write lock.

    Re-rolling reads the facts another writer may be changing, so writers take turns: the
    rollups always equal a rebuild. Readers are never blocked (SQLite WAL, PostgreSQL MVCC).
    """
    with engine.connect() as connection, connection.begin():
        locks.take_turn(connection)
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[sa.Connection]:
    """A connection whose reads all see one committed state: before an ingest, or after it."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql("BEGIN")  # pysqlite would not begin before a SELECT
        else:
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


def is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"


def summed(keys: Sequence[sa.ColumnElement], measures: Iterable[sa.Column]) -> sa.Select:
    """Sums of `measures` (each of its column's type) per distinct `keys`."""
    sums = [sa.cast(sa.func.sum(c), c.type).label(c.name) for c in measures]
    return sa.select(*keys, *sums).group_by(*keys)


def has_facts(engine: Engine) -> bool:
    """Whether any contact, ticket or survey response is stored (without counting them)."""
    with engine.connect() as connection:
        return any(
            connection.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first()
            for t in FACTS.values()
        )


def counts(engine: Engine) -> dict[str, int]:
    """Stored rows per fact table."""
    with engine.connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in FACTS.items()
        }


def runs(engine: Engine, *, limit: int = 50) -> list[dict[str, object]]:
    """The latest ingest runs, newest first."""
    statement = sa.select(ingest_runs).order_by(ingest_runs.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def quarantined(engine: Engine, run_id: int, *, limit: int = 1000) -> list[dict[str, object]]:
    """The rows a run rejected, with reasons, in file order."""
    statement = (
        sa.select(quarantine.c.row_number, quarantine.c.reason, quarantine.c.raw)
        .where(quarantine.c.run_id == run_id)
        .order_by(quarantine.c.row_number)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]
