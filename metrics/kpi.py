"""What a KPI declaration is made of: additive measures, ratios, percentiles and stocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from metrics import histogram


class Unit(StrEnum):
    PERCENT = "percent"  # a fraction 0–1, shown as a percentage
    SECONDS = "seconds"
    POINTS = "points"  # NPS, −100…100
    SCORE = "score"  # a mean on the survey's own scale
    COUNT = "count"


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


class Family(StrEnum):
    """Which rollup a KPI reads, and so which dimensions it can be broken down by."""

    CONTACTS = "contacts"
    SURVEYS = "surveys"
    TICKETS = "tickets"


class Interval(StrEnum):
    """How a KPI's 95 % interval is computed (metrics.stats)."""

    NONE = "none"
    WILSON = "wilson"
    NPS = "nps"
    MEAN = "mean"


@dataclass(frozen=True)
class Measure:
    """A signed sum of rollup columns, e.g. offered − short_abandoned."""

    terms: tuple[tuple[str, int], ...]

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.terms + other.terms)

    def __sub__(self, other: Measure) -> Measure:
        return Measure(self.terms + tuple((c, -s) for c, s in other.terms))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.terms))

    def expr(self) -> pl.Expr:
        """The measure over columns that already hold group sums."""
        parts = [pl.col(c) if s == 1 else pl.col(c) * s for c, s in self.terms]
        return pl.sum_horizontal(parts)


def measure(column: str) -> Measure:
    """A measure of one rollup column."""
    return Measure(((column, 1),))


@dataclass(frozen=True, kw_only=True)
class Kpi:
    """The parts every KPI declares."""

    key: str
    label: str
    unit: Unit
    better: Better
    family: Family
    definition: str
    targets: dict[str, float] = field(default_factory=dict)  # preset -> default target
    survey: bool = False  # small-sample rule applies (survey answers)
    short: str = ""  # a label that fits a tile; the label when empty

    @property
    def title(self) -> str:
        return self.short or self.label

    @property
    def measures(self) -> tuple[str, ...]:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Ratio(Kpi):
    """numerator / denominator, both summed over the group first; `scale` multiplies."""

    numerator: Measure
    denominator: Measure
    scale: float = 1.0
    interval: Interval = Interval.WILSON
    squares: Measure | None = None  # Σx² for a mean's interval
    window: str | None = None  # a look-ahead window that must have closed (fcr, containment)

    @property
    def measures(self) -> tuple[str, ...]:
        parts = [self.numerator, self.denominator, *([self.squares] if self.squares else [])]
        return tuple(dict.fromkeys(c for m in parts for c in m.columns))


@dataclass(frozen=True, kw_only=True)
class Percentile(Kpi):
    """A quantile of a fixed-bucket histogram stored in the rollup."""

    histogram: str
    quantile: float

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(histogram.columns(self.histogram))


@dataclass(frozen=True, kw_only=True)
class Stock(Kpi):
    """A level at the end of each local day (backlog); coarser grains take the last day."""

    column: str

    @property
    def measures(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True, kw_only=True)
class Total(Kpi):
    """A plain sum over the group (volumes)."""

    total: Measure

    @property
    def measures(self) -> tuple[str, ...]:
        return self.total.columns
