"""Repeat contacts: did the same customer come back, on any channel, within a window?"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

# Contacts this close to each other are one transfer chain, not a repeat (METRICS.md).
CHAIN = timedelta(minutes=15)
STEP = timedelta(microseconds=1)


def next_contact(
    contacts: pl.LazyFrame,
    keyed: pl.LazyFrame,
    *,
    after: timedelta,
    by: tuple[str, ...],
    name: str,
) -> pl.LazyFrame:
    """Add `name`: when the same customer (and `by`) next arrives in `keyed` more than `after`
    later. Both frames must be sorted by `arrived_at`."""
    later = keyed.select(*by, pl.col("arrived_at").alias(name))
    probe = (pl.col("arrived_at") + after + STEP).alias("_probe")
    return (
        contacts.with_columns(probe)
        .join_asof(
            later,
            left_on="_probe",
            right_on=name,
            by=list(by),
            strategy="forward",
            check_sortedness=False,  # the probe is the arrival plus a constant: sorted too
        )
        .drop("_probe")
    )


def flag(
    contacts: pl.LazyFrame, *, fcr_window: timedelta, same_reason: bool = False
) -> pl.LazyFrame:
    """Add `is_repeated` (FCR window, past the transfer chain) and `is_returned` (24 h).

    Worked out on the few columns they need, sorted once by arrival, then set beside the
    contacts in their own order: sorting every column of the contacts took twice as long.
    """
    by = ("customer_key", "reason") if same_reason else ("customer_key",)
    narrow = (
        contacts.select(*dict.fromkeys(by), "arrived_at")
        .with_row_index("_order")
        .sort("arrived_at")
    )
    keyed = narrow.filter(pl.col("customer_key").is_not_null())
    flagged = next_contact(narrow, keyed, after=CHAIN, by=by, name="_repeat_at")
    flagged = next_contact(
        flagged, keyed, after=timedelta(0), by=("customer_key",), name="_return_at"
    )
    known = pl.col("customer_key").is_not_null()
    flags = flagged.sort("_order").select(
        (known & (pl.col("_repeat_at") <= pl.col("arrived_at") + fcr_window))
        .fill_null(False)
        .alias("is_repeated"),
        (known & (pl.col("_return_at") <= pl.col("arrived_at") + timedelta(hours=24)))
        .fill_null(False)
        .alias("is_returned"),
    )
    return pl.concat([contacts, flags], how="horizontal")
