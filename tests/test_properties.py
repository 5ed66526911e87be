"""Every row read ends accepted, quarantined or duplicate, whatever the file holds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepulse import storage
from carepulse.ingest import ingest
from carepulse.settings import load
from tests.helpers import contact, write_csv

GOOD = {"channel": "voice", "outcome": "handled", "wait_seconds": "20"}
BROKEN = [
    {"channel": "fax"},
    {"outcome": "lost"},
    {"wait_seconds": "-4"},
    {"wait_seconds": "x"},
    {"arrived_at": "yesterday"},
    {"contact_id": ""},
    {"answered_at": "2024-03-04T13:00:00Z"},
]
rows = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from([GOOD, *BROKEN]), st.integers(0, 3)),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=rows, second=rows)
def test_counts_in_equal_counts_out(first, second):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = load(data_dir=root, database_url=f"sqlite:///{root / 'db.sqlite'}")
        engine = storage.connect(config.database)
        storage.init(engine)
        stored_keys: set[str] = set()
        for number, batch in enumerate((first, second)):
            table = [{**contact(f"c{i}", talk_seconds=v), **change} for i, change, v in batch]
            path = write_csv(root / f"f{number}.csv", table)
            summary = ingest(path, engine=engine, settings=config)
            assert summary.read == len(table)
            assert summary.read == summary.accepted + summary.quarantined + summary.duplicates
            good = {
                r["contact_id"]
                for r, (_, change, _) in zip(table, batch, strict=True)
                if change is GOOD
            }
            stored_keys |= good
        with engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM contacts")).scalar_one()
        engine.dispose()
        assert count == len(stored_keys)
