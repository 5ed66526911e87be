"""Numbers formatted by unit, in one place (CLI, dashboard and PDF)."""

from __future__ import annotations

import math

from metrics.kpi import Unit

DASH = "—"


def duration(seconds: float) -> str:
    """m:ss under an hour, else h:mm."""
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}:{whole % 60:02d}"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d} h"


def value(number: float | None, unit: Unit | str) -> str:
    """A KPI value as people read it; n/a is an em dash."""
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return DASH
    unit = Unit(unit)
    if unit is Unit.PERCENT:
        return f"{number * 100:.1f} %"
    if unit is Unit.SECONDS:
        return duration(number)
    if unit is Unit.POINTS:
        return f"{number:+.0f}"
    if unit is Unit.SCORE:
        return f"{number:.2f}"
    return f"{number:,.0f}"


def interval(low: float | None, high: float | None, unit: Unit | str) -> str:
    """A 95 % interval as 'low – high'."""
    if low is None or high is None:
        return DASH
    return f"{value(low, unit)} – {value(high, unit)}"


def count(number: float | None) -> str:
    return DASH if number is None else f"{number:,.0f}"


def change(number: float | None, unit: Unit | str) -> str:
    """A difference as people read it: percentage points, signed durations, signed numbers."""
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return DASH
    unit = Unit(unit)
    if unit is Unit.PERCENT:
        return f"{number * 100:+.1f} pp"
    if unit is Unit.SECONDS:  # the unit spelled out: a change of 18:10 is easily read as hours
        sign, size = "+" if number >= 0 else "-", abs(number)
        if round(size) < 60:
            return f"{sign}{round(size)} s"
        return sign + duration(size) + ("" if round(size) >= 3600 else " min")
    return f"{number:+,.0f}" if unit is Unit.COUNT else f"{number:+.1f}"
