"""Comments and complaints read from the store for a period and a selection, checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from carepulse import complaints, feedback
from carepulse.ingest import ingest
from carepulse.settings import get_settings
from tests.helpers import contact, write_csv

SURVEY_HEADERS = [
    "response_id", "contact_id", "queue", "sent_at", "responded_at", "csat", "nps", "comment",
]  # fmt: skip
TICKET_HEADERS = [
    "ticket_id", "status", "created_at", "channel", "queue", "category", "is_complaint",
    "agent_id", "customer_key", "first_reply_at", "solved_at",
]  # fmt: skip
MARCH_4 = date(2024, 3, 4)  # local days in America/New_York (the default zone)


def _survey(response_id: str, responded_at: str, **values: object) -> dict[str, object]:
    row = {"response_id": response_id, "sent_at": responded_at, "responded_at": responded_at}
    return row | values


@pytest.fixture
def comments(engine, tmp_path):
    calls = [
        contact("c1", queue="Refills", arrived_at="2024-03-04T14:00:00Z",
                answered_at="2024-03-04T14:00:20Z", ended_at="2024-03-04T14:05:20Z"),
        contact("c2", queue="Billing", arrived_at="2024-03-05T14:00:00Z",
                answered_at="2024-03-05T14:00:20Z", ended_at="2024-03-05T14:05:20Z"),
    ]  # fmt: skip
    headers = ["contact_id", "channel", "direction", "queue", "segment", "agent_id",
               "arrived_at", "answered_at", "ended_at", "outcome"]  # fmt: skip
    calls[0]["segment"], calls[1]["segment"] = "Medicare", "Commercial"
    surveys = [
        _survey("s1", "2024-03-04T15:00:00Z", contact_id="c1", nps=2, csat=1,
                comment="Waited on hold; call me on 555-014-2231"),
        _survey("s2", "2024-03-05T15:00:00Z", contact_id="c2", nps=10, csat=5,
                comment="very kind"),
        _survey("s3", "2024-03-06T10:00:00Z", queue="Refills", nps=9, comment="kind and quick"),
        _survey("s4", "2024-03-04T16:00:00Z", contact_id="c1", nps=5),  # no comment
        _survey("s5", "2024-04-01T10:00:00Z", queue="Refills", nps=1, comment="wait"),  # later
    ]  # fmt: skip
    settings = get_settings()
    ingest(write_csv(tmp_path / "calls.csv", calls, headers), engine=engine, settings=settings)
    path = write_csv(tmp_path / "surveys.csv", surveys, SURVEY_HEADERS)
    ingest(path, engine=engine, settings=settings)
    return engine


def _ids(frame) -> list[str]:
    return frame["response_id"].to_list()


def test_commented_responses_of_the_period_newest_first(comments):
    found = feedback.responses(comments, get_settings(), start=MARCH_4, end=date(2024, 3, 6))
    assert _ids(found) == ["s3", "s2", "s1"]
    # s1 and s2 count at their contact's arrival and take its queue and segment.
    assert found.select("response_id", "queue", "segment").rows() == [
        ("s3", "Refills", None), ("s2", "Billing", "Commercial"), ("s1", "Refills", "Medicare"),
    ]  # fmt: skip


def test_the_selection_applies_to_comments_like_to_kpis(comments):
    settings, days = get_settings(), {"start": MARCH_4, "end": date(2024, 3, 6)}
    by_queue = feedback.responses(comments, settings, where={"queue": ["Refills"]}, **days)
    assert _ids(by_queue) == ["s3", "s1"]
    by_segment = feedback.responses(comments, settings, where={"segment": ["Medicare"]}, **days)
    assert _ids(by_segment) == ["s1"]


def test_summary_gives_the_themes_and_one_redacted_verbatim_per_leading_theme(comments):
    table, sample = feedback.summary(comments, get_settings(), start=MARCH_4, end=date(2024, 3, 6))
    mentions = dict(zip(table["theme"], table["mentions"], strict=True))
    assert (mentions["Courtesy"], mentions["Waiting"], mentions["Billing and insurance"]) == (
        2, 1, 0,
    )  # fmt: skip
    # Courtesy's newest comment is s3, Waiting's is s1; newest first.
    assert _ids(sample) == ["s3", "s1"]
    assert sample["comment"][1] == "Waited on hold; call me on [phone]"
    assert sample["sentiment"].to_list() == ["promoter", "detractor"]


def test_verbatims_filter_by_text_theme_and_sentiment(comments):
    settings = get_settings()
    found = feedback.responses(comments, settings, start=MARCH_4, end=date(2024, 3, 6))
    assert _ids(feedback.verbatims(found, settings, search="KIND")) == ["s3", "s2"]
    assert _ids(feedback.verbatims(found, settings, theme="Waiting")) == ["s1"]
    assert _ids(feedback.verbatims(found, settings, sentiment="promoter")) == ["s3", "s2"]


AS_OF = datetime(2024, 3, 7, 14, tzinfo=UTC)


def _ticket(ticket_id: str, created_at: str, **values: object) -> dict[str, object]:
    row = {"ticket_id": ticket_id, "status": "open", "created_at": created_at, "channel": "email",
           "queue": "Complaints", "is_complaint": "true", "agent_id": "a7"}  # fmt: skip
    return row | values


@pytest.fixture
def complaint_store(engine, tmp_path):
    rows = [
        _ticket("t1", "2024-03-04T14:00:00Z", category="wait time", customer_key="555 0100"),
        _ticket("t2", "2024-03-06T14:00:00Z", category="wait time", agent_id=""),
        _ticket("t3", "2024-03-04T15:00:00Z", category="billing", status="pending",
                first_reply_at="2024-03-05T14:00:00Z"),
        _ticket("t4", "2024-03-04T16:00:00Z", category="wait time", customer_key="555 0100",
                first_reply_at="2024-03-06T18:00:00Z"),  # 50 h: late
        _ticket("t5", "2024-03-05T14:00:00Z", category="billing", status="solved",
                first_reply_at="2024-03-05T15:00:00Z", solved_at="2024-03-05T16:00:00Z"),
        _ticket("t6", "2024-03-04T14:00:00Z", category="refill", is_complaint="false"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "tickets.csv", rows, TICKET_HEADERS)
    ingest(path, engine=engine, settings=get_settings())
    return engine


def test_open_complaints_with_age_owner_and_follow_up(complaint_store):
    found = complaints.open_complaints(complaint_store, get_settings(), as_of=AS_OF)
    rows = found.select("ticket_id", "age_hours", "owner", "follow_up", "hours_left").rows()
    assert rows == [
        ("t1", 72.0, "a7", "overdue", -24.0),  # no reply, 72 h old: most urgent
        ("t2", 24.0, None, "due", 24.0),  # 24 h left, nobody owns it yet
        ("t4", 70.0, "a7", "sent late", -22.0),  # replied after 50 h
        ("t3", 71.0, "a7", "sent", -23.0),  # replied after 23 h
    ]
    queue = complaints.open_complaints(
        complaint_store, get_settings(), as_of=AS_OF, where={"queue": ["Billing"]}
    )
    assert queue.is_empty()


def test_open_complaints_are_aged_to_when_the_tickets_were_last_seen(complaint_store):
    # The export's latest time is t4's reply, 6 March 18:00: it knew the tickets as of then.
    seen = datetime(2024, 3, 6, 18, tzinfo=UTC)
    assert complaints.known_at(complaint_store) == seen
    found = complaints.open_complaints(complaint_store, get_settings())
    rows = found.select("ticket_id", "age_hours", "follow_up", "hours_left").rows()
    assert rows == [
        ("t1", 52.0, "overdue", -4.0),  # 48 h passed at 14:00, 4 h before the export
        ("t2", 4.0, "due", 44.0),
        ("t4", 50.0, "sent late", -2.0),
        ("t3", 51.0, "sent", -3.0),
    ]


def test_recurring_complaint_subjects(complaint_store):
    table = complaints.recurring(
        complaint_store, get_settings(), start=MARCH_4, end=date(2024, 3, 10)
    )
    rows = table.select(
        "category", "complaints", "weeks", "weeks_in_period", "repeat_customers",
        "followed_up_in_48h",
    ).rows()  # fmt: skip
    assert rows == [
        ("wait time", 3, 1, 1, 1, 0.0),  # t1 and t4 from one customer; none answered in 48 h
        ("billing", 2, 1, 1, 0, 1.0),
    ]
    assert table["share"].to_list() == pytest.approx([3 / 5, 2 / 5])


def test_a_themes_reading_speaks_of_each_score_its_interval_supports():
    from carepulse import tables

    def row(nps: tuple, csat: tuple) -> dict:
        ends = {"nps_effect_low": nps[0], "nps_effect_high": nps[1],
                "csat_effect_low": csat[0], "csat_effect_high": csat[1]}  # fmt: skip
        shown = {"theme": "T", "mentions": 50, "share": 0.1, "nps": 10.0, "csat": 0.7}
        return shown | {"nps_effect": None, "csat_effect": None} | ends

    cases = {
        # NPS interval holds zero, CSAT's is below it: the CSAT effect is real.
        ((-39.8, 6.7), (-0.533, -0.089)): "lowers CSAT; NPS within noise",
        ((-154.1, -33.2), (-0.682, -0.133)): "lowers NPS and CSAT",
        ((-18.3, 23.1), (-0.122, 0.127)): "within noise",
        ((2.0, 30.0), (None, None)): "raises NPS",  # no CSAT answers with the theme
    }
    frame = pl.DataFrame([row(nps, csat) for nps, csat in cases])
    assert tables.themes(frame, small_sample=30)["Reading"].to_list() == list(cases.values())
