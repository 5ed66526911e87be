"""The bulk write and read paths keep every value as it was: nulls, empty and awkward text,
full-precision floats, microsecond instants, dates (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from sqlalchemy.engine import make_url

from carepulse import bulk, storage
from metrics.schema import TIMESTAMP

SCHEMA = {
    "text": pl.String,
    "real": pl.Float64,
    "count": pl.Int64,
    "score": pl.Int16,
    "flag": pl.Boolean,
    "at": TIMESTAMP,
    "day": pl.Date,
}


def _round_trip_table(engine) -> tuple[sa.Table, pl.DataFrame]:
    metadata = sa.MetaData()
    table = sa.Table(
        "round_trip",
        metadata,
        *(sa.Column(name, storage._sql_type(dtype)) for name, dtype in SCHEMA.items()),
    )
    metadata.create_all(engine)
    frame = pl.DataFrame(
        {
            "text": ["plain", "", None, 'a "quoted", comma', "two\nlines", "NULL", "\\N"],
            "real": [0.1, None, 1e-300, 123456789.12345679, -0.0, 2.5, 1 / 3],
            "count": [1, None, 0, -7, 2**40, 3, 9],
            "score": [1, None, 5, -1, 10, 0, 7],
            "flag": [True, None, False, True, False, None, True],
            "at": [
                datetime(2026, 1, 1, tzinfo=UTC),
                None,
                datetime(2026, 3, 29, 1, 30, 0, 5, tzinfo=UTC),
                datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 1, tzinfo=UTC),
            ],
            "day": [date(2026, 1, 1), None, date(2024, 2, 29), date(2026, 1, 2)] + [None] * 3,
        },
        schema=SCHEMA,
    )
    with engine.begin() as connection:
        bulk.insert_frame(connection, "round_trip", frame)
    return table, frame


KEY = pl.col("count").fill_null(-1)  # row order is not kept by a table


def test_a_frame_written_in_bulk_reads_back_unchanged(engine):
    table, frame = _round_trip_table(engine)
    back = bulk.read(engine, sa.select(table), SCHEMA)
    assert_frame_equal(back.sort(KEY), frame.sort(KEY))


def test_a_bulk_read_binds_lists_times_and_text_with_percent_signs(engine):
    table, frame = _round_trip_table(engine)
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    statement = sa.select(table.c.count, table.c.at, table.c.text).where(
        table.c.count.in_([-7, 3, 9, 1]),
        table.c.at < noon,
        table.c.text.not_like("%two%"),
    )
    back = bulk.read(engine, statement, SCHEMA)
    expected = frame.filter(
        pl.col("count").is_in([-7, 3, 9, 1]),
        pl.col("at") < noon,
        ~pl.col("text").str.contains("two"),
    ).select("count", "at", "text")
    assert sorted(back["count"]) == [-7, 1, 3, 9]
    assert_frame_equal(back.sort(KEY), expected.sort(KEY))
    # A percent sign in a statement without parameters (SQLAlchemy writes it `%%`).
    literal = sa.select(sa.literal_column("'100% sure'").label("text"))
    assert bulk.read(engine, literal, SCHEMA)["text"].to_list() == ["100% sure"]


@pytest.mark.postgres
def test_a_postgresql_server_in_another_zone_reads_old_times_back(postgres_url):
    # The server's default zone is Paris, whose offset before 1911 was +00:09:21: text times
    # in that zone cannot be parsed. Our sessions run in UTC whatever the default.
    name = make_url(postgres_url).database
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'Europe/Paris'")
    try:
        engine = storage.connect(postgres_url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
        table, _ = _round_trip_table(engine)
        old = pl.DataFrame({"count": [99], "at": [datetime(1900, 1, 1, 8, tzinfo=UTC)]},
                           schema={"count": pl.Int64, "at": TIMESTAMP})  # fmt: skip
        with engine.begin() as connection:
            bulk.insert_frame(connection, "round_trip", old)
        back = bulk.read(engine, sa.select(table.c.count, table.c.at).where(table.c.count == 99),
                         SCHEMA)  # fmt: skip
        assert_frame_equal(back, old)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" RESET timezone')
        admin.dispose()


@pytest.mark.postgres
def test_a_start_takes_no_table_lock_an_ingest_would_wait_on(postgres_url):
    # Every start and CLI command runs `init`. With its indexes in place it must lock no
    # table: waiting for an ingest's write would stall the app, and taking the tables one by
    # one while the ingest takes them in another order deadlocks it. A lock wait fails here
    # after a second instead of waiting.
    engine = storage.connect(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    storage.init(engine)
    impatient = storage.connect(postgres_url)
    set_timeout = "SET lock_timeout = '1s'"
    sa.event.listen(impatient, "connect", lambda dbapi, _: dbapi.cursor().execute(set_timeout))
    with engine.begin() as writing:  # what an ingest's merge holds until it commits
        writing.execute(sa.text("LOCK TABLE contacts IN ROW EXCLUSIVE MODE"))
        storage.init(impatient)
    impatient.dispose()
    engine.dispose()
