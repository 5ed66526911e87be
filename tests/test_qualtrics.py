"""Qualtrics exports: header rows found by content, the ImportId zone, labels or codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl
import pytest

import connectors
from connectors import mapping, qualtrics
from metrics.errors import CarePulseError
from metrics.schema import SURVEY_RESPONSES, validate
from tests.conftest import FIXTURES, validation_file

CHOICE_TEXT = FIXTURES / "qualtrics_w241_choice_text.csv"


def _read(path, mapping_file) -> pl.DataFrame:
    declared = mapping.load(mapping_file)
    batches = qualtrics.CONNECTOR.read(
        path, timezone="UTC", source=None, batch_rows=10, mapping=declared
    )
    return validate(pl.concat([b.frame for b in batches]), SURVEY_RESPONSES)


def test_detected_from_the_header_row_and_a_mapping_is_required():
    assert connectors.detect(CHOICE_TEXT).name == "qualtrics"
    with pytest.raises(CarePulseError, match="needs a mapping of kind survey_responses"):
        list(qualtrics.CONNECTOR.read(CHOICE_TEXT, timezone="UTC", source=None, batch_rows=5))


def test_the_time_zone_comes_from_the_import_id_row():
    assert qualtrics.file_zone(CHOICE_TEXT.read_bytes()) == "America/Denver"
    first = _read(CHOICE_TEXT, FIXTURES / "qualtrics_w241_choice_text.toml").row(0, named=True)
    assert first["sent_at"] == datetime(2020, 7, 18, 0, 52, 45, tzinfo=UTC)  # 18:52:45 MDT
    assert first["responded_at"] == datetime(2020, 7, 18, 0, 59, 25, tzinfo=UTC)
    assert (first["response_id"], first["comment"], first["source"]) == (
        "R_u8Geu0CykTxNh6h",
        "Female",
        "w241-pilot",
    )


@pytest.mark.parametrize("export", ["choice_text", "numeric_values"])
def test_labels_and_numeric_exports_give_the_same_answers(export):
    path = validation_file("qualtrics-w241", f"w241_pilot_{export}.redacted.csv")
    frame = _read(path, FIXTURES / f"qualtrics_w241_{export}.toml")
    assert frame.height == 26 and frame["_reason"].null_count() == 26  # header rows 2-3 skipped
    assert frame["is_resolved"].sum() == 18
    assert frame["response_id"][-1] == "R_2dBixvNlTAxR9NC"


def _export_in_zone(tmp_path, zone: str):
    path = tmp_path / "export.csv"
    import_id = '"{""ImportId"":""startDate"",""timeZone"":""' + zone + '""}"'
    path.write_text(
        "StartDate,RecordedDate,ResponseId,Q1\nStart Date,Recorded Date,Response ID,Comment\n"
        f'{import_id},{import_id},"{{""ImportId"":""_recordId""}}","{{""ImportId"":""QID1""}}"\n'
        "2024-03-04 09:00:00,2024-03-04 09:05:00,R_1,fine\n"
    )
    return path


def test_a_utc_export_states_its_zone_as_z(tmp_path):
    # FORMATS.md 5a: the ImportId row's timeZone is an IANA name or Z.
    path = _export_in_zone(tmp_path, "Z")
    declared = mapping.parse('[source]\nname = "s"\nkind = "survey_responses"\n')
    batches = qualtrics.CONNECTOR.read(
        path, timezone="Asia/Tokyo", source=None, batch_rows=10, mapping=declared
    )
    row = pl.concat([b.frame for b in batches]).row(0, named=True)
    assert (row["sent_at"], row["responded_at"], row["_reason"]) == (
        datetime(2024, 3, 4, 9, 0, tzinfo=UTC),
        datetime(2024, 3, 4, 9, 5, tzinfo=UTC),
        None,
    )


def test_an_unknown_zone_in_the_export_is_named(tmp_path):
    path = _export_in_zone(tmp_path, "Mountain Time")
    declared = mapping.parse('[source]\nname = "s"\nkind = "survey_responses"\n')
    stated = r"export\.csv: the export's time zone 'Mountain Time'"
    with pytest.raises(CarePulseError, match=stated):
        list(
            qualtrics.CONNECTOR.read(
                path, timezone="UTC", source=None, batch_rows=10, mapping=declared
            )
        )


def test_responses_with_dates_excel_rewrote_are_quarantined_not_lost(tmp_path):
    # Opening the export in Excel and saving it writes 7/17/2020 18:52 for 2020-07-17 18:52:45.
    text = re.sub(r"2020-07-(\d\d) (\d\d:\d\d):\d\d", r"7/\1/2020 \2", CHOICE_TEXT.read_text())
    path = tmp_path / "resaved.csv"
    path.write_text(text)
    frame = _read(path, FIXTURES / "qualtrics_w241_choice_text.toml")
    assert frame.height == 26  # every response; the two header rows below row 1 are not
    assert frame["_reason"].str.starts_with("StartDate: cannot read '7/17/2020 18:52'")[0]
    assert frame["response_id"][-1] == "R_2dBixvNlTAxR9NC"
