"""KPIs for a period: read the stored rollups of the period and evaluate catalog KPIs on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carepulse import rollups, storage
from carepulse.settings import Settings
from metrics import catalog
from metrics.errors import CarePulseError
from metrics.evaluate import TIME_GRAINS, evaluate, restrict, time_grain
from metrics.kpi import Kpi

FAMILY_TABLES = {
    "contacts": "contact_intervals",
    "surveys": "survey_intervals",
    "tickets": "ticket_intervals",
}


def utc_range(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants that bound local days `start`..`end` (inclusive)."""
    zone = ZoneInfo(timezone)
    low = datetime.combine(start, time(), zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    return low, high


def _table(engine: Engine, name: str, column: str, low: object, high: object) -> pl.DataFrame:
    table = storage.ROLLUPS[name]
    statement = sa.select(table).where(table.c[column] >= low, table.c[column] < high)
    return storage.read(engine, statement, dict(storage.ROLLUP_SCHEMAS[name]))


def load(engine: Engine, start: date, end: date, timezone: str) -> dict[str, pl.DataFrame]:
    """The interval tables of local days `start`..`end`, and their backlog snapshots."""
    low, high = utc_range(start, end, timezone)
    frames = {f: _table(engine, t, "interval_start", low, high) for f, t in FAMILY_TABLES.items()}
    frames["backlog"] = _table(engine, "ticket_backlog", "day", start, end + timedelta(days=1))
    return frames


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
    frame = restrict(_table(engine, FAMILY_TABLES[family], "interval_start", low, high), where)
    grains = [time_grain(g, settings.timezone) for g in by if g in TIME_GRAINS]
    sums = [pl.col(c).sum() for c in columns]
    frame = frame.lazy().with_columns(grains)
    if not by:
        return frame.select(sums).collect()
    return frame.group_by(list(by)).agg(sums).sort(list(by)).collect()


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
) -> pl.DataFrame:
    """Catalog KPIs for local days `start`..`end`, grouped `by`, against the settings' targets."""
    if end < start:
        raise CarePulseError(
            f"the period ends ({end}) before it starts ({start})", hint="Swap the dates."
        )
    rollups.ensure_current(engine, settings)
    frames = load(engine, start, end, settings.timezone)
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
