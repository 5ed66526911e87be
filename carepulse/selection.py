"""What a view shows: a period, its comparison and dimension filters (pages, CLI and PDF)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from carepulse import periods
from carepulse.access import EVERYTHING, Scope
from carepulse.periods import Period
from metrics.errors import CarePulseError

DIMENSIONS = {"queue": "Queues", "team": "Teams", "channel": "Channels", "segment": "Segments"}
Step = tuple[str, str | None]  # one step of a drill path: a dimension and its value (None: unset)


@dataclass(frozen=True)
class Filters:
    """What the user chose (a period, a comparison and dimension values) within what they may
    see: `where` is always narrowed to the scope, however the filters were built (hashable, so
    every cached loader keyed on the filters or their `where` is keyed on the scope too)."""

    preset: str
    period: Period
    compare: str
    before: Period | None
    where: tuple[tuple[str, tuple[str, ...]], ...]
    anchor: date
    scope: Scope

    def __post_init__(self) -> None:
        object.__setattr__(self, "where", self.scope.narrow(self.where))

    def where_dict(self) -> dict[str, list[str]]:
        return {column: list(values) for column, values in self.where}

    def restricted(self, column: str, values: Sequence[str | None]) -> Filters:
        """These filters keeping only `values` of a dimension (None: unset), within what they
        already allow."""
        where = dict(self.where)
        allowed = where.get(column)
        where[column] = tuple(v for v in values if allowed is None or v in allowed)
        return replace(self, where=tuple(where.items()))

    def within(self, path: Sequence[Step]) -> Filters:
        """These filters narrowed to a drill path: each step keeps one value."""
        narrowed = self
        for column, value in path:
            narrowed = narrowed.restricted(column, (value,))
        return narrowed


def choose(
    preset: str,
    anchor: date,
    *,
    compare: str = "previous",
    start: date | None = None,
    end: date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
    scope: Scope = EVERYTHING,
) -> Filters:
    """Filters from plain options: a preset as of `anchor`, or `custom` days `start`..`end`
    (by default for someone who may see everything: the CLI's operator)."""
    if preset == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs a start and an end")
        if end < start:
            raise CarePulseError(
                f"the period ends ({end}) before it starts ({start})", hint="Swap the dates."
            )
        period = Period(start, end)
    else:
        period = periods.preset(preset, anchor)
    chosen = tuple(
        (column, tuple(values)) for column in DIMENSIONS if (values := (where or {}).get(column))
    )
    before = periods.comparison(period, compare, preset)
    return Filters(preset, period, compare, before, chosen, anchor, scope)


def params(f: Filters) -> dict[str, str | list[str]]:
    """The query string of this view (the dashboard reads its filters back from it)."""
    out: dict[str, str | list[str]] = {"period": f.preset, "compare": f.compare}
    if f.preset == "custom":
        out["from"], out["to"] = f.period.start.isoformat(), f.period.end.isoformat()
    for column, values in f.where:
        if column != "team" or values != f.scope.teams:  # the scope's own teams: implied
            out[column] = list(values)
    return out


def query(f: Filters) -> str:
    """The query string of this view, encoded (`params`)."""
    return urlencode(params(f), doseq=True)


def link(base: str, f: Filters) -> str:
    """The URL of the same view on the dashboard at `base`."""
    return f"{base.rstrip('/')}/?{query(f)}"


def scope(f: Filters) -> str:
    """What the figures cover, in a few words."""
    return "All filtered contacts" if f.where else "Whole centre"


def describe(f: Filters) -> str:
    """The dimension filters in effect, in words."""
    if not f.where:
        return "none (all queues, teams, channels and segments)"
    return "; ".join(f"{DIMENSIONS[column]}: {', '.join(values)}" for column, values in f.where)
