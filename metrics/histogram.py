"""Fixed-bucket histograms, stored in rollups so medians and P90s re-aggregate.

A quantile is interpolated linearly inside its bucket, so its error is at most the width of
that bucket; a quantile that falls in the open last bucket is reported as the bucket's lower
edge (a lower bound).
"""

from __future__ import annotations

import numpy as np
import polars as pl

# Contact durations in seconds: 5 s steps near the service-level thresholds, then wider.
SECONDS_EDGES = (
    0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 210, 240, 270, 300, 360,
    420, 480, 540, 600, 720, 900, 1200, 1500, 1800, 2700, 3600,
)  # fmt: skip
# Ticket durations in seconds: 15 minutes up to two days in steps that respect the 24/48 h marks.
TICKET_EDGES = tuple(
    h * 3600
    for h in (0, 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 30, 36, 42, 48, 60, 72, 96, 120,
              168, 240, 336, 504, 720)
)  # fmt: skip

HISTOGRAMS = {
    "wait": SECONDS_EDGES,
    "handle": SECONDS_EDGES,
    "first_response": TICKET_EDGES,
    "resolution": TICKET_EDGES,
    "first_response_business": TICKET_EDGES,
    "resolution_business": TICKET_EDGES,
}


def columns(name: str) -> list[str]:
    """The rollup columns of a histogram, one per bucket."""
    return [f"{name}_h{i:02d}" for i in range(len(HISTOGRAMS[name]))]


def buckets(name: str, value: pl.Expr, include: pl.Expr) -> list[pl.Expr]:
    """One 0/1 column per bucket for rows where `include` holds and the value is known."""
    edges = HISTOGRAMS[name]
    known = include & value.is_not_null()
    out = []
    for i, column in enumerate(columns(name)):
        inside = known
        if i > 0:
            inside = inside & (value >= edges[i])
        if i + 1 < len(edges):
            inside = inside & (value < edges[i + 1])
        out.append(inside.cast(pl.UInt8).alias(column))  # summed to Int64
    return out


def quantile(name: str, counts: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile per row of a (rows × buckets) count matrix; NaN where a row is empty."""
    edges = np.asarray(HISTOGRAMS[name], dtype=float)
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1)
    result = np.full(len(counts), np.nan)
    cumulative = np.cumsum(counts, axis=1)
    for row in np.flatnonzero(totals > 0):
        target = q * totals[row]
        i = int(np.searchsorted(cumulative[row], target, side="left"))
        i = min(i, len(edges) - 1)
        if i == len(edges) - 1:
            result[row] = edges[i]
            continue
        before = cumulative[row][i - 1] if i else 0.0
        share = (target - before) / counts[row][i] if counts[row][i] else 0.0
        result[row] = edges[i] + share * (edges[i + 1] - edges[i])
    return result
