"""Keep the stored rollups in step with the facts: re-roll only the intervals a change touched."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, indexed, storage, summaries
from carepulse.merge import matches
from carepulse.rerolls import (
    CONTACTS,
    SURVEYS,
    TICKETS,
    Span,
    merge_spans,
    reroll_backlog,
    reroll_contacts,
    reroll_surveys,
    reroll_tickets,
    widen,
)
from carepulse.settings import Settings
from metrics.business_hours import Calendar
from metrics.repeats import CHAIN
from metrics.schema import KINDS, TIMESTAMP


@dataclass(frozen=True)
class Thresholds:
    """The settings the stored rollups depend on; a change rebuilds them."""

    short_abandon_seconds: float
    sl_seconds: float
    fcr_window_hours: float
    fcr_same_reason: bool
    hold_in_talk: bool
    timezone: str
    business_hours: tuple[tuple[str, str], ...]
    holidays: tuple[str, ...]  # ISO dates
    sla_first_response_hours: float
    sla_resolution_hours: float
    layout: int = 3  # the tables kept (a store rebuilds once): 2, contacts by day; 3, all by day

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            short_abandon_seconds=settings.short_abandon_seconds,
            sl_seconds=settings.service_level_seconds,
            fcr_window_hours=settings.fcr_window_hours,
            fcr_same_reason=settings.fcr_same_reason,
            hold_in_talk=settings.hold_in_talk,
            timezone=settings.timezone,
            business_hours=tuple(sorted(settings.business_hours.items())),
            holidays=tuple(sorted(d.isoformat() for d in settings.holidays)),
            sla_first_response_hours=settings.sla_first_response_hours,
            sla_resolution_hours=settings.sla_resolution_hours,
        )

    @property
    def calendar(self) -> Calendar:
        """The business calendar the ticket rollups count open time on."""
        holidays = [date.fromisoformat(d) for d in self.holidays]
        return Calendar.of(dict(self.business_hours), holidays, timezone=self.timezone)

    @property
    def look_back(self) -> timedelta:
        """How far before a changed contact earlier contacts' repeat flags can change."""
        return max(timedelta(hours=self.fcr_window_hours), timedelta(hours=24)) + CHAIN

    def fingerprint(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Touched:
    """What a change can alter: interval spans per rollup and the first backlog day."""

    contacts: Span | None = None
    surveys: Span | None = None
    tickets: Span | None = None
    backlog_from: datetime | None = None


def _min_max(
    connection: sa.Connection,
    value: sa.ColumnElement,
    *where: object,
    source: sa.FromClause | None = None,
) -> Span | None:
    statement = sa.select(sa.func.min(value).label("low"), sa.func.max(value).label("high"))
    if source is not None:
        statement = statement.select_from(source)
    row = bulk.read(connection, statement.where(*where), dict.fromkeys(("low", "high"), TIMESTAMP))
    low, high = row.row(0)
    return None if low is None else (low, high)


def _versions(
    connection: sa.Connection, stage: sa.TableClause, fact: sa.Table, value: object
) -> Span | None:
    """The span of `value` over the staged rows and the stored rows they replace."""
    new = _min_max(connection, value(stage), source=stage)
    old = _min_max(connection, value(fact), source=_replaced(stage, fact))
    return merge_spans(new, old)


def _replaced(stage: sa.TableClause, fact: sa.Table) -> sa.Join:
    """The stored rows the staged rows replace, joined to them."""
    return fact.join(stage, matches(stage, fact, KINDS[fact.name]))


def touched(connection: sa.Connection, stage: sa.TableClause, kind: str) -> Touched:
    """What merging the staged rows will change; call before the merge."""
    if kind == "contacts":
        span = _versions(connection, stage, CONTACTS, lambda t: t.c.arrived_at)
        linked = SURVEYS.c.contact_id.in_(sa.select(stage.c.contact_id))
        own = _min_max(connection, indexed.survey_time(SURVEYS), linked)
        return Touched(contacts=span, surveys=merge_spans(span, own))
    if kind == "survey_responses":
        own = _versions(connection, stage, SURVEYS, indexed.survey_time)
        # The contacts rated now, and those the replaced versions rated (a re-import may move
        # an answer to another contact: the old one's interval loses it).
        replaced = _replaced(stage, SURVEYS)
        ids = sa.union(
            sa.select(stage.c.contact_id), sa.select(SURVEYS.c.contact_id).select_from(replaced)
        )
        rated = _min_max(connection, CONTACTS.c.arrived_at, CONTACTS.c.contact_id.in_(ids))
        # A new rating can displace an earlier one of the same contact (the last one wins).
        siblings = _min_max(connection, indexed.survey_time(SURVEYS), SURVEYS.c.contact_id.in_(ids))
        return Touched(surveys=merge_spans(own, rated, siblings))
    created = _versions(connection, stage, TICKETS, lambda t: t.c.created_at)
    solved = _versions(connection, stage, TICKETS, lambda t: t.c.solved_at)
    first = None if created is None else created[0]
    return Touched(tickets=merge_spans(created, solved), backlog_from=first)


def apply(connection: sa.Connection, change: Touched, limits: Thresholds) -> None:
    """Re-roll what a change touched, inside the caller's transaction."""
    if change.contacts:
        reroll_contacts(connection, widen(change.contacts), limits)
    if change.surveys:
        reroll_surveys(connection, widen(change.surveys), limits.timezone)
    if change.tickets:
        reroll_tickets(connection, widen(change.tickets), limits)
    if change.backlog_from:
        day = change.backlog_from.astimezone(ZoneInfo(limits.timezone)).date()
        reroll_backlog(connection, day, limits.timezone)


def everything(connection: sa.Connection) -> Touched:
    """Every stored fact, as a change (for a full rebuild)."""
    contacts = _min_max(connection, CONTACTS.c.arrived_at)
    surveys = merge_spans(contacts, _min_max(connection, indexed.survey_time(SURVEYS)))
    created = _min_max(connection, TICKETS.c.created_at)
    tickets = merge_spans(created, _min_max(connection, TICKETS.c.solved_at))
    return Touched(contacts, surveys, tickets, None if created is None else created[0])


def rebuild(engine: Engine, settings: Settings, *, only_if_stale: bool = False) -> Thresholds:
    """Recompute every rollup from the facts with the current settings, in one transaction.

    `only_if_stale`: unless another writer rebuilt them for these settings meanwhile.
    """
    limits = Thresholds.of(settings)
    with storage.writing(engine) as connection:
        if only_if_stale and _stored(connection) == limits.fingerprint():
            return limits
        for table in [*storage.ROLLUPS.values(), storage.dimension_values]:
            connection.execute(table.delete())
        apply(connection, everything(connection), limits)
        state = storage.rollup_state
        connection.execute(state.delete().where(state.c.name == "thresholds"))
        connection.execute(state.insert().values(name="thresholds", value=limits.fingerprint()))
    return limits


def ensure_current(engine: Engine, settings: Settings) -> bool:
    """Rebuild the rollups if the settings they depend on changed; True when it rebuilt.

    A store made before filter values and freshness were kept gets them first."""
    summaries.ensure(engine)
    if current(engine, settings):
        return False
    rebuild(engine, settings, only_if_stale=True)  # sessions starting at once rebuild once
    return True


def current(engine: Engine, settings: Settings) -> bool:
    """Whether the stored rollups were built with these settings and this table layout."""
    with engine.connect() as connection:
        return _stored(connection) == Thresholds.of(settings).fingerprint()


def _stored(connection: sa.Connection) -> str | None:
    """The fingerprint of the thresholds the stored rollups were built with."""
    state = storage.rollup_state
    return connection.execute(
        sa.select(state.c.value).where(state.c.name == "thresholds")
    ).scalar_one_or_none()
