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
from metrics import catalog, histogram
from metrics.errors import CarePulseError
from metrics.evaluate import evaluate
from metrics.kpi import Better, Family, Kpi, Total, Unit, measure

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


def loaded(engine: Engine, settings: Settings, start: date, end: date) -> dict[str, pl.DataFrame]:
    """The rollups of local days `start`..`end`, rebuilt first if the settings changed."""
    if end < start:
        raise CarePulseError(
            f"the period ends ({end}) before it starts ({start})", hint="Swap the dates."
        )
    rollups.ensure_current(engine, settings)
    return load(engine, start, end, settings.timezone)


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

    `frames` are that period's rollups when the caller already holds them (see `loaded`).
    """
    frames = dict(frames if frames is not None else loaded(engine, settings, start, end))
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
    frames = dict(frames if frames is not None else loaded(engine, settings, start, end))
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
