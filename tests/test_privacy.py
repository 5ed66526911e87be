"""Raw customer identifiers never reach the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from carepulse import storage
from carepulse.ingest import ingest, ingest_file
from carepulse.privacy import digest, hash_key, normalise
from carepulse.settings import get_settings
from tests.helpers import contact, write_csv

PHONE = "+1 (555) 010-4477"
EMAIL = "Jane.Patient@example.org"


def test_no_raw_phone_or_email_in_the_sqlite_file(tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("CAREPULSE_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    engine = storage.connect(get_settings().database)
    storage.init(engine)
    rows = [
        contact("c1", customer_key=PHONE),
        contact("c2", customer_key=EMAIL),
        contact("c3", customer_key=PHONE, outcome="lost"),  # quarantined with its raw cells
    ]
    summary = ingest(
        write_csv(tmp_path / "calls.csv", rows), engine=engine, settings=get_settings()
    )
    assert (summary.accepted, summary.quarantined) == (2, 1)
    with engine.connect() as connection:
        keys = connection.execute(sa.text("SELECT customer_key FROM contacts")).scalars().all()
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    key = hash_key(get_settings())
    assert sorted(keys) == sorted([digest(PHONE, key), digest(EMAIL, key)])
    for needle in (PHONE, EMAIL, EMAIL.lower(), "5550104477", "010-4477", "example.org"):
        assert needle.encode() not in stored, needle
    assert digest(PHONE, key).encode() in stored


def test_the_same_person_hashes_alike_and_the_key_matters():
    assert normalise("+1 (555) 010-4477") == normalise("15550104477") == "15550104477"
    assert normalise(" Jane@Example.org ") == "jane@example.org"
    assert digest("15550104477", b"k1") == digest("+1 555 010 4477", b"k1")
    assert digest("15550104477", b"k1") != digest("15550104477", b"k2")


def test_the_key_is_generated_once_and_kept_private():
    settings = get_settings()
    first = hash_key(settings)
    path = Path(settings.data_dir) / "hash.key"
    assert hash_key(settings) == first and len(first) == 64
    assert path.stat().st_mode & 0o077 == 0


def test_a_key_created_by_another_start_meanwhile_is_the_one_used(monkeypatch):
    """Two first starts at once (found by the concurrency test): the one that finds no key
    file, then finds it created when it writes its own, uses that key and does not fail."""
    settings = get_settings()
    path = Path(settings.data_dir) / "hash.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a" * 64)  # the other start's key, written after this one looked
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert hash_key(settings) == b"a" * 64
    assert [p.name for p in path.parent.iterdir() if "hash.key" in p.name] == ["hash.key"]


def test_a_quarantined_survey_riding_on_a_row_keeps_no_raw_phone(tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("CAREPULSE_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    engine = storage.connect(get_settings().database)
    storage.init(engine)
    calls = tmp_path / "calls.csv"
    calls.write_text(f'Id,Start,Phone,Score\nc1,2024-03-04 09:00:00,"{PHONE}",9\n')
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        '[source]\nname = "acme"\nkind = "contacts"\n[columns]\ncontact_id = "Id"\n'
        'arrived_at = "Start"\ncustomer_key = "Phone"\nchannel = { value = "voice" }\n'
        'direction = { value = "inbound" }\noutcome = { value = "handled" }\n'
        '[surveys]\ncsat = "Score"\n'
    )
    calls_run, surveys_run = ingest_file(
        calls, engine=engine, settings=get_settings(), mapping=mapping
    )
    assert (calls_run.accepted, surveys_run.quarantined) == (1, 1)  # csat 9 is outside 1-5
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    for needle in (PHONE, "5550104477", "010-4477"):
        assert needle.encode() not in stored, needle
