"""What the Data page builds on: mapping TOML, suggestions, unreadable tables, safe CSV, undo."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from carepulse import bulk, exports, storage, uploads
from carepulse.ingest import ingest_file, undo
from carepulse.settings import get_settings, load
from connectors import mapping as mappings
from connectors import suggest, tables
from connectors.mapping import Source
from metrics.errors import CarePulseError
from metrics.schema import CONTACTS
from tests.conftest import validation_file
from tests.helpers import contact, write_csv

SHIPPED = Path(__file__).resolve().parents[1] / "sample_data" / "mappings"


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda p: p.stem)
def test_a_mapping_written_as_toml_reads_back_the_same(path):
    mapping = mappings.load(path)
    assert mappings.parse(mappings.to_toml(mapping), file=path.name) == mapping


def test_odd_header_names_survive_the_toml_round_trip():
    odd = 'Caller "ID" \\ é\tx'
    mapping = mappings.Mapping(
        "odd",
        CONTACTS,
        {
            "contact_id": Source(join=(odd, "b"), separator="/"),
            "outcome": Source(column="=A1", map=(("ja", "handled"), ("nein", "abandoned"))),
            "wait_seconds": Source(column="w", unit="ms", zero_is_null=True, nulls=("-",)),
            "channel": Source(value="chat"),
        },
        timezone="Europe/Zurich",
    )
    assert mappings.parse(mappings.to_toml(mapping)) == mapping


def test_suggestions_for_the_pwc_file_match_its_shipped_mapping():
    path = validation_file("pwc-call-centre/Call-Center-Dataset.ankit7050-variant.csv")
    rows = pl.read_csv(path, infer_schema=False, n_rows=200)
    columns, surveys = suggest.suggest(rows.columns, rows, CONTACTS)
    shipped = mappings.load(SHIPPED / "pwc-call-centre-resaved.toml")
    for name in ("contact_id", "agent_id", "reason", "arrived_at", "outcome", "is_resolved"):
        assert columns[name] == shipped.columns[name], name
    assert columns["talk_seconds"].unit == "hh:mm:ss"
    assert columns["channel"] == Source(value="voice")
    # Unanswered calls carry a rating of 0 on the 1-5 scale: "no answer", as the shipped mapping
    assert surveys == {"csat": Source(column="Satisfaction rating", zero_is_null=True)}
    assert surveys["csat"] == shipped.surveys["csat"]


def test_a_zero_rating_is_only_unknown_on_a_scale_that_starts_at_one():
    rows = pl.DataFrame({"Call": ["1", "2"], "CSAT": ["0", "4"], "NPS": ["0", "9"]})
    _, surveys = suggest.suggest(rows.columns, rows, CONTACTS)
    assert surveys["csat"].zero_is_null and not surveys["nps"].zero_is_null


def test_a_yes_no_column_is_not_suggested_as_a_timestamp():
    rows = pl.DataFrame({"Answered at": ["Y", "N"], "Start": ["2024-01-01 09:00"] * 2})
    columns, _ = suggest.suggest(rows.columns, rows, CONTACTS)
    assert "answered_at" not in columns
    assert columns["arrived_at"] == Source(column="Start")


@pytest.mark.parametrize(
    "text,where",
    [
        ("a,b,c\n1,2,3\n4,5,6,7\n", "line 3 has 4 cells; the header has 3"),
        ('a,b\n1,2\n"3,4\n5,6\n', "a quote opened on line 3 does not close"),
    ],
)
def test_a_table_polars_cannot_parse_names_the_line(tmp_path, text, where):
    path = tmp_path / "broken.csv"
    path.write_text(text)
    with pytest.raises(CarePulseError, match=where):
        table = tables.read(path, batch_rows=10)
        list(table.batches)


def test_csv_exports_neutralise_formulas_and_keep_other_text():
    frame = pl.DataFrame({"note": ["=HYPERLINK(1)", "+1", "-x", "@SUM", "\tz", "fine", None]})
    lines = exports.csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert lines == ["note", "'=HYPERLINK(1)", "'+1", "'-x", "'@SUM", "'\tz", "fine", ""]


def test_a_dry_run_leaves_no_trace_and_undo_removes_exactly_the_runs_rows(engine, tmp_path):
    settings = get_settings()
    first = write_csv(tmp_path / "a.csv", [contact("c1"), contact("c2")])
    second = write_csv(tmp_path / "b.csv", [contact("c2", talk_seconds=99), contact("c3")])
    [dry] = ingest_file(first, engine=engine, settings=settings, dry_run=True)
    assert (dry.status, dry.accepted) == ("dry run", 2)
    assert storage.counts(engine)["contacts"] == 0 and storage.runs(engine) == []
    [one] = ingest_file(first, engine=engine, settings=settings)
    [two] = ingest_file(second, engine=engine, settings=settings)  # replaces c2
    assert undo(engine, one.run_id, settings) == 1  # c1 only: c2 now belongs to run two
    table = storage.FACTS["contacts"]
    ids = bulk.read(
        engine,
        sa.select(table.c.contact_id).order_by(table.c.contact_id),
        {"contact_id": pl.String},
    )
    assert ids["contact_id"].to_list() == ["c2", "c3"]
    with pytest.raises(CarePulseError, match="only a committed run"):
        undo(engine, one.run_id, settings)
    assert undo(engine, two.run_id, settings) == 2
    assert storage.counts(engine)["contacts"] == 0


def test_the_preview_shows_times_in_the_centres_zone(tmp_path):
    path = write_csv(tmp_path / "calls.csv", [contact("c1", arrived_at="2026-11-02T12:00:00Z")])
    upload = uploads.save(path.name, path.read_bytes(), load(data_dir=tmp_path))
    shown = uploads.preview(upload, timezone="America/New_York")["contacts"]
    # 12:00 UTC on 2 November is 07:00 in New York (EST, UTC-5, since the 1 November change)
    arrived = shown["arrived_at"][0]
    assert (arrived.hour, str(arrived.tzinfo)) == (7, "America/New_York")
