"""The generic connector and its mapping: file shapes, units, blanks, and helpful errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from connectors import generic, mapping
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, TICKETS
from tests.helpers import write_xlsx

CALLS = """
[source]
name = "acme"
kind = "contacts"

[columns]
contact_id = "Id"
arrived_at = "Start"
outcome = { column = "Answered", map = { Y = "handled", N = "abandoned" } }
wait_seconds = { column = "Wait" }
talk_seconds = { column = "Talk", unit = "hh:mm:ss", zero_is_null = true }
reason = "Topic"
channel = { value = "voice" }
direction = { value = "inbound" }
"""
HEADER = ["Id", "Start", "Answered", "Wait", "Talk", "Topic"]
ROW = ["c1", "2024-03-04 09:00:00", "Y", "20", "0:05:00", "Refill"]


def _read(path: Path, text: str = CALLS, *, timezone: str = "UTC", kind=None) -> pl.DataFrame:
    declared = mapping.parse(text)
    batches = generic.CONNECTOR.read(
        path, timezone=timezone, source=None, batch_rows=1000, mapping=declared, kind=kind
    )
    return pl.concat([b.frame for b in batches])


def _csv(path: Path, rows: list[list[str]], *, sep: str = ",", end: str = "\n") -> Path:
    lines = [sep.join(r) for r in [HEADER, *rows]]
    path.write_bytes(end.join(lines).encode() + end.encode())
    return path


def test_a_file_is_not_generic_without_a_mapping(tmp_path):
    path = _csv(tmp_path / "calls.csv", [ROW])
    assert not generic.CONNECTOR.detect(path, path.read_bytes())
    with pytest.raises(CarePulseError, match="needs a mapping"):
        list(generic.CONNECTOR.read(path, timezone="UTC", source=None, batch_rows=10))


@pytest.mark.parametrize(
    ("sep", "end", "prefix"),
    [(",", "\n", b""), (";", "\r\n", b""), ("\t", "\r\n", b""), ("|", "\n", b"\xef\xbb\xbf")],
    ids=["comma", "semicolon-crlf", "tab-crlf", "pipe-bom"],
)
def test_any_delimiter_line_end_and_a_bom_read_the_same(tmp_path, sep, end, prefix):
    path = _csv(tmp_path / "calls.txt", [ROW], sep=sep, end=end)
    path.write_bytes(prefix + path.read_bytes())
    frame = _read(path)
    assert frame.select("contact_id", "reason", "wait_seconds", "talk_seconds").row(0) == (
        "c1",
        "Refill",
        20.0,
        300.0,
    )
    assert frame["_reason"].to_list() == [None]


def test_a_latin1_file_is_read_and_the_replaced_characters_counted(tmp_path):
    path = tmp_path / "calls.csv"
    text = ",".join(HEADER) + "\nc1,2024-03-04 09:00:00,Y,20,0:05:00,Résiliation à froid\n"
    path.write_bytes(text.encode("latin-1"))
    declared = mapping.parse(CALLS)
    batch = next(
        generic.CONNECTOR.read(path, timezone="UTC", source=None, batch_rows=10, mapping=declared)
    )
    assert batch.frame["reason"].to_list() == ["Résiliation à froid"]
    assert batch.notes == ("calls.csv: 2 characters were not UTF-8; the file was read as Latin-1",)


def test_blank_is_null_and_a_declared_zero_is_null_but_a_plain_zero_is_zero(tmp_path):
    rows = [["c1", "2024-03-04 09:00:00", "N", "", "0:00:00", ""], ["c2", *ROW[1:3], "0", "", "x"]]
    frame = _read(_csv(tmp_path / "calls.csv", rows))
    assert frame["wait_seconds"].to_list() == [None, 0.0]
    assert frame["talk_seconds"].to_list() == [None, None]
    assert frame["reason"].to_list() == [None, "x"]
    assert frame["outcome"].to_list() == ["abandoned", "handled"]


@pytest.mark.parametrize(
    ("unit", "cell", "seconds"),
    [
        ("s", "90", 90),
        ("ms", "1500", 1.5),
        ("min", "2.5", 150),
        ("h", "2", 7200),
        ("hh:mm:ss", "1:02:03", 3723),
        ("hh:mm:ss", "0:45", 2700),
    ],
)
def test_units_become_seconds(tmp_path, unit, cell, seconds):
    text = CALLS.replace('{ column = "Wait" }', f'{{ column = "Wait", unit = "{unit}" }}')
    frame = _read(_csv(tmp_path / "calls.csv", [[*ROW[:3], cell, *ROW[4:]]]), text)
    assert frame["wait_seconds"].to_list() == [seconds]


def test_naive_times_are_read_in_the_mappings_zone_and_formats_apply(tmp_path):
    text = CALLS.replace(
        'arrived_at = "Start"', 'arrived_at = { column = "Start", format = "%d/%m/%Y %H:%M" }'
    )
    path = _csv(tmp_path / "calls.csv", [[ROW[0], "04/03/2024 09:00", *ROW[2:]]])
    frame = _read(path, text, timezone="Europe/Zurich")
    assert frame["arrived_at"].to_list() == [datetime(2024, 3, 4, 8, 0, tzinfo=UTC)]


def test_a_cell_that_cannot_be_read_names_the_header_and_the_value(tmp_path):
    rows = [[*ROW[:2], "maybe", "soon", "5 min", ROW[5]]]
    reason = _read(_csv(tmp_path / "calls.csv", rows))["_reason"][0]
    assert "Answered: 'maybe' is not one of Y, N" in reason
    assert "Wait: cannot read 'soon' as a number" in reason
    assert "Talk: cannot read '5 min' as a number" in reason


def test_csv_injection_is_kept_as_text(tmp_path):
    evil = "=cmd|' /C calc'!A0"
    path = tmp_path / "calls.csv"
    path.write_text(",".join(HEADER) + f'\nc1,2024-03-04 09:00:00,Y,20,0:05:00,"{evil}"\n')
    assert _read(path)["reason"].to_list() == [evil]


def test_a_missing_mapped_header_lists_the_headers_found_and_the_closest(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("Id,Start,Answerd,Wait,Talk,Topic\nc1,2024-03-04 09:00:00,Y,1,0:00:01,x\n")
    with pytest.raises(CarePulseError) as caught:
        _read(path)
    assert "missing column 'Answered' (closest: 'Answerd')" in caught.value.message
    assert "found: Id, Start, Answerd, Wait, Talk, Topic" in caught.value.message


def test_json_lines_and_parquet_read_like_csv(tmp_path):
    record = dict(zip(HEADER, ROW, strict=True)) | {"Wait": 20, "extra": {"nested": 1}}
    jsonl = tmp_path / "calls.jsonl"
    jsonl.write_text(json.dumps(record) + "\n")
    parquet = tmp_path / "calls.parquet"
    pl.DataFrame([record]).write_parquet(parquet)
    for path in (jsonl, parquet):
        frame = _read(path)
        assert frame.select("contact_id", "wait_seconds", "talk_seconds").row(0) == ("c1", 20, 300)


def test_surveys_ride_on_the_rows_and_blank_scores_make_no_response(tmp_path):
    text = CALLS + '[surveys]\ncsat = "Score"\n'
    path = tmp_path / "calls.csv"
    path.write_text(
        "Id,Start,Answered,Wait,Talk,Topic,Score\n"
        "c1,2024-03-04 09:00:00,Y,20,0:05:00,x,4\nc2,2024-03-04 10:00:00,N,,,x,\n"
    )
    declared = mapping.parse(text)
    assert generic.CONNECTOR.kinds(path, mapping=declared)[1].name == "survey_responses"
    surveys = _read(path, text, kind=SURVEY_RESPONSES)
    assert surveys.select("response_id", "contact_id", "csat").rows() == [("c1", "c1", 4)]
    assert surveys["responded_at"].to_list() == [datetime(2024, 3, 4, 9, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "contacts"', 'kind = "contact"', "source.kind: Input should be 'contacts'"),
        ('"Id"', '{ column = "Id", value = "x" }', "columns.contact_id: give exactly one"),
        ('"Wait" }', '"Wait", unit = "sec" }', "columns.wait_seconds.unit: Input should be"),
        ("contact_id =", "callid =", "[columns] names unknown column(s) callid"),
        ('"Topic"', '"Topic', "not valid TOML"),
    ],
)
def test_mapping_mistakes_name_the_field(old, new, message):
    with pytest.raises(CarePulseError, match=re.escape(message)):
        mapping.parse(CALLS.replace(old, new, 1))


def test_a_tickets_mapping_reads_hours_and_minutes(tmp_path):
    text = """
[source]
name = "desk"
kind = "tickets"
[columns]
ticket_id = "Id"
status = { column = "Status", map = { Solved = "solved", Open = "open" } }
created_at = "Created"
replies = "Replies"
"""
    path = tmp_path / "t.csv"
    path.write_text("Id,Status,Created,Replies\n1,Solved,2023-04-08T20:52:00+05:30,3\n")
    frame = _read(path, text, kind=TICKETS)
    assert frame.select("ticket_id", "status", "replies").row(0) == ("1", "solved", 3)
    assert frame["created_at"][0] == datetime(2023, 4, 8, 15, 22, tzinfo=UTC)


def test_declared_sentinels_are_null(tmp_path):
    text = CALLS.replace('reason = "Topic"', 'reason = { column = "Topic", nulls = ["-", "n/a"] }')
    rows = [[*ROW[:5], "-"], ["c2", *ROW[1:5], "n/a"], ["c3", *ROW[1:]]]
    assert _read(_csv(tmp_path / "calls.csv", rows), text)["reason"].to_list() == [
        None,
        None,
        "Refill",
    ]


def test_join_builds_a_composite_key_and_a_missing_part_is_unknown(tmp_path):
    text = CALLS.replace('contact_id = "Id"', 'contact_id = { join = ["Topic", "Id"] }')
    rows = [ROW, ["c2", *ROW[1:5], ""]]
    frame = _read(_csv(tmp_path / "calls.csv", rows), text)
    assert frame["contact_id"].to_list() == ["Refill-c1", None]


def test_a_missing_sheet_is_named(tmp_path):
    from tests.conftest import validation_file

    workbook = validation_file("pwc-call-centre", "01_Call-Center-Dataset.original.xlsx")
    text = CALLS.replace('kind = "contacts"', 'kind = "contacts"\nsheet = "Calls"')
    with pytest.raises(CarePulseError, match="no matching sheet found"):
        _read(workbook, text)


def test_a_format_that_takes_no_mapping_says_so(tmp_path):
    from carepulse.ingest import resolve

    path = _csv(tmp_path / "calls.csv", [ROW])
    declared = tmp_path / "m.toml"
    declared.write_text(CALLS)
    with pytest.raises(CarePulseError, match="the canonical format does not take a mapping"):
        resolve(path, source="canonical", mapping=declared)


def test_a_workbook_column_that_turns_to_text_after_row_100_keeps_its_text(tmp_path):
    # Polars infers an Excel column's type from its first 100 rows by default; later text
    # cells in a number column were read as empty, silently.
    numbers = [[f"c{i}", "2024-03-04 09:00:00", "Y", i, "0:05:00", "x"] for i in range(150)]
    late = [
        ["c150", "2024-03-04 09:00:00", "Y", "n/a", "0:05:00", "x"],
        ["c151", "2024-03-04 09:00:00", "Y", "7", "0:05:00", "x"],
    ]
    workbook = write_xlsx(tmp_path / "calls.xlsx", [HEADER, *numbers, *late])
    frame = _read(workbook)
    assert frame.height == 152
    assert frame["wait_seconds"][149] == 149
    assert frame["_reason"][150] == "Wait: cannot read 'n/a' as a number"
    assert frame["wait_seconds"][151] == 7


def test_json_lines_whose_values_change_type_after_row_100_are_read(tmp_path):
    records = [
        {
            "Id": f"c{i}",
            "Start": "2024-03-04 09:00:00",
            "Answered": "Y",
            "Wait": i,
            "Talk": "0:05:00",
            "Topic": "x",
        }
        for i in range(150)
    ]
    records[120]["Wait"] = "n/a"
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    frame = _read(path)
    assert frame.height == 150
    assert frame["_reason"].to_list().count(None) == 149
    assert frame["_reason"][120] == "Wait: cannot read 'n/a' as a number"
    assert frame["wait_seconds"][149] == 149


def test_surveys_on_rows_without_a_mapped_key_are_a_mapping_mistake():
    text = CALLS.replace('contact_id = "Id"\n', "") + '[surveys]\ncsat = "Score"\n'
    with pytest.raises(CarePulseError, match=r"\[surveys\] needs \[columns\] contact_id"):
        mapping.parse(text)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_row_with_more_cells_than_the_header_names_its_line(tmp_path, encoding):
    path = tmp_path / "calls.csv"
    rows = [",".join(ROW), ",".join(["c2", *ROW[1:], "extra"]), ",".join(ROW)]
    text = "\n".join([",".join(HEADER), '"Note: ""multi\nline""",' + ",".join(ROW[1:]), *rows])
    path.write_bytes((text.replace("Refill", "Réfill") + "\n").encode(encoding))
    # line 1 header, lines 2-3 one quoted record, line 4 fine, line 5 has 7 cells
    with pytest.raises(CarePulseError, match=r"calls\.csv: line 5 has 7 cells; the header has 6"):
        _read(path)


def test_a_mapped_value_that_is_not_of_the_columns_type_is_a_reason_not_a_blank(tmp_path):
    text = (
        '[source]\nname = "s"\nkind = "survey_responses"\n[columns]\nresponse_id = "Id"\n'
        'sent_at = "Sent"\ncsat = { column = "Score", map = { Great = 5.0, Bad = "one" } }\n'
    )
    path = tmp_path / "answers.csv"
    path.write_text("Id,Sent,Score\nr1,2024-03-04 09:00:00,Great\nr2,2024-03-04 09:00:00,Bad\n")
    frame = _read(path, text)
    assert frame["csat"].to_list() == [5, None]  # TOML's 5.0 is the whole number 5
    assert frame["_reason"].to_list() == [None, "Score: 'Bad' maps to 'one', not a whole number"]
