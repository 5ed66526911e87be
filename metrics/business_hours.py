"""Business hours: elapsed time counted only while the centre is open.

A `Calendar` holds opening spans per weekday (local wall-clock time) and holidays. Elapsed
business time between two instants is `clock(end) − clock(start)`, where `clock` counts the
open seconds from a fixed Monday to the instant; it is one Polars expression (no join), so it
runs inside a lazy rollup.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = date(2000, 1, 3)  # a Monday: week arithmetic starts here
SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
CLOSED = ("", "closed")

Spans = tuple[tuple[int, int], ...]  # (open, close) in seconds after local midnight


def parse_spans(text: str) -> Spans:
    """'08:00-12:00, 13:00-18:00' -> ((28800, 43200), (46800, 64800)); '' or 'closed' -> ()."""
    if text.strip().lower() in CLOSED:
        return ()
    spans = []
    for part in text.split(","):
        match = SPAN.match(part)
        if not match:
            raise ValueError(f"'{part.strip()}' is not an opening span like 08:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        low, high = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if not (m1 < 60 and m2 < 60 and 0 <= low < high <= 24 * 3600):
            raise ValueError(f"'{part.strip()}' does not close after it opens within one day")
        spans.append((low, high))
    spans.sort()
    if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
        raise ValueError(f"'{text}' has overlapping spans")
    return tuple(spans)


@dataclass(frozen=True)
class Calendar:
    """Opening spans per weekday (Monday first), holidays (closed all day) and the zone."""

    week: tuple[Spans, ...]
    holidays: tuple[date, ...] = ()
    timezone: str = "UTC"

    @classmethod
    def of(cls, hours: dict[str, str], holidays: Sequence[date] = (), *, timezone: str):
        """From {'mon': '08:00-18:00', …}; a weekday left out is closed."""
        week = tuple(parse_spans(hours.get(day, "")) for day in WEEKDAYS)
        return cls(week, tuple(sorted(set(holidays))), timezone)

    def day_seconds(self, weekday: int) -> int:
        """Open seconds on a weekday (0 = Monday)."""
        return sum(high - low for low, high in self.week[weekday])


def _by_weekday(weekday: pl.Expr, values: Sequence[pl.Expr | float]) -> pl.Expr:
    chain = pl.when(weekday == 0).then(values[0])
    for day in range(1, 7):
        chain = chain.when(weekday == day).then(values[day])
    return chain.otherwise(None)


def clock(moment: pl.Expr, calendar: Calendar) -> pl.Expr:
    """Open seconds from the epoch Monday up to a UTC instant (null stays null)."""
    local = moment.dt.convert_time_zone(calendar.timezone)
    day = local.dt.date()
    days = (day - pl.lit(EPOCH)).dt.total_days()
    weekday = days.mod(7)
    # Wall-clock seconds after midnight, so opening hours keep their meaning on DST days.
    tod = (
        local.dt.hour().cast(pl.Float64) * 3600
        + local.dt.minute().cast(pl.Float64) * 60
        + local.dt.second()
        + local.dt.microsecond() / 1e6
    )
    opened = [
        pl.sum_horizontal([pl.lit(0.0), *(tod.clip(low, high) - low for low, high in spans)])
        for spans in calendar.week
    ]
    prefix = [float(sum(calendar.day_seconds(d) for d in range(i))) for i in range(7)]
    week = float(sum(calendar.day_seconds(d) for d in range(7)))
    total = days.floordiv(7) * week + _by_weekday(weekday, prefix) + _by_weekday(weekday, opened)
    for holiday in calendar.holidays:
        lost = calendar.day_seconds(holiday.weekday())
        total = total - pl.when(day > holiday).then(lost).otherwise(0.0)
        total = total - pl.when(day == holiday).then(_by_weekday(weekday, opened)).otherwise(0.0)
    return total


def business_seconds(start: pl.Expr, end: pl.Expr, calendar: Calendar) -> pl.Expr:
    """Open seconds between two UTC instants (null when either is null)."""
    return clock(end, calendar) - clock(start, calendar)
