"""Amazon Connect contact records (FORMATS.md 2): shapes, re-deliveries, legs, abandons."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

import connectors
from connectors import amazon_connect
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS, validate
from tests.conftest import FIXTURES

NDJSON = FIXTURES / "amazon_connect_ctr.ndjson"


def _read(path) -> pl.DataFrame:
    batches = amazon_connect.CONNECTOR.read(path, timezone="UTC", source=None, batch_rows=3)
    return validate(pl.concat([b.frame for b in batches]), CONTACTS)


def _records() -> list[dict]:
    return [json.loads(line) for line in NDJSON.read_text().splitlines()]


@pytest.mark.parametrize("shape", ["ndjson", "array", "back-to-back"])
def test_ndjson_arrays_and_concatenated_objects_read_the_same(tmp_path, shape):
    path = tmp_path / "ctr.json"
    records = _records()
    if shape == "ndjson":
        path.write_text(NDJSON.read_text())
    elif shape == "array":
        path.write_text(json.dumps(records, indent=2))
    else:
        path.write_text("".join(json.dumps(r) for r in records))  # Firehose to S3
    assert connectors.detect(path).name == "amazon-connect"
    assert _read(path)["contact_id"].to_list() == _read(NDJSON)["contact_id"].to_list()


def test_redeliveries_carry_their_update_time_so_the_latest_wins():
    frame = _read(NDJSON).filter(pl.col("contact_id") == "6fe40d2a-0001")
    assert frame["updated_at"].to_list() == [
        datetime(2022, 1, 10, 17, 48, 35, tzinfo=UTC),
        datetime(2022, 1, 11, 3, 41, 32, tzinfo=UTC),
    ]
    assert frame["acw_seconds"].to_list() == [None, 60]


def test_outcomes_waits_and_linked_legs():
    rows = {r["contact_id"]: r for r in _read(NDJSON).iter_rows(named=True)}
    first = rows["6fe40d2a-0001"]
    assert (first["outcome"], first["queue"], first["agent_id"], first["wait_seconds"]) == (
        "handled",
        "Refills",
        "jdoe",
        40,  # ConnectedToAgent - Enqueue
    )
    assert (first["talk_seconds"], first["hold_seconds"]) == (400, 20)
    assert first["arrived_at"] == datetime(2022, 1, 10, 17, 40, 30, tzinfo=UTC)  # queue entry
    assert rows["c-0002"]["is_transferred"] and rows["c-0003"]["parent_contact_id"] == "c-0002"
    abandoned = rows["c-0004"]
    assert (abandoned["outcome"], abandoned["wait_seconds"]) == ("abandoned", 160)
    assert rows["c-0005"]["outcome"] == "self_served"
    assert rows["c-0007"]["direction"] == "outbound"  # a callback calls the customer
    assert "InitiationMethod DISCONNECT: not a customer contact" in rows["c-0006"]["_reason"]


def test_broken_json_names_the_line(tmp_path):
    path = tmp_path / "ctr.json"
    path.write_text(NDJSON.read_text().splitlines()[0] + '\n{"ContactId": "x", \n')
    with pytest.raises(
        CarePulseError, match=r"ctr.json: the record starting at line 2 is broken JSON \(line 3"
    ):
        _read(path)


def _record(contact_id: str, method: str, **fields) -> dict:
    record = {
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": method,
        "InitiationTimestamp": "2022-01-10T10:00:00Z",
        "DisconnectTimestamp": "2022-01-10T10:05:00Z",
        "LastUpdateTimestamp": "2022-01-10T10:06:00Z",
        "Queue": {"Name": "Refills", "EnqueueTimestamp": "2022-01-10T10:00:10Z", "Duration": 50},
        "Agent": None,
    }
    return record | fields


def test_a_queued_contact_that_went_on_in_another_leg_was_not_abandoned(tmp_path):
    # Queued without an agent, then the flow transferred the caller elsewhere or the caller
    # chose a callback: METRICS.md counts these as flowed out and callback, not abandoned.
    agent = {"Username": "jdoe", "ConnectedToAgentTimestamp": "2022-01-10T10:02:00Z"}
    records = [
        _record(
            "t-1", "INBOUND", NextContactId="t-2", TransferCompletedTimestamp="2022-01-10T10:01:00Z"
        ),
        _record("t-2", "TRANSFER", PreviousContactId="t-1", Agent=agent),
        _record("b-1", "INBOUND", DisconnectReason="CONTACT_FLOW_DISCONNECT"),
        _record("b-2", "CALLBACK", PreviousContactId="b-1", Agent=agent),
        _record("a-1", "INBOUND", DisconnectReason="CUSTOMER_DISCONNECT"),
    ]
    path = tmp_path / "ctr.json"
    path.write_text("\n".join(json.dumps(r) for r in records))
    outcomes = dict(_read(path).select("contact_id", "outcome").rows())
    assert outcomes == {
        "t-1": "flowed_out",
        "t-2": "handled",
        "b-1": "callback",
        "b-2": "handled",
        "a-1": "abandoned",
    }


def test_web_calling_and_email_replies_have_a_direction(tmp_path):
    # docs.aws.amazon.com/connect/latest/adminguide/contact-initiation-methods.html
    records = [
        _record("w-1", "WEBRTC_API"),
        _record("e-1", "AGENT_REPLY", Channel="EMAIL", Queue=None),
        _record("e-2", "FLOW", Channel="EMAIL", Queue=None),
    ]
    path = tmp_path / "ctr.json"
    path.write_text("\n".join(json.dumps(r) for r in records))
    rows = _read(path).select("contact_id", "direction", "_reason").rows()
    assert rows == [("w-1", "inbound", None), ("e-1", "outbound", None), ("e-2", "outbound", None)]
