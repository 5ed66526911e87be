"""SurveyMonkey exports (FORMATS.md 5b): two header rows combined into names, US times."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

import connectors
from connectors import mapping, surveymonkey
from metrics.schema import SURVEY_RESPONSES, validate
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "surveymonkey_made_up.csv"


def test_header_rows_combine_into_names():
    first = ["Respondent ID", "Which of these?", "", "_duplicated_0", "Comments"]
    second = ["", "Phone", "Email", "Chat", "Open-Ended Response"]
    assert surveymonkey.names(first, second) == [
        "Respondent ID",
        "Which of these? - Phone",
        "Which of these? - Email",
        "Which of these? - Chat",
        "Comments - Open-Ended Response",
    ]


def test_responses_through_a_mapping():
    assert connectors.detect(EXPORT).name == "surveymonkey"
    declared = mapping.load(FIXTURES / "surveymonkey_made_up.toml")
    batches = surveymonkey.CONNECTOR.read(
        EXPORT, timezone=declared.timezone, source=None, batch_rows=2, mapping=declared
    )
    frame = validate(pl.concat([b.frame for b in batches]), SURVEY_RESPONSES)
    assert frame["response_id"].to_list() == ["11800000001", "11800000002", "11800000003"]
    first, second, unanswered = frame.iter_rows(named=True)
    assert (first["csat"], first["nps"], first["contact_id"]) == (5, 10, "call-101")
    assert first["sent_at"] == datetime(2019, 12, 2, 14, 36, 57, tzinfo=UTC)  # 09:36:57 AM EST
    assert second["comment"] == "=cmd|' /C calc'!A0"
    assert second["responded_at"] == datetime(2019, 12, 2, 18, 7, 30, tzinfo=UTC)  # 01:07:30 PM
    assert (unanswered["responded_at"], unanswered["csat"], unanswered["_reason"]) == (
        None,
        None,
        None,
    )
