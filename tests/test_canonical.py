"""The canonical connector: files whose columns are CarePulse's own."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from connectors import canonical


def test_a_naive_parquet_time_in_the_dst_gap_is_one_bad_row_not_a_failed_file(tmp_path):
    # Europe/Zurich skipped 02:00-03:00 on 2024-03-31 and repeated 02:00-03:00 on 2024-10-27.
    path = tmp_path / "calls.parquet"
    pl.DataFrame(
        {
            "contact_id": ["gap", "after", "twice"],
            "arrived_at": [
                datetime(2024, 3, 31, 2, 30),
                datetime(2024, 3, 31, 9, 0),
                datetime(2024, 10, 27, 2, 30),
            ],
            "channel": ["voice"] * 3,
            "direction": ["inbound"] * 3,
            "outcome": ["handled"] * 3,
        }
    ).write_parquet(path)
    batches = canonical.CONNECTOR.read(path, timezone="Europe/Zurich", source=None, batch_rows=10)
    rows = {r["contact_id"]: r for r in pl.concat([b.frame for b in batches]).iter_rows(named=True)}
    assert rows["gap"]["arrived_at"] is None
    assert rows["gap"]["_reason"].startswith("arrived_at: cannot read '2024-03-31 02:30:00")
    assert rows["after"]["arrived_at"] == datetime(2024, 3, 31, 7, 0, tzinfo=UTC)  # CEST
    assert rows["twice"]["arrived_at"] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # the first
