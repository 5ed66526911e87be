"""Expressions the store keeps indexes on: a query that repeats one finds its rows through the
index (SQLite and PostgreSQL both match an indexed expression), never by reading the table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

# The ticket times an export can hold: the latest of them is when the ticket was last seen.
TICKET_SEEN = (
    "created_at",
    "first_reply_at",
    "solved_at",
    "last_solved_at",
    "closed_at",
    "updated_at",
)


class greatest(GenericFunction):
    """The largest of its arguments, none of which may be NULL (the dialects differ there)."""

    inherit_cache = True


@compiles(greatest)
def _greatest(element: greatest, compiler: sa.sql.compiler.SQLCompiler, **kw: object) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _sqlite_max(element: greatest, compiler: sa.sql.compiler.SQLCompiler, **kw: object) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


def survey_time(table: sa.FromClause) -> sa.ColumnElement:
    """A survey response's own time: when it was answered, else when it was sent."""
    return sa.func.coalesce(table.c.responded_at, table.c.sent_at)


def ticket_seen(table: sa.FromClause) -> sa.ColumnElement:
    """When a ticket was last seen: the latest of its times (created_at is never NULL)."""
    created = table.c.created_at
    later = (sa.func.coalesce(table.c[c], created) for c in TICKET_SEEN[1:])
    return greatest(created, *later, type_=created.type)


def ticket_left(table: sa.FromClause) -> sa.ColumnElement:
    """When a ticket left the backlog if it is done: last solved, else solved, else closed."""
    times = ("last_solved_at", "solved_at", "closed_at", "created_at")
    return sa.func.coalesce(*(table.c[c] for c in times))


def newest(value: sa.ColumnElement) -> sa.Select:
    """The largest `value` (no row: none) read through its index, newest first: `max()` of an
    expression is not read through its index on SQLite."""
    return sa.select(value.label("newest")).order_by(value.desc()).limit(1)
