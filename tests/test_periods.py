"""Presets and the periods they are compared with, worked out by hand on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from carepulse.periods import Period, comparison, preset


@pytest.mark.parametrize(
    ("name", "anchor", "before"),
    [
        # A month or quarter preset: the calendar month or quarter before, whole.
        ("last-month", date(2026, 3, 13), Period(date(2026, 1, 1), date(2026, 1, 31))),
        ("last-month", date(2026, 1, 5), Period(date(2025, 11, 1), date(2025, 11, 30))),
        ("last-quarter", date(2026, 5, 2), Period(date(2025, 10, 1), date(2025, 12, 31))),
        # This month or quarter so far: the same days of the one before (31 May -> 28 Feb).
        ("this-month", date(2026, 3, 13), Period(date(2026, 2, 1), date(2026, 2, 13))),
        ("this-month", date(2026, 3, 31), Period(date(2026, 2, 1), date(2026, 2, 28))),
        ("this-quarter", date(2026, 5, 31), Period(date(2026, 1, 1), date(2026, 2, 28))),
        # Other presets: as many days just before.
        ("last-4-weeks", date(2026, 3, 13), Period(date(2026, 1, 17), date(2026, 2, 13))),
        ("yesterday", date(2026, 3, 13), Period(date(2026, 3, 11), date(2026, 3, 11))),
    ],
)
def test_the_previous_period_of_each_preset(name, anchor, before):
    assert comparison(preset(name, anchor), "previous", name) == before


def test_a_custom_period_is_compared_with_as_many_days_before_it():
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert comparison(march, "previous") == Period(date(2026, 1, 29), date(2026, 2, 28))
    year = comparison(march, "last-year")  # 52 weeks: the same weekdays
    assert year == Period(date(2025, 3, 2), date(2025, 4, 1))
    assert comparison(march, "none") is None
