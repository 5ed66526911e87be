"""Business-hours durations, computed by hand on a small calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from metrics.business_hours import Calendar, business_seconds, parse_spans
from metrics.schema import TIMESTAMP

ZONE = "America/New_York"
NY = ZoneInfo(ZONE)
HOURS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-13:00"}
MEMORIAL_DAY = date(2026, 5, 25)  # a Monday
CALENDAR = Calendar.of(HOURS, [MEMORIAL_DAY], timezone=ZONE)
H = 3600.0


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)


def seconds(start: datetime | None, end: datetime | None, calendar: Calendar = CALENDAR):
    frame = pl.DataFrame(
        {"start": [start], "end": [end]}, schema={"start": TIMESTAMP, "end": TIMESTAMP}
    )
    return frame.select(business_seconds(pl.col("start"), pl.col("end"), calendar)).item()


def test_a_ticket_spanning_a_weekend_and_a_holiday():
    # Fri 16:00 → Tue 10:30: Friday 1 h, Saturday 09–13 4 h, Sunday closed,
    # Monday a holiday, Tuesday 09:00–10:30 1.5 h.
    assert seconds(local(2026, 5, 22, 16), local(2026, 5, 26, 10, 30)) == 6.5 * H


def test_a_ticket_created_outside_hours_starts_counting_at_opening():
    # Wed 20:15 (closed) → Thu 09:45: only Thursday's first 45 minutes.
    assert seconds(local(2026, 5, 27, 20, 15), local(2026, 5, 28, 9, 45)) == 0.75 * H
    # Wed 07:00 → Wed 18:00: the whole opening day, 8 h.
    assert seconds(local(2026, 5, 27, 7), local(2026, 5, 27, 18)) == 8 * H


def test_closed_days_count_nothing():
    assert seconds(local(2026, 5, 24, 11), local(2026, 5, 24, 15)) == 0  # a Sunday
    assert seconds(local(2026, 5, 25, 9), local(2026, 5, 25, 16)) == 0  # the holiday


def test_within_one_day_and_across_a_lunch_break():
    assert seconds(local(2026, 5, 26, 10), local(2026, 5, 26, 12, 30)) == 2.5 * H
    lunch = Calendar.of({"tue": "09:00-12:00, 13:00-17:00"}, timezone=ZONE)
    # 11:30–12:00 and 13:00–13:30.
    assert seconds(local(2026, 5, 26, 11, 30), local(2026, 5, 26, 13, 30), lunch) == 1 * H


def test_opening_hours_are_wall_clock_across_the_dst_change():
    # Fri 6 March 16:00 EST → Mon 9 March 10:00 EDT (clocks went forward on Sunday 8 March):
    # Friday 1 h + Saturday 4 h + Monday 1 h, though 65 calendar hours passed, not 66.
    start, end = local(2026, 3, 6, 16), local(2026, 3, 9, 10)
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 65 * H
    assert seconds(start, end) == 6 * H


def test_a_whole_week_is_the_sum_of_its_opening_hours():
    # Mon 1 June 00:00 → Mon 8 June 00:00: five 8 h days and Saturday's 4 h.
    assert seconds(local(2026, 6, 1), local(2026, 6, 8)) == 44 * H


def test_unknown_end_is_unknown():
    assert seconds(local(2026, 5, 26, 10), None) is None


def test_spans_are_parsed_and_checked():
    assert parse_spans("08:00-12:00, 13:00-18:30") == ((8 * 3600, 12 * 3600), (13 * 3600, 66600))
    assert parse_spans("closed") == () == parse_spans("")
    assert parse_spans("00:00-24:00") == ((0, 86400),)
    for bad in ("8-17", "17:00-09:00", "09:00-12:00, 11:00-13:00", "09:75-10:00"):
        with pytest.raises(ValueError):
            parse_spans(bad)
