"""Presets and the periods they are compared with, worked out by hand on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from carepulse.periods import Period, comparison, coverage, lengths, preset


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


def test_a_caption_says_how_much_of_the_comparison_period_has_data():
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    covered = {"contacts": date(2025, 6, 1), "surveys": date(2026, 2, 1)}
    assert coverage(february, covered) == ""
    partly = {"contacts": date(2026, 2, 7), "surveys": date(2026, 1, 1)}
    assert coverage(february, partly) == (
        ", which has contacts from 07 Feb 2026 only: their totals are not compared, their "
        "rates are over the days with data"
    )
    # Tickets begin after February, calls cover it: only the tickets lack a comparison.
    later = {"contacts": date(2025, 6, 1), "tickets": date(2026, 3, 6)}
    assert coverage(february, later) == ", which has no tickets: their changes are not shown"
    both = {"contacts": date(2026, 2, 7), "tickets": date(2026, 3, 6)}
    assert coverage(february, both).startswith(
        ", which has contacts from 07 Feb 2026 only and no tickets:"
    )
    same = {"contacts": date(2026, 2, 7), "surveys": date(2026, 2, 7)}
    assert coverage(february, same).startswith(
        ", which has contacts and survey answers from 07 Feb 2026 only: "
    )
    nothing = {"contacts": date(2026, 3, 1), "tickets": date(2026, 3, 6)}
    assert coverage(february, nothing) == ", which has no stored data: no changes are shown"


def test_the_day_presets_say_they_count_from_the_latest_day_with_data():
    # On data that ends in March, "today" in December would promise what it cannot show.
    from carepulse.periods import PRESETS

    assert PRESETS["today"] == "Latest day" and PRESETS["yesterday"] == "Day before latest"
    assert preset("today", date(2026, 3, 13)) == Period(date(2026, 3, 13), date(2026, 3, 13))


def test_a_comparison_of_another_length_says_how_long_each_is():
    march = preset("last-month", date(2026, 4, 2))
    february = comparison(march, "previous", "last-month")
    assert lengths(march, february) == "28 days against 31"
    assert lengths(march, comparison(march, "previous")) == ""  # 31 days before: as long
