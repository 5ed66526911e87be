"""Canonical validation rules, on hand-built frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from metrics.schema import CONTACTS, SURVEY_RESPONSES, empty, validate

T0 = datetime(2024, 3, 4, 14, 0, tzinfo=UTC)


def _frame(kind, rows):
    return pl.concat(
        [empty(kind), pl.DataFrame(rows, schema_overrides=kind.schema)], how="diagonal_relaxed"
    ).select(kind.columns)


def test_contact_rules_each_give_a_reason():
    ok = dict(
        source="s",
        contact_id="c",
        channel="voice",
        direction="inbound",
        arrived_at=T0,
        outcome="handled",
    )
    rows = [
        ok,
        {**ok, "contact_id": None},
        {**ok, "outcome": "short_abandoned"},  # decided by the rollup, never stored
        {**ok, "answered_at": T0 - timedelta(seconds=1)},
        {**ok, "hold_seconds": 90_000.0},
        {**ok, "arrived_at": datetime.now(UTC) + timedelta(days=3)},
    ]
    reasons = validate(_frame(CONTACTS, rows), CONTACTS)["_reason"].to_list()
    assert reasons[0] is None
    assert reasons[1] == "contact_id is missing"
    assert reasons[2].startswith("outcome 'short_abandoned' is not one of")
    assert reasons[3] == "answered_at is before arrived_at"
    assert reasons[4] == "hold_seconds 90000.0 is outside 0–86400"
    assert reasons[5] == "arrived_at is in the future"


def test_survey_scores_off_scale_and_missing_times():
    ok = dict(source="s", response_id="r", sent_at=T0)
    rows = [ok, {**ok, "csat": 6}, {**ok, "nps": 10, "ces": 0}, {**ok, "sent_at": None}]
    reasons = validate(_frame(SURVEY_RESPONSES, rows), SURVEY_RESPONSES)["_reason"].to_list()
    assert reasons[0] is None
    assert reasons[1] == "csat 6 is outside 1–5"
    assert reasons[2] == "ces 0 is outside 1–7"
    assert reasons[3] == "sent_at and responded_at are both missing"
