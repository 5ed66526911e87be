"""Figures keep readable axes at the edges: a period of one day, counts that span a few."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from carepulse import charts, child_charts, histograms
from metrics import catalog

DAY = date(2026, 3, 10)


def _series(days: list[date], values: list[float], kpi: str) -> pl.DataFrame:
    n = len(days)
    return pl.DataFrame(
        {"day": days, "value": values, "lower": [None] * n, "upper": [None] * n,
         "target": [0.8 if kpi == "service_level" else None] * n, "flagged": [False] * n},
        schema_overrides={"lower": pl.Float64, "upper": pl.Float64, "target": pl.Float64},
    )  # fmt: skip


def test_a_one_day_trend_shows_that_day_not_milliseconds_around_it():
    figure = charts.trend(_series([DAY], [0.9], "service_level"), catalog.SERVICE_LEVEL)
    axis = figure.layout.xaxis
    assert list(axis.range) == [DAY - timedelta(days=1), DAY + timedelta(days=1)]
    assert list(axis.tickvals) == [DAY] and axis.tickformat == "%d %b"


def test_a_count_that_spans_a_few_steps_in_whole_numbers():
    days = [DAY + timedelta(days=i) for i in range(4)]
    small = charts.trend(_series(days, [22, 24, 23, 25], "handled"), catalog.HANDLED)
    assert small.layout.yaxis.dtick == 1  # 22–25: else ticks 22, 22.5, … round to 22, 23, 23
    large = charts.trend(_series(days, [22, 240, 23, 25], "handled"), catalog.HANDLED)
    assert large.layout.yaxis.dtick is None
    # Four days: each labelled; a month: Plotly spaces the labels itself.
    assert list(small.layout.xaxis.tickvals) == days
    month = [DAY + timedelta(days=i) for i in range(28)]
    assert (
        charts.trend(_series(month, [1.0] * 28, "handled"), catalog.HANDLED).layout.xaxis.tickvals
        is None
    )


def test_a_week_that_began_before_the_period_is_drawn_from_its_first_day():
    weeks = [date(2026, 2, 9), date(2026, 2, 16)]  # Mondays; the period starts Sat 14 Feb
    series = pl.DataFrame(
        {"week": weeks, "value": [0.7, 0.8], "ci_low": [0.5, 0.7], "ci_high": [0.9, 0.9],
         "denominator": [12.0, 80.0], "target": [0.8, 0.8]}
    )  # fmt: skip
    figure = charts.estimates(series, catalog.CSAT, x="week", start=date(2026, 2, 14))
    assert list(figure.data[0].x) == [date(2026, 2, 14), date(2026, 2, 16)]
    assert list(figure.layout.xaxis.tickvals) == [date(2026, 2, 14), date(2026, 2, 16)]


def test_a_histogram_draws_each_bucket_as_wide_as_it_is():
    # Buckets 4–5 min, 5–6 min, 10–12 min and an open one from 60 min (seconds).
    agent = pl.DataFrame(
        {"low": [240.0, 300.0, 600.0, 3600.0], "high": [300.0, 360.0, 720.0, None],
         "share": [0.2, 0.3, 0.4, 0.1]}
    )  # fmt: skip
    team = agent.with_columns(pl.Series("share", [0.25, 0.25, 0.5, 0.0]))
    figure = histograms.distribution({"A001": agent, "Team": team}, title="Handle time", axis="m")
    bars, outline = figure.data
    assert list(bars.x) == [4, 5, 10] and list(bars.width) == [1, 1, 2]
    # % per minute: 20 % over 1 min, 30 % over 1 min, 40 % over 2 min.
    assert list(bars.y) == [20.0, 30.0, 20.0]
    assert list(outline.y) == [25.0, 25.0, 25.0, 25.0]  # a step line, its last step repeated
    assert figure.layout.annotations[-1].text == "A001: 10.0 % over 1:00 h"
    assert list(figure.layout.xaxis.range) == [0, 12]


def test_count_ticks_follow_everything_the_trend_draws():
    days = [DAY + timedelta(days=i) for i in range(4)]
    series = _series(days, [10, 12, 11, 13], "handled").with_columns(
        pl.lit(200.0).alias("target")  # a target far above: the axis reaches it
    )
    assert charts.trend(series, catalog.HANDLED).layout.yaxis.dtick is None


def test_the_day_grid_spans_the_period_half_a_day_either_side():
    frame = pl.DataFrame(
        {"row": [0, 0], "queue": ["Refills", "Refills"], "day": [DAY, DAY + timedelta(days=2)],
         "value": [0.9, 0.7]}
    )  # fmt: skip
    figure = child_charts.grid(frame, catalog.SERVICE_LEVEL, "queue", unset="(none)")
    noon = datetime(2026, 3, 9, 12), datetime(2026, 3, 12, 12)  # 10–12 March, padded
    assert tuple(figure.layout.xaxis.range) == noon


def test_the_bars_and_the_day_grid_list_children_in_one_order_the_worst_on_top():
    names = ["Refills", "Billing", "Triage", "Quiet"]
    period = pl.DataFrame(
        {"row": [0, 1, 2, 3], "queue": names, "value": [0.9, 0.6, 0.75, None],
         "status": ["met", "missed", "missed", None], "target": [0.8] * 4},
    )  # fmt: skip
    kpi = catalog.SERVICE_LEVEL  # higher is better: the lowest is the worst
    assert child_charts.worst_first(period, kpi) == [1, 2, 0, 3]
    bars = child_charts.bars(period, kpi, "queue", unset="(none)")
    assert list(bars.data[0].y) == ["Refills", "Triage", "Billing"]  # Plotly stacks bottom-up
    days = pl.DataFrame({"row": [0, 1, 2, 3], "queue": names, "day": [DAY] * 4,
                         "value": [0.9, 0.6, 0.75, None]})  # fmt: skip
    order = child_charts.worst_first(period, kpi)
    grid = child_charts.grid(days, kpi, "queue", unset="(none)", order=order)
    assert list(grid.data[0].y) == ["Billing", "Triage", "Refills", "Quiet"]  # top down
    assert grid.layout.yaxis.autorange == "reversed"
    aht = period.with_columns(pl.Series("value", [300.0, 200.0, 250.0, None]))
    assert child_charts.worst_first(aht, catalog.AHT) == [0, 2, 1, 3]  # the longest first
