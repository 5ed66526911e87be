"""Comments are redacted at ingest, in the stored rows and in quarantined raw rows alike."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from carepulse import bulk, storage
from carepulse.ingest import ingest
from carepulse.privacy import redact
from carepulse.settings import get_settings
from metrics.schema import SURVEY_RESPONSES
from tests.helpers import write_csv

CASES = [
    ("Call me back on (555) 014-2231 please", "Call me back on [phone] please"),
    ("my number is +1 555 014 2231.", "my number is [phone]."),
    ("555.014.2231 or 5550142231", "[phone] or [phone]"),
    ("write to Jane.Doe+rx@mail.example.co.uk", "write to [email]"),
    ("DOB 04/12/1961, born March 3, 1961", "DOB [date], born [date]"),
    ("born 3rd of March 1961 (1961-03-03)", "born [date] ([date])"),
    ("member id W123456789 and policy number ABC-12345", "member id [member id] and policy "
     "number [member id]"),
    ("Member #: 88812345 was wrong", "Member #: [member id] was wrong"),
    ("Rx #4412378 and prescription number 1234567-01", "Rx #[rx number] and prescription number "
     "[rx number]"),
    ("claim 123456 and order A1234567B", "claim [number] and order [number]"),
    # What is not identifying stays: durations, times, prices, doses, partial dates, zip codes.
    ("waited 45 minutes, 3 times, on 3/4 at 10:30; paid $1,250.00 for 1/2 tablet in 10001",
     "waited 45 minutes, 3 times, on 3/4 at 10:30; paid $1,250.00 for 1/2 tablet in 10001"),
    ("my refill was 2 weeks late", "my refill was 2 weeks late"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_identifiers_in_free_text_are_masked(text, expected):
    masked = pl.select(redact(pl.lit(text))).item()
    assert masked == expected
    assert pl.select(redact(pl.lit(masked))).item() == masked  # redacting twice changes nothing


SURVEY_HEADERS = ["response_id", "sent_at", "responded_at", "csat", "nps", "comment"]
LEAKY = "Rude again. Call me at 555-014-2231 or jane@example.com, DOB 04/12/1961"
MASKED = "Rude again. Call me at [phone] or [email], DOB [date]"


def _survey(response_id: str, **values: object) -> dict[str, object]:
    row = {
        "response_id": response_id,
        "sent_at": "2024-03-04T14:00:00Z",
        "responded_at": "2024-03-04T15:00:00Z",
        "csat": 2,
        "nps": 3,
        "comment": LEAKY,
    }
    return row | values


def _stored_comments(engine: sa.Engine) -> list[str]:
    table = storage.FACTS["survey_responses"]
    statement = sa.select(table.c.comment).order_by(table.c.response_id)
    return bulk.read(engine, statement, SURVEY_RESPONSES.schema)["comment"].to_list()


def _quarantined_raw(engine: sa.Engine, run_id: int) -> list[dict]:
    return [json.loads(r["raw"]) for r in storage.quarantined(engine, run_id)]


def test_canonical_comments_are_stored_and_quarantined_redacted(engine, tmp_path):
    rows = [_survey("s1"), _survey("s2", csat=9)]  # s2: CSAT outside 1–5, quarantined
    path = write_csv(tmp_path / "surveys.csv", rows, SURVEY_HEADERS)
    summary = ingest(path, engine=engine, settings=get_settings())
    assert (summary.accepted, summary.quarantined) == (1, 1)
    assert _stored_comments(engine) == [MASKED]
    (raw,) = _quarantined_raw(engine, summary.run_id)
    assert raw["comment"] == MASKED and raw["response_id"] == "s2"


def test_a_comment_riding_on_a_call_row_is_redacted_in_the_call_quarantine(engine, tmp_path):
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        '[source]\nname = "acme"\nkind = "contacts"\n'
        '[columns]\ncontact_id = "Id"\narrived_at = "Start"\n'
        'outcome = { column = "Answered", map = { Y = "handled", N = "abandoned" } }\n'
        'channel = { value = "voice" }\ndirection = { value = "inbound" }\n'
        '[surveys]\ncsat = "Score"\ncomment = "Remarks"\n'
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "Id,Start,Answered,Score,Remarks\n"
        f'c1,2024-03-04 09:00:00,Y,2,"{LEAKY}"\n'
        f'c2,2024-03-04 10:00:00,maybe,2,"{LEAKY}"\n'  # an outcome not in the map
    )
    summaries = [
        ingest(calls, engine=engine, settings=get_settings(), mapping=mapping, kind=kind)
        for kind in ("contacts", "survey_responses")
    ]
    assert _stored_comments(engine) == [MASKED, MASKED]
    (raw,) = _quarantined_raw(engine, summaries[0].run_id)  # the call row c2
    assert raw["Remarks"] == MASKED and raw["Id"] == "c2"


def test_zendesk_api_rating_comments_are_redacted(engine, tmp_path):
    ticket = {
        "id": 7,
        "status": "solved",
        "created_at": "2024-03-04T14:00:00Z",
        "updated_at": "2024-03-05T14:00:00Z",
        "requester_id": 99,
        "satisfaction_rating": {
            "score": "bad",
            "comment": LEAKY,
            "updated_at": "2024-03-05T15:00:00Z",
        },
    }
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps({"tickets": [ticket]}))
    ingest(path, engine=engine, settings=get_settings(), kind="survey_responses")
    assert _stored_comments(engine) == [MASKED]


def test_a_row_that_cannot_be_read_is_quarantined_redacted(engine, tmp_path):
    path: Path = tmp_path / "surveys.csv"
    write_csv(path, [_survey("s1", responded_at="soon")], SURVEY_HEADERS)
    summary = ingest(path, engine=engine, settings=get_settings())
    (raw,) = _quarantined_raw(engine, summary.run_id)
    assert raw["comment"] == MASKED
    assert _stored_comments(engine) == []
