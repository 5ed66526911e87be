"""KPIs for a period: read the stored rollups of the period and evaluate catalog KPIs on them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import bulk, rollups, selection, storage
from carepulse.settings import Settings
from metrics import catalog, histogram, rollup
from metrics.errors import CarePulseError
from metrics.evaluate import (
    DEFAULT_WINDOWS,
    INTERVAL,
    TIME_GRAINS,
    evaluate,
    restrict,
    time_grain,
)
from metrics.kpi import Better, Family, Kpi, Total, Unit, measure
from metrics.rollup import DIMENSIONS as CONTACT_DIMENSIONS
from metrics.ticket_rollup import DIMENSIONS as TICKET_DIMENSIONS

DIMENSIONS = {*CONTACT_DIMENSIONS, *TICKET_DIMENSIONS}
FAMILY_TABLES = {
    "contacts": "contact_intervals",
    "surveys": "survey_intervals",
    "tickets": "ticket_intervals",
}


# The histograms' bucket counts, which only medians and percentiles read.
BUCKETS = frozenset(c for name in histogram.HISTOGRAMS for c in histogram.columns(name))
# Every summed column of the interval tables (the rest are the time and the dimensions).
MEASURES = frozenset(
    c
    for name in FAMILY_TABLES.values()
    for c in storage.ROLLUP_SCHEMAS[name]
    if c not in DIMENSIONS and c != "interval_start"
)


def utc_range(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants that bound local days `start`..`end` (inclusive)."""
    return rollup.day_start(start, timezone), rollup.day_start(end + timedelta(days=1), timezone)


def allowing(value: sa.ColumnElement, allowed: Sequence[object]) -> sa.ColumnElement[bool]:
    """`value` is one of `allowed` (None in the list: or unset)."""
    known = [v for v in allowed if v is not None]
    test = value.in_(known)
    return sa.or_(test, value.is_(None)) if len(known) < len(allowed) else test


def _table(
    connection: sa.Connection,
    name: str,
    column: str,
    low: object,
    high: object,
    keep: Collection[str] | None = None,
    where: Mapping[str, Sequence[object]] | None = None,
    settled: datetime | None = None,
) -> pl.DataFrame:
    if name == "contact_intervals" and keep is not None and not set(keep) & set(rollup.FINE):
        name = rollup.COARSE_TABLE  # the same sums, without the agent and reason grain
    table = storage.ROLLUPS[name]
    period = (table.c[column] >= low, table.c[column] < high)
    period += tuple(allowing(table.c[c], v) for c, v in (where or {}).items() if c in table.c)
    if keep is None or column != "interval_start":
        statement = sa.select(table)
    else:
        dimensions = [c for c in table.c if c.name in DIMENSIONS]
        kept = [c for c in dimensions if c.name in keep]
        measures = [c for c in table.c if c.name in keep and c.name not in DIMENSIONS]
        time = table.c[column]
        if settled is not None:  # intervals before it summed into one, at the period's start
            start = sa.literal(low, type_=time.type)
            time = sa.case((time < settled, start), else_=time).label(column)
        if len(kept) == len(dimensions) and settled is None:  # the stored rows, fewer columns
            statement = sa.select(time, *kept, *measures)
        else:  # summed in the database over the dimensions (and times) not wanted
            statement = storage.summed([time, *kept], measures)
    statement = statement.where(*period)
    return bulk.read(connection, statement, dict(storage.ROLLUP_SCHEMAS[name]))


def load(
    engine: Engine,
    start: date,
    end: date,
    timezone: str,
    *,
    keep: Collection[str] | None = None,
    where: Mapping[str, Sequence[object]] | None = None,
    settled: datetime | None = None,
    daily: datetime | None = None,
) -> dict[str, pl.DataFrame]:
    """The interval tables of local days `start`..`end`, and their backlog snapshots.

    All read in one snapshot, so an ingest committing meanwhile is seen whole or not at all.
    With `keep` (dimension and measure names), interval tables hold only those columns, summed
    per interval over the other dimensions: far fewer rows to read than the stored grain.
    With `where`, interval tables hold only the rows it allows (of the dimensions they have).
    With `settled` (and `keep`), the intervals before it are summed into one, stamped with the
    period's start: for figures that split by no time grain, once no KPI window is open there.
    With `daily` (and `keep` without the agent or reason), local days before the one holding
    it are read from the daily rollups, a row per day instead of 96 (or one per ticket).
    """
    low, high = utc_range(start, end, timezone)
    parts = {name: [(name, low, high)] for name in FAMILY_TABLES.values()}
    if daily is not None and keep is not None and not set(keep) & set(rollup.FINE):
        split = min(daily.astimezone(ZoneInfo(timezone)).date(), end + timedelta(days=1))
        middle = rollup.day_start(max(split, start), timezone)
        parts = {n: [(rollup.DAILY_TABLES[n], low, middle), (n, middle, high)] for n in parts}
    with storage.reading(engine) as connection:
        frames = {
            family: pl.concat(
                _table(connection, t, "interval_start", a, b, keep, where, settled)
                for t, a, b in parts[name]
            )
            for family, name in FAMILY_TABLES.items()
        }
        frames["backlog"] = _table(
            connection, "ticket_backlog", "day", start, end + timedelta(days=1)
        )
    return frames


SUB_DAY = frozenset({"interval", "half_hour", "hour", "hour_of_day"})  # time grains of a day


def _days(
    engine: Engine,
    timezone: str,
    tables: Mapping[str, str],
    *,
    last: bool,
    where: Mapping[str, Sequence[object]] | None = None,
) -> dict[str, date]:
    """The first (or `last`) interval time of each family's table among the rows `where`
    allows, as local days; families with no such rows are left out. Read along the time
    index, which stops at the first row allowed (or scans them all when none is)."""
    found = {}
    with engine.connect() as connection:
        for family, name in tables.items():
            table = storage.ROLLUPS[name]
            time = table.c.interval_start
            allowed = [allowing(table.c[c], v) for c, v in (where or {}).items() if c in table.c]
            order = time.desc() if last else time.asc()
            statement = sa.select(time).where(*allowed).order_by(order).limit(1)
            moment = connection.execute(statement).scalar()
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment)
            if moment is not None:
                moment = moment.replace(tzinfo=moment.tzinfo or UTC)
                found[family] = moment.astimezone(ZoneInfo(timezone)).date()
    return found


def latest_day(engine: Engine, timezone: str) -> date | None:
    """The last local day with contacts, surveys or tickets (the anchor of relative periods).

    A ticket-only store has no calls, and its pages still need a period.
    """
    return max(_days(engine, timezone, FAMILY_TABLES, last=True).values(), default=None)


def first_days(
    engine: Engine, timezone: str, where: Mapping[str, Sequence[object]] | None = None
) -> dict[str, date]:
    """The first local day with stored data of each KPI family that has any: contacts among
    the rows `where` allows (a team lead's teams, the sidebar's filters), from the daily
    rollup, a few rows a day; survey answers and tickets centre-wide, because their rollups
    hold about a row per answer or ticket, too many to scan for a selection that matches
    none (41 s for 10 M contact rows)."""
    contacts = {"contacts": rollup.DAILY_TABLE if where else FAMILY_TABLES["contacts"]}
    others = {f: t for f, t in FAMILY_TABLES.items() if f != "contacts"}
    found = _days(engine, timezone, contacts, last=False, where=where)
    return found | _days(engine, timezone, others, last=False)


def totals(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    family: str,
    columns: Sequence[str],
    by: Sequence[str] = (),
    where: Mapping[str, Sequence[object]] | None = None,
) -> pl.DataFrame:
    """Sums of rollup measures (e.g. score counts) for local days `start`..`end`, grouped `by`."""
    rollups.ensure_current(engine, settings)
    low, high = utc_range(start, end, settings.timezone)
    keep = {*columns, *by, *(where or {})}
    with storage.reading(engine) as connection:
        frame = _table(connection, FAMILY_TABLES[family], "interval_start", low, high, keep)
    frame = restrict(frame, where)
    grains = [time_grain(g, settings.timezone) for g in by if g in TIME_GRAINS]
    sums = [pl.col(c).sum() for c in columns]
    frame = frame.lazy().with_columns(grains)
    if not by:
        return frame.select(sums).collect()
    return frame.group_by(list(by)).agg(sums).sort(list(by)).collect()


def loaded(
    engine: Engine, settings: Settings, start: date, end: date, *, buckets: bool = True
) -> dict[str, pl.DataFrame]:
    """The rollups of local days `start`..`end` summed over the agent and the reason (far
    fewer rows than the stored grain), by day where every KPI window has closed (so for
    figures by day or coarser only), rebuilt first if the settings changed; without
    `buckets`, leaving out the histograms' bucket counts (two thirds of the columns), which
    only medians and percentiles need."""
    if end < start:
        raise CarePulseError(
            f"the period ends ({end}) before it starts ({start})", hint="Swap the dates."
        )
    rollups.ensure_current(engine, settings)
    measures = MEASURES if buckets else MEASURES - BUCKETS
    dimensions = DIMENSIONS - set(rollup.FINE)  # the tickets' agent too
    keep, daily = measures | dimensions, _settled(settings, None)
    return load(engine, start, end, settings.timezone, keep=keep, daily=daily)


def chosen(settings: Settings, keys: Sequence[str] | None = None) -> list[Kpi]:
    """Catalog KPIs with the settings' variants, all or the named ones (in that order)."""
    every = catalog.kpis(sl_abandons=settings.sl_abandons, fcr_method=settings.fcr_method)
    unknown = [k for k in keys or () if k not in every]
    if unknown:
        raise CarePulseError(
            f"unknown KPI {', '.join(unknown)}", hint=f"Use one of: {', '.join(every)}."
        )
    return [every[k] for k in keys] if keys else list(every.values())


def targets(settings: Settings) -> dict[str, float | None]:
    """Each KPI's target: the settings' override, else the preset's default."""
    every = catalog.kpis(sl_abandons=settings.sl_abandons, fcr_method=settings.fcr_method)
    return catalog.targets(every, preset=settings.preset, overrides=settings.targets)


def kpis(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    by: Sequence[str] = (),
    keys: Sequence[str] | None = None,
    where: Mapping[str, Sequence[object]] | None = None,
    as_of: datetime | None = None,
    frames: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Catalog KPIs for local days `start`..`end`, grouped `by`, against the settings' targets.

    `frames` are that period's rollups when the caller already holds them (see `loaded`);
    otherwise only the columns these KPIs, groups and filters need are read.
    """
    if frames is None:
        if end < start:
            raise CarePulseError(
                f"the period ends ({end}) before it starts ({start})", hint="Swap the dates."
            )
        rollups.ensure_current(engine, settings)
        keep = {c for k in chosen(settings, keys) for c in k.measures} | set(by) | set(where or {})
        grains, settled = set(by) & set(TIME_GRAINS), _settled(settings, as_of)
        frames = load(
            engine, start, end, settings.timezone, keep=keep, where=where,
            settled=None if grains else settled, daily=None if grains & SUB_DAY else settled,
        )  # fmt: skip
    return evaluate_loaded(settings, frames, by=by, keys=keys, where=where, as_of=as_of)


def _settled(settings: Settings, as_of: datetime | None) -> datetime:
    """A time before which every KPI window (FCR, containment, complaint follow-up) has
    closed for any evaluation from now on: a day before the longest of them."""
    longest = max(timedelta(hours=settings.fcr_window_hours), *DEFAULT_WINDOWS.values())
    return (as_of or datetime.now(UTC)) - longest - INTERVAL - timedelta(days=1)


def evaluate_loaded(
    settings: Settings,
    frames: Mapping[str, pl.DataFrame],
    *,
    by: Sequence[str] = (),
    keys: Sequence[str] | None = None,
    where: Mapping[str, Sequence[object]] | None = None,
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """Catalog KPIs over interval tables already read by `load`."""
    frames = dict(frames)
    backlog = frames.pop("backlog")
    return evaluate(
        chosen(settings, keys),
        frames,
        by=by,
        where=where,
        timezone=settings.timezone,
        targets=targets(settings),
        windows={"fcr": timedelta(hours=settings.fcr_window_hours)},
        as_of=as_of,
        small_sample=settings.small_sample,
        backlog=backlog,
    )


class Reader:
    """KPIs of one selection in several groupings, each period's rollups read only once.

    The rollups are read summed over every dimension but `dimensions` (the filters' by
    default), so a period is far fewer rows than the stored agent × reason grain.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        where: Mapping[str, Sequence[object]] | None,
        *,
        dimensions: Collection[str] = tuple(selection.DIMENSIONS),
    ) -> None:
        self.engine, self.settings, self.where = engine, settings, where
        self.keep = MEASURES | set(dimensions) | set(where or {})
        self._frames: dict[tuple[date, date], dict[str, pl.DataFrame]] = {}
        rollups.ensure_current(engine, settings)

    def kpis(
        self, start: date, end: date, *, by: Sequence[str] = (), keys: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """Like `kpis`, for local days `start`..`end` of this selection."""
        missing = [g for g in by if g in DIMENSIONS and g not in self.keep]
        if missing:
            raise ValueError(f"this reader sums over {', '.join(missing)}: name it in dimensions")
        if (start, end) not in self._frames:
            timezone = self.settings.timezone
            self._frames[start, end] = load(self.engine, start, end, timezone, keep=self.keep)
        frames = self._frames[start, end]
        return evaluate_loaded(self.settings, frames, by=by, keys=keys, where=self.where)


def distribution(
    engine: Engine,
    settings: Settings,
    *,
    start: date,
    end: date,
    name: str,
    where: Mapping[str, Sequence[object]] | None = None,
    frames: Mapping[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """How many contacts fall in each bucket of a stored histogram (`low`, `high`, `count`;
    the last bucket is open: `high` null) for local days `start`..`end`."""
    if frames is None:  # only this histogram's buckets, of the selected rows
        rollups.ensure_current(engine, settings)
        keep = {*histogram.columns(name), *(where or {})}
        frames = load(engine, start, end, settings.timezone, keep=keep, where=where)
    frames = dict(frames)
    family = Family.TICKETS if name in ("first_response", "resolution") else Family.CONTACTS
    buckets = [
        Total(key=column, label=column, unit=Unit.COUNT, better=Better.NEITHER, family=family,
              total=measure(column), definition="")
        for column in histogram.columns(name)
    ]  # fmt: skip
    frames.pop("backlog")
    counts = evaluate(buckets, frames, where=where, timezone=settings.timezone)
    found = dict(zip(counts["kpi"], counts["value"], strict=True))
    edges = [float(e) for e in histogram.HISTOGRAMS[name]]
    return pl.DataFrame(
        {
            "low": edges,
            "high": [*edges[1:], None],
            "count": [found.get(c) or 0.0 for c in histogram.columns(name)],
        }
    )


# KPIs that are above zero when a period holds any contact, bot session, answer or ticket.
SOMETHING = ("offered", "aht", "containment", "response_rate", "tickets_created", "backlog")


def anything(rows: pl.DataFrame) -> bool:
    """Whether KPI rows of SOMETHING show anything to report."""
    return bool(rows["value"].fill_null(0).sum() or rows["denominator"].fill_null(0).sum())
