"""Move a staged file into the fact tables: dedupe, skip identical or older rows, upsert."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from carepulse.storage import FACTS, quarantine
from metrics.schema import Kind


@dataclass(frozen=True)
class Merged:
    """What the merge did with the staged rows."""

    updated: int
    duplicates: int  # identical to a stored row, or an older version of one
    added: dict[str, int]  # new rows per source
    moved_back: frozenset[str]  # sources where an update moved a stored row's time earlier

    @property
    def inserted(self) -> int:
        return sum(self.added.values())


def stage_table(name: str, kind: Kind) -> sa.Table:
    """A lightweight description of a staging table holding the kind's columns and `_row`."""
    return sa.table(name, *(sa.column(c) for c in [*kind.columns, "_row"]))


def matches(stage: sa.TableClause, fact: sa.Table, kind: Kind) -> sa.ColumnElement[bool]:
    """A staged row and a stored row of the same key (source and id)."""
    return sa.and_(*(stage.c[c] == fact.c[c] for c in kind.natural_key))


def _stored(stage: sa.TableClause, kind: Kind, *where: sa.ColumnElement[bool]) -> sa.Exists:
    """Whether a stored row has the staged row's key (and meets `where`): one primary-key
    lookup per staged row, however many rows are stored."""
    fact = FACTS[kind.name]
    return sa.select(sa.literal(1)).where(matches(stage, fact, kind), *where).exists()


def _drop_superseded(connection: sa.Connection, stage: sa.TableClause, kind: Kind) -> int:
    """Keep one row per key in the file: the latest `updated_at`, then the last row."""
    keys = [stage.c[c] for c in kind.natural_key]
    repeated = sa.select(*keys).group_by(*keys).having(sa.func.count() > 1).limit(1)
    if connection.execute(repeated).first() is None:
        return 0
    rank = sa.func.row_number().over(
        partition_by=keys, order_by=[stage.c.updated_at.desc().nulls_last(), stage.c._row.desc()]
    )
    ranked = sa.select(stage.c._row, rank.label("rank")).subquery()
    losers = sa.select(ranked.c._row).where(ranked.c.rank > 1)
    return connection.execute(sa.delete(stage).where(stage.c._row.in_(losers))).rowcount


def _drop_unchanged(connection: sa.Connection, stage: sa.TableClause, kind: Kind) -> int:
    """Drop staged rows identical to the stored one, or older than it."""
    fact = FACTS[kind.name]
    same = sa.and_(*(stage.c[c].is_not_distinct_from(fact.c[c]) for c in kind.columns))
    older = stage.c.updated_at < fact.c.updated_at
    unchanged = _stored(stage, kind, sa.or_(same, older))
    return connection.execute(sa.delete(stage).where(unchanged)).rowcount


def _upsert(
    connection: sa.Connection, stage: sa.TableClause, kind: Kind, run_id: int, *, replaces: bool
) -> None:
    """Insert the staged rows, replacing the stored rows they update (`replaces`: any does).

    Without a stored row to replace, a plain insert: PostgreSQL's ON CONFLICT checks every row
    speculatively, a quarter of a first load's merge (benchmarks/README.md, ingest). Writers
    take turns (`storage.writing`), so no row can arrive between the count and the insert.
    """
    fact = FACTS[kind.name]
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(fact)
    # `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    rows = sa.select(*(stage.c[c] for c in kind.columns), sa.literal(run_id)).where(sa.true())
    statement = insert.from_select([*kind.columns, "ingest_run_id"], rows)
    if replaces:
        updates = {c: statement.excluded[c] for c in [*kind.columns, "ingest_run_id"]}
        keys = list(kind.natural_key)
        statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
    connection.execute(statement)


def _counts(connection: sa.Connection, stage: sa.TableClause, kind: Kind) -> dict[str, tuple]:
    """Per source: the staged rows and those replacing a stored row."""
    replacing = sa.func.sum(sa.case((_stored(stage, kind), 1), else_=0))
    counts = sa.select(stage.c.source, sa.func.count(), replacing).group_by(stage.c.source)
    return {source: (rows, replaced) for source, rows, replaced in connection.execute(counts)}


def _moved_back(connection: sa.Connection, stage: sa.TableClause, kind: Kind) -> frozenset[str]:
    """The sources where a staged row moves a stored row's time earlier, or takes it away
    (a survey's `sent_at` may be empty)."""
    fact, time = FACTS[kind.name], kind.time_column
    moved = fact.c[time] > stage.c[time]
    removed = sa.and_(stage.c[time].is_(None), fact.c[time].is_not(None))
    found = sa.select(stage.c.source).where(_stored(stage, kind, sa.or_(moved, removed)))
    found = found.distinct()
    return frozenset(connection.execute(found).scalars())


def merge(connection: sa.Connection, stage_name: str, kind: Kind, *, run_id: int) -> Merged:
    """Upsert the staged rows into the kind's fact table, inside the caller's transaction."""
    stage = stage_table(stage_name, kind)
    duplicates = _drop_superseded(connection, stage, kind)
    duplicates += _drop_unchanged(connection, stage, kind)
    counts = _counts(connection, stage, kind)
    updated = sum(replaced for _, replaced in counts.values())
    moved_back = _moved_back(connection, stage, kind) if updated else frozenset()
    _upsert(connection, stage, kind, run_id, replaces=updated > 0)
    return Merged(
        updated=updated,
        duplicates=duplicates,
        added={source: rows - replaced for source, (rows, replaced) in counts.items()},
        moved_back=moved_back,
    )


def copy_quarantine(connection: sa.Connection, stage_name: str) -> int:
    """Move the staged rejected rows into `quarantine`."""
    columns = [column.name for column in quarantine.columns]
    staged = sa.table(stage_name, *(sa.column(c) for c in columns))
    statement = quarantine.insert().from_select(columns, sa.select(*staged.c))
    return connection.execute(statement).rowcount
