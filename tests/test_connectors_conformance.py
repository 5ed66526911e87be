"""Every registered connector on its sample: canonical frames, every row counted, idempotence."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

import connectors
from carepulse import bulk, storage
from carepulse.ingest import ingest, kinds_in, resolve
from carepulse.settings import get_settings
from connectors.base import read_options
from metrics.schema import KINDS
from tests.conftest import FIXTURES

MAPPINGS = Path(__file__).resolve().parents[1] / "sample_data" / "mappings"

# sample -> (connector name, sample file, mapping or None); every connector has at least one
CASES: dict[str, tuple[str, Path, Path | None]] = {
    "zendesk-api": ("zendesk", FIXTURES / "zendesk_api_tickets.json", None),
    "zendesk-csv": ("zendesk", FIXTURES / "zendesk_tickets_excerpt.csv", None),
    "canonical": ("canonical", FIXTURES / "canonical_contacts.csv", None),
    "generic": (
        "generic",
        FIXTURES / "pwc_call_centre_excerpt.csv",
        MAPPINGS / "pwc-call-centre.toml",
    ),
    "asterisk-queue-log": ("asterisk-queue-log", FIXTURES / "asterisk_made_up.queue_log", None),
    "asterisk-cdr": ("asterisk-cdr", FIXTURES / "asterisk_master_made_up.csv", None),
    "database": ("database", FIXTURES / "database_calls.toml", None),
    "freshdesk": ("freshdesk", FIXTURES / "freshdesk_tickets_made_up.csv", None),
    "amazon-connect": ("amazon-connect", FIXTURES / "amazon_connect_ctr.ndjson", None),
    "surveymonkey": (
        "surveymonkey",
        FIXTURES / "surveymonkey_made_up.csv",
        FIXTURES / "surveymonkey_made_up.toml",
    ),
    "qualtrics": (
        "qualtrics",
        FIXTURES / "qualtrics_w241_choice_text.csv",
        FIXTURES / "qualtrics_w241_choice_text.toml",
    ),
}


def _facts(engine: sa.Engine, kind: str) -> pl.DataFrame:
    table = storage.FACTS[kind]
    query = sa.select(table).order_by(*(table.c[c] for c in KINDS[kind].natural_key))
    return bulk.read(engine, query, KINDS[kind].schema)


def test_every_registered_connector_has_a_sample():
    assert {name for name, _, _ in CASES.values()} == set(connectors.REGISTRY)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sample_is_detected_from_its_content(case):
    name, path, mapping = CASES[case]
    connector, _ = resolve(path, mapping=mapping)
    assert connector.name == name


@pytest.mark.parametrize("case", sorted(CASES))
def test_batches_have_the_canonical_schema(case):
    name, path, mapping = CASES[case]
    connector, declared = resolve(path, source=name, mapping=mapping)
    for kind_name in kinds_in(path, source=name, mapping=mapping):
        kind = KINDS[kind_name] if kind_name else None
        options = read_options(connector, mapping=declared, kind=kind)
        batches = list(connector.read(path, timezone="UTC", source=None, batch_rows=5, **options))
        assert batches, f"{name} yielded no batch"
        for batch in batches:
            assert batch.frame.select(batch.kind.columns).schema == batch.kind.schema
            assert batch.frame["_reason"].dtype == pl.String
            assert set(batch.frame["_row"]) <= set(batch.raw["_row"])
            assert set(batch.identifiers) <= set(batch.raw.columns)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_row_is_accounted_for_and_a_reimport_changes_nothing(case, engine):
    name, path, mapping = CASES[case]
    settings = get_settings()
    for kind in kinds_in(path, source=name, mapping=mapping):
        options = dict(engine=engine, settings=settings, source=name, mapping=mapping, kind=kind)
        first = ingest(path, **options)
        assert first.status == "committed" and first.read > 0
        assert first.read == first.accepted + first.quarantined + first.duplicates
        before = _facts(engine, first.kind)
        second = ingest(path, **options)
        assert second.read == second.quarantined + second.duplicates
        assert (second.accepted, second.updated) == (0, 0)
        assert _facts(engine, first.kind).equals(before)


@pytest.mark.parametrize(
    "content",
    [b"PAR1\x00\r\x15\x04binary", b"\x00\x01\x02\r\r\n", b'"unterminated,\r"x\n', b"PK\x03\x04zip"],
    ids=["parquet-like", "binary", "broken-csv", "zip"],
)
def test_no_detector_fails_on_odd_content(tmp_path, content):
    path = tmp_path / "odd.bin"
    path.write_bytes(content)
    for connector in connectors.REGISTRY.values():
        assert connector.detect(path, content) in (True, False), connector.name
