"""The real public files in ../shared/validation, checked against facts counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from carepulse.ingest import resolve
from connectors.base import kinds, read_options
from metrics.schema import validate
from tests.conftest import validation_file

MAPPINGS = Path(__file__).resolve().parents[1] / "sample_data" / "mappings"
PWC = {
    "original-xlsx": ("01_Call-Center-Dataset.original.xlsx", "pwc-call-centre.toml"),
    "csv": ("Call-Center-Dataset.dennislamcv1.csv", "pwc-call-centre.toml"),
    "resaved-csv": ("Call-Center-Dataset.ankit7050-variant.csv", "pwc-call-centre-resaved.toml"),
}


def read_all(path: Path, *, mapping: Path | None = None, source: str | None = None) -> dict:
    """Every kind the file yields, validated, as {kind name: frame}."""
    connector, declared = resolve(path, source=source, mapping=mapping)
    zone = declared.timezone if declared and declared.timezone else "UTC"
    frames = {}
    for kind in kinds(connector, path, mapping=declared):
        options = read_options(connector, mapping=declared, kind=kind)
        batches = list(connector.read(path, timezone=zone, source=None, batch_rows=997, **options))
        frame = pl.concat([b.frame for b in batches])
        frames[batches[0].kind.name] = validate(frame, batches[0].kind)
    return frames


@pytest.fixture(scope="module", params=sorted(PWC))
def pwc(request) -> tuple[str, dict]:
    name, mapping = PWC[request.param]
    path = validation_file("pwc-call-centre", name)
    return request.param, read_all(path, mapping=MAPPINGS / mapping)


def test_pwc_every_call_and_rating_is_read(pwc):
    _, frames = pwc
    calls, surveys = frames["contacts"], frames["survey_responses"]
    assert calls.height == 5000 and calls["_reason"].null_count() == 5000
    assert calls["outcome"].value_counts().sort("outcome").rows() == [
        ("abandoned", 946),
        ("handled", 4054),
    ]
    assert calls["is_resolved"].sum() == 3646
    assert surveys.height == 4054 and surveys["_reason"].null_count() == 4054
    assert surveys["csat"].min() == 1 and surveys["csat"].max() == 5


def test_pwc_unanswered_calls_have_unknown_not_zero_durations(pwc):
    _, frames = pwc
    unanswered = frames["contacts"].filter(pl.col("outcome") == "abandoned")
    assert unanswered["wait_seconds"].null_count() == 946
    assert unanswered["talk_seconds"].null_count() == 946
    assert "ID0006" not in frames["survey_responses"]["response_id"].to_list()


def test_pwc_units_are_seconds_and_times_are_zurich_local(pwc):
    variant, frames = pwc
    calls = frames["contacts"]
    first = calls.row(0, named=True)
    assert (first["contact_id"], first["agent_id"], first["reason"]) == (
        "ID0001",
        "Diane",
        "Contract related",
    )
    assert (first["wait_seconds"], first["talk_seconds"]) == (109, 143)  # 0:02:23
    seconds = 0 if variant == "resaved-csv" else 58  # the re-save dropped the seconds
    assert first["arrived_at"] == datetime(2021, 1, 1, 8, 12, seconds, tzinfo=UTC)
    assert calls["wait_seconds"].sum() == 273729
    assert calls["talk_seconds"].sum() == 911837
    last = calls.row(-1, named=True)
    assert (last["contact_id"], last["outcome"]) == ("ID5000", "abandoned")


@pytest.fixture(scope="module")
def plum() -> dict:
    path = validation_file("zendesk-plum", "plum_zendesk_tickets_2023.csv")
    return read_all(path)


def test_plum_every_ticket_is_read(plum):
    tickets = plum["tickets"]
    assert tickets.height == 16476 and tickets["_reason"].null_count() == 16476
    counts = dict(tickets["status"].value_counts().iter_rows())
    assert counts == {
        "closed": 12270,
        "solved": 2139,
        "hold": 790,
        "pending": 681,
        "open": 470,
        "new": 126,
    }
    assert tickets["last_solved_at"].null_count() == 2067  # the 1900-01-01 sentinels
    assert tickets.filter(pl.col("channel") == "email").height == 13081  # Via = Mail


def test_plum_ratings_count_offered_as_sent_and_skip_blanks(plum):
    surveys = plum["survey_responses"]
    assert surveys.height == 4640 + 813 and surveys["_reason"].null_count() == surveys.height
    assert surveys["responded_at"].null_count() == 4640
    scores = dict(surveys["csat"].drop_nulls().value_counts().iter_rows())
    assert scores == {5: 409, 4: 311, 3: 64, 2: 14, 1: 15}


def test_asterisk_issue_759_excerpt_gives_two_handled_attempts():
    frames = read_all(validation_file("asterisk-queue-log", "issue759_excerpt.queue_log"))
    calls = frames["contacts"]
    assert calls["_reason"].to_list() == [None, None]
    assert calls.select("queue", "agent_id", "wait_seconds", "talk_seconds").rows() == [
        ("1501", "PJSIP/7009", 12, 120),
        ("1509", "PJSIP/7051", 7, 173),
    ]


@pytest.fixture(scope="module")
def bank() -> pl.DataFrame:
    path = validation_file("technion-anonymous-bank", "anonymous_bank_1999-02.tsv")
    return read_all(path, mapping=MAPPINGS / "technion-anonymous-bank.toml")["contacts"]


def test_bank_every_call_is_read_and_phantoms_are_set_aside(bank):
    assert bank.height == 33344 and bank["contact_id"].n_unique() == 33344
    phantoms = bank.filter(pl.col("_reason").is_not_null())
    assert phantoms.height == 278
    assert phantoms["_reason"].str.starts_with("outcome: 'PHANTOM' is not one of").all()
    counts = dict(bank["outcome"].value_counts().drop_nulls().iter_rows())
    assert counts == {"handled": 14096 + 13066, "abandoned": 3932 + 1972}


def test_bank_days_match_the_third_party_daily_figures(bank):
    # third_party_daily_metrics_1999.csv: 1999-02-01 total_calls 1567 (with phantoms), hangs 197
    local_day = bank["arrived_at"].dt.convert_time_zone("Asia/Jerusalem").dt.date()
    first = bank.filter(local_day == datetime(1999, 2, 1).date())
    assert first.height == 1567
    assert first.filter(pl.col("outcome") == "abandoned").height == 197


def test_bank_first_call_and_sentinels(bank):
    first = bank.row(0, named=True)
    assert first["contact_id"] == "AA0101-34536"
    assert first["arrived_at"] == datetime(1999, 2, 1, 5, 2, 47, tzinfo=UTC)  # 7:02:47 IST
    assert (first["wait_seconds"], first["talk_seconds"], first["agent_id"]) == (0, 166, "DORIT")
    assert first["customer_key"] is None  # customer_id 0 = not identified
    assert bank.row(1, named=True)["agent_id"] is None  # NO_SERVER


def test_cdr_local_channel_legs_are_one_agent_not_a_transfer():
    # mineevburyat rows 22-26 (linkedid 1706407446.50): SIP/211553 dials Local/ch1..ch3;
    # Local/ch1;2 reaches SIP/301 at 02:04:12 (billsec 0), then SIP/211553 -> SIP/301 is
    # bridged directly, billsec 17. One call, one agent, 6 s to answer, 17 s of talk.
    frames = read_all(validation_file("asterisk-cdr", "mineevburyat_Master.redacted.csv"))
    calls = frames["contacts"]
    rows = {r["contact_id"]: r for r in calls.iter_rows(named=True)}
    for linkedid, wait, talk in (
        ("1706407446.50", 6, 17),  # rows 22-26
        ("1706412022.63", 5, 23),  # rows 27-31
        ("1706412893.79", 4, 79),  # rows 34-38
    ):
        row = rows[linkedid]
        assert (row["agent_id"], row["wait_seconds"], row["talk_seconds"]) == (
            "SIP/301",
            wait,
            talk,
        )
        assert row["is_transferred"] is False
    assert calls["is_transferred"].sum() == 0  # no call in the file reaches two people
    assert calls["agent_id"].drop_nulls().str.starts_with("Local/").sum() == 0
