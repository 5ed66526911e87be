"""The Zendesk ticket export: its traps (FORMATS.md 4a) on a real excerpt and tiny made-up files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import connectors
from connectors import zendesk
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, TICKETS, validate
from tests.conftest import FIXTURES

EXCERPT = FIXTURES / "zendesk_tickets_excerpt.csv"
IST = "Asia/Kolkata"


def _read(path: Path, kind=TICKETS, *, timezone: str = IST) -> pl.DataFrame:
    batches = zendesk.CONNECTOR.read(path, timezone=timezone, source=None, batch_rows=3, kind=kind)
    frame = pl.concat([b.frame for b in batches])
    return validate(frame, kind, now=datetime(2030, 1, 1, tzinfo=UTC))


def _ticket(frame: pl.DataFrame, ticket_id: str) -> dict:
    return frame.filter(pl.col("ticket_id") == ticket_id).row(0, named=True)


def test_the_export_is_detected_and_holds_tickets_and_ratings():
    assert connectors.detect(EXCERPT).name == "zendesk"
    assert zendesk.CONNECTOR.kinds(EXCERPT) == (TICKETS, SURVEY_RESPONSES)


def test_times_are_read_in_the_account_zone_and_minutes_count_from_creation():
    row = _ticket(_read(EXCERPT), "297732")
    created = datetime(2023, 4, 8, 15, 22, tzinfo=UTC)  # 20:52 IST
    assert row["created_at"] == created
    assert row["solved_at"] == created + timedelta(minutes=12975)  # First resolution time
    assert row["last_solved_at"] == datetime(2023, 6, 14, 11, 0, tzinfo=UTC)
    # Resolution time (1604) is in hours, unlike the minute columns: 96,218 min = 1,603.6 h.
    assert round((row["last_solved_at"] - created).total_seconds() / 3600) == 1604
    assert (row["status"], row["priority"], row["channel"], row["queue"]) == (
        "solved",
        "low",
        "email",
        "Support",
    )
    assert (row["reopens"], row["replies"], row["customer_key"]) == (11, 11, "10300555531549")


def test_the_1900_sentinel_is_never_and_an_unsolved_ticket_has_no_solve_time():
    frame = _read(EXCERPT)
    assert frame["_reason"].null_count() == frame.height
    unsolved = _ticket(frame, "291597")
    assert (unsolved["status"], unsolved["last_solved_at"]) == ("hold", None)
    assert unsolved["solved_at"] == unsolved["created_at"] + timedelta(minutes=2729)  # reopened
    internal = _ticket(frame, "314451")
    assert (internal["channel"], internal["solved_at"], internal["priority"]) == (
        None,
        None,
        "urgent",
    )


def test_a_first_solve_rounded_past_the_last_solve_is_clamped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Id,Status,Created at,Solved at,First resolution time in minutes,Requester id\n"
        "1,Closed,2023-04-01 02:37:00,2023-04-01 17:53:00,917,5\n"  # 917 min = 17:54
    )
    row = _read(path).row(0, named=True)
    assert row["solved_at"] == row["last_solved_at"] and row["_reason"] is None


def test_a_minute_count_past_any_ticket_s_life_is_quarantined_not_a_crash(tmp_path):
    # Found by the fuzz test: 153,722,867,281 minutes overflowed the time it was added to.
    path = tmp_path / "t.csv"
    path.write_text(
        "Id,Status,Created at,Solved at,First resolution time in minutes,Requester id\n"
        "1,Closed,2023-04-01 02:37:00,2023-04-01 17:53:00,153722867281,5\n"
        "2,Closed,2023-04-01 02:37:00,2023-04-01 17:53:00,60,5\n"
    )
    rows = _read(path)
    assert _ticket(rows, "1")["_reason"] == "First resolution time in minutes is out of range"
    assert _ticket(rows, "2")["_reason"] is None
    created = datetime(2023, 3, 31, 21, 7, tzinfo=UTC)  # 02:37 in Kolkata (UTC+5:30)
    assert _ticket(rows, "2")["solved_at"] == created + timedelta(minutes=60)


def test_offered_is_sent_not_answered_and_blank_was_never_sent():
    surveys = _read(EXCERPT, SURVEY_RESPONSES)
    assert surveys["_reason"].null_count() == surveys.height
    rows = {r["ticket_id"]: r for r in surveys.iter_rows(named=True)}
    assert set(rows) == {"297732", "329907", "310966"}  # the 2 blanks made none
    offered, rated = rows["297732"], rows["329907"]
    assert (offered["csat"], offered["responded_at"]) == (None, None)
    assert offered["sent_at"] == datetime(2023, 6, 14, 11, 0, tzinfo=UTC)
    assert rated["csat"] == 4 and rated["responded_at"] >= rated["sent_at"]
    assert rated["response_id"] == "329907" and rated["queue"] == "Support"


def test_good_and_bad_ratings_and_unknown_words(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Id,Status,Created at,Updated at,Solved at,Satisfaction Score\n"
        "1,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Good\n"
        "2,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Bad\n"
        "3,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Meh\n"
    )
    surveys = _read(path, SURVEY_RESPONSES)
    assert surveys["csat"].to_list() == [5, 1, None]
    assert "Satisfaction Score: 'Meh' is not one of" in surveys["_reason"][2]


def test_csv_injection_and_odd_values_stay_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "Id,Status,Created at,Group,Requester id\n"
        "1,Open,2023-04-01 09:00:00,\"=cmd|' /C calc'!A0\",7\n"
        "2,Escalated,2023-04-01 09:00:00,-,8\n"
    )
    frame = _read(path)
    assert frame["queue"].to_list() == ["=cmd|' /C calc'!A0", None]
    assert "Status: 'Escalated' is not one of" in frame["_reason"][1]


def test_a_ticket_export_without_the_needed_columns_says_which(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Id,Status,Created,Requester id\n1,Open,2023-04-01 09:00:00,7\n")
    with pytest.raises(
        CarePulseError, match="missing column 'Created at' \\(closest: 'Created'\\)"
    ):
        list(zendesk.CONNECTOR.read(path, timezone=IST, source=None, batch_rows=5))


API = FIXTURES / "zendesk_api_tickets.json"


def test_api_pages_with_metric_sets_give_tickets():
    assert connectors.detect(API).name == "zendesk"
    frame = _read(API, timezone="UTC")
    assert frame["ticket_id"].to_list() == ["1", "2", "3", "4"]  # two pages back to back
    assert frame["_reason"].null_count() == 4
    first = _ticket(frame, "1")
    created = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    assert first["first_reply_at"] == created + timedelta(minutes=30)  # calendar minutes
    assert first["solved_at"] == created + timedelta(minutes=120)
    assert first["last_solved_at"] == datetime(2024, 3, 4, 11, 0, tzinfo=UTC)
    assert (first["channel"], first["queue"], first["customer_key"]) == ("email", "360001", "1001")
    assert _ticket(frame, "2")["solved_at"] is None
    assert (_ticket(frame, "3")["reopens"], _ticket(frame, "3")["priority"]) == (1, None)


def test_api_minutes_past_any_ticket_s_life_are_quarantined(tmp_path):
    page, _ = json.JSONDecoder().raw_decode(API.read_text())  # the first of two pages
    page["metric_sets"][0]["first_resolution_time_in_minutes"]["calendar"] = 153722867281
    path = tmp_path / "api.json"
    path.write_text(json.dumps(page))
    first = _ticket(_read(path, timezone="UTC"), str(page["metric_sets"][0]["ticket_id"]))
    assert first["_reason"] == "metric.first_resolution_time_in_minutes.calendar is out of range"


def test_api_ratings_offered_answered_and_unoffered():
    surveys = _read(API, SURVEY_RESPONSES)
    rows = {r["ticket_id"]: r for r in surveys.iter_rows(named=True)}
    assert set(rows) == {"1", "2", "4"}  # unoffered is not a survey
    assert (rows["1"]["csat"], rows["1"]["comment"]) == (5, "Quick!")
    assert (rows["2"]["csat"], rows["2"]["responded_at"]) == (None, None)
    assert (rows["4"]["csat"], rows["4"]["comment"]) == (1, "=cmd|' /C calc'!A0")
    assert rows["4"]["responded_at"] == datetime(2024, 3, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"tickets": null}', "'tickets' is null"),
        ('{"tickets": [{"id": 1}, 7]}', "'tickets' holds 7"),
        ('{"tickets": {"id": 1}}', "'tickets' is an object"),
        ('{"ticket": "x", "requester_id": 1}', "'ticket' is \"x\""),
        ('{"tickets": [], "metric_sets": [null]}', "'metric_sets' holds null"),
    ],
)
def test_api_pages_of_the_wrong_shape_say_where(tmp_path, text, found):
    path = tmp_path / "tickets.json"
    path.write_text('{"tickets": [], "requester_id": 0}\n' + text)
    with pytest.raises(CarePulseError, match=rf"tickets.json: the page at line 2: {found}"):
        _read(path, timezone="UTC")


def test_unoffered_is_never_sent_and_ratings_with_comment_count(tmp_path):
    # Zendesk's satisfaction values also include Unoffered, Good with comment, Bad with comment.
    path = tmp_path / "t.csv"
    path.write_text(
        "Id,Status,Created at,Updated at,Solved at,Satisfaction Score\n"
        "1,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Unoffered\n"
        "2,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Good with comment\n"
        "3,Solved,2023-04-01 09:00:00,2023-04-03 09:00:00,2023-04-02 09:00:00,Bad with comment\n"
    )
    surveys = _read(path, SURVEY_RESPONSES)
    assert surveys.select("ticket_id", "csat", "_reason").rows() == [("2", 5, None), ("3", 1, None)]
    assert surveys["responded_at"].to_list() == [datetime(2023, 4, 3, 3, 30, tzinfo=UTC)] * 2
