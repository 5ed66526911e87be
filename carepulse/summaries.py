"""Filter values and data freshness, kept small at every write so that pages read them at once.

Every page lists the values of its filters and says how fresh each source is. At ten million
contacts, finding those by scanning the rollups and the facts took most of a page's time
(benchmarks/README.md), so the rollup writer notes the values it writes, the ingest advances
the freshness of the sources it wrote and undo recounts them, in the same transaction as the
change. An undo also
lists the values afresh from the coarse rollups (1.4 s at 10 M), so a value only the undone
rows held is no longer offered.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from carepulse import bulk, selection, storage
from carepulse.access import Scope
from metrics import rollup
from metrics.schema import KINDS, TIMESTAMP

FILTERED = tuple(selection.DIMENSIONS)  # the sidebar's dimensions
NO_TEAM = ""  # the team of rows that have none (a primary key cannot hold null)
VALUES, FRESHNESS = storage.dimension_values, storage.source_freshness
VERSION = "2"  # 1: values and freshness; 2: and the coarse contact rollup
_ensured: set[str] = set()  # stores known to hold their summaries, in this process


def _insert_new(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """An INSERT that skips rows whose key is already stored."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def note_values(connection: sa.Connection, frame: pl.DataFrame) -> None:
    """Remember the filter values that rollup rows just written hold, with their team."""
    present = [d for d in FILTERED if d in frame.columns]
    if frame.is_empty() or not present:
        return
    team = pl.col("team").fill_null(NO_TEAM).alias("team")
    found = pl.concat(
        frame.lazy().select(pl.lit(d).alias("dimension"), pl.col(d).alias("value"), team)
        for d in present
    )
    rows = found.drop_nulls("value").unique().collect().to_dicts()
    if rows:
        connection.execute(_insert_new(connection, VALUES), rows)


def recount(connection: sa.Connection, kind: str, sources: Iterable[str]) -> None:
    """The latest record time and the number of records of each named source of a kind."""
    table = storage.FACTS[kind]
    time = table.c[KINDS[kind].time_column]
    for source in sources:
        # The latest through the time index, newest first, until a row of the source: with
        # `source = ?` the planners took the primary key and read every row of the source
        # (2.2 s at 10 M on SQLite); the count reads the key alone (0.3 s).
        unkeyed = sa.func.coalesce(table.c.source, "") == source
        newest = sa.select(time).where(unkeyed, time.is_not(None))  # (a survey's may be)
        newest = newest.order_by(time.desc()).limit(1)
        latest = connection.execute(newest).scalar()
        mine = table.c.source == source
        records = connection.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
        here = sa.and_(FRESHNESS.c.kind == kind, FRESHNESS.c.source == source)
        connection.execute(FRESHNESS.delete().where(here))
        if records:
            entry = {"kind": kind, "source": source, "latest": latest, "records": records}
            connection.execute(FRESHNESS.insert().values(**entry))


def advance(
    connection: sa.Connection,
    kind: str,
    stage: sa.TableClause,
    added: dict[str, int],
    moved_back: frozenset[str],
) -> None:
    """Freshness after an ingest, from the rows it wrote (`stage` after the merge): the new
    latest is the later of the stored and the written one, the count grows by the rows added.
    Its cost follows the file, not the store. A source without freshness yet, or whose latest
    time may have fallen (an update moved a row earlier), is recounted."""
    newest = sa.func.max(stage.c[KINDS[kind].time_column]).label("latest")
    by_source = sa.select(stage.c.source, newest).group_by(stage.c.source)
    written = bulk.read(connection, by_source, _SOURCE_TIMES).rows()
    columns = (FRESHNESS.c.source, FRESHNESS.c.latest, FRESHNESS.c.records)
    stored = bulk.read(connection, sa.select(*columns).where(FRESHNESS.c.kind == kind), _KNOWN)
    known = {source: (latest, records) for source, latest, records in stored.rows()}
    again = [s for s, _ in written if s in moved_back or s not in known]
    for source, latest in written:
        if source in again:
            continue
        before, records = known[source]
        here = sa.and_(FRESHNESS.c.kind == kind, FRESHNESS.c.source == source)
        known_times = [t for t in (before, latest) if t is not None]  # sent_at may be empty
        values = {"latest": max(known_times, default=None), "records": records + added[source]}
        connection.execute(FRESHNESS.update().where(here).values(**values))
    recount(connection, kind, again)


_SOURCE_TIMES = {"source": pl.String, "latest": TIMESTAMP}
_KNOWN = {**_SOURCE_TIMES, "records": pl.Int64}


def sources(connection: sa.Connection, rows: sa.FromClause) -> list[str]:
    """The sources that rows come from (staged or stored rows of one run)."""
    return list(connection.execute(sa.select(rows.c.source).distinct()).scalars())


def _coarsen_all(connection: sa.Connection) -> None:
    """The coarse contact rollup from the fine one, in the database."""
    fine, coarse = storage.ROLLUPS["contact_intervals"], storage.ROLLUPS[rollup.COARSE_TABLE]
    keys = [fine.c[c] for c in ("interval_start", *rollup.COARSE)]
    measures = [fine.c[c.name] for c in coarse.c if c.name not in rollup.KEYS]
    connection.execute(coarse.delete())
    rows = storage.summed(keys, measures)
    connection.execute(coarse.insert().from_select([c.name for c in coarse.c], rows))


def revalue(connection: sa.Connection) -> None:
    """The filter values afresh from the rollups: after an undo, a value only the undone rows
    held is no longer offered. Of the contact rollups only the coarse one is read: the agent
    × reason one holds the same values of these dimensions, and every daily one those of its
    interval table."""
    connection.execute(VALUES.delete())
    for name, table in storage.ROLLUPS.items():
        if name == "contact_intervals" or name in rollup.DAILY_TABLES.values():
            continue
        for dimension in (d for d in FILTERED if d in table.c):
            team = sa.func.coalesce(table.c.team, NO_TEAM)
            found = sa.select(sa.literal(dimension), table.c[dimension], team).where(
                table.c[dimension].is_not(None)
            )
            connection.execute(
                _insert_new(connection, VALUES).from_select(
                    ["dimension", "value", "team"], found.distinct()
                )
            )


def fill(connection: sa.Connection) -> None:
    """The summaries from scratch, from the rollups and the facts (once, for a store made
    before they were kept)."""
    _coarsen_all(connection)
    revalue(connection)
    for kind, table in storage.FACTS.items():
        recount(connection, kind, sources(connection, table))


def ensure(engine: Engine) -> None:
    """Fill the summaries of a store that does not have them yet."""
    if engine.url.render_as_string() in _ensured:
        return
    state = storage.rollup_state
    flag = sa.select(state.c.value).where(state.c.name == "summaries")
    with engine.connect() as connection:
        done = connection.execute(flag).scalar_one_or_none()
    if done != VERSION:
        with storage.writing(engine) as connection:
            if connection.execute(flag).scalar_one_or_none() != VERSION:  # nobody did it since
                fill(connection)
                connection.execute(state.delete().where(state.c.name == "summaries"))
                connection.execute(state.insert().values(name="summaries", value=VERSION))
    _ensured.add(engine.url.render_as_string())


def values(engine: Engine, column: str, scope: Scope) -> list[str]:
    """The values a dimension takes in the stored rollups, sorted, on the scope's teams."""
    ensure(engine)
    statement = sa.select(VALUES.c.value).where(VALUES.c.dimension == column).distinct()
    if scope.teams is not None:
        statement = statement.where(VALUES.c.team.in_(scope.teams))
    with engine.connect() as connection:
        return sorted(connection.execute(statement).scalars())


def freshness(engine: Engine) -> pl.DataFrame:
    """The latest record time (UTC) and the number of records per kind and source."""
    ensure(engine)
    statement = sa.select(FRESHNESS).order_by(FRESHNESS.c.kind, FRESHNESS.c.source)
    return bulk.read(engine, statement, {"kind": pl.String, **_KNOWN})
