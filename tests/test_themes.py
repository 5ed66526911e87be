"""Themes in comments: matching, each theme's scores and effect, and phrase discovery, by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from metrics.themes import discover, tag, theme_table

Z = 1.959963984540054
TAXONOMY = {"Waiting": ["wait*", "on hold"], "Courtesy": ["kind"], "Billing": ["bill"]}
RESPONSES = pl.DataFrame(
    {
        "comment": [
            "Waited ON HOLD for ages",  # Waiting
            "long wait, but kind staff",  # Waiting, Courtesy
            "very kind pharmacist",  # Courtesy
            "kind and quick",  # Courtesy
            "all good",
            "the wait was fine",  # Waiting
            None,  # no comment: not counted
        ],
        "nps": [2, 6, 10, 9, 10, 8, 0],
        "csat": [1, 3, 5, 5, 4, 4, 1],
    },
    schema={"comment": pl.String, "nps": pl.Int16, "csat": pl.Int16},
)


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def test_terms_match_whole_words_and_a_star_any_ending():
    frame = pl.DataFrame({"comment": ["Waiting", "await", "kindly", "Kind!", "on  hold", "bills"]})
    themes = tag(frame, TAXONOMY)["themes"].to_list()
    assert themes == [["Waiting"], [], [], ["Courtesy"], ["Waiting"], []]


def test_a_themes_volume_scores_and_effect_with_intervals():
    rows = {r["theme"]: r for r in theme_table(RESPONSES, TAXONOMY).to_dicts()}
    waiting = rows["Waiting"]
    # Six comments; Waiting in three of them (NPS 2, 6, 8; CSAT 1, 3, 4).
    assert (waiting["mentions"], waiting["share"]) == (3, 0.5)
    # With: 0 promoters, 2 detractors of 3 -> NPS -66.7. Without (10, 9, 10): +100.
    assert waiting["nps"] == pytest.approx(-200 / 3)
    assert waiting["nps_effect"] == pytest.approx(-200 / 3 - 100)
    # Variances of the +1/0/-1 score: with p+ = 0, p- = 2/3 -> 2/3 - 4/9; without: 1 - 1 = 0.
    half = Z * math.sqrt((2 / 3 - 4 / 9) / 3 + 0 / 3) * 100
    assert waiting["nps_effect_low"] == pytest.approx(-200 / 3 - 100 - half)
    assert waiting["nps_effect_high"] == pytest.approx(-200 / 3 - 100 + half)
    # CSAT 4-5: with 1 of 3, without 3 of 3; Newcombe's interval from the two Wilson intervals.
    (l1, u1), (l2, u2) = wilson(1, 3), wilson(3, 3)
    d = 1 / 3 - 1
    assert waiting["csat"] == pytest.approx(1 / 3)
    assert waiting["csat_effect"] == pytest.approx(d)
    assert waiting["csat_effect_low"] == pytest.approx(
        d - math.sqrt((1 / 3 - l1) ** 2 + (u2 - 1) ** 2)
    )
    assert waiting["csat_effect_high"] == pytest.approx(
        d + math.sqrt((u1 - 1 / 3) ** 2 + (1 - l2) ** 2)
    )
    assert (rows["Courtesy"]["mentions"], rows["Courtesy"]["csat"]) == (3, 2 / 3)


def test_a_theme_nobody_mentions_has_a_row_with_no_scores():
    table = theme_table(RESPONSES, TAXONOMY)
    billing = table.filter(pl.col("theme") == "Billing").to_dicts()[0]
    assert billing["mentions"] == 0
    assert billing["nps"] is None and billing["nps_effect"] is None
    assert table["theme"].to_list()[-1] == "Billing"  # most mentioned first


def test_discovery_ranks_phrases_detractors_use_more_than_promoters():
    responses = pl.DataFrame(
        {
            "comment": [
                "The pharmacy closed early.", "Closed early again!", "store closed early today",
                "rude staff [phone]", "great staff", "pharmacy was great", "Great",
                "closed early but fine",  # a passive (NPS 7): neither group
            ],
            "nps": [1, 3, 5, 6, 10, 9, 10, 7],
            "csat": [None] * 8,
        },
        schema={"comment": pl.String, "nps": pl.Int16, "csat": pl.Int16},
    )  # fmt: skip
    found = discover(responses, {"Courtesy": ["rude"]}, min_comments=2)
    # 4 detractors, 3 promoters. "closed early": 3 detractors, no promoter -> 3/4 - 0.
    # "closed" and "early" alone are in the same comments, so the longer phrase stands for
    # them; "staff" and "pharmacy" are used as much by promoters; "rude" is in a theme;
    # the redaction mark is no word.
    assert found.select("phrase", "detractor_comments", "promoter_comments").rows() == [
        ("closed early", 3, 0)
    ]
    (l1, u1), (l2, u2) = wilson(3, 4), wilson(0, 3)
    row = found.to_dicts()[0]
    assert row["difference"] == pytest.approx(0.75)
    assert row["difference_low"] == pytest.approx(0.75 - math.sqrt((0.75 - l1) ** 2 + u2**2))
    assert row["difference_high"] == pytest.approx(0.75 + math.sqrt((u1 - 0.75) ** 2 + l2**2))


def test_without_nps_csat_decides_detractors_and_promoters():
    responses = pl.DataFrame(
        {
            "comment": ["slow courier"] * 4 + ["fine"] * 4,
            "nps": [None] * 8,
            "csat": [1, 2, 1, 2, 5, 4, 5, 4],
        },
        schema={"comment": pl.String, "nps": pl.Int16, "csat": pl.Int16},
    )
    found = discover(responses, {}, min_comments=2)
    assert found.select("phrase", "detractor_share", "promoter_share").row(0) == (
        "slow courier",
        1.0,
        0.0,
    )
