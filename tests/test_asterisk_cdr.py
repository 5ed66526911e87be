"""Asterisk CDR Master.csv: layouts, several rows per call, non-UTF-8 bytes (FORMATS.md 1c)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import polars as pl
import pytest

import connectors
from carepulse.ingest import resolve
from connectors import asterisk_cdr
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS, validate
from tests.conftest import FIXTURES, validation_file

MADE_UP = FIXTURES / "asterisk_master_made_up.csv"


def _read(path, *, timezone: str = "UTC") -> tuple[pl.DataFrame, list]:
    batches = list(asterisk_cdr.CONNECTOR.read(path, timezone=timezone, source=None, batch_rows=4))
    return validate(pl.concat([b.frame for b in batches]), CONTACTS), batches


def test_header_less_cdr_files_are_detected_by_layout():
    assert connectors.detect(MADE_UP).name == "asterisk-cdr"
    assert asterisk_cdr.layout(["x"] * 21) is None


def test_one_contact_per_linkedid_with_outcomes_from_the_legs():
    frame, _ = _read(MADE_UP, timezone="Europe/Zurich")
    assert frame["_reason"].null_count() == frame.height == 5
    rows = {r["contact_id"]: r for r in frame.iter_rows(named=True)}
    queued = rows["1709542800.1"]
    assert (queued["outcome"], queued["queue"], queued["agent_id"]) == (
        "handled",
        "support",
        "SIP/201",
    )
    assert (queued["wait_seconds"], queued["talk_seconds"]) == (25, 300)
    assert queued["arrived_at"] == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # Zurich local
    ring_all = rows["1709544000.5"]  # two legs, SIP/202 answered
    assert (ring_all["outcome"], ring_all["agent_id"], ring_all["talk_seconds"]) == (
        "handled",
        "SIP/202",
        120,
    )
    outcomes = {k: r["outcome"] for k, r in rows.items()}
    assert outcomes["1709543400.3"] == "abandoned"
    assert outcomes["1709544600.8"] == "self_served"  # answered by the PBX, no dstchannel
    assert outcomes["1709545200.9"] == "flowed_out"  # BUSY


def test_non_utf8_bytes_are_read_as_latin1_and_noted():
    _, batches = _read(MADE_UP)
    assert batches[0].notes == (
        "asterisk_master_made_up.csv: 1 character was not UTF-8; the file was read as Latin-1",
    )
    assert "Caf¥" in batches[0].raw["clid"].to_list()[1]
    assert set(batches[0].identifiers) == {"src", "clid"}


def test_an_unknown_layout_says_what_it_found(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text('"a","b","2024-03-04 09:00:00"\n')
    with pytest.raises(CarePulseError, match="line 1 has 3 fields"):
        list(asterisk_cdr.CONNECTOR.read(path, timezone="UTC", source=None, batch_rows=5))


def test_real_cdr_csv_with_all_options_on():
    frame, batches = _read(validation_file("asterisk-cdr", "mineevburyat_Master.redacted.csv"))
    assert frame.height == 36 and frame["_reason"].null_count() == 36  # 84 rows, 36 linkedids
    assert sum(b.raw["legs"].sum() for b in batches) == 84
    counts = dict(frame["outcome"].value_counts().iter_rows())
    assert counts == {"handled": 24, "abandoned": 5, "self_served": 6, "flowed_out": 1}


def test_real_cdr_custom_sample_layout():
    frame, _ = _read(validation_file("asterisk-cdr", "kelysaina_Master.csv"))
    assert frame.height == 14 and frame["_reason"].null_count() == 14
    first = frame.row(0, named=True)
    # duration 31, billsec 13: answered 18 s after the start, 13 s billed
    assert (first["wait_seconds"], first["talk_seconds"], first["agent_id"]) == (
        18,
        13,
        "PJSIP/client2",
    )
    assert dict(frame["outcome"].value_counts().iter_rows()) == {"handled": 11, "abandoned": 3}


def test_a_declared_cdr_custom_layout(tmp_path):
    path = tmp_path / "Custom.csv"
    path.write_text(
        '"2024-03-04 09:00:00","2024-03-04 09:00:09","2024-03-04 09:02:09","ANSWERED",120,'
        '"5550100","""Pat"" <5550100>","SIP/trunk-00000001","SIP/201-00000002","Dial",'
        '"SIP/201,20","1709542800.1"\n'
    )
    layout = tmp_path / "layout.toml"
    layout.write_text(
        '[source]\nname = "pbx-2"\nkind = "contacts"\n'
        'layout = ["start", "answer", "end", "disposition", "billsec", "src", "clid", '
        '"channel", "dstchannel", "lastapp", "lastdata", "uniqueid"]\n'
    )
    # the CLI's path: --source asterisk-cdr --mapping layout.toml
    connector, declared = resolve(path, source="asterisk-cdr", mapping=layout)
    batches = list(
        connector.read(path, timezone="UTC", source=None, batch_rows=5, mapping=declared)
    )
    row = batches[0].frame.row(0, named=True)
    assert (row["contact_id"], row["outcome"], row["talk_seconds"], row["source"]) == (
        "1709542800.1",
        "handled",
        120,
        "pbx-2",
    )
    short = layout.read_text().replace(', "billsec"', "")
    layout.write_text(short)
    _, declared = resolve(path, source="asterisk-cdr", mapping=layout)
    with pytest.raises(CarePulseError, match="the declared layout lacks billsec"):
        list(connector.read(path, timezone="UTC", source=None, batch_rows=5, mapping=declared))


def test_local_channel_legs_are_not_agents_and_their_billsec_is_not_counted_twice(tmp_path):
    # A queue member reached through a Local channel that is not optimised away writes two
    # ANSWERED rows for one conversation: caller -> Local/…;1 and Local/…;2 -> the phone.
    path = tmp_path / "Master.csv"
    path.write_text(
        '"","5550100","600","from-pstn","""Pat"" <5550100>","SIP/trunk-00000001",'
        '"Local/201@agents-00000001;1","Queue","support,t","2024-03-04 09:00:00",'
        '"2024-03-04 09:00:20","2024-03-04 09:02:20",140,120,"ANSWERED","DOCUMENTATION",'
        '"1709542800.1","","","1709542800.1",1\n'
        '"","5550100","201","agents","""Pat"" <5550100>","Local/201@agents-00000001;2",'
        '"SIP/201-00000002","Dial","SIP/201","2024-03-04 09:00:05","2024-03-04 09:00:20",'
        '"2024-03-04 09:02:20",135,120,"ANSWERED","DOCUMENTATION","1709542805.2","","",'
        '"1709542800.1",2\n'
    )
    frame, _ = _read(path)
    row = frame.row(0, named=True)
    assert frame.height == 1
    # one conversation of 120 s with SIP/201, answered 20 s after the call arrived
    assert (row["agent_id"], row["talk_seconds"], row["wait_seconds"]) == ("SIP/201", 120, 20)
    assert row["is_transferred"] is False


def test_a_transferred_call_credits_the_agent_who_answered_first(tmp_path):
    # SIP/202 answered at 09:00:10 and transferred to SIP/201 (answered 09:03:00); the CDR
    # writes SIP/201's leg first because legs are written when they end.
    path = tmp_path / "Master.csv"
    path.write_text(
        '"","5550100","600","from-pstn","""Pat"" <5550100>","SIP/trunk-00000001",'
        '"SIP/201-00000003","Dial","SIP/201","2024-03-04 09:02:55","2024-03-04 09:03:00",'
        '"2024-03-04 09:04:00",65,60,"ANSWERED","DOCUMENTATION","1709542975.3","","",'
        '"1709542800.1",3\n'
        '"","5550100","600","from-pstn","""Pat"" <5550100>","SIP/trunk-00000001",'
        '"SIP/202-00000002","Queue","support,t","2024-03-04 09:00:00","2024-03-04 09:00:10",'
        '"2024-03-04 09:03:00",180,170,"ANSWERED","DOCUMENTATION","1709542800.1","","",'
        '"1709542800.1",2\n'
    )
    row = _read(path)[0].row(0, named=True)
    assert (row["agent_id"], row["is_transferred"], row["talk_seconds"]) == ("SIP/202", True, 230)
    assert row["wait_seconds"] == 10


def test_a_line_with_more_fields_than_the_first_names_the_line(tmp_path):
    # Turning newcdrcolumns on appends 21-field lines to an 18-field Master.csv.
    rows = list(csv.reader(io.StringIO(MADE_UP.read_text(encoding="latin-1"))))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([rows[0][:18], rows[1][:18], rows[2]])
    path = tmp_path / "Master.csv"
    path.write_text(text.getvalue(), encoding="latin-1")
    with pytest.raises(CarePulseError, match=r"Master\.csv: line 3 has 21 fields; line 1 has 18"):
        _read(path)


def test_a_quarantined_call_is_numbered_by_its_first_line(tmp_path):
    lines = MADE_UP.read_bytes().splitlines()
    path = tmp_path / "Master.csv"
    # line 1 one call, lines 2-3 the two legs of another, line 4 a call whose start is a
    # date CarePulse cannot read: it is the file's line 4, though only the third call
    broken = lines[1].replace(b'"2024-03-04 09:10:00"', b'"04/03/2024 09:10"', 1)
    path.write_bytes(b"\n".join([lines[0], lines[2], lines[3], broken]) + b"\n")
    frame, _ = _read(path)
    assert frame.filter(pl.col("_reason").is_not_null())["_row"].to_list() == [4]
    assert frame["_row"].to_list() == [1, 2, 4]
