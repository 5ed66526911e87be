"""Reporting periods: presets relative to an anchor day, and their comparison periods."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

# Every preset counts back from the latest day with data (today, on a live feed): an export
# that ends in March is not empty under "today" in December, so the labels say "latest day".
PRESETS = {
    "today": "Latest day",
    "yesterday": "Day before latest",
    "last-7-days": "Last 7 days",
    "last-4-weeks": "Last 4 weeks",
    "this-month": "This month",
    "last-month": "Last month",
    "this-quarter": "This quarter",
    "last-week": "Last week",
    "last-quarter": "Last quarter",
    "custom": "Custom",
}
COMPARISONS = {"previous": "Previous period", "last-year": "Same period last year", "none": "None"}


@dataclass(frozen=True)
class Period:
    """Local days `start`..`end`, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%a %d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset(name: str, anchor: date) -> Period:
    """The preset period as of `anchor` (today, or the last day with data)."""
    month = anchor.replace(day=1)
    last_month_end = month - timedelta(days=1)
    quarter = _quarter_start(anchor)
    last_quarter_end = quarter - timedelta(days=1)
    monday = anchor - timedelta(days=anchor.weekday())
    periods = {
        "today": Period(anchor, anchor),
        "yesterday": Period(anchor - timedelta(days=1), anchor - timedelta(days=1)),
        "last-7-days": Period(anchor - timedelta(days=6), anchor),
        "last-4-weeks": Period(anchor - timedelta(days=27), anchor),
        "this-month": Period(month, anchor),
        "last-month": Period(last_month_end.replace(day=1), last_month_end),
        "this-quarter": Period(quarter, anchor),
        "last-week": Period(monday - timedelta(days=7), monday - timedelta(days=1)),
        "last-quarter": Period(_quarter_start(last_quarter_end), last_quarter_end),
    }
    if name not in periods:
        raise ValueError(f"unknown period preset {name!r}")
    return periods[name]


def _months_back(day: date, months: int) -> date:
    """The same day of the month `months` earlier, or that month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# Calendar presets compare with the calendar period before (February with January, not with
# the 28 days before it); "this month" with the same days of last month.
CALENDAR = {"this-month": 1, "last-month": 1, "this-quarter": 3, "last-quarter": 3}


def comparison(period: Period, how: str, preset: str | None = None) -> Period | None:
    """The period to compare with: the one just before (for a month or a quarter preset, the
    month or quarter before), or 52 weeks earlier (same weekdays)."""
    if how == "previous" and preset in CALENDAR:
        months = CALENDAR[preset]
        start = _months_back(period.start, months)
        if preset.startswith("last-"):  # the whole month or quarter before
            return Period(start, period.start - timedelta(days=1))
        end = min(_months_back(period.end, months), period.start - timedelta(days=1))
        return Period(start, end)
    if how == "previous":
        return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))
    if how == "last-year":
        year = timedelta(weeks=52)
        return Period(period.start - year, period.end - year)
    return None


def lengths(period: Period, before: Period) -> str:
    """'28 days against 31' when the comparison period is not as long as the period (a month
    against the month before): totals differ by length too. '' when they are as long."""
    return "" if before.days == period.days else f"{before.days} days against {period.days}"


# How a caption names each KPI family's stored data.
FAMILY_WORDS = {"contacts": "contacts", "surveys": "survey answers", "tickets": "tickets"}


def late(first: dict[str, date], start: date) -> dict[str, date]:
    """The families (of `first`, each family's first stored day) whose data begins after
    `start`: a period from `start` holds only part of theirs."""
    return {family: day for family, day in first.items() if day > start}


def coverage(before: Period, first: dict[str, date]) -> str:
    """How much of the comparison period the stored data covers, for a caption ('' when all
    of it): `first` is the first stored day of each family the page shows."""
    late_ones = late(first, before.start)
    if not late_ones:
        return ""
    if all(day > before.end for day in first.values()):
        return ", which has no stored data: no changes are shown"
    absent = [FAMILY_WORDS[f] for f, day in late_ones.items() if day > before.end]
    by_day: dict[date, list[str]] = {}
    for family, day in late_ones.items():
        if day <= before.end:
            by_day.setdefault(day, []).append(FAMILY_WORDS[family])
    partly = [f"{_listed(words)} from {day:%d %b %Y} only" for day, words in by_day.items()]
    parts = [*partly, *([f"no {_listed(absent)}"] if absent else [])]
    if not partly:
        return f", which has {' and '.join(parts)}: their changes are not shown"
    return (
        f", which has {' and '.join(parts)}: their totals are not compared, their rates are "
        "over the days with data"
    )


def _listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
