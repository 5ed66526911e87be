"""What the executive report says, computed from the stored rollups for one selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
import polars as pl
from sqlalchemy.engine import Engine

from carepulse import (
    charts,
    feedback,
    formatting,
    glossary,
    insights,
    periods,
    query,
    selection,
    summaries,
)
from carepulse.report import summary
from carepulse.report.tables import (
    Cell,
    Table,
    kpi_table,
    movers_table,
    queue_table,
    themes_table,
    verbatims_table,
)
from carepulse.selection import Filters
from carepulse.settings import Settings
from metrics import compare
from metrics.catalog import HEADLINE
from metrics.kpi import Kpi

TRENDS = ("service_level", "abandon_rate", "asa", "aht", "csat", "nps")
QUEUE_KPIS = ("offered", "service_level", "abandon_rate", "asa", "aht", "fcr", "csat", "nps")
VOICE = ("csat", "csat_mean", "nps", "ces", "ces_mean", "survey_fcr", "response_rate")
VOICE_BY_QUEUE = ("csat", "nps", "ces", "survey_fcr", "response_rate")
# The Tickets page's tiles (times in business hours, as there) with their P90s.
TICKETS = (
    "tickets_created", "tickets_solved", "backlog", "backlog_over_48h", "reopen_rate",
    "first_response_business", "first_response_business_p90", "resolution_business",
    "resolution_business_p90", "sla_first_response", "sla_resolution", "complaint_follow_up",
)  # fmt: skip
TICKETS_TITLE = "Ticket KPIs (times in business hours, as on the Tickets page)"
BY_QUEUE = tuple(dict.fromkeys([*HEADLINE, *QUEUE_KPIS, *VOICE_BY_QUEUE]))


@dataclass(frozen=True)
class Chart:
    key: str
    figure: go.Figure


@dataclass(frozen=True)
class Report:
    """Everything the template prints, as text, tables and figures."""

    centre: str
    period: str
    comparison: str
    filters: str
    timezone: str
    link: str
    freshness: tuple[str, ...]
    summary: tuple[str, ...]
    headline: Table
    charts: tuple[Chart, ...]
    movers: Table
    queues: Table
    voice: tuple[Table, ...]
    tickets: tuple[Table, ...]
    definitions: Table
    settings: Table


def voice_extras(engine: Engine, settings: Settings, f: Filters) -> list[Table]:
    """Comment themes with their effects and a few redacted verbatims of the selection."""
    themes, quotes = feedback.summary(
        engine, settings, start=f.period.start, end=f.period.end, where=f.where_dict()
    )
    return [
        themes_table("Comment themes", themes, settings.small_sample),
        verbatims_table("In their words", quotes, settings.timezone),
    ]


def _comparison(f: Filters, versus: str, first: dict[str, date]) -> str:
    """The comparison period as the cover names it: its days, how it was chosen, its length
    where that differs, and how much of it has data."""
    longer = periods.lengths(f.period, f.before)
    how = f"{versus}; {longer}" if longer else versus
    return f"{f.before.label()} ({how}){periods.coverage(f.before, first)}"


def gather(engine: Engine, settings: Settings, f: Filters, *, dashboard: str = "") -> Report:
    """The report of selection `f` (its `where` is the scope of every figure)."""
    catalog = {k.key: k for k in query.chosen(settings)}
    versus = periods.COMPARISONS[f.compare].lower() if f.before else ""
    first = query.first_days(engine, settings.timezone, f.where_dict())
    late = periods.late(first, f.before.start) if f.before else {}
    centre, queues, daily = _figures(engine, settings, f, catalog, late)
    both = insights.with_scope(centre, queues, selection.scope(f))
    movers = insights.movers(both.filter(pl.col("kpi").is_in(HEADLINE)))
    return Report(
        centre=settings.centre_name,
        period=_period(f),
        comparison=_comparison(f, versus, first) if f.before else "none",
        filters=selection.describe(f),
        timezone=settings.timezone,
        link=selection.link(dashboard or settings.dashboard_url, f),
        freshness=_freshness(engine, settings.timezone, counted=f.scope.teams is None),
        summary=(
            summary.volume(centre, versus),
            *summary.sentences(centre, queues, catalog, HEADLINE, versus=versus),
        ),
        headline=kpi_table("Headline KPIs", centre, HEADLINE, catalog, versus),
        charts=_charts(daily, catalog),
        movers=movers_table("Top movers", movers, catalog, versus),
        queues=queue_table("Queues", queues, QUEUE_KPIS, catalog, settings.small_sample),
        voice=(
            kpi_table("Survey KPIs", centre, VOICE, catalog, versus),
            queue_table("By queue", queues, VOICE_BY_QUEUE, catalog, settings.small_sample),
            *voice_extras(engine, settings, f),
        ),
        tickets=(kpi_table(TICKETS_TITLE, centre, TICKETS, catalog, versus),),
        definitions=_definitions(settings),
        settings=_settings(settings),
    )


def _figures(
    engine: Engine, settings: Settings, f: Filters, catalog: dict[str, Kpi], late: dict[str, date]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The selection's KPIs overall and by queue (with changes; no totals of the `late`
    families, whose data begins inside the comparison period), and the trends by day."""
    reader = query.Reader(engine, settings, f.where_dict())
    kpis = list(catalog.values())

    def compared(by: tuple[str, ...] = (), keys: tuple[str, ...] | None = None) -> pl.DataFrame:
        now = reader.kpis(f.period.start, f.period.end, by=by, keys=keys)
        before = (
            reader.kpis(f.before.start, f.before.end, by=by, keys=keys) if f.before else now[:0]
        )
        before = compare.without_partial_totals(before, kpis, late)
        return insights.compared(now, before, kpis, on=by)

    daily = reader.kpis(f.period.start, f.period.end, by=("day",), keys=TRENDS)
    return compared(), compared(("queue",), BY_QUEUE), daily


def _period(f: Filters) -> str:
    named = "" if f.preset == "custom" else f" ({periods.PRESETS[f.preset].lower()})"
    return f"{f.period.label()}{named}"


def _freshness(engine: Engine, timezone: str, *, counted: bool) -> tuple[str, ...]:
    """Each source's latest record; with `counted`, how many records the whole store holds
    (left out of a team lead's report: they are every team's)."""
    rows = summaries.freshness(engine).iter_rows(named=True)
    return tuple(
        f"{r['kind'].replace('_', ' ')} from {r['source']}: latest "
        f"{formatting.local(r['latest'], timezone)}"
        + (f" ({formatting.count(r['records'])} records)" if counted else "")
        for r in rows
    )


def _charts(daily: pl.DataFrame, catalog: dict[str, Kpi]) -> tuple[Chart, ...]:
    figures = ((key, charts.daily_trend(daily, catalog[key])) for key in TRENDS)
    return tuple(Chart(key, figure) for key, figure in figures if figure is not None)


def _definitions(settings: Settings) -> Table:
    rows = []
    for entry in glossary.entries(settings):
        text = entry.kpi.definition
        if entry.numerator:
            text += f" Numerator: {entry.numerator}. Denominator: {entry.denominator}."
        rows.append((Cell(entry.kpi.label), Cell(text), Cell(entry.target)))
    return Table("KPI definitions", ("KPI", "Definition", "Target"), tuple(rows), kind="glossary")


def _settings(settings: Settings) -> Table:
    rows = glossary.settings_in_effect(settings)
    body = tuple((Cell(k), Cell(v)) for k, v in rows.items())
    return Table("Settings in effect", ("Setting", "Value"), body, kind="settings")
