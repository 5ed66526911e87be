"""Frames in and out of the database in bulk: the parts of storage that move many rows."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse.storage import is_sqlite
from metrics.schema import TIMESTAMP

# SQLite's own text form of a UTC timestamp, as SQLAlchemy writes and compares it.
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"
# PostgreSQL's text form of a timestamptz: fractions only when not zero, the session's offset.
PG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f%#z"


def _sqlite_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(name).dt.strftime(SQLITE_TIME_FORMAT if dtype != pl.Date else "%Y-%m-%d")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) or dtype == pl.Date
    )


def _tuples(frame: pl.DataFrame) -> Iterator[tuple]:
    """The frame's rows for SQLite's executemany: column lists zipped a slice at a time
    (faster than `iter_rows`, and as bounded)."""
    for part in _sqlite_rows(frame).iter_slices(50_000):
        yield from zip(*(column.to_list() for column in part.iter_columns()), strict=True)


def bulk_append(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    """Append a frame to a table (created on first use) through the database's bulk path.

    PostgreSQL: ADBC, which uses COPY. SQLite: the stdlib driver's executemany, because a
    second SQLite library in the process (ADBC's) breaks SQLite's file locks and corrupts WAL.
    """
    if is_sqlite(engine):
        _sqlite_append(engine, table, frame)
        return
    import adbc_driver_postgresql.dbapi as driver

    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with driver.connect(uri) as connection, connection.cursor() as cursor:
        cursor.adbc_ingest(table, frame.to_arrow(), mode="create_append")
        connection.commit()


def _sqlite_append(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({names})')
        with _no_collection():
            cursor.executemany(f'INSERT INTO "{table}" VALUES ({marks})', _tuples(frame))
        connection.commit()
    finally:
        connection.close()


def insert_frame(connection: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    """Insert a frame into an existing table inside the caller's transaction, in bulk."""
    if frame.is_empty():
        return
    names = ", ".join(f'"{c}"' for c in frame.columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in frame.columns)
        with _no_collection():
            statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
            cursor.executemany(statement, _tuples(frame))
        return
    # CSV written by Polars, a slice at a time: a tenth of the time of psycopg's rows. Strings
    # are quoted, so an empty one stays empty and only an unquoted empty field is NULL.
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)') as copy:
        for part in frame.iter_slices(100_000):
            copy.write(part.write_csv(include_header=False, quote_style="non_numeric"))


def _fetch(connection: sa.Connection, statement: sa.Select) -> tuple[list[str], list[tuple]]:
    """The column names and the driver's own rows: SQLAlchemy binds the parameters, but its
    row objects and result conversions would cost three times the fetch (the frame is typed
    below, from the text of SQLite's times and 0/1 of its booleans)."""
    result = connection.execute(statement)
    try:
        with _no_collection():
            return list(result.keys()), result.cursor.fetchall()
    finally:
        result.close()


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pause Python's cycle collector while building or binding many row tuples: they hold no
    cycles, and the collector passes it triggers over them were a sixth of a large read."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def read(
    engine: Engine | sa.Connection, statement: sa.Select, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Run a query into Polars with the given column types (SQLite's text times parsed)."""
    if isinstance(engine, sa.Connection):
        return _read(engine, statement, schema)
    with engine.connect() as connection:
        return _read(connection, statement, schema)


def _read(
    connection: sa.Connection, statement: sa.Select, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    names = [column.name for column in statement.selected_columns]
    if connection.dialect.name == "postgresql" and all(schema.get(n) in _COPIED for n in names):
        return _copied(connection, statement, {n: schema[n] for n in names})
    names, rows = _fetch(connection, statement)
    # Column by column: several times faster than building rows (each column infers its own
    # type from all its values, as a full row inference would).
    with _no_collection():
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        series = [pl.Series(name, values) for name, values in zip(names, columns, strict=True)]
    frame = pl.DataFrame(series)
    casts = []
    for name in names:
        dtype = schema.get(name)
        if dtype is None:
            continue
        column = pl.col(name)
        if dtype == TIMESTAMP and frame.schema[name] == pl.String:
            text = column.str.to_datetime(SQLITE_TIME_FORMAT, time_unit="us", time_zone="UTC")
            casts.append(text.alias(name))
        elif dtype == pl.Date and frame.schema[name] == pl.String:
            casts.append(column.str.to_date("%Y-%m-%d").alias(name))
        elif dtype == TIMESTAMP and isinstance(frame.schema[name], pl.Datetime):
            casts.append(_utc(column, frame.schema[name]).alias(name))
        else:
            casts.append(column.cast(dtype).alias(name))
    return frame.with_columns(casts)


# How PostgreSQL's CSV writes what Polars cannot take as typed: text, parsed below.
_AS_TEXT = {TIMESTAMP: pl.String, pl.Boolean: pl.String}
_COPIED = {*_AS_TEXT, pl.String, pl.Float64, pl.Int64, pl.Int32, pl.Int16, pl.Date}  # read from CSV


def _copied(
    connection: sa.Connection, statement: sa.Select, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """A PostgreSQL query's rows through `COPY … TO STDOUT` as CSV, parsed by Polars, instead
    of the driver's row tuples built a value at a time (benchmarks/README.md, ingest). A quoted
    empty field is an empty string, an unquoted one NULL; times carry the session's offset,
    always +00 (`storage.connect`)."""
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql, params = f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params
    if not params:  # psycopg reads `%%` as `%` only when it binds parameters
        sql = sql.replace("%%", "%")
    blocks = []
    with cursor.copy(sql, params or None) as copy:
        blocks.extend(copy)
    columns = {name: _AS_TEXT.get(dtype, dtype) for name, dtype in schema.items()}
    frame = pl.read_csv(b"".join(blocks), has_header=False, schema=columns)
    casts = []
    for name, dtype in schema.items():
        if dtype == TIMESTAMP:
            text = pl.col(name).str.to_datetime(PG_TIME_FORMAT, time_unit="us", time_zone="UTC")
            casts.append(text.alias(name))
        elif dtype == pl.Boolean:
            casts.append(pl.col(name).replace_strict({"t": True, "f": False}, default=None))
    return frame.with_columns(casts)


def _utc(column: pl.Expr, dtype: pl.Datetime) -> pl.Expr:
    if dtype.time_zone is None:
        column = column.dt.replace_time_zone("UTC")
    return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
