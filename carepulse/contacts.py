"""The contacts behind a figure: filtered, limited queries on the stored facts, never all rows.

Every loader takes the `where` of the view (dimension -> allowed values, None meaning unset),
so a scope added to the filters narrows every query here as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, indexed, query, storage
from carepulse.query import allowing
from carepulse.settings import Settings
from metrics import repeats, rollup
from metrics.schema import KINDS

CONTACTS, SURVEYS, TICKETS = (storage.FACTS[k] for k in ("contacts", "survey_responses", "tickets"))
CAP = 10_000  # the list pages through the newest this many contacts of a selection
SCORES = ("csat", "nps", "ces", "is_resolved")
Where = Mapping[str, Sequence[object]]


def conditions(table: sa.FromClause, where: Where) -> list[sa.ColumnElement[bool]] | None:
    """SQL conditions for `where`; None when the table lacks one of its columns (show nothing)."""
    if any(column not in table.c for column in where):
        return None
    return [allowing(table.c[column], allowed) for column, allowed in where.items()]


def _listed(settings: Settings, start: date, end: date, where: Where) -> sa.Select | None:
    tests = conditions(CONTACTS, where)
    if tests is None:
        return None
    low, high = query.utc_range(start, end, settings.timezone)
    column = CONTACTS.c.arrived_at
    return sa.select(CONTACTS).where(column >= low, column < high, *tests)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=KINDS["contacts"].schema)


def page(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    where: Where,
    limit: int = 50,
    offset: int = 0,
) -> pl.DataFrame:
    """One page of the contacts of local days `start`..`end`, newest first, with their
    repeat flag (`is_repeated`, null while the window is open) and last survey scores."""
    statement = _listed(settings, start, end, where)
    if statement is None:
        return with_surveys(engine, with_repeats(engine, settings, _empty()), where)
    order = (CONTACTS.c.arrived_at.desc(), CONTACTS.c.source, CONTACTS.c.contact_id)
    statement = statement.order_by(*order).limit(limit).offset(offset)
    frame = bulk.read(engine, statement, KINDS["contacts"].schema)
    return with_surveys(engine, with_repeats(engine, settings, frame), where)


def count(
    engine: Engine, settings: Settings, *, start: date, end: date, where: Where, cap: int = CAP
) -> int:
    """How many contacts the list holds, counting no further than `cap`."""
    statement = _listed(settings, start, end, where)
    if statement is None:
        return 0
    capped = statement.with_only_columns(CONTACTS.c.contact_id).limit(cap).subquery()
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one()


def with_repeats(engine: Engine, settings: Settings, frame: pl.DataFrame) -> pl.DataFrame:
    """Add `is_repeated`: the customer came back within the FCR window (null: still open).

    Reads only the same customers' contacts up to one window after the page's latest one.
    """
    keys = frame["customer_key"].drop_nulls().unique().to_list()
    window = timedelta(hours=settings.fcr_window_hours)
    later = _empty()
    if keys:
        low, high = frame["arrived_at"].min(), frame["arrived_at"].max() + window + repeats.CHAIN
        column = CONTACTS.c.arrived_at
        statement = sa.select(CONTACTS).where(
            CONTACTS.c.customer_key.in_(keys), column >= low, column <= high
        )
        later = bulk.read(engine, statement, KINDS["contacts"].schema)
    both = pl.concat([frame.with_row_index("_row"), later.with_columns(_row=None)], how="diagonal")
    flagged = repeats.flag(both.lazy(), fcr_window=window, same_reason=settings.fcr_same_reason)
    open_window = pl.col("arrived_at") + window > datetime.now(UTC)
    flag = pl.when(pl.col("is_repeated") | ~open_window).then(pl.col("is_repeated"))
    rows = flagged.filter(pl.col("_row").is_not_null()).with_columns(flag.alias("is_repeated"))
    return rows.collect().sort("_row").drop("_row", "is_returned")


def with_surveys(engine: Engine, frame: pl.DataFrame, where: Where) -> pl.DataFrame:
    """Add each contact's last answered survey scores (csat, nps, ces, survey_resolved), of
    the responses the selection counts: a response's own queue, team, agent or channel, where
    set, must be allowed too (the contacts' are)."""
    ids = frame["contact_id"].drop_nulls().unique().to_list()
    own = [  # unset: the contact's value counts, and it is allowed
        allowing(SURVEYS.c[column], (*allowed, None))
        for column, allowed in where.items()
        if column in rollup.SURVEY_OWN
    ]
    statement = sa.select(SURVEYS).where(SURVEYS.c.contact_id.in_(ids), _answered(SURVEYS), *own)
    responses = bulk.read(engine, statement, KINDS["survey_responses"].schema)
    last = (
        responses.sort("responded_at", "response_id", nulls_last=False)
        .group_by("contact_id")
        .agg(pl.col(*SCORES).last())
        .rename({"is_resolved": "survey_resolved"})
    )
    return frame.join(last, on="contact_id", how="left")


def _answered(table: sa.FromClause) -> sa.ColumnElement[bool]:
    known = [table.c[c].is_not(None) for c in ("responded_at", *SCORES)]
    return sa.or_(*known)


def one(engine: Engine, source: str, contact_id: str, where: Where) -> dict | None:
    """One stored contact, or None when it does not exist within `where`."""
    tests = conditions(CONTACTS, where)
    if tests is None:
        return None
    key = (CONTACTS.c.source == source, CONTACTS.c.contact_id == contact_id)
    frame = bulk.read(engine, sa.select(CONTACTS).where(*key, *tests), KINDS["contacts"].schema)
    return frame.row(0, named=True) if frame.height else None


def _contacts(engine: Engine, where: Where, *tests: object, limit: int = 50) -> pl.DataFrame:
    scope = conditions(CONTACTS, where)
    if scope is None:
        return _empty()
    statement = sa.select(CONTACTS).where(*tests, *scope).order_by(CONTACTS.c.arrived_at)
    return bulk.read(engine, statement.limit(limit), KINDS["contacts"].schema)


def transfers(engine: Engine, contact: dict, where: Where, *, depth: int = 10) -> pl.DataFrame:
    """The transfer chain of a contact: the legs it came from and those it passed on to."""
    same = CONTACTS.c.source == contact["source"]
    legs, parent = [], contact["parent_contact_id"]
    while parent and len(legs) < depth:  # up: each leg names the one before it
        found = _contacts(engine, where, same, CONTACTS.c.contact_id == parent, limit=1)
        if found.is_empty():
            break
        legs.append(found.with_columns(relation=pl.lit("came from")))
        parent = found["parent_contact_id"][0]
    ids = [contact["contact_id"]]
    for _ in range(depth):  # down: the legs naming this one as their parent
        found = _contacts(engine, where, same, CONTACTS.c.parent_contact_id.in_(ids))
        if found.is_empty():
            break
        legs.append(found.with_columns(relation=pl.lit("passed on to")))
        ids = found["contact_id"].to_list()
    frames = [f.with_columns(pl.col("relation")) for f in legs]
    return pl.concat(frames) if frames else _empty().with_columns(relation=pl.lit(None, pl.String))


def customer(
    engine: Engine, settings: Settings, contact: dict, where: Where, *, exclude: Sequence[str] = ()
) -> pl.DataFrame:
    """The same customer's other contacts within one FCR window either side."""
    if contact["customer_key"] is None:
        return _empty().with_columns(relation=pl.lit(None, pl.String))
    window = timedelta(hours=settings.fcr_window_hours)
    at = contact["arrived_at"]
    column = CONTACTS.c.arrived_at
    found = _contacts(
        engine,
        where,
        CONTACTS.c.customer_key == contact["customer_key"],
        column >= at - window,
        column <= at + window,
        CONTACTS.c.contact_id.not_in([contact["contact_id"], *exclude]),
    )
    later = pl.col("arrived_at") > at + repeats.CHAIN
    relation = pl.when(later).then(pl.lit("came back")).otherwise(pl.lit("contacted before"))
    return found.with_columns(relation.alias("relation"))


def surveys(engine: Engine, contact_ids: Sequence[str], where: Where) -> pl.DataFrame:
    """The survey responses about these contacts."""
    tests = conditions(SURVEYS, {k: v for k, v in where.items() if k in SURVEYS.c})
    statement = sa.select(SURVEYS).where(SURVEYS.c.contact_id.in_(list(contact_ids)), *tests)
    return bulk.read(engine, statement.limit(50), KINDS["survey_responses"].schema)


def tickets(engine: Engine, settings: Settings, contact: dict, where: Where) -> pl.DataFrame:
    """The same customer's tickets from a day before the contact to one FCR window after."""
    tests = conditions(TICKETS, where)
    if contact["customer_key"] is None or tests is None:
        return pl.DataFrame(schema=KINDS["tickets"].schema)
    at, window = contact["arrived_at"], timedelta(hours=settings.fcr_window_hours)
    column = TICKETS.c.created_at
    statement = sa.select(TICKETS).where(
        TICKETS.c.customer_key == contact["customer_key"],
        column >= at - timedelta(days=1),
        column <= at + window,
        *tests,
    )
    return bulk.read(engine, statement.order_by(column).limit(20), KINDS["tickets"].schema)


def comments(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    where: Where,
    limit: int = 20,
) -> pl.DataFrame:
    """The latest survey comments counted in local days `start`..`end`, attributed as the
    rollups attribute them: the response's own queue, team, agent and channel, else its
    contact's."""
    on = SURVEYS.c.contact_id == CONTACTS.c.contact_id
    known = all(column in CONTACTS.c for column in where)
    tests = [allowing(_attributed(c), allowed) for c, allowed in where.items()] if known else []
    low, high = query.utc_range(start, end, settings.timezone)
    columns = (SURVEYS.c.responded_at, *(SURVEYS.c[c] for c in SCORES), SURVEYS.c.comment)
    chosen = sa.select(*columns).where(SURVEYS.c.comment.is_not(None), *tests)
    chosen = chosen.where(sa.true() if known else sa.false())
    # Counted at the rated contact's arrival, else at the response's own time: two halves that
    # each find their rows by index (one condition over both read every response stored).
    rated = chosen.select_from(SURVEYS.join(CONTACTS, on)).where(
        CONTACTS.c.arrived_at >= low, CONTACTS.c.arrived_at < high
    )
    own = indexed.survey_time(SURVEYS)
    alone = chosen.select_from(SURVEYS.outerjoin(CONTACTS, on)).where(
        CONTACTS.c.contact_id.is_(None), own >= low, own < high
    )
    found = sa.union_all(rated, alone).subquery()
    statement = sa.select(found).order_by(found.c.responded_at.desc()).limit(limit)
    return bulk.read(engine, statement, KINDS["survey_responses"].schema)


def _attributed(column: str) -> sa.ColumnElement:
    """A response's dimension as the rollups attribute it."""
    if column in rollup.SURVEY_OWN:
        return sa.func.coalesce(SURVEYS.c[column], CONTACTS.c[column])
    return CONTACTS.c[column]
