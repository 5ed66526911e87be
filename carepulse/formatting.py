"""Numbers formatted by unit, in one place (CLI, dashboard and PDF)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from metrics.errors import CarePulseError
from metrics.kpi import Better, Unit

DASH = "—"
# Characters that make Streamlit's Markdown do something: emphasis, code, links and images,
# HTML, tables, headings, LaTeX ($) and colours or icons (:red[...], :material/x:).
_MARKUP = re.compile(r"([\\`*_\[\]<>!$:~|#])")


def duration(seconds: float) -> str:
    """m:ss under an hour, else h:mm."""
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}:{whole % 60:02d}"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d} h"


def missing(number: float | None) -> bool:
    """No figure to show: null or NaN."""
    return number is None or (isinstance(number, float) and math.isnan(number))


def value(number: float | None, unit: Unit | str) -> str:
    """A KPI value as people read it; n/a is an em dash."""
    if missing(number):
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


def change(number: float | None, unit: Unit | str) -> str:
    """A change between two periods: signed, in percentage points for rates."""
    if missing(number):
        return DASH
    unit = Unit(unit)
    if unit is Unit.PERCENT:
        return f"{round(number * 100, 1) + 0.0:+.1f} pp"  # + 0.0: no "-0.0"
    if unit is Unit.SECONDS:  # the unit spelled out: a change of 18:10 is easily read as hours
        sign, size = "+" if round(number) >= 0 else "-", abs(number)
        if round(size) < 60:
            return f"{sign}{round(size)} s"
        return sign + duration(size) + ("" if round(size) >= 3600 else " min")
    if unit is Unit.COUNT:
        return f"{round(number) + 0:+,.0f}"
    return f"{round(number, 1) + 0.0:+.1f}"


def goal(target: float | None, unit: Unit | str, better: Better | str) -> str:
    """A target with its direction: '≥ 80.0 %' where higher is better, else '≤ 0:30'."""
    if target is None:
        return DASH
    sign = "≥" if Better(better) is Better.HIGHER else "≤"
    return f"{sign} {value(target, unit)}"


def interval(low: float | None, high: float | None, unit: Unit | str) -> str:
    """A 95 % interval as 'low – high'."""
    if low is None or high is None:
        return DASH
    return f"{value(low, unit)} – {value(high, unit)}"


def count(number: float | None) -> str:
    return DASH if number is None else f"{number:,.0f}"


def local(moment: datetime | None, timezone: str) -> str:
    """A stored (UTC) time in the centre's zone, to the minute."""
    if moment is None:
        return DASH
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; the store keeps UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def plain(text: object) -> str:
    """Text from a file, a URL or a user, escaped so Markdown shows it as typed: a comment
    or a queue name can never become a link, an image that calls out, or HTML."""
    return _MARKUP.sub(r"\\\1", str(text)).replace("\n", " ")


def problem(error: CarePulseError) -> str:
    """A user-fixable error as Markdown: what went wrong, then what to do (both as typed)."""
    return plain(error.message) + (f"\n\n{plain(error.hint)}" if error.hint else "")
