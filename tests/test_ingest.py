"""The ingest pipeline against SQLite and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

import connectors
from carepulse import bulk, storage
from carepulse import ingest as ingest_module
from carepulse.ingest import ingest
from carepulse.settings import get_settings
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS
from tests.helpers import contact, write_csv


def _load(path: Path, engine: sa.Engine, **options: object) -> ingest_module.RunSummary:
    return ingest(path, engine=engine, settings=get_settings(), **options)


def _contacts(engine: sa.Engine) -> pl.DataFrame:
    table = storage.FACTS["contacts"]
    query = sa.select(table).order_by(table.c.contact_id)
    return bulk.read(engine, query, CONTACTS.schema)


def test_a_broken_row_is_quarantined_and_the_rest_kept(engine, tmp_path):
    rows = [contact("c1"), contact("c2", wait_seconds="soon"), contact("c3", channel="fax")]
    summary = _load(write_csv(tmp_path / "calls.csv", rows), engine)
    assert (summary.read, summary.accepted, summary.quarantined) == (3, 1, 2)
    assert _contacts(engine)["contact_id"].to_list() == ["c1"]
    reasons = {r["row_number"]: r["reason"] for r in storage.quarantined(engine, summary.run_id)}
    assert reasons[2] == "wait_seconds: cannot read 'soon' as a number"
    assert "channel 'fax' is not one of" in reasons[3]


def test_a_second_import_of_the_same_file_adds_nothing(engine, tmp_path):
    path = write_csv(tmp_path / "calls.csv", [contact("c1"), contact("c2")])
    first = _load(path, engine)
    before = _contacts(engine)
    second = _load(path, engine)
    assert (first.accepted, first.duplicates) == (2, 0)
    assert (second.accepted, second.duplicates, second.updated) == (0, 2, 0)
    assert _contacts(engine).drop("ingest_run_id").equals(before.drop("ingest_run_id"))
    assert _contacts(engine)["ingest_run_id"].to_list() == [first.run_id] * 2


def test_a_newer_version_replaces_and_an_older_one_does_not(engine, tmp_path):
    base = dict(updated_at="2024-03-04T15:00:00Z")
    _load(write_csv(tmp_path / "v1.csv", [contact("c1", **base), contact("c2", **base)]), engine)
    newer = contact("c1", talk_seconds=360, updated_at="2024-03-04T16:00:00Z")
    older = contact("c2", talk_seconds=10, updated_at="2024-03-04T14:30:00Z")
    summary = _load(write_csv(tmp_path / "v2.csv", [newer, older]), engine)
    assert (summary.accepted, summary.updated, summary.duplicates) == (1, 1, 1)
    assert _contacts(engine)["talk_seconds"].to_list() == [360.0, 300.0]


def test_within_a_file_the_latest_version_of_a_record_wins(engine, tmp_path):
    rows = [
        contact("c1", talk_seconds=100, updated_at="2024-03-04T16:00:00Z"),
        contact("c1", talk_seconds=200, updated_at="2024-03-04T15:00:00Z"),
        contact("c2", talk_seconds=1),
        contact("c2", talk_seconds=2),  # no version time: the later row wins
    ]
    summary = _load(write_csv(tmp_path / "calls.csv", rows), engine)
    assert (summary.read, summary.accepted, summary.duplicates) == (4, 2, 2)
    assert _contacts(engine)["talk_seconds"].to_list() == [100.0, 2.0]


def test_a_failure_while_reading_leaves_no_rows_behind(engine, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "calls.csv", [contact(f"c{i}") for i in range(6)])
    monkeypatch.setenv("CAREPULSE_BATCH_ROWS", "2")
    get_settings.cache_clear()
    real = connectors.REGISTRY["canonical"].read

    def breaks_after_two_batches(*args, **kwargs):
        for number, batch in enumerate(real(*args, **kwargs)):
            if number == 2:
                raise CarePulseError("the file ends mid-row", hint="export it again")
            yield batch

    monkeypatch.setattr(connectors.REGISTRY["canonical"], "read", breaks_after_two_batches)
    with pytest.raises(CarePulseError, match="mid-row"):
        _load(path, engine)
    assert _contacts(engine).is_empty()
    run = storage.runs(engine)[0]
    assert (run["status"], run["rows_accepted"]) == ("failed", 0)
    assert "mid-row" in run["error"]
    assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("stage_")]


def test_a_failure_while_writing_rolls_the_upsert_back(engine, tmp_path, monkeypatch):
    _load(write_csv(tmp_path / "v1.csv", [contact("c1")]), engine)
    before = _contacts(engine)

    def fails(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT INTO quarantine", {}, Exception("disk full"))

    monkeypatch.setattr(ingest_module, "copy_quarantine", fails)
    rows = [contact("c1", talk_seconds=999), contact("c2"), contact("c3", outcome="lost")]
    with pytest.raises(ingest_module.IngestFailed, match="disk full") as caught:
        _load(write_csv(tmp_path / "v2.csv", rows), engine)
    assert caught.value.summary.status == "failed"
    assert _contacts(engine).equals(before)
    with engine.connect() as connection:
        assert (
            connection.execute(
                sa.select(sa.func.count()).select_from(storage.quarantine)
            ).scalar_one()
            == 0
        )


def test_merge_counts_are_what_the_summary_reports(engine, tmp_path):
    summary = _load(write_csv(tmp_path / "calls.csv", [contact("c1")]), engine)
    run = storage.runs(engine)[0]
    assert (run["rows_read"], run["rows_accepted"], run["status"]) == (1, 1, "committed")
    assert run["sha256"] == summary.sha256 and len(summary.sha256) == 64


def test_init_is_safe_twice_and_adds_missing_columns(engine):
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE ingest_runs DROP COLUMN error"))
    storage.init(engine)
    storage.init(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("ingest_runs")}
    assert "error" in columns


def test_survey_and_ticket_files_load_with_their_own_keys(engine, tmp_path):
    surveys = tmp_path / "surveys.csv"
    surveys.write_text(
        "response_id,contact_id,sent_at,responded_at,csat,nps,comment\n"
        "r1,c1,2024-03-04T15:00:00Z,2024-03-04T16:00:00Z,5,9,Quick refill\n"
        "r2,c2,2024-03-04T15:00:00Z,,,,\n"
        "r3,c3,2024-03-04T15:00:00Z,2024-03-04T16:00:00Z,7,9,\n"
    )
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ticket_id,status,created_at,customer_key,is_complaint\n"
        "t1,open,2024-03-04T15:00:00Z,pat@example.org,yes\n"
    )
    first = _load(surveys, engine)
    second = _load(tickets, engine)
    assert (first.kind, first.accepted, first.quarantined) == ("survey_responses", 2, 1)
    assert (second.kind, second.accepted) == ("tickets", 1)
    assert storage.counts(engine) == {"contacts": 0, "tickets": 1, "survey_responses": 2}


ZENDESK = Path(__file__).parent / "fixtures" / "zendesk_tickets_excerpt.csv"


def _rated_tickets(path: Path) -> tuple[int, int]:
    """The excerpt's ticket rows and the rows with a rating offered, counted from the text."""
    frame = pl.read_csv(path, infer_schema=False)
    ratings = ["Offered", "Good", "Bad", "1", "2", "3", "4", "5"]
    offered = frame.filter(pl.col("Satisfaction Score").is_in(ratings))
    return frame.height, offered.height


def test_a_file_with_two_kinds_is_one_transaction_with_a_run_per_kind(engine):
    tickets, offered = _rated_tickets(ZENDESK)
    summaries = ingest_module.ingest_file(ZENDESK, engine=engine, settings=get_settings())
    assert [s.kind for s in summaries] == ["tickets", "survey_responses"]
    assert all(s.status == "committed" and s.sha256 == summaries[0].sha256 for s in summaries)
    counts = storage.counts(engine)
    assert (counts["tickets"], counts["survey_responses"]) == (tickets, offered)
    again = ingest_module.ingest_file(ZENDESK, engine=engine, settings=get_settings())
    assert [(s.accepted, s.duplicates) for s in again] == [(0, tickets), (0, offered)]


def test_when_the_second_kind_fails_neither_kind_is_stored(engine, monkeypatch):
    merge = ingest_module.merge

    def fails_for_surveys(connection, stage, kind, *, run_id):
        if kind.name == "survey_responses":
            raise sa.exc.OperationalError(
                "INSERT INTO survey_responses", {}, Exception("disk full")
            )
        return merge(connection, stage, kind, run_id=run_id)

    monkeypatch.setattr(ingest_module, "merge", fails_for_surveys)
    with pytest.raises(ingest_module.IngestFailed, match="disk full") as caught:
        ingest_module.ingest_file(ZENDESK, engine=engine, settings=get_settings())
    assert [s.status for s in caught.value.summaries] == ["failed", "failed"]
    assert storage.counts(engine) == {"contacts": 0, "tickets": 0, "survey_responses": 0}
    assert {run["status"] for run in storage.runs(engine)} == {"failed"}
