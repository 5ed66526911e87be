"""Control limits of daily series, computed by hand."""

from __future__ import annotations

import polars as pl
import pytest

from metrics import catalog
from metrics.compare import control_limits, without_partial_totals

CATALOG = catalog.kpis()


def test_a_mean_gets_an_individuals_chart_from_the_average_moving_range():
    series = pl.DataFrame({"value": [10.0, 11.0, 10.0, 11.0, 10.0, 30.0]})
    limited = control_limits(series, CATALOG["aht"])
    # mean 82 / 6; moving ranges 1, 1, 1, 1, 20 average 4.8; half width 2.66 × 4.8 = 12.768
    centre, half = 82 / 6, 2.66 * 4.8
    assert limited["centre"][0] == pytest.approx(centre)
    assert limited["lower"][0] == pytest.approx(centre - half)
    assert limited["upper"][0] == pytest.approx(centre + half)  # 26.43: only 30 is above
    assert limited["flagged"].to_list() == [False] * 5 + [True]


def test_nps_limits_stay_within_its_scale():
    # Three days of 4 answers each swinging from −100 to +100: the raw limits pass ±100.
    series = pl.DataFrame(
        {
            "value": [-100.0, 100.0, 0.0],
            "numerator": [-4.0, 4.0, 0.0],
            "denominator": [4.0, 4.0, 4.0],
            "variance": [0.0, 0.0, 1.0],
        }
    )
    limited = control_limits(series, CATALOG["nps"])
    assert limited["lower"].min() >= -100
    assert limited["upper"].max() <= 100


def test_a_comparison_period_partly_before_the_data_keeps_rates_not_totals():
    kpis = list(catalog.kpis().values())
    rows = pl.DataFrame(
        {"kpi": ["offered", "service_level", "tickets_created", "backlog", "csat"],
         "value": [909.0, 0.7, 40.0, 12.0, 0.8]}
    )  # fmt: skip
    kept = without_partial_totals(rows, kpis, {"contacts", "tickets"})
    # Offered, tickets created (totals) and the backlog (a stock) count only part of the
    # period; the ratios compare like with like. Surveys are covered: all their rows stay.
    assert kept["kpi"].to_list() == ["service_level", "csat"]
    assert without_partial_totals(rows, kpis, set()).equals(rows)


def test_needs_attention_ranks_misses_by_their_share_of_target_and_shows_the_gap():
    from carepulse import insights

    kpis = catalog.kpis()
    rows = {
        "kpi": ["abandon_rate", "service_level", "aht", "csat"],
        "value": [0.633, 0.169, 349.0, 0.5],
        "target": [0.05, 0.8, 300.0, 0.8],
        "status": ["missed", "missed", "missed", "missed"],
        "denominator": [500.0, 500.0, 480.0, 12.0],  # CSAT: under the small sample
    }
    centre = pl.DataFrame(rows)
    table = insights.attention(centre, centre.head(0).with_columns(pl.lit("").alias("queue")),
                               kpis, 30)  # fmt: skip
    # Gaps of target: abandonment |0.633 − 0.05| / 0.05 = 11.66; service level
    # |0.169 − 0.8| / 0.8 = 0.789; AHT |349 − 300| / 300 = 0.163.
    assert table.select("KPI", "Off by", "Off by, of target").rows() == [
        ("Abandonment", "+58.3 pp", "1166%"),
        ("Service level", "-63.1 pp", "79%"),
        ("Average handle time", "+49 s", "16%"),
    ]
